"""Unit tests of FramePoolManager's parts: disabled pools, the tracker, the GC trigger,
release_tree on deep trees, the pooling rules, memory estimates, and the summary."""

from __future__ import annotations

import collections
import itertools
import sys
import time

import pytest

from framepool import (
    AllocationEvent,
    AllocationPattern,
    AllocationTracker,
    EventType,
    FramePoolManager,
    FrameType,
    GarbageCollectionTrigger,
    PooledFrame,
)
from framepool.manager import monotonic_ms
from framepool_spec.config import (
    CLEANUP_MAX_USES,
    FORCE_GC_PRESSURE,
    GC_INTERVAL_MS,
    MAX_FRAME_AGE_MS,
    MAX_IDLE_MS,
    MAX_POOLED_MEMORY_BYTES,
    PoolConfig,
)
from framepool_spec.statistics import conservation_violations


class Clock:
    def __init__(self) -> None:
        self.now = 0

    def __call__(self) -> int:
        return self.now


def one_class(size: int = 2, maximum: int = 4, **fields: object) -> PoolConfig:
    return PoolConfig(
        enable_auto_tuning=False,
        initial_pool_sizes=(size,),
        max_pool_sizes=(maximum,),
        **fields,  # type: ignore[arg-type]
    )


# ---- disabled config -------------------------------------------------------------------


def test_disabled_config_misses_and_overflows_everything() -> None:
    pool = FramePoolManager(PoolConfig.disabled(), clock=Clock())
    assert pool.counts().frames_available == 0
    frames = [pool.acquire(t) for t in FrameType for _ in range(3)]
    assert len({id(f) for f in frames}) == len(frames)
    assert all(pool.release(f) is False for f in frames)
    again = pool.acquire(FrameType.CALL)
    assert all(again is not f for f in frames)  # nothing was kept
    pool.release(again)
    counts = pool.counts()
    assert counts.hits == 0 and counts.misses == counts.acquisitions == 3 * len(FrameType) + 1
    assert sum(c.overflows for c in counts.classes) == counts.acquisitions
    assert sum(c.returns for c in counts.classes) == 0
    assert counts.frames_alive == counts.frames_active == 0
    assert conservation_violations(counts) == []
    assert all(t.pool_allocations == 0 and t.pool_deallocations == 0 for t in counts.by_type)


# ---- pooling rules -----------------------------------------------------------------------


def test_memory_rule_is_inclusive_at_one_mib() -> None:
    pool = FramePoolManager(one_class(), clock=Clock())
    ok, big = pool.acquire(FrameType.REGULAR), pool.acquire(FrameType.REGULAR)
    ok.memory.extend(bytes(MAX_POOLED_MEMORY_BYTES))
    big.memory.extend(bytes(MAX_POOLED_MEMORY_BYTES + 1))
    assert pool.release(ok) is True and len(ok.memory) == 0  # reset on the way back
    assert pool.release(big) is False and big.state == "destroyed"


def test_age_rule() -> None:
    clock = Clock()
    pool = FramePoolManager(one_class(), clock=clock)
    young, old = pool.acquire(FrameType.REGULAR), pool.acquire(FrameType.REGULAR)
    clock.now = MAX_FRAME_AGE_MS - 1
    assert pool.release(young) is True
    clock.now = MAX_FRAME_AGE_MS
    assert pool.release(old) is False


def test_full_pool_overflows() -> None:
    pool = FramePoolManager(one_class(size=1, maximum=1), clock=Clock())
    a, b = pool.acquire(FrameType.REGULAR), pool.acquire(FrameType.REGULAR)
    assert pool.release(a) is True
    assert pool.release(b) is False
    c = pool.counts().classes[0]
    assert (c.returns, c.overflows, c.available) == (1, 1, 1)


