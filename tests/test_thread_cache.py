"""The per-thread tier (``PoolConfig.thread_cache_size``), on real threads.

The conformance suite checks the tier against the model one call at a time (on
worker threads); the concurrent checkers check it under interleavings. These
tests pin down what a user sees: where frames go, that a thread's end loses
nothing, and that a manager is not kept alive by the threads that used it.
"""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Callable

import pytest

from framepool import FramePoolManager, FrameType, PooledFrame
from framepool.thread_cache import ThreadCache
from framepool_spec.config import PoolConfig
from framepool_spec.errors import DoubleReleaseError
from framepool_spec.statistics import conservation_violations

REGULAR = FrameType.REGULAR


def tiered(cache: int = 4, initial: int = 8, maximum: int = 16, **kw: object) -> FramePoolManager:
    config = PoolConfig(
        initial_pool_sizes=(initial,), max_pool_sizes=(maximum,), enable_size_classes=False,
        thread_cache_size=cache, **kw,  # type: ignore[arg-type]
    )
    return FramePoolManager(config, clock=lambda: 0)


def on_thread(fn: Callable[[], object]) -> object:
    """Run ``fn`` on a new thread, wait for it to end, and return its result."""
    out: list[object] = []
    thread = threading.Thread(target=lambda: out.append(fn()))
    thread.start()
    thread.join()
    return out[0]


def class0(m: FramePoolManager) -> tuple[int, int, int, int]:
    c = m.counts().classes[0]
    return c.available, c.active, c.hits, c.misses


def test_config_validates_the_cache_size() -> None:
    assert PoolConfig(thread_cache_size=5).cache_batch == 2
    assert PoolConfig(thread_cache_size=1).cache_batch == 1
    for bad in (-1, 257, 1.5, True):
        with pytest.raises(ValueError, match="thread_cache_size"):
            PoolConfig(thread_cache_size=bad)  # type: ignore[arg-type]


def test_a_refill_moves_a_batch_and_hands_out_the_warmest() -> None:
    m = tiered(cache=4)
    shared = m._pools[0].available
    warmest = shared[-1]
    frame = m.acquire(REGULAR)
    assert frame is warmest
    assert len(shared) == 8 - 2  # a batch of cache_batch = 2 left the shared list
    assert class0(m) == (7, 1, 1, 0)  # the one left in the cache still counts as idle


def test_releases_fill_the_cache_then_flush_the_coldest() -> None:
    m = tiered(cache=2, initial=0, maximum=8)
    frames = [m.acquire(REGULAR) for _ in range(4)]  # four misses; auto-tuning grows to 4
    for f in frames:
        m.release(f)
    tc = m._tier.caches[0]  # type: ignore[union-attr]
    cached = tc.classes[0].frames
    shared = m._pools[0].available
    # Slots reached the limit (2), so releases 3 and 4 each flushed the coldest cached frame.
    assert cached == frames[2:] and shared == frames[:2]
    assert class0(m) == (4, 0, 0, 4)


def test_a_frame_released_on_another_thread_goes_back_to_its_holder() -> None:
    m = tiered()
    frame = m.acquire(REGULAR)
    mine = m._tier.caches[0].classes[0]  # type: ignore[union-attr]
    before = list(mine.frames)
    on_thread(lambda: m.release(frame))
    assert mine.frames == before + [frame]
    assert not conservation_violations(m.counts())


def holds_anything(tc: ThreadCache) -> bool:
    return any(cc.frames or cc.slots for cc in tc.classes)


def test_a_thread_that_ends_gives_back_its_frames_and_keeps_its_counts() -> None:
    m = tiered()
    before = m.counts()

    def work() -> None:
        held = [m.acquire(REGULAR) for _ in range(3)]
        for f in held:
            m.release(f)

    on_thread(work)
    assert m._tier.caches == []  # type: ignore[union-attr]  # retired before join() returned
    assert len(m._pools[0].available) == 8
    c = m.counts().classes[0]
    assert (c.acquisitions, c.hits, c.releases, c.returns, c.available) == (3, 3, 3, 3, 8)
    assert c.peak_active == before.classes[0].peak_active + 3  # the thread's peak, kept
    assert m.counts().by_type[REGULAR].pool_allocations == 3
    assert not conservation_violations(m.counts())


