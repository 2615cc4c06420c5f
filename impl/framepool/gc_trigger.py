"""GarbageCollectionTrigger: decides when pools hold enough idle frames to collect."""

from __future__ import annotations

from framepool_spec.config import FORCE_GC_PRESSURE, GC_INTERVAL_MS


class GarbageCollectionTrigger:
    """Fires above ``force_threshold`` always, above ``pressure_threshold`` at most once per interval.

    Not thread-safe on its own: the manager calls it under its meta lock.
    """

    __slots__ = ("pressure_threshold", "force_threshold", "gc_interval", "last_gc_time", "triggers")

    def __init__(
        self,
        pressure_threshold: float,
        now: int,
        *,
        gc_interval: int = GC_INTERVAL_MS,
        force_threshold: float = FORCE_GC_PRESSURE,
    ) -> None:
        self.pressure_threshold = pressure_threshold
        self.force_threshold = force_threshold
        self.gc_interval = gc_interval
        self.last_gc_time = now
        self.triggers = 0

    def should_trigger_gc(self, memory_pressure: float, now: int) -> bool:
        overdue = now - self.last_gc_time > self.gc_interval
        if memory_pressure > self.force_threshold or (
            memory_pressure > self.pressure_threshold and overdue
        ):
            self.last_gc_time = now
            self.triggers += 1
            return True
        return False

    def record_gc_completion(self, now: int) -> None:
        self.last_gc_time = now
