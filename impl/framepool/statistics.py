"""PoolStatistics: a consistent snapshot of a manager, with a printable summary."""

from __future__ import annotations

from dataclasses import dataclass

from framepool_spec.config import FrameType
from framepool_spec.statistics import ClassCounts, PoolCounts


@dataclass(frozen=True)
class PoolStatistics:
    """The model-comparable counts plus what only a real pool knows (memory, time)."""

    counts: PoolCounts
    idle_memory_bytes: int
    """What the idle frames hold now (an estimate, ``PooledFrame.memory_usage``).
    The exact high-water marks are counted in frames: ``ClassCounts.peak_available``
    and ``peak_active``, kept on every hand-out and return."""
    uptime_ms: int

    @property
    def classes(self) -> tuple[ClassCounts, ...]:
        return self.counts.classes

    @property
    def hit_rate(self) -> float:
        return self.counts.hit_rate

    def summary(self, title: str = "FRAME POOL STATISTICS") -> str:
        """A plain-text table: one row per size class that saw any traffic or holds frames."""
        c = self.counts
        lines = [
            f"=== {title} ===",
            f"acquisitions {c.acquisitions}  hits {c.hits}  misses {c.misses}  "
            f"hit rate {c.hit_rate * 100:.2f}%",
            f"frames alive {c.frames_alive}  active {c.frames_active}  idle {c.frames_available}  "
            f"idle memory {self.idle_memory_bytes} B",
            f"cleanups {c.cleanups_performed}  gc triggers {c.gc_triggers}  "
            f"uptime {self.uptime_ms / 1000:.2f}s",
            f"{'class':<15}{'size':>6}{'max':>6}{'idle':>6}{'hits':>9}{'misses':>8}"
            f"{'returns':>9}{'overflow':>9}{'created':>9}{'peak act':>9}{'peak idle':>10}"
            f"{'hit rate':>9}",
        ]
        for k in c.classes:
            if k.acquisitions == 0 and k.current_size == 0 and k.available == 0:
                continue
            name = FrameType(k.size_class).name  # one class per frame type: MAX_FRAME_SIZES == 8
            lines.append(
                f"{k.size_class} {name:<13}{k.current_size:>6}{k.max_size:>6}{k.available:>6}"
                f"{k.hits:>9}{k.misses:>8}{k.returns:>9}{k.overflows:>9}{k.created:>9}"
                f"{k.peak_active:>9}{k.peak_available:>10}{k.hit_rate * 100:>8.1f}%"
            )
        return "\n".join(lines)
