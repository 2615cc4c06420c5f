"""FramePool: the idle frames and counters of one size class, behind one lock.

LOCK DISCIPLINE (the one place it is written down)
==================================================
Locks, in the one order anybody may take them:
  1. ``ThreadTier.registry_lock`` (with thread caches only) -- guards the list of
     thread caches.
  2. ``ThreadCache.lock`` -- one per thread (with thread caches only). Guards that
     thread's ``ClassCache`` of every class (idle frames, slots, counters), its
     tracker, and every frame whose ``_holder`` is that cache. Taken in
     registration order.
  3. ``FramePool.lock`` -- one per size class. Guards every field of its pool:
     ``available`` (with thread caches: the shared list), ``current_size``,
     ``reserved``, every counter, ``closed``, its ``AllocationTracker``, and
     every field of the frames idle in ``available``. Taken in ascending class
     order (0, 1, ..., 7).
  4. ``FramePoolManager._meta_lock`` -- guards the manager-wide fields: the GC
     trigger, cleanup count and time, peak idle memory.

Who takes what:
  * Without thread caches, acquire / get_or_create / release take exactly ONE
    lock: the class lock of the frame's size class. They allocate nothing on a hit.
  * With thread caches (``framepool.thread_cache``), acquire / get_or_create
    take the calling thread's own lock, and release the lock of the frame's
    holder (the thread that took it out; a different thread only when a frame
    is handed across threads). Only a refill, a miss or a slot taken from the
    spare room also takes the class lock, inside it. A frame's ``_holder`` is
    read without a lock and checked again under the holder's lock (under the
    class lock when it is None); it changes only under the lock of the cache it
    leaves or joins, and moves to or from the shared list only under the class
    lock as well, so a frame is never in two caches, and two threads releasing
    one frame cannot both succeed.
  * A thread that ends flushes its caches and, when none of its frames is out,
    retires its cache (``ThreadTier.thread_ended``): the registry lock, its own lock,
    then every class lock in ascending order, all held together, so a snapshot sees
    its counts either in its cache or in the classes. ``flush_thread_cache()`` (a
    thread that lives on) takes its own lock, then, together and in ascending order,
    the lock of every class it keeps frames or slots of.
  * Manager-wide operations (resize with thread caches, auto_tune, cleanup,
    check_gc_pressure, statistics, allocation_pattern, available_frames, close)
    take ALL locks in the order above and release them in reverse. One order for
    everybody means no deadlock; holding all of them makes the operation
    atomic, so a statistics snapshot is never torn and a drain sees every cache.
  * Without thread caches, resize takes the one class lock it changes.
  * ``_closed`` is written only by close(), under all locks and the meta lock.
  * Locks are not re-entrant: code holding a lock calls only ``*_locked``
    methods, and an operation holding one class lock never takes another (nor
    a thread cache's lock), so the hot-path operations cannot deadlock with the
    all-locks order.
  * Every lock comes from the manager's ``lock_factory`` (the schedule explorer
    of ``framepool_spec.concurrency`` injects cooperative locks there). The
    explorer switches threads at lock operations and, tracing the pool's own
    code, before any bytecode instruction that touches shared state -- except
    while one thread holds every lock. Lock operations alone would cover every
    interleaving because of this discipline; the finer yield points are what
    show a break of it (say, a release that takes no lock, or the wrong one).

What needs no lock:
  * An ACTIVE frame belongs to its holder. The holder's thread reads and writes
    its payload and its hierarchy (``parent``, ``children``, ``depth``) without
    a lock; ``get_or_create`` and ``release`` link and unlink a child on the
    holder's thread (a parent and its children are held by one thread -- an EVM
    transaction runs on one thread). Releasing a frame reads ``frame._state``
    only under the frame's class lock, so two threads releasing the same frame
    cannot both succeed.
  * A frame's ``_pool`` (and through it ``owner``) never changes, so the
    foreign-frame check in release/get_or_create reads it without a lock.
  * ``get_or_create`` reads the parent's ``_state`` and ``frame_type`` without
    a lock: the parent is ACTIVE and held by the calling thread, and only its
    holder's release can change them.
  * ``FramePool.size_class``, ``max_size``, ``initial_size``, ``auto_expand``,
    ``owner``, the manager's config, ``_pools``, ``_pool_for_type`` and
    ``_start_time`` are immutable after construction.
  * The manager's ``_closed`` flag goes from False to True once and never back.
    ``closed``, ``resize`` and ``release_tree`` read it without a lock only to
    refuse early; every change is refused again under a class lock (each pool's
    own ``closed``, set in the same atomic close()), so a racing close() is
    seen either before the operation or after it, never half-way.
  * ``maybe_cleanup`` reads the last cleanup time under the meta lock and then
    calls cleanup(), which takes all locks: two threads racing on the interval
    may both clean up. That is a second, harmless cleanup, counted as one more.

Shared without a lock by design:
  * The event sequence (``itertools.count``) shared by all classes' trackers, and
    the tier's release order (``idle_order``), are advanced under *different*
    locks. ``next()`` on one is one C call, atomic under CPython's GIL (and
    under a free-threaded build's per-object locking).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Protocol

from framepool.frame import AVAILABLE, DESTROYED, IDLE_ORDER, PooledFrame
from framepool.thread_cache import TierCounts
from framepool.tracker import AllocationTracker, EventTotals
from framepool_spec.config import (
    CLEANUP_MAX_USES,
    MAX_IDLE_MS,
    SHRINK_FACTOR,
    TARGET_HIT_RATE,
    FrameType,
)
from framepool_spec.statistics import ClassCounts

if TYPE_CHECKING:
    from framepool.thread_cache import ClassCache

class LockLike(Protocol):
    """What the pool needs of a lock (threading.Lock, or a scheduler's cooperative lock)."""

    def acquire(self, blocking: bool = ..., timeout: float = ...) -> bool: ...

    def release(self) -> None: ...

    def __enter__(self) -> bool: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...


class FramePool:
    """One size class. Methods named ``*_locked`` require the caller to hold ``lock``.

    The hand-out and take-back through the class lock, the hot path, are written out in
    ``FramePoolManager.get_or_create`` and ``release`` (with thread caches, in
    ``ThreadTier``); this class holds the state they work on, and everything else."""

    def __init__(
        self,
        owner: object,
        size_class: int,
        frame_types: tuple[FrameType, ...],
        initial_size: int,
        max_size: int,
        *,
        auto_expand: bool,
        now: int,
        sequence: itertools.count[int],
        lock: LockLike,
        frame_class: type[PooledFrame] = PooledFrame,
        track_events: bool = True,
        cached: bool = False,
    ) -> None:
        self.lock = lock
        self.cached = cached
        """Whether hand-outs and releases go through thread caches (``framepool.thread_cache``)."""
        self.reserved = 0
        """With thread caches: the slots all threads hold (idle frames they may keep)."""
        self.frame_class = frame_class
        self.owner = owner
        self.size_class = size_class
        self.frame_types = frame_types
        """The frame types this class serves (its counters are summed from theirs)."""
        self.initial_size = initial_size
        self.max_size = max_size
        self.auto_expand = auto_expand
        self.current_size = initial_size
        self.available: list[PooledFrame] = []
        self.closed = False
        self.tracker = AllocationTracker(sequence) if track_events else AllocationTracker(sequence, 1)
        self.event_counts = self.tracker.counts
        self.timeline = self.tracker if track_events else None
        # Hits, misses, returns and overflows (so acquisitions and releases too) are not
        # counted apart: they are the per-type event counts, summed when read (``totals_locked``).
        self.created = self.active = 0
        self.destroyed = 0
        """Frames destroyed other than by an overflowing release (shrink, cleanup, close)."""
        self.expansions = self.shrinkages = 0
        self.peak_active = 0
        self.peak_available = initial_size
        for _ in range(initial_size):
            frame = frame_class(FrameType(size_class), self, now)
            frame._state = AVAILABLE
            self.available.append(frame)
        self.created = initial_size

    # ---- sizing ------------------------------------------------------------------

    def expand_after_miss_locked(self) -> None:
        """Room for every frame of the class in use, the one being handed out included."""
        wanted = min(self.active + 1, self.max_size)
        if wanted > self.current_size:
            self.set_size_locked(wanted)

    def set_size_locked(self, new_size: int) -> None:
        """Set the size; growing creates nothing, shrinking destroys the coldest idle frames."""
        if new_size > self.current_size:
            self.expansions += 1
        elif new_size < self.current_size:
            self.shrinkages += 1
        excess = len(self.available) - new_size
        if excess > 0:
            # The front of the list holds the least recently released frames.
            victims = self.available[:excess]
            del self.available[:excess]
            for frame in victims:
                frame._state = DESTROYED
            self.destroyed += excess
        self.current_size = new_size

    def auto_tune_locked(
        self, growth_factor: float, shrink_threshold: float, tier: TierCounts | None = None
    ) -> None:
        """Grow or shrink by the class's hit rate and utilization (its thread caches drained)."""
        totals = self.totals_locked()
        acquisitions = totals.acquisitions + (tier.acquisitions if tier else 0)
        hits = totals.hits + (tier.hits if tier else 0)
        if self.max_size == 0 or acquisitions == 0:
            return
        if hits / acquisitions < TARGET_HIT_RATE and self.current_size < self.max_size:
            grown = max(self.current_size + 1, math.floor(self.current_size * growth_factor))
            self.set_size_locked(min(grown, self.max_size))
        elif self.current_size > self.initial_size and self.utilization_locked() < shrink_threshold:
            self.set_size_locked(max(math.floor(self.current_size * SHRINK_FACTOR), self.initial_size))

    def utilization_locked(self) -> float:
        if self.current_size == 0:
            return 0.0
        return (self.current_size - len(self.available)) / self.current_size

    # ---- maintenance ----------------------------------------------------------------

    def cleanup_locked(self, now: int) -> int:
        """Destroy idle frames unused for MAX_IDLE_MS that served fewer than CLEANUP_MAX_USES."""
        keep: list[PooledFrame] = []
        removed = 0
        for frame in self.available:
            if now - frame.last_access_time > MAX_IDLE_MS and frame.usage_count < CLEANUP_MAX_USES:
                frame._state = DESTROYED
                removed += 1
            else:
                keep.append(frame)
        if removed:
            self.available[:] = keep
            self.destroyed += removed
        return removed

    def close_locked(self) -> None:
        for frame in self.available:
            frame._state = DESTROYED
        self.destroyed += len(self.available)
        self.available.clear()
        self.closed = True

    def idle_memory_locked(self, caches: Sequence[ClassCache] = ()) -> int:
        return sum(frame.memory_usage() for frame in self.idle_frames_locked(caches))

    def idle_frames_locked(self, caches: Sequence[ClassCache] = ()) -> list[PooledFrame]:
        """Every idle frame of the class, in the shared list or a thread cache (``caches``), coldest first."""
        if not caches:
            return list(self.available)
        return sorted(itertools.chain(self.available, *(cc.frames for cc in caches)), key=IDLE_ORDER)

    def totals_locked(self) -> EventTotals:
        """This class's hits, misses, returns and overflows, through the class lock (not its thread caches)."""
        return self.tracker.totals(self.frame_types)

    def counts_locked(self, tier: TierCounts | None = None) -> ClassCounts:
        """This class's counts, with what its thread caches (``tier``) add."""
        own = self.totals_locked()
        if tier is None:
            tier = TierCounts()
        # A frame that overflows is destroyed then and there.
        return ClassCounts(
            size_class=self.size_class,
            current_size=self.current_size,
            max_size=self.max_size,
            available=len(self.available) + tier.cached,
            active=self.active + tier.active,
            acquisitions=own.acquisitions + tier.acquisitions,
            hits=own.hits + tier.hits,
            misses=own.misses + tier.misses,
            releases=own.releases + tier.releases,
            returns=own.returns + tier.returns,
            overflows=own.overflows + tier.overflows,
            created=self.created,
            destroyed=self.destroyed + own.overflows + tier.overflows,
            expansions=self.expansions,
            shrinkages=self.shrinkages,
            peak_active=self.peak_active + tier.peak_active,
            peak_available=self.peak_available + tier.peak_cached,
        )
