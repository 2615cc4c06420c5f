"""Deliberately broken frame pools, one bug each, for showing the checks catch them.

Each is a :class:`framepool.FramePoolManager` with a single wrong behaviour;
``BROKEN_POOLS`` maps a short name to it. Tests only.

Two kinds:

* hand-written subclasses, one per bug, below;
* *seeded mutants* (:func:`seeded`): the real pool's own method source with one
  edit -- ``<`` for ``<=``, a reset line dropped, the wrong timestamp -- the
  way a person seeds a bug by hand. Built from the current source, so they
  follow the pool as it changes; an edit that no longer applies fails loudly at
  import instead of quietly testing nothing.
"""

from __future__ import annotations

import inspect
import sys
import textwrap
from collections.abc import Callable, Sequence
from typing import Any

from framepool import FramePoolManager, FrameType, PooledFrame
from framepool.frame import ACTIVE, DESTROYED
from framepool.gc_trigger import GarbageCollectionTrigger
from framepool.pool import FramePool
from framepool.thread_cache import ThreadTier
from framepool.tracker import EventType
from framepool_spec.config import CLEANUP_MAX_USES, MAX_IDLE_MS
from framepool_spec.errors import PoolClosedError


class OverflowNotCounted(FramePoolManager):
    """A release that destroys its frame forgets to count it."""

    def release(self, frame: PooledFrame) -> bool:
        pooled = super().release(frame)
        if not pooled:
            frame._pool.event_counts[frame.frame_type * 4 + EventType.DIRECT_DEALLOCATION] -= 1
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
        counts = self._pool_for_type[frame_type].event_counts
        hit, miss = frame_type * 4 + EventType.POOL_ALLOCATION, frame_type * 4 + EventType.DIRECT_ALLOCATION
        hits = counts[hit]
        frame = super().acquire(frame_type)
        if counts[hit] > hits:
            counts[hit] -= 1
            counts[miss] += 1
        return frame


class CleanupIgnoresUsage(FramePoolManager):
    """cleanup() destroys every long-idle frame, however often it was used."""

    def cleanup(self) -> int:
        with self._all_locks():
            if self._closed:
                raise PoolClosedError("the pool manager is closed")
            self._drain_thread_caches_locked()
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


# ---- seeded mutants -------------------------------------------------------------------

Edit = tuple[str, str, str]
"""(method name, text, replacement): the text must occur exactly once in the method."""


def _mutated(cls: type, edits: Sequence[Edit]) -> type:
    """A subclass of ``cls`` whose methods are compiled from their source with ``edits``."""
    body: dict[str, Any] = {"__slots__": ()} if "__slots__" in vars(cls) else {}
    module = sys.modules[cls.__module__]
    for method in {name for name, _, _ in edits}:
        source = textwrap.dedent(inspect.getsource(getattr(cls, method)))
        for name, old, new in edits:
            if name == method:
                if source.count(old) != 1:
                    raise AssertionError(f"{cls.__name__}.{method} no longer contains {old!r} once")
                source = source.replace(old, new)
        namespace = dict(vars(module))
        exec(compile(source, f"<mutant of {cls.__name__}.{method}>", "exec"), namespace)
        body[method] = namespace[method]
    return type(f"Mutant{cls.__name__}", (cls,), body)


def seeded(
    doc: str,
    *,
    pool: Sequence[Edit] = (),
    manager: Sequence[Edit] = (),
    gc: Sequence[Edit] = (),
    frame: Sequence[Edit] = (),
    frame_base: type[PooledFrame] = PooledFrame,
    tier: Sequence[Edit] = (),
) -> type[FramePoolManager]:
    """A manager whose pools, own methods, GC trigger, frames and/or thread tier carry the given edits."""
    pool_class = _mutated(FramePool, pool) if pool else None
    tier_class = _mutated(ThreadTier, tier) if tier else None
    gc_class = _mutated(GarbageCollectionTrigger, gc) if gc else None
    frame_class = _mutated(frame_base, frame) if frame else None
    base: type[FramePoolManager] = _mutated(FramePoolManager, manager) if manager else FramePoolManager

    def __init__(self: FramePoolManager, *args: Any, **kwargs: Any) -> None:
        if frame_class is not None:
            kwargs["frame_class"] = frame_class
        base.__init__(self, *args, **kwargs)
        if pool_class is not None:
            for p in self._pools:
                p.__class__ = pool_class
        if gc_class is not None:
            self._gc_trigger.__class__ = gc_class
        if tier_class is not None and self._tier is not None:
            self._tier.__class__ = tier_class

    broken = type("Seeded", (base,), {"__init__": __init__, "__doc__": doc})
    return broken  # type: ignore[return-value]


