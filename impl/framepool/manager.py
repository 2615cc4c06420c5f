"""FramePoolManager: the thread-safe pool of EVM call frames.

The lock discipline is written down once, in ``framepool.pool``.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from framepool.frame import ACTIVE, AVAILABLE, DESTROYED, STATE_NAMES, PooledFrame
from framepool.gc_trigger import GarbageCollectionTrigger
from framepool.pool import FramePool, LockLike
from framepool.statistics import PoolStatistics
from framepool.thread_cache import ClassCache, ThreadTier, TierCounts
from framepool.tracker import AllocationEvent, AllocationPattern, AllocationTracker, EventType
from framepool_spec.config import (
    MAX_FRAME_AGE_MS,
    MAX_FRAME_SIZES,
    MAX_POOLED_MEMORY_BYTES,
    FrameType,
    PoolConfig,
    can_be_parent_of,
)
from framepool_spec.errors import (
    ActiveChildrenError,
    DoubleReleaseError,
    ForeignFrameError,
    InvalidParentError,
    PoolClosedError,
)
from framepool_spec.statistics import PoolCounts

Clock = Callable[[], int]

_POOL_ALLOC = int(EventType.POOL_ALLOCATION)
_DIRECT_ALLOC = int(EventType.DIRECT_ALLOCATION)
_POOL_DEALLOC = int(EventType.POOL_DEALLOCATION)
_DIRECT_DEALLOC = int(EventType.DIRECT_DEALLOCATION)


def _coerce_frame_type(value: object) -> FrameType:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"not a FrameType: {value!r}")
    try:
        return FrameType(value)
    except ValueError:
        raise ValueError(f"not a FrameType: {value!r}") from None


_MAY_PARENT = tuple(tuple(can_be_parent_of(p, c) for c in FrameType) for p in FrameType)
"""``can_be_parent_of`` as a table, indexed by FrameType values (one lookup on the hot path)."""


def monotonic_ms() -> int:
    """The default clock: a monotonic time in whole milliseconds."""
    return time.monotonic_ns() // 1_000_000


class FramePoolManager:
    """Hands out PooledFrames by FrameType, one pool (and one lock) per size class.

    ``clock`` returns the time in milliseconds; inject one to make time explicit
    (the tests share a fake clock between this manager and the reference model).
    ``lock_factory`` makes every lock the manager uses; a controlled scheduler
    injects cooperative locks through it to explore thread interleavings.
    ``frame_class`` is the class of the frames it hands out: ``PooledFrame`` or
    a subclass carrying more per-call state (see ``PooledFrame.payload_fields``).
    ``track_events=False`` keeps the per-type counts but no event timeline
    (``allocation_events`` is then empty).
    """

    def __init__(
        self,
        config: PoolConfig | None = None,
        *,
        clock: Clock | None = None,
        lock_factory: Callable[[], LockLike] = threading.Lock,
        frame_class: type[PooledFrame] = PooledFrame,
        track_events: bool = True,
    ) -> None:
        if config is None:
            config = PoolConfig.balanced()
        if not isinstance(config, PoolConfig):
            raise TypeError(f"config must be a PoolConfig, got {type(config).__name__}")
        if not (isinstance(frame_class, type) and issubclass(frame_class, PooledFrame)):
            raise TypeError(f"frame_class must be PooledFrame or a subclass, got {frame_class!r}")
        self.config = config
        self._clock: Clock = clock if clock is not None else monotonic_ms
        now = self._clock()
        self._start_time = now
        sequence = itertools.count()
        types_of = [tuple(t for t in FrameType if config.size_class(t) == c) for c in range(MAX_FRAME_SIZES)]
        pools = []
        for c in range(MAX_FRAME_SIZES):
            pooled = config.has_pool(c)
            pools.append(
                FramePool(
                    self,
                    c,
                    types_of[c],
                    config.initial_pool_sizes[c] if pooled else 0,
                    config.max_pool_sizes[c] if pooled else 0,
                    auto_expand=config.enable_auto_tuning,
                    now=now,
                    sequence=sequence,
                    lock=lock_factory(),
                    frame_class=frame_class,
                    track_events=track_events,
                    cached=config.has_thread_cache(c),
                )
            )
        self._pools: tuple[FramePool, ...] = tuple(pools)
        # Indexed by FrameType value: the pool serving that type (hot path: one tuple index).
        self._pool_for_type: tuple[FramePool, ...] = tuple(
            self._pools[config.size_class(t)] for t in FrameType
        )
        self._tier: ThreadTier | None = None
        if any(pool.cached for pool in pools):
            self._tier = ThreadTier(
                self._pools,
                config.thread_cache_size,
                config.cache_batch,
                auto_expand=config.enable_auto_tuning,
                lock_factory=lock_factory,
                sequence=sequence,
                track_events=track_events,
            )
        self.frame_class = frame_class
        self.track_events = track_events
        """Whether hand-outs and releases are appended to the event timeline (counts are always kept)."""
        self.payload_fields = frame_class.payload_fields
        """What every frame handed out holds fresh (for the conformance suite's hygiene checks)."""
        self._meta_lock = lock_factory()
        self._gc_trigger = GarbageCollectionTrigger(config.gc_pressure_threshold, now)
        self._cleanups = 0
        self._last_cleanup_time: int | None = None
        self._closed = False

    # ---- acquire / release: the hot path ----------------------------------------------
    # Every EVM message runs get_or_create and release once, so both hold the class-lock
    # hand-out and take-back themselves rather than calling into FramePool: measured in
    # the VM (1024-deep recursion, interleaved), the two calls and their checks cost ~4%
    # of the run. Each line here costs tens of ns against a ~1 us frame construction, so
    #  * the clock is read only when the time is needed: for a new frame, for a release
    #    (age limit, idle time) and for the event timeline;
    #  * an operation counts one event, in the per-type event counts (a list incremented
    #    inline; the class's hits, returns, ... are summed from it when read), and the
    #    timeline is only called when events are tracked;
    #  * the pooling test of a release is inlined; the reset is the frame class's own
    #    (``frame.reset()``): only it knows all of its fields.
    # Which locks guard what is written once, in framepool.pool.

    def acquire(self, frame_type: FrameType) -> PooledFrame:
        """A frame of ``frame_type`` with no parent: from its class's pool, or new."""
        return self.get_or_create(frame_type)

    def get_or_create(self, frame_type: FrameType, parent: PooledFrame | None = None) -> PooledFrame:
        """A frame of ``frame_type`` linked as a child of ``parent`` (a root when None)."""
        if frame_type.__class__ is not FrameType:  # FrameType(x) costs ~300 ns: only when needed
            frame_type = _coerce_frame_type(frame_type)
        if parent is not None:
            # One expression for the three checks (an isinstance test costs ~40 ns; a
            # non-frame fails on its missing attributes), and the reason is only worked
            # out when it fails.
            try:
                valid = (
                    parent._pool.owner is self
                    and parent._state == ACTIVE
                    and _MAY_PARENT[parent.frame_type][frame_type]
                )
            except AttributeError:
                valid = False
            if not valid:
                raise self._invalid_parent(parent, frame_type)
        pool = self._pool_for_type[frame_type]
        if pool.cached:
            frame = self._tier.acquire(pool, frame_type, self._clock)  # type: ignore[union-attr]
        else:
            lock = pool.lock
            lock.acquire()  # not `with`: a with-statement costs ~100 ns more per round trip
            try:
                if pool.closed:
                    raise PoolClosedError("the pool manager is closed")
                available = pool.available
                if available:
                    frame = available.pop()  # LIFO: the most recently used frame is warmest
                    code = frame_type * 4 + _POOL_ALLOC
                    if pool.timeline is not None:
                        pool.timeline.append(code, self._clock())
                else:
                    now = self._clock()
                    frame = pool.frame_class(frame_type, pool, now)
                    pool.created += 1
                    code = frame_type * 4 + _DIRECT_ALLOC
                    if pool.auto_expand:
                        pool.expand_after_miss_locked()
                    if pool.timeline is not None:
                        pool.timeline.append(code, now)
                pool.event_counts[code] += 1
                frame._state = ACTIVE
                frame.frame_type = frame_type
                frame.usage_count += 1
                pool.active += 1
                if pool.active > pool.peak_active:
                    pool.peak_active = pool.active
            finally:
                lock.release()
        if parent is not None:
            frame.parent = parent
            frame.depth = parent.depth + 1
            parent.children.append(frame)
        return frame

    def release(self, frame: PooledFrame) -> bool:
        """Give ``frame`` back. Returns True if it was pooled, False if it was destroyed.

        Refused, with the pool unchanged, when the frame is not active
        (DoubleReleaseError), belongs to another manager (ForeignFrameError) or
        still has active children (ActiveChildrenError).
        """
        try:  # not isinstance (~40 ns on every release): a non-frame has no _pool
            pool = frame._pool
        except AttributeError:
            raise TypeError(f"release() takes a PooledFrame, got {type(frame).__name__}") from None
        if pool.owner is not self:
            raise ForeignFrameError(f"{frame!r} was handed out by another pool manager")
        now = self._clock()
        while True:  # again only if the frame moved between the look at its holder and its lock
            holder = frame._holder
            if holder is not None:  # with thread caches: its holder's cache takes it
                pooled = self._tier.release(holder, frame, now)  # type: ignore[union-attr]
                if pooled is not None:
                    return pooled
                continue
            lock = pool.lock
            lock.acquire()  # not `with`: a with-statement costs ~100 ns more per round trip
            try:
                if frame._holder is not None:
                    continue  # a thread cache took it since the look above: ask that cache
                if pool.closed:
                    raise PoolClosedError("the pool manager is closed")
                if frame._state != ACTIVE:
                    raise DoubleReleaseError(f"frame is {STATE_NAMES[frame._state]}, not active: {frame!r}")
                if frame.children:
                    raise ActiveChildrenError(
                        f"{frame!r} still has {len(frame.children)} active children; release them first"
                    )
                parent = frame.parent
                if parent is not None:
                    parent.children.remove(frame)
                    frame.parent = None
                pool.active -= 1
                available = pool.available
                pooled = (
                    len(available) < pool.current_size
                    and now - frame.allocation_time < MAX_FRAME_AGE_MS
                    and len(frame.memory) <= MAX_POOLED_MEMORY_BYTES
                )
                frame.reset()  # exactly once per release, pooled or not: drops the holder's data
                frame.depth = 0
                frame.last_access_time = now
                if pooled:
                    frame._state = AVAILABLE
                    available.append(frame)
                    if len(available) > pool.peak_available:
                        pool.peak_available = len(available)
                    code = frame.frame_type * 4 + _POOL_DEALLOC
                else:
                    frame._state = DESTROYED  # dead now; its payload references are dropped above
                    code = frame.frame_type * 4 + _DIRECT_DEALLOC
                pool.event_counts[code] += 1
                if pool.timeline is not None:
                    pool.timeline.append(code, now)
                return pooled
            finally:
                lock.release()

    def release_tree(self, frame: PooledFrame) -> int:
        """Release ``frame`` and every descendant, children first. Returns how many were released."""
        if not isinstance(frame, PooledFrame):
            raise TypeError(f"release_tree() takes a PooledFrame, got {type(frame).__name__}")
        if frame._pool.owner is not self:
            raise ForeignFrameError(f"{frame!r} was handed out by another pool manager")
        if self._closed:
            raise PoolClosedError("the pool manager is closed")
        if frame._state != ACTIVE:
            raise DoubleReleaseError(f"{frame!r} is not active")
        # Collect the post-order first: releasing mutates the children lists we walk.
        order: list[PooledFrame] = []
        stack: list[tuple[PooledFrame, bool]] = [(frame, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
            else:
                stack.append((node, True))
                stack.extend((child, False) for child in reversed(node.children))
        for node in order:
            self.release(node)
        return len(order)

    # ---- sizing and maintenance ------------------------------------------------------

    def resize(self, size_class: int, new_size: int) -> None:
        """Set how many idle frames ``size_class`` keeps (shrinking destroys the coldest)."""
        if self._closed:  # a closed manager refuses everything, valid arguments or not
            raise PoolClosedError("the pool manager is closed")
        pool = self._pooled_class(size_class)
        if isinstance(new_size, bool) or not isinstance(new_size, int):
            raise ValueError(f"new size must be an integer, got {new_size!r}")
        if not 0 <= new_size <= pool.max_size:
            raise ValueError(f"new size {new_size} for class {size_class} is outside [0, {pool.max_size}]")
        if self._tier is not None:  # the thread caches' frames count: drain them first
            with self._all_locks():
                self._check_open_locked()
                self._tier.drain_all_locked()
                pool.set_size_locked(new_size)
            return
        with pool.lock:
            if pool.closed:
                raise PoolClosedError("the pool manager is closed")
            pool.set_size_locked(new_size)

    def auto_tune(self) -> None:
        """Grow classes that miss too often and shrink idle ones (no-op with auto-tuning off)."""
        with self._all_locks():
            self._check_open_locked()
            if not self.config.enable_auto_tuning:
                return
            self._drain_thread_caches_locked()
            for pool in self._pools:
                pool.auto_tune_locked(
                    self.config.growth_factor, self.config.shrink_threshold, self._tier_counts_locked(pool)
                )

    def cleanup(self) -> int:
        """Destroy long-idle, little-used frames in every class. Returns how many."""
        with self._all_locks():
            self._check_open_locked()
            self._drain_thread_caches_locked()
            now = self._clock()
            removed = sum(pool.cleanup_locked(now) for pool in self._pools)
            self._cleanups += 1
            self._last_cleanup_time = now
            return removed

    def maybe_cleanup(self) -> int:
        """Run ``cleanup`` if ``pool_cleanup_interval`` ms passed since the last one (0: never).

        Refused (PoolClosedError) after ``close()``, like every other maintenance operation.
        """
        if self._closed:
            raise PoolClosedError("the pool manager is closed")
        interval = self.config.pool_cleanup_interval
        if interval == 0:
            return 0
        with self._meta_lock:
            last = self._last_cleanup_time if self._last_cleanup_time is not None else self._start_time
        if self._clock() - last < interval:
            return 0
        return self.cleanup()

    def memory_pressure(self) -> float:
        """Idle frames held, as a share of all classes' maximum sizes."""
        with self._all_locks():
            return self._memory_pressure_locked()

    def check_gc_pressure(self) -> bool:
        """Whether pools hold so many idle frames that a collection (cleanup) should run."""
        with self._all_locks():
            self._check_open_locked()
            if not self.config.enable_gc_integration:
                return False
            return self._gc_trigger.should_trigger_gc(self._memory_pressure_locked(), self._clock())

    def close(self) -> None:
        """Destroy every idle frame; afterwards only statistics() works. Idempotent."""
        with self._all_locks():
            if self._closed:
                return
            self._drain_thread_caches_locked()
            for pool in self._pools:
                pool.close_locked()
            self._closed = True

    def flush_thread_cache(self) -> None:
        """Give the calling thread's cached idle frames back to the shared pools.

        A thread that ends does this by itself; a long-lived thread that is done with
        this manager may call it so that other threads can use its frames. No-op
        without thread caches.
        """
        if self._tier is not None:
            self._tier.flush_current_thread()

    def __enter__(self) -> FramePoolManager:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._closed

    # ---- observation ----------------------------------------------------------------

    def statistics(self) -> PoolStatistics:
        """A consistent snapshot of every class (taken under all locks)."""
        with self._all_locks():
            counts = self._counts_locked()
            return PoolStatistics(
                counts=counts,
                idle_memory_bytes=sum(
                    pool.idle_memory_locked(self._class_caches_locked(pool)) for pool in self._pools
                ),
                uptime_ms=self._clock() - self._start_time,
            )

    def counts(self) -> PoolCounts:
        """The model-comparable part of ``statistics()``."""
        with self._all_locks():
            return self._counts_locked()

    def available_frames(self, size_class: int) -> list[PooledFrame]:
        """The idle frames of ``size_class`` (a copy), for conformance checks and debugging."""
        if not 0 <= size_class < MAX_FRAME_SIZES:
            raise ValueError(f"size class {size_class} is outside [0, {MAX_FRAME_SIZES - 1}]")
        with self._all_locks():
            pool = self._pools[size_class]
            return pool.idle_frames_locked(self._class_caches_locked(pool))

    def allocation_events(self, window: int | None = None) -> list[AllocationEvent]:
        """The most recent ``window`` allocation events across classes, oldest first."""
        with self._all_locks():
            trackers = [pool.tracker for pool in self._pools] + self._thread_trackers_locked()
            if self._tier is not None and self._tier.retired_events is not None:
                trackers.append(self._tier.retired_events)
            events = [e for tracker in trackers for e in tracker.events()]
        events.sort(key=lambda e: e.sequence)
        return events if window is None else events[-window:] if window > 0 else []

    def allocation_pattern(self, window: int = 1000) -> AllocationPattern:
        return AllocationPattern.of(self.allocation_events(window))

    def size_class_of(self, frame_type: FrameType) -> int:
        """The size class serving ``frame_type`` (ValueError for what is not a FrameType)."""
        if frame_type.__class__ is not FrameType:
            frame_type = _coerce_frame_type(frame_type)
        return self._pool_for_type[frame_type].size_class

    # ---- helpers -------------------------------------------------------------------

    @contextmanager
    def _all_locks(self) -> Iterator[None]:
        """Take the registry lock and every thread cache's lock, in registration order, then
        every class lock in ascending order, then the meta lock (see framepool.pool)."""
        taken: list[LockLike] = []
        try:
            if self._tier is not None:
                self._tier.registry_lock.acquire()
                taken.append(self._tier.registry_lock)
                for tc in self._tier.caches:
                    tc.lock.acquire()
                    taken.append(tc.lock)
            for pool in self._pools:
                pool.lock.acquire()
                taken.append(pool.lock)
            self._meta_lock.acquire()
            taken.append(self._meta_lock)
            yield
        finally:
            for lock in reversed(taken):
                lock.release()

    def _invalid_parent(self, parent: object, frame_type: FrameType) -> InvalidParentError:
        """Why ``parent`` may not parent a new ``frame_type`` frame."""
        if not isinstance(parent, PooledFrame) or parent._pool.owner is not self:
            return InvalidParentError(f"parent {parent!r} was not handed out by this pool manager")
        if parent._state != ACTIVE:
            return InvalidParentError(f"parent {parent!r} is not active")
        return InvalidParentError(f"a {parent.frame_type.name} frame may not parent a {frame_type.name} frame")

    def _check_open_locked(self) -> None:
        if self._closed:
            raise PoolClosedError("the pool manager is closed")

    def _pooled_class(self, size_class: int) -> FramePool:
        if isinstance(size_class, bool) or not isinstance(size_class, int):
            raise ValueError(f"size class must be an integer, got {size_class!r}")
        if not 0 <= size_class < MAX_FRAME_SIZES:
            raise ValueError(f"size class {size_class} is outside [0, {MAX_FRAME_SIZES - 1}]")
        pool = self._pools[size_class]
        if pool.max_size == 0:
            raise ValueError(f"size class {size_class} has no pool (pooling off or max size 0)")
        return pool

    def _drain_thread_caches_locked(self) -> None:
        if self._tier is not None:
            self._tier.drain_all_locked()

    def _class_caches_locked(self, pool: FramePool) -> list[ClassCache]:
        """The thread caches of ``pool``'s class (all locks held)."""
        if self._tier is None:
            return []
        return [tc.classes[pool.size_class] for tc in self._tier.caches]

    def _tier_counts_locked(self, pool: FramePool) -> TierCounts | None:
        """What the thread caches add to ``pool``'s class (None: it has none)."""
        if self._tier is None or not pool.cached:
            return None
        return self._tier.class_counts_locked(pool.size_class)

    def _thread_trackers_locked(self) -> list[AllocationTracker]:
        return [] if self._tier is None else [tc.tracker for tc in self._tier.caches]

    def _memory_pressure_locked(self) -> float:
        capacity = sum(pool.max_size for pool in self._pools)
        if capacity == 0:
            return 0.0
        idle = sum(
            len(pool.available) + sum(len(cc.frames) for cc in self._class_caches_locked(pool))
            for pool in self._pools
        )
        return idle / capacity

    def _counts_locked(self) -> PoolCounts:
        by_type = [pool.tracker for pool in self._pools] + self._thread_trackers_locked()
        type_counts = []
        for t in FrameType:
            parts = [tracker.type_counts(t) for tracker in by_type]
            type_counts.append(
                type(parts[0])(
                    pool_allocations=sum(p.pool_allocations for p in parts),
                    direct_allocations=sum(p.direct_allocations for p in parts),
                    pool_deallocations=sum(p.pool_deallocations for p in parts),
                    direct_deallocations=sum(p.direct_deallocations for p in parts),
                )
            )
        return PoolCounts(
            classes=tuple(pool.counts_locked(self._tier_counts_locked(pool)) for pool in self._pools),
            by_type=tuple(type_counts),
            cleanups_performed=self._cleanups,
            last_cleanup_time=self._last_cleanup_time,
            gc_triggers=self._gc_trigger.triggers,
            closed=self._closed,
        )