def test_cleanup_rule() -> None:
    clock = Clock()
    pool = FramePoolManager(one_class(size=2, maximum=2), clock=clock)
    busy, idle = pool.acquire(FrameType.REGULAR), pool.acquire(FrameType.REGULAR)
    pool.release(idle)
    for _ in range(CLEANUP_MAX_USES - 1):  # busy is handed out CLEANUP_MAX_USES times in all
        pool.release(busy)
        assert pool.acquire(FrameType.REGULAR) is busy
    pool.release(busy)
    assert busy.usage_count == CLEANUP_MAX_USES and idle.usage_count == 1
    clock.now = MAX_IDLE_MS
    assert pool.cleanup() == 0  # not idle *longer* than MAX_IDLE_MS yet
    clock.now = MAX_IDLE_MS + 1
    assert pool.cleanup() == 1
    assert pool.available_frames(0) == [busy]
    assert idle.state == "destroyed"
    counts = pool.counts()
    assert counts.cleanups_performed == 2 and counts.last_cleanup_time == MAX_IDLE_MS + 1


def test_maybe_cleanup_waits_for_the_interval() -> None:
    clock = Clock()
    pool = FramePoolManager(one_class(pool_cleanup_interval=1000), clock=clock)
    clock.now = 999
    assert pool.maybe_cleanup() == 0 and pool.counts().cleanups_performed == 0
    clock.now = 1000
    pool.maybe_cleanup()
    assert pool.counts().cleanups_performed == 1


# ---- tracker -----------------------------------------------------------------------------


def test_tracker_timeline_is_bounded_and_ordered() -> None:
    tracker = AllocationTracker(itertools.count(), capacity=3)
    kinds = [EventType.POOL_ALLOCATION, EventType.DIRECT_ALLOCATION, EventType.POOL_DEALLOCATION]
    for i in range(7):
        tracker.record(FrameType(i % 2), kinds[i % 3], now=100 + i)
        assert len(tracker) == min(i + 1, 3)
    events = tracker.events()
    assert [e.sequence for e in events] == [4, 5, 6]  # the oldest four were evicted
    assert [e.timestamp for e in events] == [104, 105, 106]
    assert [e.event_type for e in events] == [kinds[1], kinds[2], kinds[0]]
    assert [e.frame_type for e in events] == [FrameType.REGULAR, FrameType.CALL, FrameType.REGULAR]
    # The counters are not bounded by the timeline.
    regular = tracker.type_counts(FrameType.REGULAR)
    call = tracker.type_counts(FrameType.CALL)
    assert regular.pool_allocations + call.pool_allocations == 3
    assert regular.direct_allocations + call.direct_allocations == 2


@pytest.mark.parametrize("capacity", [1, 2, 3, 7])
def test_tracker_timeline_is_the_last_events_at_every_length(capacity: int) -> None:
    """While the ring fills and after it turns, the timeline is a bounded queue of the events."""
    tracker = AllocationTracker(itertools.count(), capacity=capacity)
    expected: collections.deque[tuple[int, FrameType, EventType]] = collections.deque(maxlen=capacity)
    for i in range(3 * capacity + 2):
        frame_type, kind = FrameType(i % len(FrameType)), EventType(i % len(EventType))
        tracker.record(frame_type, kind, now=1000 + i)
        expected.append((1000 + i, frame_type, kind))
        assert [(e.timestamp, e.frame_type, e.event_type) for e in tracker.events()] == list(expected)


def test_a_tracker_holds_only_the_events_it_recorded() -> None:
    """A tracker that records a few events (a short-lived thread's) does not hold a full ring."""
    tracker = AllocationTracker(itertools.count())
    tracker.record(FrameType.CALL, EventType.POOL_ALLOCATION, now=1)
    assert len(tracker) == 1
    assert sys.getsizeof(tracker._times) < 1_000  # a preallocated ring of 10,000 slots is ~80 KB


def test_tracker_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="capacity"):
        AllocationTracker(itertools.count(), capacity=0)


