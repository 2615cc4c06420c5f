"""Every error path of FramePoolManager raises the documented error and changes nothing.

"Nothing" is checked on the whole ``counts()`` snapshot, the idle frames of
every class, and the hierarchy and state of the frames involved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from framepool import FramePoolManager, FrameType, PooledFrame
from framepool_spec.config import MAX_FRAME_SIZES, PoolConfig
from framepool_spec.errors import (
    ActiveChildrenError,
    DoubleReleaseError,
    ForeignFrameError,
    FramePoolError,
    InvalidParentError,
    PoolClosedError,
)


class Clock:
    def __init__(self) -> None:
        self.now = 0

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def pool() -> Iterator[FramePoolManager]:
    config = PoolConfig(
        initial_pool_sizes=(2, 2, 0, 1),
        max_pool_sizes=(4, 4, 0, 2),
        enable_gc_integration=True,
    )
    yield FramePoolManager(config, clock=Clock())


def snapshot(pool: FramePoolManager) -> tuple[Any, ...]:
    idle = tuple(tuple(map(id, pool.available_frames(c))) for c in range(MAX_FRAME_SIZES))
    return pool.counts(), idle


def unchanged(pool: FramePoolManager, error: type[Exception], call: Callable[[], object]) -> None:
    before = snapshot(pool)
    with pytest.raises(error):
        call()
    assert snapshot(pool) == before


def links(frame: PooledFrame) -> tuple[Any, ...]:
    return frame.state, frame.parent, list(frame.children), frame.depth, frame.usage_count


def test_error_classes_share_a_base() -> None:
    for error in (
        DoubleReleaseError,
        ForeignFrameError,
        ActiveChildrenError,
        InvalidParentError,
        PoolClosedError,
    ):
        assert issubclass(error, FramePoolError)
    assert not issubclass(FramePoolError, ValueError)


def test_double_release(pool: FramePoolManager) -> None:
    frame = pool.acquire(FrameType.CALL)
    assert pool.release(frame) is True
    unchanged(pool, DoubleReleaseError, lambda: pool.release(frame))
    unchanged(pool, DoubleReleaseError, lambda: pool.release_tree(frame))
    assert frame.is_pooled


def test_double_release_of_a_destroyed_frame(pool: FramePoolManager) -> None:
    frame = pool.acquire(FrameType.DELEGATE_CALL)  # class 2 has no pool: destroyed on release
    assert pool.release(frame) is False
    assert frame.state == "destroyed"
    unchanged(pool, DoubleReleaseError, lambda: pool.release(frame))


def test_foreign_frame(pool: FramePoolManager) -> None:
    other = FramePoolManager(pool.config, clock=Clock())
    foreign = other.acquire(FrameType.REGULAR)
    before_other = snapshot(other)
    unchanged(pool, ForeignFrameError, lambda: pool.release(foreign))
    unchanged(pool, ForeignFrameError, lambda: pool.release_tree(foreign))
    unchanged(pool, InvalidParentError, lambda: pool.get_or_create(FrameType.CALL, foreign))
    assert snapshot(other) == before_other
    assert foreign.is_active


def test_release_of_a_non_frame_is_a_type_error(pool: FramePoolManager) -> None:
    unchanged(pool, TypeError, lambda: pool.release("frame"))  # type: ignore[arg-type]
    unchanged(pool, TypeError, lambda: pool.release_tree(None))  # type: ignore[arg-type]


def test_release_with_active_children(pool: FramePoolManager) -> None:
    parent = pool.acquire(FrameType.REGULAR)
    child = pool.get_or_create(FrameType.CALL, parent)
    grandchild = pool.get_or_create(FrameType.CALL, child)
    before = [links(f) for f in (parent, child, grandchild)]
    unchanged(pool, ActiveChildrenError, lambda: pool.release(parent))
    unchanged(pool, ActiveChildrenError, lambda: pool.release(child))
    assert [links(f) for f in (parent, child, grandchild)] == before
    assert pool.release_tree(parent) == 3


@pytest.mark.parametrize(
    ("parent_type", "child_type"),
    [
        (FrameType.PRECOMPILE, FrameType.CALL),
        (FrameType.PRECOMPILE, FrameType.PRECOMPILE),
        (FrameType.STATIC_CALL, FrameType.CREATE),
        (FrameType.STATIC_CALL, FrameType.CREATE2),
    ],
)
def test_refused_pairing(
    pool: FramePoolManager, parent_type: FrameType, child_type: FrameType
) -> None:
    parent = pool.acquire(parent_type)
    before = links(parent)
    unchanged(pool, InvalidParentError, lambda: pool.get_or_create(child_type, parent))
    assert links(parent) == before


def test_released_parent_is_invalid(pool: FramePoolManager) -> None:
    parent = pool.acquire(FrameType.REGULAR)
    pool.release(parent)
    unchanged(pool, InvalidParentError, lambda: pool.get_or_create(FrameType.CALL, parent))
    unchanged(pool, InvalidParentError, lambda: pool.get_or_create(FrameType.CALL, "p"))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("size_class", "new_size", "message"),
    [
        (0, -1, r"new size -1 for class 0 is outside \[0, 4\]"),
        (0, 5, r"new size 5 for class 0 is outside \[0, 4\]"),
        (0, 2.0, r"new size must be an integer"),
        (0, True, r"new size must be an integer"),
        (-1, 1, r"size class -1 is outside"),
        (MAX_FRAME_SIZES, 1, r"size class 8 is outside"),
        (2, 0, r"size class 2 has no pool"),
        (7, 0, r"size class 7 has no pool"),
    ],
)
def test_resize_out_of_range(
    pool: FramePoolManager, size_class: int, new_size: Any, message: str
) -> None:
    before = snapshot(pool)
    with pytest.raises(ValueError, match=message):
        pool.resize(size_class, new_size)
    assert snapshot(pool) == before


def test_resize_with_pooling_off_has_no_pool() -> None:
    pool = FramePoolManager(PoolConfig.disabled(), clock=Clock())
    unchanged(pool, ValueError, lambda: pool.resize(0, 0))


def test_use_after_close(pool: FramePoolManager) -> None:
    held = pool.acquire(FrameType.REGULAR)
    released = pool.acquire(FrameType.CALL)
    pool.release(released)
    pool.close()
    assert pool.closed
    counts = pool.counts()
    assert counts.closed and counts.frames_available == 0
    assert counts.frames_active == 1  # the held frame is still the caller's
    assert (released.state, held.state) == ("destroyed", "active")
    calls: list[Callable[[], object]] = [
        lambda: pool.acquire(FrameType.REGULAR),
        lambda: pool.get_or_create(FrameType.CALL, None),
        lambda: pool.get_or_create(FrameType.CALL, held),
        lambda: pool.release(held),
        lambda: pool.release_tree(held),
        lambda: pool.resize(0, 1),
        lambda: pool.resize(99, -5),  # closed wins over bad arguments
        pool.auto_tune,
        pool.cleanup,
        pool.check_gc_pressure,
    ]
    for call in calls:
        unchanged(pool, PoolClosedError, call)
    assert held.is_active
    # statistics() and close() still work.
    assert pool.statistics().counts == pool.counts()
    pool.close()
    assert pool.counts() == counts


def test_the_same_frame_type_errors_everywhere() -> None:
    """acquire, get_or_create and size_class_of refuse what is not a FrameType alike."""
    pool = FramePoolManager(PoolConfig.balanced())
    root = pool.acquire(FrameType.REGULAR)
    for call in (
        lambda: pool.acquire(True),  # type: ignore[arg-type]
        lambda: pool.get_or_create(True, root),  # type: ignore[arg-type]
        lambda: pool.get_or_create(99),  # type: ignore[arg-type]
        lambda: pool.size_class_of(99),  # type: ignore[arg-type]
    ):
        with pytest.raises(ValueError, match="not a FrameType"):
            call()
    assert pool.size_class_of(FrameType.CALL) == 1


def test_maybe_cleanup_is_refused_after_close() -> None:
    pool = FramePoolManager(PoolConfig.balanced())
    pool.close()
    with pytest.raises(PoolClosedError):
        pool.maybe_cleanup()


def test_counts_only_tracking_keeps_the_counts() -> None:
    tracked = FramePoolManager(PoolConfig.balanced())
    counted = FramePoolManager(PoolConfig.balanced(), track_events=False)
    for pool in (tracked, counted):
        for _ in range(3):
            pool.release(pool.acquire(FrameType.CALL))
    assert tracked.counts() == counted.counts()
    assert tracked.counts().by_type[FrameType.CALL].pool_allocations == 3
    assert len(tracked.allocation_events()) == 6 and counted.allocation_events() == []


def test_every_refusal_names_its_problem() -> None:
    """The messages are part of the contract: each one says what was wrong."""
    pool = FramePoolManager(PoolConfig.balanced(), clock=Clock())
    other = FramePoolManager(PoolConfig.balanced(), clock=Clock())
    root = pool.acquire(FrameType.REGULAR)
    child = pool.get_or_create(FrameType.CALL, root)
    gone = pool.acquire(FrameType.CALL)
    pool.release(gone)
    precompile = pool.acquire(FrameType.PRECOMPILE)
    foreign = other.acquire(FrameType.REGULAR)
    cases: list[tuple[Callable[[], object], type[Exception], str]] = [
        (lambda: pool.release(gone), DoubleReleaseError, "is available, not active"),
        (lambda: pool.release(foreign), ForeignFrameError, "handed out by another pool manager"),
        (lambda: pool.release(root), ActiveChildrenError, "still has 1 active children"),
        (lambda: pool.release("frame"), TypeError, "takes a PooledFrame, got str"),  # type: ignore[arg-type]
        (lambda: pool.release_tree(gone), DoubleReleaseError, "is not active"),
        (lambda: pool.release_tree(foreign), ForeignFrameError, "handed out by another pool manager"),
        (lambda: pool.release_tree(1), TypeError, "takes a PooledFrame, got int"),  # type: ignore[arg-type]
        (lambda: pool.get_or_create(FrameType.CALL, foreign), InvalidParentError, "not handed out by this pool manager"),
        (lambda: pool.get_or_create(FrameType.CALL, gone), InvalidParentError, "is not active"),
        (lambda: pool.get_or_create(FrameType.CALL, precompile), InvalidParentError, "a PRECOMPILE frame may not parent a CALL frame"),
        (lambda: pool.acquire("CALL"), ValueError, "not a FrameType: 'CALL'"),  # type: ignore[arg-type]
        (lambda: pool.resize(0, 10**6), ValueError, "new size 1000000 for class 0 is outside"),
        (lambda: pool.resize(0, 1.5), ValueError, "new size must be an integer"),  # type: ignore[arg-type]
        (lambda: pool.resize(9, 1), ValueError, "size class 9 is outside"),
        (lambda: pool.resize("0", 1), ValueError, "size class must be an integer"),  # type: ignore[arg-type]
        (lambda: pool.available_frames(8), ValueError, "size class 8 is outside"),
        (lambda: FramePoolManager("fast"), TypeError, "config must be a PoolConfig, got str"),  # type: ignore[arg-type]
        (lambda: FramePoolManager(frame_class=dict), TypeError, "frame_class must be PooledFrame"),  # type: ignore[arg-type]
    ]
    no_pool = FramePoolManager(PoolConfig(initial_pool_sizes=(0,), max_pool_sizes=(0,)), clock=Clock())
    cases.append((lambda: no_pool.resize(0, 0), ValueError, "size class 0 has no pool"))
    for call, error, words in cases:
        with pytest.raises(error) as info:
            call()
        assert words in str(info.value), (words, str(info.value))
    assert child.is_active
    pool.close()
    for call in (lambda: pool.acquire(FrameType.CALL), lambda: pool.release(child), pool.auto_tune,
                 lambda: pool.release_tree(root), lambda: pool.resize(0, 1), pool.maybe_cleanup,
                 pool.cleanup, pool.check_gc_pressure):
        with pytest.raises(PoolClosedError) as closed:
            call()
        assert str(closed.value) == "the pool manager is closed"


@pytest.mark.parametrize("bad", [-1, 8])
def test_bad_size_class_messages_give_the_range(bad: int) -> None:
    pool = FramePoolManager(PoolConfig.balanced(), clock=Clock())
    for call in (lambda: pool.available_frames(bad), lambda: pool.resize(bad, 1)):
        with pytest.raises(ValueError) as info:
            call()
        assert str(info.value) == f"size class {bad} is outside [0, 7]"


def test_plain_ints_name_frame_types() -> None:
    """A FrameType's value is accepted wherever a FrameType is (as the model accepts it)."""
    pool = FramePoolManager(PoolConfig.balanced(), clock=Clock())
    root = pool.acquire(0)  # type: ignore[arg-type]
    child = pool.get_or_create(1, root)  # type: ignore[arg-type]
    assert (root.frame_type, child.frame_type) == (FrameType.REGULAR, FrameType.CALL)
    assert pool.size_class_of(2) == 2  # type: ignore[arg-type]
