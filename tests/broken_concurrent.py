"""Deliberately broken pool managers: the concurrent checkers must catch every one.

Each is the real FramePoolManager with one realistic synchronisation mistake,
written the way a person would write it: no sleeps, no marked windows. Run on
one thread, each behaves exactly like the real pool (the tests check that), so
only an interleaving can show the bug. The copied method bodies follow
``framepool.manager`` (and ``framepool.thread_cache``) line for line except where marked
``BUG``; (a), (b), (e) and (f) change the path through the class lock only (a class
with thread caches runs the real code).

(a) ``missing_release_lock``: release takes no lock.
(b) ``stats_outside_lock``: get_or_create bumps its counters after releasing the lock.
(c) ``unlocked_auto_tune``: auto_tune decides from pools it read without their locks.
(d) ``inverted_cleanup_order``: cleanup takes the class locks in descending order, every
    other manager-wide operation ascending: a deadlock.
(e) ``release_appends_after_unlock``: release does its bookkeeping under the class lock,
    then resets the frame and puts it on the free list after unlocking (a shorter
    critical section).
(f) ``release_under_meta_lock``: release takes the manager's meta lock instead of the
    frame's class lock.
(g) ``torn_statistics_snapshot``: counts() reads each class under its own lock, one class
    after another, instead of under all locks at once.

With thread caches (``framepool.thread_cache``):

(h) ``refill_trims_after_unlock``: a refill copies the warmest shared frames into the
    thread's cache under the class lock, and trims them off the shared list after dropping
    it (the frames are the thread's now, it reasons): two refills can take one frame.
(i) ``close_flushes_first``: close gives every thread cache's frames back one cache at a
    time (with ``flush_thread``), then closes the classes under all locks: a frame
    released into a cache in between survives close.
(j) ``exit_retires_counts_late``: a thread that ends gives its frames back and leaves the
    registry of caches, as the real tier does, but one step at a time: its counts are
    moved to the classes afterwards, so a snapshot in between misses them.
(k) ``refill_without_class_lock``: a refill moves the shared frames into the cache under
    the thread's own lock only (the class lock is taken for a miss).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from framepool import FramePoolManager, FrameType, PooledFrame
from framepool.frame import ACTIVE, AVAILABLE, DESTROYED, STATE_NAMES
from framepool.manager import _MAY_PARENT
from framepool.pool import FramePool, LockLike
from framepool.thread_cache import ClassCache, ThreadCache, ThreadTier
from framepool.tracker import EventType
from framepool_spec.config import (
    MAX_FRAME_AGE_MS,
    MAX_POOLED_MEMORY_BYTES,
    SHRINK_FACTOR,
    TARGET_HIT_RATE,
)
from framepool_spec.errors import (
    ActiveChildrenError,
    DoubleReleaseError,
    ForeignFrameError,
    PoolClosedError,
)
from framepool_spec.statistics import ClassCounts, PoolCounts, TypeCounts

_POOL_ALLOC = int(EventType.POOL_ALLOCATION)
_DIRECT_ALLOC = int(EventType.DIRECT_ALLOCATION)
_POOL_DEALLOC = int(EventType.POOL_DEALLOCATION)
_DIRECT_DEALLOC = int(EventType.DIRECT_DEALLOCATION)


def _release_body(manager: FramePoolManager, pool: FramePool, frame: PooledFrame, now: int) -> bool:
    """The class-lock part of FramePoolManager.release; the caller holds the lock meant to guard it."""
    if pool.closed:
        raise PoolClosedError("the pool manager is closed")
    if frame._state != ACTIVE:
        raise DoubleReleaseError(f"frame is {STATE_NAMES[frame._state]}, not active: {frame!r}")
    if frame.children:
        raise ActiveChildrenError(f"{frame!r} still has active children; release them first")
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
    frame.reset()
    frame.depth = 0
    frame.last_access_time = now
    if pooled:
        frame._state = AVAILABLE
        available.append(frame)
        if len(available) > pool.peak_available:  # noqa: PLR1730 -- as framepool.manager has it
            pool.peak_available = len(available)
        code = frame.frame_type * 4 + _POOL_DEALLOC
    else:
        frame._state = DESTROYED
        code = frame.frame_type * 4 + _DIRECT_DEALLOC
    pool.event_counts[code] += 1
    if pool.timeline is not None:
        pool.timeline.append(code, now)
    return pooled


def _owned(manager: FramePoolManager, frame: PooledFrame) -> FramePool:
    """The frame's class, after release's type and owner checks."""
    if not isinstance(frame, PooledFrame):
        raise TypeError(f"release() takes a PooledFrame, got {type(frame).__name__}")
    if frame._pool.owner is not manager:
        raise ForeignFrameError(f"{frame!r} was handed out by another pool manager")
    return frame._pool


class MissingReleaseLock(FramePoolManager):
    def release(self, frame: PooledFrame) -> bool:
        pool = _owned(self, frame)
        if pool.cached:
            return super().release(frame)
        return _release_body(self, pool, frame, self._clock())  # BUG (a): the class lock is missing


class ReleaseUnderMetaLock(FramePoolManager):
    def release(self, frame: PooledFrame) -> bool:
        pool = _owned(self, frame)
        if pool.cached:
            return super().release(frame)
        now = self._clock()
        with self._meta_lock:  # BUG (f): the manager's lock, not the frame's class lock
            return _release_body(self, pool, frame, now)


class ReleaseAppendsAfterUnlock(FramePoolManager):
    def release(self, frame: PooledFrame) -> bool:
        pool = _owned(self, frame)
        if pool.cached:
            return super().release(frame)
        now = self._clock()
        with pool.lock:
            if pool.closed:
                raise PoolClosedError("the pool manager is closed")
            if frame._state != ACTIVE:
                raise DoubleReleaseError(f"frame is {STATE_NAMES[frame._state]}, not active")
            if frame.children:
                raise ActiveChildrenError(f"{frame!r} still has active children")
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
            if pooled:
                code = frame.frame_type * 4 + _POOL_DEALLOC
            else:
                frame._state = DESTROYED
                code = frame.frame_type * 4 + _DIRECT_DEALLOC
            pool.event_counts[code] += 1
            if pool.timeline is not None:
                pool.timeline.append(code, now)
        # BUG (e): the frame is still ours, so reset it and hand it back outside the lock.
        frame.reset()
        frame.depth = 0
        frame.last_access_time = now
        if pooled:
            frame._state = AVAILABLE
            available.append(frame)
            if len(available) > pool.peak_available:  # noqa: PLR1730 -- as framepool.manager has it
                pool.peak_available = len(available)
        return pooled


class StatsOutsideLock(FramePoolManager):
    def get_or_create(self, frame_type: FrameType, parent: PooledFrame | None = None) -> PooledFrame:
        pool = self._pool_for_type[frame_type]
        if pool.cached:
            return super().get_or_create(frame_type, parent)
        if parent is not None:
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
        with pool.lock:
            if pool.closed:
                raise PoolClosedError("the pool manager is closed")
            hit = bool(pool.available)
            if hit:
                frame = pool.available.pop()
                code = frame_type * 4 + _POOL_ALLOC
                if pool.timeline is not None:
                    pool.timeline.append(code, self._clock())
            else:
                now = self._clock()
                frame = pool.frame_class(frame_type, pool, now)
                pool.created += 1
                code = frame_type * 4 + _DIRECT_ALLOC
                if pool.timeline is not None:
                    pool.timeline.append(code, now)
            frame._state = ACTIVE
            frame.frame_type = frame_type
            frame.usage_count += 1
        # BUG (b): the counters are bumped after the lock is released.
        pool.event_counts[code] += 1
        if not hit and pool.auto_expand:
            with pool.lock:
                pool.expand_after_miss_locked()  # before counting this frame, as the manager does
        pool.active += 1
        if pool.active > pool.peak_active:  # noqa: PLR1730 -- as framepool.manager has it
            pool.peak_active = pool.active
        if parent is not None:
            frame.parent = parent
            frame.depth = parent.depth + 1
            parent.children.append(frame)
        return frame


class UnlockedAutoTune(FramePoolManager):
    def auto_tune(self) -> None:
        with self._meta_lock:
            self._check_open_locked()
        if not self.config.enable_auto_tuning:
            return
        # BUG (c): the decisions read each pool without its lock ...
        decisions: list[tuple[FramePool, int]] = []
        for pool in self._pools:
            totals = pool.totals_locked()
            if pool.max_size == 0 or totals.acquisitions == 0:
                continue
            size = pool.current_size
            if totals.hits / totals.acquisitions < TARGET_HIT_RATE and size < pool.max_size:
                grown = max(size + 1, math.floor(size * self.config.growth_factor))
                decisions.append((pool, min(grown, pool.max_size)))
            elif size > pool.initial_size and pool.utilization_locked() < self.config.shrink_threshold:
                decisions.append((pool, max(math.floor(size * SHRINK_FACTOR), pool.initial_size)))
        # ... and are applied later, under the lock, to whatever the pool has become.
        for pool, new_size in decisions:
            with pool.lock:
                pool.set_size_locked(new_size)


class InvertedCleanupOrder(FramePoolManager):
    @contextmanager
    def _descending_locks(self) -> Iterator[None]:
        taken: list[LockLike] = []
        try:
            for pool in reversed(self._pools):  # BUG (d): the opposite of the documented order
                pool.lock.acquire()
                taken.append(pool.lock)
            self._meta_lock.acquire()
            taken.append(self._meta_lock)
            yield
        finally:
            for lock in reversed(taken):
                lock.release()

    def cleanup(self) -> int:
        with self._descending_locks():
            self._check_open_locked()
            now = self._clock()
            removed = sum(pool.cleanup_locked(now) for pool in self._pools)
            self._cleanups += 1
            self._last_cleanup_time = now
            return removed


class TornStatisticsSnapshot(FramePoolManager):
    def counts(self) -> PoolCounts:
        # BUG (g): one class lock at a time -- no thread waits for a whole snapshot, but the
        # classes are read at different moments.
        classes: list[ClassCounts] = []
        per_class: list[list[TypeCounts]] = []
        for pool in self._pools:
            with pool.lock:
                classes.append(pool.counts_locked(self._tier_counts_locked(pool)))
                per_class.append([pool.tracker.type_counts(t) for t in FrameType])
        per_class.extend([tracker.type_counts(t) for t in FrameType]
                         for tracker in self._thread_trackers_locked())
        by_type = tuple(
            TypeCounts(
                pool_allocations=sum(c[t].pool_allocations for c in per_class),
                direct_allocations=sum(c[t].direct_allocations for c in per_class),
                pool_deallocations=sum(c[t].pool_deallocations for c in per_class),
                direct_deallocations=sum(c[t].direct_deallocations for c in per_class),
            )
            for t in FrameType
        )
        with self._meta_lock:
            return PoolCounts(
                classes=tuple(classes),
                by_type=by_type,
                cleanups_performed=self._cleanups,
                last_cleanup_time=self._last_cleanup_time,
                gc_triggers=self._gc_trigger.triggers,
                closed=self._closed,
            )


# ---- thread caches ---------------------------------------------------------------------


class _RefillApart(ThreadTier):
    """ThreadTier.acquire line for line, with the refill of an empty cache (or the miss)
    moved into ``_refill``, which each variant below writes its own way."""

    def acquire(self, pool: FramePool, frame_type: FrameType, clock: Callable[[], int]) -> PooledFrame:
        try:
            tc: ThreadCache = self._local.cache
        except AttributeError:
            tc = self._register()
        cc = tc.classes[pool.size_class]
        with tc.lock:
            if pool.closed:
                raise PoolClosedError("the pool manager is closed")
            frames = cc.frames
            created = None if frames else self._refill(pool, tc, cc, frame_type, clock)
            if frames:
                frame = frames.pop()
                code = frame_type * 4 + _POOL_ALLOC
            else:
                assert created is not None
                frame = created
                code = frame_type * 4 + _DIRECT_ALLOC
            tc.counts[code] += 1
            if tc.timeline is not None:
                tc.timeline.append(code, clock())
            frame._state = ACTIVE
            frame.frame_type = frame_type
            frame.usage_count += 1
            cc.active += 1
            if cc.active > cc.peak_active:  # noqa: PLR1730 -- as framepool.thread_cache has it
                cc.peak_active = cc.active
            return frame

    def _refill(
        self, pool: FramePool, tc: ThreadCache, cc: ClassCache, frame_type: FrameType,
        clock: Callable[[], int],
    ) -> PooledFrame | None:
        """Fill the empty cache ``cc`` from the shared list; None, or the new frame of a miss."""
        raise NotImplementedError

    def _take_locked(self, pool: FramePool, tc: ThreadCache, cc: ClassCache, moved: list[PooledFrame]) -> None:
        for frame in moved:
            frame._holder = tc
        cc.frames.extend(moved)
        if len(moved) > cc.slots:
            pool.reserved += len(moved) - cc.slots
            cc.slots = len(moved)
        if len(cc.frames) > cc.peak_cached:  # noqa: PLR1730 -- as framepool.thread_cache has it
            cc.peak_cached = len(cc.frames)

    def _miss_locked(
        self, pool: FramePool, tc: ThreadCache, cc: ClassCache, frame_type: FrameType,
        clock: Callable[[], int],
    ) -> PooledFrame:
        frame = pool.frame_class(frame_type, pool, clock())
        frame._holder = tc
        pool.created += 1
        if self.auto_expand:
            wanted = min(cc.active + 1, pool.max_size)
            if wanted > pool.current_size:
                pool.set_size_locked(wanted)
        return frame


class _RefillTrimsAfterUnlock(_RefillApart):
    def _refill(
        self, pool: FramePool, tc: ThreadCache, cc: ClassCache, frame_type: FrameType,
        clock: Callable[[], int],
    ) -> PooledFrame | None:
        with pool.lock:
            shared = pool.available
            if not shared:
                return self._miss_locked(pool, tc, cc, frame_type, clock)
            moved = shared[-self.batch :]
            self._take_locked(pool, tc, cc, moved)
        # BUG (h): the frames are ours now (their holder says so): trim the shared list unlocked.
        del shared[-len(moved) :]
        return None


class _RefillWithoutClassLock(_RefillApart):
    def _refill(
        self, pool: FramePool, tc: ThreadCache, cc: ClassCache, frame_type: FrameType,
        clock: Callable[[], int],
    ) -> PooledFrame | None:
        shared = pool.available
        if shared:  # BUG (k): under our own lock only -- the frames become ours
            moved = shared[-self.batch :]
            del shared[-self.batch :]
            self._take_locked(pool, tc, cc, moved)
            return None
        with pool.lock:
            return self._miss_locked(pool, tc, cc, frame_type, clock)


class _ExitRetiresCountsLate(ThreadTier):
    def thread_ended(self, tc: ThreadCache) -> None:
        # Give the frames back, and drop the dead thread's cache from the registry.
        self.flush_thread(tc)
        with self.registry_lock:
            self.caches.remove(tc)
        # BUG (j): its counts move to the classes only now, after it left the registry.
        for pool in self._pools:
            with pool.lock:
                for frame_type in pool.frame_types:
                    for code in range(frame_type * 4, frame_type * 4 + 4):
                        pool.event_counts[code] += tc.counts[code]
                cc = tc.classes[pool.size_class]
                pool.active += cc.active
                pool.peak_active += cc.peak_active
                pool.peak_available += cc.peak_cached


def _with_tier(cls: type[ThreadTier]) -> type[FramePoolManager]:
    """A FramePoolManager whose thread tier is ``cls`` (a ThreadTier with one method changed)."""

    class Manager(FramePoolManager):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            if self._tier is not None:
                self._tier.__class__ = cls

    Manager.__name__ = Manager.__qualname__ = cls.__name__.lstrip("_")
    return Manager


class CloseFlushesFirst(FramePoolManager):
    def close(self) -> None:
        if self._tier is not None:
            # Every thread's cached frames back to the classes, one cache at a time ...
            with self._tier.registry_lock:
                caches = list(self._tier.caches)
            for tc in caches:
                self._tier.flush_thread(tc)
        # BUG (i): ... then the classes close; a frame released into a cache meanwhile stays.
        with self._all_locks():
            if self._closed:
                return
            for pool in self._pools:
                pool.close_locked()
            self._closed = True


BROKEN: dict[str, type[FramePoolManager]] = {
    "missing_release_lock": MissingReleaseLock,
    "stats_outside_lock": StatsOutsideLock,
    "unlocked_auto_tune": UnlockedAutoTune,
    "inverted_cleanup_order": InvertedCleanupOrder,
    "release_appends_after_unlock": ReleaseAppendsAfterUnlock,
    "release_under_meta_lock": ReleaseUnderMetaLock,
    "torn_statistics_snapshot": TornStatisticsSnapshot,
    "refill_trims_after_unlock": _with_tier(_RefillTrimsAfterUnlock),
    "close_flushes_first": CloseFlushesFirst,
    "exit_retires_counts_late": _with_tier(_ExitRetiresCountsLate),
    "refill_without_class_lock": _with_tier(_RefillWithoutClassLock),
}
