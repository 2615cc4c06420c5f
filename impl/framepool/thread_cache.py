"""The per-thread tier: each thread's caches of idle frames, in front of the shared class pools.

What it does is the reference model's (``framepool_spec.model``, "Thread caches"):
a thread hands out and takes back frames through its own cache, moves them to and
from its class's shared list in batches, and holds *slots* -- the idle frames it may
keep -- so that all slots plus the shared frames never exceed the class's size.
Which locks guard what is written once, in ``framepool.pool``.

Why a tier (measured, ``framepool bench``): with two or more threads on one manager,
every hand-out through the class lock queues behind a thread that the interpreter
switched out while it held that lock; a thread's own lock is never wanted by another
thread on the hot path, so hand-outs cost the same with 1, 2 or 4 threads.
"""

from __future__ import annotations

import functools
import itertools
import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from framepool.frame import ACTIVE, AVAILABLE, DESTROYED, IDLE_ORDER, STATE_NAMES, PooledFrame
from framepool.tracker import AllocationTracker, EventTotals, EventType
from framepool_spec.config import MAX_FRAME_AGE_MS, MAX_FRAME_SIZES, MAX_POOLED_MEMORY_BYTES, FrameType
from framepool_spec.errors import ActiveChildrenError, DoubleReleaseError, PoolClosedError

if TYPE_CHECKING:
    from framepool.pool import FramePool, LockLike

_POOL_ALLOC = int(EventType.POOL_ALLOCATION)
_DIRECT_ALLOC = int(EventType.DIRECT_ALLOCATION)
_POOL_DEALLOC = int(EventType.POOL_DEALLOCATION)
_DIRECT_DEALLOC = int(EventType.DIRECT_DEALLOCATION)



class ClassCache:
    """One thread's cache for one size class, and the counts of it that no event count gives."""

    __slots__ = ("frames", "slots", "active", "peak_active", "peak_cached")

    def __init__(self) -> None:
        self.frames: list[PooledFrame] = []
        """Idle frames, coldest first (the end is the warmest: it is handed out next)."""
        self.slots = 0
        self.active = self.peak_active = self.peak_cached = 0


@dataclass(frozen=True)
class TierCounts(EventTotals):
    """What the thread caches of one size class add to the class's own counts."""

    active: int = 0
    peak_active: int = 0
    cached: int = 0
    peak_cached: int = 0


class ThreadCache:
    """One thread's caches (one per size class), behind that thread's own lock."""

    __slots__ = ("lock", "classes", "tracker", "counts", "timeline", "exit_watch", "ended", "__weakref__")

    def __init__(self, lock: LockLike, tracker: AllocationTracker, track_events: bool) -> None:
        self.lock = lock
        self.classes = tuple(ClassCache() for _ in range(MAX_FRAME_SIZES))
        self.tracker = tracker
        self.counts = tracker.counts
        self.timeline = tracker if track_events else None
        self.exit_watch: weakref.ref[_ThreadAlive] | None = None
        self.ended = False
        """Its thread has ended (set under ``lock``): once none of its frames is out, it retires."""


class _ThreadAlive:
    """Lives in a thread's local storage: its death tells the tier that the thread ended."""

    __slots__ = ("__weakref__",)