def test_pattern_dominant_type_and_usage_ratio() -> None:
    def event(i: int, t: FrameType, e: EventType) -> AllocationEvent:
        return AllocationEvent(sequence=i, timestamp=i, frame_type=t, event_type=e)

    empty = AllocationPattern.of([])
    assert empty.dominant_frame_type() is None and empty.pool_usage_ratio() == 0.0
    events = [
        event(0, FrameType.CALL, EventType.POOL_ALLOCATION),
        event(1, FrameType.CALL, EventType.POOL_ALLOCATION),
        event(2, FrameType.CALL, EventType.POOL_DEALLOCATION),
        event(3, FrameType.CREATE, EventType.DIRECT_ALLOCATION),
        event(4, FrameType.CREATE, EventType.DIRECT_ALLOCATION),
        event(5, FrameType.CREATE, EventType.DIRECT_DEALLOCATION),
        event(6, FrameType.REGULAR, EventType.POOL_ALLOCATION),
    ]
    pattern = AllocationPattern.of(events)
    assert pattern.total_events == 7
    assert pattern.dominant_frame_type() is FrameType.CALL  # tie with CREATE: the lower type
    assert pattern.pool_usage_ratio() == pytest.approx(3 / 5)  # deallocations do not count


def test_manager_allocation_events_across_classes() -> None:
    pool = FramePoolManager(
        PoolConfig(initial_pool_sizes=(1, 0), max_pool_sizes=(2, 2)), clock=Clock()
    )
    a = pool.acquire(FrameType.REGULAR)  # hit
    b = pool.acquire(FrameType.CALL)  # miss
    pool.release(b)
    pool.release(a)
    events = pool.allocation_events()
    assert [(e.frame_type, e.event_type) for e in events] == [
        (FrameType.REGULAR, EventType.POOL_ALLOCATION),
        (FrameType.CALL, EventType.DIRECT_ALLOCATION),
        (FrameType.CALL, EventType.POOL_DEALLOCATION),
        (FrameType.REGULAR, EventType.POOL_DEALLOCATION),
    ]
    assert pool.allocation_events(window=1) == events[-1:]
    assert pool.allocation_events(window=0) == []
    assert pool.allocation_pattern().pool_usage_ratio() == 0.5


# ---- GC trigger --------------------------------------------------------------------------


def test_gc_trigger_rules() -> None:
    trigger = GarbageCollectionTrigger(0.5, now=0)
    assert not trigger.should_trigger_gc(0.9, now=GC_INTERVAL_MS)  # above threshold, not overdue
    assert not trigger.should_trigger_gc(0.5, now=GC_INTERVAL_MS + 1)  # overdue, not above
    assert trigger.should_trigger_gc(0.51, now=GC_INTERVAL_MS + 1)
    assert trigger.triggers == 1 and trigger.last_gc_time == GC_INTERVAL_MS + 1
    assert not trigger.should_trigger_gc(0.9, now=GC_INTERVAL_MS + 2)  # interval restarted
    assert trigger.should_trigger_gc(FORCE_GC_PRESSURE + 0.01, now=GC_INTERVAL_MS + 3)  # forced
    assert not trigger.should_trigger_gc(FORCE_GC_PRESSURE, now=GC_INTERVAL_MS + 4)
    trigger.record_gc_completion(10 * GC_INTERVAL_MS)
    assert not trigger.should_trigger_gc(0.9, now=11 * GC_INTERVAL_MS)
    assert trigger.triggers == 2


def test_manager_gc_pressure_needs_integration() -> None:
    clock = Clock()

    def config(gc: bool) -> PoolConfig:
        return PoolConfig(
            enable_gc_integration=gc,
            initial_pool_sizes=(4,),
            max_pool_sizes=(4,),
            gc_pressure_threshold=0.5,
        )

    on = FramePoolManager(config(True), clock=clock)
    off = FramePoolManager(config(False), clock=clock)
    assert on.memory_pressure() == 1.0
    assert on.check_gc_pressure() is True  # 1.0 > FORCE_GC_PRESSURE
    assert off.check_gc_pressure() is False
    assert on.counts().gc_triggers == 1 and off.counts().gc_triggers == 0


