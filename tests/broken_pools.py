"""Deliberately broken frame pools, one bug each, for showing the checks catch them.

Each class is a :class:`framepool.FramePoolManager` with a single wrong
behaviour; ``BROKEN_POOLS`` maps a short name to the class. Tests only.
"""

from __future__ import annotations

from framepool import FramePoolManager, FrameType, PooledFrame
from framepool.frame import ACTIVE, DESTROYED
from framepool_spec.config import CLEANUP_MAX_USES, MAX_IDLE_MS
from framepool_spec.errors import PoolClosedError


class OverflowNotCounted(FramePoolManager):
    """A release that destroys its frame forgets to count the overflow."""

    def release(self, frame: PooledFrame) -> bool:
        pooled = super().release(frame)
        if not pooled:
            frame._pool.overflows -= 1
        return pooled


class DoubleReleaseAccepted(FramePoolManager):
    """Releasing a frame that is no longer active quietly succeeds."""

    def release(self, frame: PooledFrame) -> bool:
        if isinstance(frame, PooledFrame) and frame._pool.owner is self and frame._state != ACTIVE:
            return False
        return super().release(frame)


class ChildStaysLinked(FramePoolManager):
    """A released child stays in its parent's ``children`` list."""

    def release(self, frame: PooledFrame) -> bool:
        parent = frame.parent if isinstance(frame, PooledFrame) else None
        pooled = super().release(frame)
        if parent is not None:
            parent.children.append(frame)
        return pooled


class HitCountedAsMiss(FramePoolManager):
    """An acquisition served from the pool is counted as a miss."""

    def acquire(self, frame_type: FrameType) -> PooledFrame:
        pool = self._pool_for_type[frame_type]
        hits = pool.hits
        frame = super().acquire(frame_type)
        if pool.hits > hits:
            pool.hits -= 1
            pool.misses += 1
        return frame


class CleanupIgnoresUsage(FramePoolManager):
    """cleanup() destroys every long-idle frame, however often it was used."""

    def cleanup(self) -> int:
        with self._all_locks():
            if self._closed:
                raise PoolClosedError("the pool manager is closed")
            now = self._clock()
            removed = 0
            for pool in self._pools:
                keep = []
                for frame in pool.available:
                    if (
                        now - frame.last_access_time > MAX_IDLE_MS
                    ):  # forgot: usage < CLEANUP_MAX_USES
                        frame._state = DESTROYED
                        removed += 1
                    else:
                        keep.append(frame)
                pool.destroyed += len(pool.available) - len(keep)
                pool.available[:] = keep
            self._cleanups += 1
            self._last_cleanup_time = now
            return removed


assert CLEANUP_MAX_USES > 1  # the rule CleanupIgnoresUsage breaks must exist


class ShrinkKeepsFrames(FramePoolManager):
    """resize() lowers a class's size but destroys none of its idle frames."""

    def resize(self, size_class: int, new_size: int) -> None:
        pool = (
            self._pools[size_class] if isinstance(size_class, int) and 0 <= size_class < 8 else None
        )
        if pool is None or type(new_size) is not int or not 0 <= new_size < pool.current_size:
            super().resize(size_class, new_size)
            return
        super().resize(size_class, pool.current_size)  # every argument check, no change
        with pool.lock:
            pool.shrinkages += 1
            pool.current_size = new_size  # forgot: destroy the idle frames beyond new_size


class LeakyReleaseTree(FramePoolManager):
    """release_tree() releases the children but forgets the root."""

    def release_tree(self, frame: PooledFrame) -> int:
        if isinstance(frame, PooledFrame) and frame.children and not self._closed:
            count = 0
            for child in list(frame.children):
                count += super().release_tree(child)
            return count + 1
        return super().release_tree(frame)


BROKEN_POOLS: dict[str, type[FramePoolManager]] = {
    "overflow_not_counted": OverflowNotCounted,
    "double_release_accepted": DoubleReleaseAccepted,
    "child_stays_linked": ChildStaysLinked,
    "hit_counted_as_miss": HitCountedAsMiss,
    "cleanup_ignores_usage": CleanupIgnoresUsage,
    "shrink_keeps_frames": ShrinkKeepsFrames,
    "leaky_release_tree": LeakyReleaseTree,
}