class ThreadTier:
    """The thread caches of one manager: the hot path for every class that has one."""

    def __init__(
        self,
        pools: Sequence[FramePool],
        limit: int,
        batch: int,
        *,
        auto_expand: bool,
        lock_factory: Callable[[], LockLike],
        sequence: itertools.count[int],
        track_events: bool,
    ) -> None:
        self.limit = limit
        self.batch = batch
        self.auto_expand = auto_expand
        self.caches: list[ThreadCache] = []
        """The thread caches in use, in registration order (guarded by ``registry_lock``). A cache
        whose thread ended and none of whose frames is out *retires*: its counts move to the
        classes and its events to ``retired_events``, and it leaves this list."""
        self.retired_events: AllocationTracker | None = (
            AllocationTracker(sequence) if track_events else None
        )
        """The most recent events of retired caches (guarded by ``registry_lock``)."""
        self.retired_peaks = [(0, 0)] * len(pools)
        """Per class, the summed ``peak_active`` and ``peak_cached`` of retired caches: the
        peaks are sums over threads, and an ended thread's part stays in them (guarded by
        ``registry_lock``)."""
        self.registry_lock = lock_factory()
        self._pools = pools
        self._lock_factory = lock_factory
        self._sequence = sequence
        self._track_events = track_events
        self._local = threading.local()
        self._idle_order = itertools.count()
        for pool in pools:  # prefilled frames became idle in creation order
            for frame in pool.available:
                frame.idle_order = next(self._idle_order)

    # ---- the hot path -----------------------------------------------------------------
    # Measured (framepool bench): everything here runs under the calling thread's own
    # lock, which no other thread wants unless it observes the whole manager, so the
    # hand-out never queues behind another thread. A hand-out or release counts one
    # event (``tc.counts``, by frame type and kind) and the thread's active frames of the
    # class; hits, misses, returns and overflows per class, and acquisitions and
    # releases, are derived from the event counts when a snapshot is taken
    # (``class_counts_locked``): every further counter costs ~25 ns per operation.

    def acquire(self, pool: FramePool, frame_type: FrameType, clock: Callable[[], int]) -> PooledFrame:
        try:
            tc: ThreadCache = self._local.cache
        except AttributeError:
            tc = self._register()
        cc = tc.classes[pool.size_class]
        lock = tc.lock
        lock.acquire()  # not `with`: a with-statement costs ~100 ns more per round trip
        try:
            if pool.closed:  # set by close() under every lock, this one included
                raise PoolClosedError("the pool manager is closed")
            frames = cc.frames
            if not frames:
                with pool.lock:
                    shared = pool.available
                    if shared:  # refill: the warmest shared frames, in idle order
                        moved = shared[-self.batch :]
                        del shared[-self.batch :]
                        for frame in moved:
                            frame._holder = tc
                        frames.extend(moved)
                        if len(moved) > cc.slots:
                            pool.reserved += len(moved) - cc.slots
                            cc.slots = len(moved)
                        if len(frames) > cc.peak_cached:
                            cc.peak_cached = len(frames)
                    else:
                        frame = pool.frame_class(frame_type, pool, clock())
                        frame._holder = tc
                        pool.created += 1
                        if self.auto_expand:  # room for this thread's demand, this frame included
                            wanted = min(cc.active + 1, pool.max_size)
                            if wanted > pool.current_size:
                                pool.set_size_locked(wanted)
            if frames:
                frame = frames.pop()
                code = frame_type * 4 + _POOL_ALLOC
            else:
                code = frame_type * 4 + _DIRECT_ALLOC
            tc.counts[code] += 1
            if tc.timeline is not None:
                tc.timeline.append(code, clock())
            frame._state = ACTIVE
            frame.frame_type = frame_type
            frame.usage_count += 1
            cc.active += 1
            if cc.active > cc.peak_active:
                cc.peak_active = cc.active
            return frame
        finally:
            lock.release()

    def release(self, tc: ThreadCache, frame: PooledFrame, now: int) -> bool | None:
        """Release into the cache of ``tc``, the frame's holder; None if it is no longer its holder."""
        # The checks and the unlinking are FramePoolManager.release's, written out again here: a
        # shared helper would cost a Python call (~60-100 ns) on every release.
        lock = tc.lock
        lock.acquire()  # not `with`: a with-statement costs ~100 ns more per round trip
        try:
            if frame._holder is not tc:
                return None  # moved on since the caller looked: ask its new holder
            pool = frame._pool
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
            cc = tc.classes[pool.size_class]
            cc.active -= 1
            eligible = (
                now - frame.allocation_time < MAX_FRAME_AGE_MS
                and len(frame.memory) <= MAX_POOLED_MEMORY_BYTES
            )
            frame.reset()  # exactly once per release, pooled or not
            frame.depth = 0
            frame.last_access_time = now
            frames = cc.frames
            if eligible and len(frames) >= cc.slots:
                self._take_slot(pool, cc)
            if eligible and len(frames) < cc.slots:
                frame._state = AVAILABLE
                frame.idle_order = next(self._idle_order)
                frames.append(frame)
                if len(frames) > cc.peak_cached:
                    cc.peak_cached = len(frames)
                code = frame.frame_type * 4 + _POOL_DEALLOC
                pooled = True
            else:
                frame._state = DESTROYED
                frame._holder = None
                code = frame.frame_type * 4 + _DIRECT_DEALLOC
                pooled = False
            tc.counts[code] += 1
            if tc.timeline is not None:
                tc.timeline.append(code, now)
            return pooled
        finally:
            lock.release()

    def _take_slot(self, pool: FramePool, cc: ClassCache) -> None:
        """Up to a batch of slots from the class's spare room (flushing the coldest frames
        first when at the limit): a batch, so that the next releases need no class lock."""
        with pool.lock:
            spare = pool.current_size - pool.reserved - len(pool.available)
            if spare <= 0:
                return
            if cc.slots == self.limit:
                flushed = cc.frames[: self.batch]
                del cc.frames[: self.batch]
                cc.slots -= self.batch
                pool.reserved -= self.batch
                self._to_shared_locked(pool, flushed)
            taken = min(self.batch, spare, self.limit - cc.slots)
            cc.slots += taken
            pool.reserved += taken

    # ---- the rest of the tier ------------------------------------------------------------

    def _register(self) -> ThreadCache:
        tracker = AllocationTracker(self._sequence) if self._track_events else AllocationTracker(self._sequence, 1)
        tc = ThreadCache(self._lock_factory(), tracker, self._track_events)
        with self.registry_lock:
            self.caches.append(tc)
        alive = _ThreadAlive()
        self._local.alive = alive
        # Weak both ways: a manager nobody uses any more is not kept alive by its threads.
        tc.exit_watch = weakref.ref(alive, functools.partial(_thread_ended, weakref.ref(self), weakref.ref(tc)))
        self._local.cache = tc
        return tc

    def flush_thread(self, tc: ThreadCache) -> None:
        """Give every frame of ``tc`` back to the shared lists (the thread ended, or asked to).

        Under ``tc.lock`` and, all at once, the lock of every class it has something to
        give back to (ascending): one step for every other thread too, not a class at a
        time, or a thread could find one class drained and another not yet."""
        with tc.lock:
            pairs = [(pool, cc) for pool, cc in zip(self._pools, tc.classes) if cc.frames or cc.slots]
            taken: list[LockLike] = []
            try:
                for pool, _ in pairs:
                    pool.lock.acquire()
                    taken.append(pool.lock)
                for pool, cc in pairs:
                    self._drain_class_locked(pool, cc)
            finally:
                for lock in reversed(taken):
                    lock.release()

    def thread_ended(self, tc: ThreadCache) -> None:
        """The thread of ``tc`` ended (called in its teardown): its frames go back, and the
        cache retires unless some of its frames are still out.

        Under the registry lock, ``tc.lock`` and every class lock (the order of framepool.pool),
        so a snapshot sees the thread's counts either in its cache or in the classes. Only the
        ended thread took frames out through this cache, so from now on only the release of a
        frame still out can add to it; such a frame waits for the next drain of all caches
        (resize, auto_tune, cleanup, close), which retires the cache once none is out."""
        with self.registry_lock, tc.lock:
            tc.ended = True
            taken: list[LockLike] = []
            try:
                for pool in self._pools:
                    pool.lock.acquire()
                    taken.append(pool.lock)
                self.drain_locked(tc)
                if not any(cc.active for cc in tc.classes):
                    self._retire_locked(tc)
            finally:
                for lock in reversed(taken):
                    lock.release()

    def _retire_locked(self, tc: ThreadCache) -> None:
        """``tc`` (drained, its thread ended, none of its frames out) leaves the registry: its
        event counts move to the classes and its peaks to ``retired_peaks``, so every sum stays
        what it was, and its timeline to ``retired_events``. The registry lock, ``tc.lock`` and every class lock held."""
        for pool, cc in zip(self._pools, tc.classes):
            for frame_type in pool.frame_types:
                for code in range(frame_type * 4, frame_type * 4 + 4):
                    pool.event_counts[code] += tc.counts[code]
            active, cached = self.retired_peaks[pool.size_class]
            self.retired_peaks[pool.size_class] = (active + cc.peak_active, cached + cc.peak_cached)
        if self.retired_events is not None:
            self.retired_events.absorb(tc.tracker)
        self.caches.remove(tc)

    def flush_current_thread(self) -> None:
        tc: ThreadCache | None = getattr(self._local, "cache", None)
        if tc is not None:
            self.flush_thread(tc)

    def drain_locked(self, tc: ThreadCache) -> None:
        """Move ``tc``'s frames and slots back to the shared lists. Holds ``tc.lock`` and every class lock."""
        for pool, cc in zip(self._pools, tc.classes):
            self._drain_class_locked(pool, cc)

    def _drain_class_locked(self, pool: FramePool, cc: ClassCache) -> None:
        """Move one class cache's frames and slots back to its class (its thread's lock and the class lock held)."""
        pool.reserved -= cc.slots
        cc.slots = 0
        if cc.frames:
            self._to_shared_locked(pool, cc.frames)
            cc.frames = []

    def class_counts_locked(self, size_class: int) -> TierCounts:
        """What every thread cache, retired ones included, adds to ``size_class`` (all locks held)."""
        retired_active, retired_cached = self.retired_peaks[size_class]
        parts = [self.counts_of(tc, size_class) for tc in self.caches]
        parts.append(TierCounts(peak_active=retired_active, peak_cached=retired_cached))
        return TierCounts(*(sum(getattr(p, f.name) for p in parts) for f in fields(TierCounts)))

    def counts_of(self, tc: ThreadCache, size_class: int) -> TierCounts:
        """What the thread cache ``tc`` adds to ``size_class`` (its lock held)."""
        own = tc.tracker.totals(self._pools[size_class].frame_types)
        cc = tc.classes[size_class]
        return TierCounts(
            own.hits, own.misses, own.returns, own.overflows,
            cc.active, cc.peak_active, len(cc.frames), cc.peak_cached,
        )

    def drain_all_locked(self) -> None:
        """Drain every thread cache, retire those whose thread ended and none of whose frames
        is out, and put the shared lists in idle order, coldest first (the caller holds every
        lock of the manager)."""
        for tc in list(self.caches):
            self.drain_locked(tc)
            if tc.ended and not any(cc.active for cc in tc.classes):
                self._retire_locked(tc)
        for pool in self._pools:
            if pool.cached:
                pool.available.sort(key=IDLE_ORDER)

    @staticmethod
    def _to_shared_locked(pool: FramePool, frames: list[PooledFrame]) -> None:
        """Append idle frames to the class's shared list (class lock held). Not in idle order:
        keeping that on every flush cost ~0.5 us per frame on a deep call stack; a drain of
        all caches sorts the list once, before anything picks the coldest."""
        for frame in frames:
            frame._holder = None
        pool.available.extend(frames)
        if len(pool.available) > pool.peak_available:
            pool.peak_available = len(pool.available)


def _thread_ended(tier_ref: weakref.ref[ThreadTier], tc_ref: weakref.ref[ThreadCache], _: object) -> None:
    tier, tc = tier_ref(), tc_ref()
    if tier is not None and tc is not None:
        tier.thread_ended(tc)