# ---- release_tree ------------------------------------------------------------------------


class RecordingPool(FramePoolManager):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.order: list[PooledFrame] = []

    def release(self, frame: PooledFrame) -> bool:
        self.order.append(frame)
        return super().release(frame)


def test_release_tree_on_a_deep_tree_releases_children_first() -> None:
    pool = RecordingPool(PoolConfig.balanced(), clock=Clock())
    root = pool.acquire(FrameType.REGULAR)
    pairs: list[tuple[PooledFrame, PooledFrame]] = []
    tip = root
    for depth in range(1, 1500):  # deeper than Python's recursion limit ...
        child = pool.get_or_create(FrameType.CALL, tip)
        assert child.depth == depth
        pairs.append((tip, child))
        if depth % 100 == 0:  # ... with side branches
            pairs.append((child, pool.get_or_create(FrameType.STATIC_CALL, child)))
        tip = child
    assert pool.release_tree(root) == len(pairs) + 1
    position = {id(f): i for i, f in enumerate(pool.order)}
    assert len(position) == len(pool.order) == len(pairs) + 1
    assert all(position[id(child)] < position[id(parent)] for parent, child in pairs)
    assert pool.order[-1] is root
    for frame in pool.order:
        assert not frame.is_active and frame.parent is None and frame.children == []
    counts = pool.counts()
    assert counts.frames_active == 0 and conservation_violations(counts) == []


def test_release_tree_order_parent_after_each_child() -> None:
    pool = RecordingPool(PoolConfig.balanced(), clock=Clock())
    root = pool.acquire(FrameType.REGULAR)
    pairs = []
    level = [root]
    for _ in range(4):  # a complete binary tree of depth 4
        nxt = []
        for parent in level:
            for _ in range(2):
                child = pool.get_or_create(FrameType.CALL, parent)
                pairs.append((parent, child))
                nxt.append(child)
        level = nxt
    assert pool.release_tree(root) == 31
    position = {id(f): i for i, f in enumerate(pool.order)}
    assert all(position[id(child)] < position[id(parent)] for parent, child in pairs)
    assert pool.order[-1] is root


def test_release_tree_of_a_subtree_leaves_the_rest() -> None:
    pool = FramePoolManager(PoolConfig.balanced(), clock=Clock())
    root = pool.acquire(FrameType.REGULAR)
    left = pool.get_or_create(FrameType.CALL, root)
    right = pool.get_or_create(FrameType.CALL, root)
    pool.get_or_create(FrameType.CREATE, left)
    assert pool.release_tree(left) == 2
    assert root.children == [right] and right.is_active and root.is_active


# ---- summary -----------------------------------------------------------------------------


def test_summary_lists_active_classes_only() -> None:
    clock = Clock()
    config = PoolConfig(initial_pool_sizes=(1, 0, 1), max_pool_sizes=(2, 0, 3))
    pool = FramePoolManager(config, clock=clock)
    a = pool.acquire(FrameType.REGULAR)  # hit
    b = pool.acquire(FrameType.REGULAR)  # miss
    pool.release(a)
    pool.release(b)
    clock.now = 1500
    text = pool.statistics().summary()
    lines = text.splitlines()
    assert lines[0] == "=== FRAME POOL STATISTICS ==="
    assert "acquisitions 2  hits 1  misses 1  hit rate 50.00%" in lines[1]
    assert "uptime 1.50s" in text
    assert lines[4].split() == [
        "class", "size", "max", "idle", "hits", "misses", "returns", "overflow", "created",
        "peak", "act", "peak", "idle", "hit", "rate",
    ]
    rows = lines[5:]
    assert [row.split()[:2] for row in rows] == [["0", "REGULAR"], ["2", "DELEGATE_CALL"]]
    # size, max, idle, hits, misses, returns, overflow, created, peak active, peak idle, hit rate
    assert rows[0].split()[2:] == ["2", "2", "2", "1", "1", "2", "0", "2", "2", "2", "50.0%"]
    assert pool.statistics().summary(title="X").startswith("=== X ===")


