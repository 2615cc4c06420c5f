"""Statistics snapshots, and the conservation laws every snapshot must obey.

Both the model and the implementation report a :class:`PoolCounts`; two pools
agree when their snapshots are equal.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ClassCounts:
    """Counters of one size class. ``current_size`` is how many idle frames it may keep."""

    size_class: int
    current_size: int
    max_size: int
    available: int
    active: int
    acquisitions: int
    hits: int
    misses: int
    releases: int
    returns: int
    overflows: int
    created: int
    destroyed: int
    expansions: int
    shrinkages: int
    peak_active: int = 0
    """The most frames of this class held at once."""
    peak_available: int = 0
    """The most idle frames this class kept at once (prefilled frames count)."""

    @property
    def hit_rate(self) -> float:
        """Hits per acquisition (0.0 before the first acquisition)."""
        return self.hits / self.acquisitions if self.acquisitions else 0.0

    @property
    def utilization(self) -> float:
        """Share of the class's idle slots that are empty (0.0 for a zero-size class)."""
        if self.current_size == 0:
            return 0.0
        return (self.current_size - self.available) / self.current_size


@dataclass(frozen=True)
class TypeCounts:
    """How frames of one FrameType were obtained and given back."""

    pool_allocations: int = 0
    direct_allocations: int = 0
    pool_deallocations: int = 0
    direct_deallocations: int = 0


@dataclass(frozen=True)
class PoolCounts:
    """A consistent snapshot of a whole pool manager."""

    classes: tuple[ClassCounts, ...]
    by_type: tuple[TypeCounts, ...]
    cleanups_performed: int
    last_cleanup_time: int | None
    gc_triggers: int
    closed: bool

    @property
    def hits(self) -> int:
        return sum(c.hits for c in self.classes)

    @property
    def misses(self) -> int:
        return sum(c.misses for c in self.classes)

    @property
    def acquisitions(self) -> int:
        return sum(c.acquisitions for c in self.classes)

    @property
    def frames_active(self) -> int:
        return sum(c.active for c in self.classes)

    @property
    def frames_available(self) -> int:
        return sum(c.available for c in self.classes)

    @property
    def frames_alive(self) -> int:
        return sum(c.created - c.destroyed for c in self.classes)

    @property
    def hit_rate(self) -> float:
        total = self.acquisitions
        return self.hits / total if total else 0.0


def conservation_violations(counts: PoolCounts) -> list[str]:
    """Every conservation law ``counts`` breaks, as readable sentences (empty: none)."""
    problems: list[str] = []
    for c in counts.classes:
        where = f"class {c.size_class}"
        if c.hits + c.misses != c.acquisitions:
            problems.append(f"{where}: hits {c.hits} + misses {c.misses} != acquisitions {c.acquisitions}")
        if c.returns + c.overflows != c.releases:
            problems.append(
                f"{where}: returns {c.returns} + overflows {c.overflows} != releases {c.releases}"
            )
        if c.created - c.destroyed != c.available + c.active:
            problems.append(
                f"{where}: created {c.created} - destroyed {c.destroyed} != "
                f"available {c.available} + active {c.active}"
            )
        if not 0 <= c.available <= c.current_size <= c.max_size:
            problems.append(
                f"{where}: expected 0 <= available {c.available} <= current size "
                f"{c.current_size} <= max size {c.max_size}"
            )
        if c.acquisitions - c.releases != c.active:
            problems.append(
                f"{where}: acquisitions {c.acquisitions} - releases {c.releases} != active {c.active}"
            )
        if c.peak_active < c.active or c.peak_available < c.available:
            problems.append(
                f"{where}: peaks (active {c.peak_active}, idle {c.peak_available}) below the "
                f"current figures (active {c.active}, idle {c.available})"
            )
        if min(c.hits, c.misses, c.returns, c.overflows, c.created, c.destroyed) < 0:
            problems.append(f"{where}: a counter is negative")
    by_type_allocs = sum(t.pool_allocations + t.direct_allocations for t in counts.by_type)
    if by_type_allocs != counts.acquisitions:
        problems.append(
            f"per-type allocations {by_type_allocs} != acquisitions {counts.acquisitions}"
        )
    pool_allocs = sum(t.pool_allocations for t in counts.by_type)
    if pool_allocs != counts.hits:
        problems.append(f"per-type pool allocations {pool_allocs} != hits {counts.hits}")
    by_type_deallocs = sum(t.pool_deallocations + t.direct_deallocations for t in counts.by_type)
    releases = sum(c.releases for c in counts.classes)
    if by_type_deallocs != releases:
        problems.append(f"per-type deallocations {by_type_deallocs} != releases {releases}")
    return problems
