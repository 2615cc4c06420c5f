"""Deliberately broken pool managers: the concurrent checkers must catch every one.

Each is the real FramePoolManager with one realistic synchronisation mistake.
Where the mistake opens an unprotected window, the window contains a
``switch_point()`` -- a yield point for the controlled scheduler, and
``time.sleep(0)`` on real threads -- standing for the preemption CPython may do
at any bytecode, so real-thread runs hit the window often enough.

(a) ``missing_release_lock``: FramePool.release takes no lock.
(b) ``stats_outside_lock``: acquire bumps its counters after releasing the lock.
(c) ``unlocked_auto_tune``: auto_tune decides from pools it read without their locks.
(d) ``inverted_cleanup_order``: cleanup takes the class locks in descending order, every
    other manager-wide operation ascending: a deadlock.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from framepool import FramePoolManager, FrameType, PooledFrame
from framepool.frame import ACTIVE, AVAILABLE, DESTROYED, STATE_NAMES
from framepool.pool import FramePool, LockLike
from framepool.tracker import EventType
from framepool_spec.concurrency.schedules import switch_point
from framepool_spec.config import (
    MAX_FRAME_AGE_MS,
    MAX_POOLED_MEMORY_BYTES,
    SHRINK_FACTOR,
    TARGET_HIT_RATE,
)
from framepool_spec.errors import ActiveChildrenError, DoubleReleaseError, PoolClosedError


class _ReleaseWithoutLock(FramePool):
    def release(self, frame: PooledFrame, now: int) -> bool:
        # BUG (a): the class lock is missing.
        if self.closed:
            raise PoolClosedError("the pool manager is closed")
        if frame._state != ACTIVE:
            raise DoubleReleaseError(f"frame is {STATE_NAMES[frame._state]}, not active")
        if frame.children:
            raise ActiveChildrenError("active children")
        if frame.parent is not None:
            frame.parent.children.remove(frame)
        self.releases += 1
        self.active -= 1
        room = len(self.available) < self.current_size and frame.is_eligible_for_pooling(
            now, MAX_FRAME_AGE_MS, MAX_POOLED_MEMORY_BYTES
        )
        switch_point()
        frame.reset()
        if room:
            frame.last_access_time = now
            frame._state = AVAILABLE
            self.available.append(frame)
            self.returns += 1
            self.tracker.record(frame.frame_type, int(EventType.POOL_DEALLOCATION), now)
            return True
        frame._state = DESTROYED
        self.destroyed += 1
        self.overflows += 1
        self.tracker.record(frame.frame_type, int(EventType.DIRECT_DEALLOCATION), now)
        return False


class _StatsOutsideLock(FramePool):
    def acquire(self, frame_type: FrameType, now: int) -> PooledFrame:
        with self.lock:
            if self.closed:
                raise PoolClosedError("the pool manager is closed")
            hit = bool(self.available)
            if hit:
                frame = self.available.pop()
                self.tracker.record(frame_type, int(EventType.POOL_ALLOCATION), now)
            else:
                frame = PooledFrame(frame_type, self, now)
                self.created += 1
                self.tracker.record(frame_type, int(EventType.DIRECT_ALLOCATION), now)
            frame._state = ACTIVE
            frame.frame_type = frame_type
            frame.usage_count += 1
            frame.last_access_time = now
        # BUG (b): the counters are bumped after the lock is released.
        switch_point()
        self.acquisitions += 1
        if hit:
            self.hits += 1
        else:
            self.misses += 1
        self.active += 1
        if not hit and self.auto_expand:
            with self.lock:
                self._expand_after_miss_locked()
        return frame


def _swap_pools(manager: FramePoolManager, cls: type[FramePool]) -> None:
    for pool in manager._pools:
        pool.__class__ = cls


class MissingReleaseLock(FramePoolManager):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _swap_pools(self, _ReleaseWithoutLock)


class StatsOutsideLock(FramePoolManager):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _swap_pools(self, _StatsOutsideLock)


class UnlockedAutoTune(FramePoolManager):
    def auto_tune(self) -> None:
        with self._meta_lock:
            self._check_open_locked()
        if not self.config.enable_auto_tuning:
            return
        # BUG (c): the decisions read each pool without its lock ...
        decisions: list[tuple[FramePool, int]] = []
        for pool in self._pools:
            if pool.max_size == 0 or pool.acquisitions == 0:
                continue
            size = pool.current_size
            if pool.hits / pool.acquisitions < TARGET_HIT_RATE and size < pool.max_size:
                grown = max(size + 1, math.floor(size * self.config.growth_factor))
                decisions.append((pool, min(grown, pool.max_size)))
            elif size > pool.initial_size and pool.utilization_locked() < self.config.shrink_threshold:
                decisions.append((pool, max(math.floor(size * SHRINK_FACTOR), pool.initial_size)))
        switch_point()
        # ... and are applied later, under the lock, to whatever the pool has become.
        for pool, new_size in decisions:
            with pool.lock:
                pool.set_size_locked(new_size)


class InvertedCleanupOrder(FramePoolManager):
    @contextmanager
    def _locks_in(self, pools: Sequence[FramePool]) -> Iterator[None]:
        """Take the class locks of ``pools`` in that order, then the meta lock, with switch points."""
        taken: list[LockLike] = []
        try:
            for pool in pools:
                pool.lock.acquire()
                taken.append(pool.lock)
                switch_point()
            self._meta_lock.acquire()
            taken.append(self._meta_lock)
            yield
        finally:
            for lock in reversed(taken):
                lock.release()

    @contextmanager
    def _descending_locks(self) -> Iterator[None]:
        with self._locks_in(tuple(reversed(self._pools))):  # BUG (d): the opposite of the documented order
            yield

    @contextmanager
    def _all_locks(self) -> Iterator[None]:
        # The documented order, with the same switch points as the broken one.
        with self._locks_in(self._pools):
            yield

    def cleanup(self) -> int:
        with self._descending_locks():
            self._check_open_locked()
            now = self._clock()
            removed = sum(pool.cleanup_locked(now) for pool in self._pools)
            self._cleanups += 1
            self._last_cleanup_time = now
            return removed


BROKEN: dict[str, Callable[..., FramePoolManager]] = {
    "missing_release_lock": MissingReleaseLock,
    "stats_outside_lock": StatsOutsideLock,
    "unlocked_auto_tune": UnlockedAutoTune,
    "inverted_cleanup_order": InvertedCleanupOrder,
}