def test_peaks_are_kept_between_snapshots() -> None:
    """Fill a class and take every frame back before anybody looks: the peaks still show it."""
    config = PoolConfig(enable_auto_tuning=False, initial_pool_sizes=(2,), max_pool_sizes=(8,))
    pool = FramePoolManager(config, clock=Clock())
    pool.resize(0, 8)
    frames = [pool.acquire(FrameType.REGULAR) for _ in range(6)]
    for frame in frames:
        pool.release(frame)
    regular = pool.counts().classes[0]
    assert (regular.active, regular.available) == (0, 6)
    assert (regular.peak_active, regular.peak_available) == (6, 6)


# ---- figures a snapshot reports --------------------------------------------------------------


def test_a_busy_class_without_idle_frames_is_listed() -> None:
    pool = FramePoolManager(PoolConfig(initial_pool_sizes=(0,), max_pool_sizes=(0,)), clock=Clock())
    pool.acquire(FrameType.REGULAR)
    rows = pool.statistics().summary().splitlines()[5:]
    assert [row.split()[:2] for row in rows] == [["0", "REGULAR"]]


def test_idle_memory_is_what_the_idle_frames_hold() -> None:
    pool = FramePoolManager(PoolConfig(initial_pool_sizes=(3,), max_pool_sizes=(4,)), clock=Clock())
    idle = pool.available_frames(0)
    expected = sum(
        sys.getsizeof(f) + sys.getsizeof(f.stack) + sys.getsizeof(f.memory) + sys.getsizeof(f.children)
        for f in idle
    )
    assert pool.statistics().idle_memory_bytes == expected == 3 * idle[0].memory_usage() > 0


def test_uptime_counts_from_construction() -> None:
    clock = Clock()
    clock.now = 5_000
    pool = FramePoolManager(PoolConfig.balanced(), clock=clock)
    clock.now = 128_456
    assert pool.statistics().uptime_ms == 123_456
    assert "uptime 123.46s" in pool.statistics().summary()


def test_default_clock_is_whole_monotonic_milliseconds() -> None:
    before = time.monotonic_ns() // 1_000_000
    now = monotonic_ms()
    after = time.monotonic_ns() // 1_000_000
    assert isinstance(now, int) and before <= now <= after


def test_events_carry_the_clock_time() -> None:
    clock = Clock()
    pool = FramePoolManager(PoolConfig.balanced(), clock=clock)
    clock.now = 17
    frame = pool.acquire(FrameType.CALL)
    clock.now = 23
    pool.release(frame)
    assert [e.timestamp for e in pool.allocation_events()] == [17, 23]


def test_pattern_window_keeps_the_most_recent_events() -> None:
    pool = FramePoolManager(PoolConfig.balanced(), clock=Clock())
    for _ in range(600):
        pool.release(pool.acquire(FrameType.CALL))
    assert pool.allocation_pattern().total_events == 1000
    assert pool.allocation_pattern(window=1500).total_events == 1200


def test_pattern_usage_ratio_of_pool_allocations_only() -> None:
    events = [AllocationEvent(i, 0, FrameType.CALL, EventType.POOL_ALLOCATION) for i in range(3)]
    assert AllocationPattern.of(events).pool_usage_ratio() == 1.0


def test_tracker_capacity_one_is_allowed() -> None:
    tracker = AllocationTracker(itertools.count(), capacity=1)
    tracker.record(int(FrameType.CALL), int(EventType.POOL_ALLOCATION), 5)
    tracker.record(int(FrameType.CALL), int(EventType.POOL_DEALLOCATION), 6)
    assert [(e.timestamp, e.event_type) for e in tracker.events()] == [(6, EventType.POOL_DEALLOCATION)]


# ---- maybe_cleanup and argument checks ---------------------------------------------------------