def _reset_forgets(statement: str) -> type[FramePoolManager]:
    return seeded(f"the frame's reset forgets ``{statement}``", frame=[("reset", statement, "pass")])


def _evm_frame_reset(edit: Edit, doc: str) -> type[FramePoolManager]:
    from framepool.evm.context import EvmFrame

    return seeded(doc, frame=[edit], frame_base=EvmFrame)


SEEDED: dict[str, Callable[[], type[FramePoolManager]]] = {
    # frame hygiene: a reused frame keeps the previous holder's data
    "reset_forgets_stack": lambda: _reset_forgets("self.stack.clear()"),
    "reset_forgets_memory": lambda: _reset_forgets("del self.memory[:]"),
    "reset_forgets_return_data": lambda: _reset_forgets('self.return_data = b""'),
    "reset_forgets_gas": lambda: _reset_forgets("self.gas = 0"),
    "reset_forgets_contract": lambda: _reset_forgets("self.contract = None"),
    "evm_reset_keeps_message": lambda: _evm_frame_reset(
        ("reset", "self._clear_message()", "pass"),
        "the EVM frame's reset clears the pool's payload but keeps the last message (caller, "
        "calldata, code, ...)",
    ),
    # boundaries: < for <= and the reverse, the wrong timestamp, a missing floor
    "age_limit_inclusive": lambda: seeded(
        "a frame exactly MAX_FRAME_AGE_MS old is still pooled",
        manager=[("release", "< MAX_FRAME_AGE_MS", "<= MAX_FRAME_AGE_MS")],
    ),
    "age_from_last_access": lambda: seeded(
        "the pooling age is measured from the last hand-out, not from creation",
        manager=[("release", "now - frame.allocation_time", "now - frame.last_access_time")],
    ),
    "memory_limit_exclusive": lambda: seeded(
        "a frame holding exactly MAX_POOLED_MEMORY_BYTES is not pooled",
        manager=[("release", "<= MAX_POOLED_MEMORY_BYTES", "< MAX_POOLED_MEMORY_BYTES")],
    ),
    "release_room_inclusive": lambda: seeded(
        "release pools a frame into a full class (one idle frame too many)",
        manager=[("release", "len(available) < pool.current_size", "len(available) <= pool.current_size")],
    ),
    "cleanup_idle_inclusive": lambda: seeded(
        "cleanup destroys a frame idle exactly MAX_IDLE_MS",
        pool=[("cleanup_locked", "> MAX_IDLE_MS", ">= MAX_IDLE_MS")],
    ),
    "cleanup_uses_inclusive": lambda: seeded(
        "cleanup destroys a frame used exactly CLEANUP_MAX_USES times",
        pool=[("cleanup_locked", "< CLEANUP_MAX_USES", "<= CLEANUP_MAX_USES")],
    ),
    "cleanup_idle_from_creation": lambda: seeded(
        "cleanup measures idleness from creation, not from the last release",
        pool=[("cleanup_locked", "now - frame.last_access_time", "now - frame.allocation_time")],
    ),
    "shrink_at_threshold": lambda: seeded(
        "auto_tune shrinks a class whose utilization equals the shrink threshold",
        pool=[("auto_tune_locked", "< shrink_threshold", "<= shrink_threshold")],
    ),
    "grow_at_target_hit_rate": lambda: seeded(
        "auto_tune grows a class whose hit rate equals TARGET_HIT_RATE",
        pool=[("auto_tune_locked", "< TARGET_HIT_RATE", "<= TARGET_HIT_RATE")],
    ),
    "shrink_below_initial": lambda: seeded(
        "auto_tune shrinks below the initial size",
        pool=[(
            "auto_tune_locked",
            "max(math.floor(self.current_size * SHRINK_FACTOR), self.initial_size)",
            "math.floor(self.current_size * SHRINK_FACTOR)",
        )],
    ),
    "expand_short_of_demand": lambda: seeded(
        "a miss expands its class to the frames active before it, forgetting the new one",
        pool=[("expand_after_miss_locked", "min(self.active + 1,", "min(self.active,")],
    ),
    "gc_overdue_inclusive": lambda: seeded(
        "the GC interval counts as passed when exactly GC_INTERVAL_MS went by",
        gc=[("should_trigger_gc", "> self.gc_interval", ">= self.gc_interval")],
    ),
    "gc_threshold_inclusive": lambda: seeded(
        "GC fires at a pressure equal to the threshold",
        gc=[("should_trigger_gc", "memory_pressure > self.pressure_threshold", "memory_pressure >= self.pressure_threshold")],
    ),
    "gc_force_inclusive": lambda: seeded(
        "GC is forced at a pressure equal to FORCE_GC_PRESSURE",
        gc=[("should_trigger_gc", "memory_pressure > self.force_threshold", "memory_pressure >= self.force_threshold")],
    ),
    "forced_gc_keeps_timer": lambda: seeded(
        "a forced GC does not restart the interval",
        gc=[("should_trigger_gc", "self.last_gc_time = now", "self.last_gc_time = now if overdue else self.last_gc_time")],
    ),
    # which frames, and figures
    "shrink_destroys_hottest": lambda: seeded(
        "a shrink destroys the most recently used idle frames instead of the coldest",
        pool=[
            ("set_size_locked", "victims = self.available[:excess]", "victims = self.available[-excess:]"),
            ("set_size_locked", "del self.available[:excess]", "del self.available[-excess:]"),
        ],
    ),
    "peak_only_at_snapshot": lambda: seeded(
        "the peak of active frames is only brought up to date when statistics are read",
        manager=[("get_or_create", "if pool.active > pool.peak_active:", "if False:")],
        pool=[
            (
                "counts_locked",
                "peak_active=self.peak_active + tier.peak_active,",
                "peak_active=max(self.peak_active, self.active) + tier.peak_active,",
            ),
        ],
    ),
    # the thread tier: its own copies of the release limits, its room and batches
    "tier_age_limit_inclusive": lambda: seeded(
        "with thread caches, a frame exactly MAX_FRAME_AGE_MS old is still pooled",
        tier=[("release", "< MAX_FRAME_AGE_MS", "<= MAX_FRAME_AGE_MS")],
    ),
    "tier_memory_limit_exclusive": lambda: seeded(
        "with thread caches, a frame holding exactly MAX_POOLED_MEMORY_BYTES is not pooled",
        tier=[("release", "<= MAX_POOLED_MEMORY_BYTES", "< MAX_POOLED_MEMORY_BYTES")],
    ),
    "tier_room_ignores_slots": lambda: seeded(
        "a thread cache's spare room forgets the slots other caches hold",
        tier=[("_take_slot", "pool.current_size - pool.reserved - len(pool.available)",
               "pool.current_size - len(pool.available)")],
    ),
    "tier_flush_past_limit": lambda: seeded(
        "a thread cache flushes only once it is past its limit, so it holds one frame too many",
        tier=[("_take_slot", "if cc.slots == self.limit:", "if cc.slots > self.limit:")],
    ),
    "refill_takes_coldest": lambda: seeded(
        "a refill moves the coldest shared frames into the thread cache, not the warmest",
        tier=[
            ("acquire", "moved = shared[-self.batch :]", "moved = shared[: self.batch]"),
            ("acquire", "del shared[-self.batch :]", "del shared[: self.batch]"),
        ],
    ),
    "tier_expand_short_of_demand": lambda: seeded(
        "with thread caches, a miss expands the class to the thread's frames before it",
        tier=[("acquire", "min(cc.active + 1,", "min(cc.active,")],
    ),
    "cleanup_time_not_recorded": lambda: seeded(
        "cleanup forgets to record when it ran",
        manager=[("cleanup", "self._last_cleanup_time = now", "pass")],
    ),
}


BROKEN_POOLS: dict[str, type[FramePoolManager]] = {
    "overflow_not_counted": OverflowNotCounted,
    "double_release_accepted": DoubleReleaseAccepted,
    "child_stays_linked": ChildStaysLinked,
    "hit_counted_as_miss": HitCountedAsMiss,
    "cleanup_ignores_usage": CleanupIgnoresUsage,
    "shrink_keeps_frames": ShrinkKeepsFrames,
    "leaky_release_tree": LeakyReleaseTree,
    **{name: build() for name, build in SEEDED.items()},
}