def test_a_thread_that_ends_with_a_frame_out_retires_at_the_next_drain() -> None:
    m = tiered()
    out = on_thread(lambda: m.acquire(REGULAR))  # the thread ends holding it
    tier = m._tier
    assert tier is not None and len(tier.caches) == 1 and tier.caches[0].ended
    m.release(out)  # back to the ended thread's cache, as the model says
    assert out in tier.caches[0].classes[0].frames
    counts = m.counts()
    m.auto_tune()  # a drain of every cache: the ended cache has none out now, so it retires
    assert tier.caches == []
    assert m.counts() == counts and out in m._pools[0].available
    assert not conservation_violations(m.counts())


def test_a_retired_threads_peaks_stay_apart_from_the_shared_lists_peak() -> None:
    """Found by the conformance suite: a retired cache's peak added into the shared list's
    running maximum was then compared with the list's length, and the peak came out low."""
    m = tiered(cache=1, initial=0, maximum=2, enable_auto_tuning=False)
    out = on_thread(lambda: m.acquire(REGULAR))  # its thread ends holding it
    mine = m.acquire(REGULAR)
    m.resize(0, 2)
    m.release(out)  # into the ended thread's cache: that cache's peak is 1
    m.release(mine)  # into this thread's cache: its peak is 1
    m.resize(0, 0)  # the drain puts both on the shared list (its peak 2) and retires the first
    assert m._tier.caches[0].ended is False  # type: ignore[union-attr]  # only this thread's is left
    assert m.counts().classes[0].peak_available == 2 + 1 + 1  # the shared peak plus each cache's


def test_events_of_a_retired_thread_stay_in_the_timeline() -> None:
    m = tiered()
    on_thread(lambda: m.release(m.acquire(REGULAR)))
    m.release(m.acquire(REGULAR))  # this thread's, after the other one's
    events = m.allocation_events()
    assert [(e.frame_type, e.event_type.name) for e in events] == [
        (REGULAR, "POOL_ALLOCATION"), (REGULAR, "POOL_DEALLOCATION")] * 2
    assert [e.sequence for e in events] == sorted(e.sequence for e in events)


def test_flush_thread_cache_gives_the_frames_to_other_threads() -> None:
    m = tiered(cache=4, initial=2, maximum=2, enable_auto_tuning=False)
    m.release(m.acquire(REGULAR))  # both idle frames now sit in this thread's cache
    assert on_thread(lambda: m.acquire(REGULAR)).__class__ is PooledFrame
    assert m.counts().classes[0].misses == 1  # the other thread could not see them
    m.flush_thread_cache()
    on_thread(lambda: m.acquire(REGULAR))
    assert m.counts().classes[0].misses == 1  # now it can


@pytest.mark.parametrize("operation", ["resize", "cleanup", "auto_tune", "close"])
def test_manager_wide_operations_drain_every_cache(operation: str) -> None:
    m = tiered()
    m.release(m.acquire(REGULAR))
    tc = m._tier.caches[0]  # type: ignore[union-attr]
    assert tc.classes[0].frames
    if operation == "resize":
        m.resize(0, 8)
    else:
        getattr(m, operation)()
    assert not holds_anything(tc)
    assert m._pools[0].reserved == 0


def test_close_destroys_cached_frames_too() -> None:
    m = tiered()
    frame = m.acquire(REGULAR)
    m.release(frame)
    m.close()
    assert frame.state == "destroyed"
    assert m.counts().classes[0].available == 0


def test_two_threads_releasing_one_frame_cannot_both_succeed() -> None:
    m = tiered()
    for _ in range(200):
        frame = m.acquire(REGULAR)
        outcomes: list[str] = []
        barrier = threading.Barrier(2)

        def release(f: PooledFrame = frame) -> None:
            barrier.wait()
            try:
                m.release(f)
                outcomes.append("ok")
            except DoubleReleaseError:
                outcomes.append("refused")

        threads = [threading.Thread(target=release) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) == ["ok", "refused"]
    assert not conservation_violations(m.counts())


def test_many_threads_conserve_every_count() -> None:
    m = tiered(cache=4, initial=4, maximum=64)

    def work() -> None:
        for _ in range(300):
            a = m.acquire(REGULAR)
            b = m.get_or_create(FrameType.CALL, a)
            m.release(b)
            m.release(a)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    counts = m.counts()
    assert not conservation_violations(counts)
    c = counts.classes[0]
    assert (c.acquisitions, c.releases, c.active) == (2400, 2400, 0)


def test_threads_do_not_keep_a_manager_alive() -> None:
    m = tiered()
    on_thread(lambda: m.release(m.acquire(REGULAR)))
    m.release(m.acquire(REGULAR))  # this (living) thread has a cache too
    ref = weakref.ref(m)
    del m
    gc.collect()
    assert ref() is None