def test_maybe_cleanup_never_runs_with_interval_zero() -> None:
    clock = Clock()
    pool = FramePoolManager(PoolConfig.disabled(), clock=clock)
    clock.now = 10**9
    assert pool.maybe_cleanup() == 0
    assert pool.counts().cleanups_performed == 0


def test_maybe_cleanup_measures_from_construction_then_from_the_last_cleanup() -> None:
    clock = Clock()
    clock.now = 1_000_000
    config = PoolConfig(pool_cleanup_interval=100, initial_pool_sizes=(1,), max_pool_sizes=(1,))
    pool = FramePoolManager(config, clock=clock)
    clock.now += 99
    pool.maybe_cleanup()
    assert pool.counts().cleanups_performed == 0
    clock.now += 1
    pool.maybe_cleanup()
    assert pool.counts().cleanups_performed == 1
    assert pool.counts().last_cleanup_time == 1_000_100
    clock.now += 99
    pool.maybe_cleanup()
    assert pool.counts().cleanups_performed == 1
    clock.now += 1
    pool.maybe_cleanup()
    assert pool.counts().cleanups_performed == 2


def test_available_frames_names_a_bad_class() -> None:
    pool = FramePoolManager(PoolConfig.balanced(), clock=Clock())
    for bad in (-1, 8):
        with pytest.raises(ValueError, match="size class"):
            pool.available_frames(bad)


def test_resize_refuses_a_bool_class() -> None:
    pool = FramePoolManager(PoolConfig.balanced(), clock=Clock())
    with pytest.raises(ValueError, match="size class must be an integer"):
        pool.resize(True, 1)  # type: ignore[arg-type]


def test_prefilled_frames_are_idle_frames_of_their_class() -> None:
    pool = FramePoolManager(PoolConfig(initial_pool_sizes=(0, 2), max_pool_sizes=(0, 2)), clock=Clock())
    idle = pool.available_frames(1)
    assert [(f.state, f.frame_type, f.is_pooled) for f in idle] == [("available", FrameType.CALL, True)] * 2


def test_last_access_is_creation_then_release() -> None:
    clock = Clock()
    pool = FramePoolManager(PoolConfig(initial_pool_sizes=(1,), max_pool_sizes=(1,)), clock=clock)
    clock.now = 41
    frame = pool.acquire(FrameType.REGULAR)
    assert (frame.last_access_time, frame.allocation_time, frame.usage_count) == (0, 0, 1)
    clock.now = 57
    pool.release(frame)
    assert (frame.last_access_time, frame.allocation_time) == (57, 0)
    clock.now = 60
    second = pool.acquire(FrameType.CALL)  # a miss: class 1 has no idle frame
    assert (second.last_access_time, second.allocation_time) == (60, 60)


class _TaggedFrame(PooledFrame):
    __slots__ = ("tag",)
    payload_fields = {**PooledFrame.payload_fields, "tag": None}

    def __init__(self, frame_type: FrameType, pool: object, now: int) -> None:
        super().__init__(frame_type, pool, now)  # type: ignore[arg-type]
        self.tag: object = None

    def reset(self) -> None:
        super().reset()
        self.tag = None


def test_frame_class_builds_every_frame() -> None:
    pool = FramePoolManager(PoolConfig(initial_pool_sizes=(2,), max_pool_sizes=(4,)), frame_class=_TaggedFrame)
    assert pool.frame_class is _TaggedFrame
    assert pool.payload_fields["tag"] is None
    assert all(type(f) is _TaggedFrame for f in pool.available_frames(0))
    frames = [pool.acquire(FrameType.REGULAR) for _ in range(3)]  # two prefilled, one new
    assert all(type(f) is _TaggedFrame for f in frames)
    frames[0].tag = "used"  # type: ignore[attr-defined]
    pool.release(frames[0])
    assert pool.acquire(FrameType.REGULAR).tag is None  # type: ignore[attr-defined]
