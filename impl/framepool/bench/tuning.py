"""Row 7: auto-tuning under a call mix that shifts, phase by phase, on a manager used directly.

Six phases of synthetic call trees (``framepool.workload``), each dominated by
other frame types and depths, run back to back on one ``high_performance``
manager that is tuned every ``TUNE_EVERY`` transactions, as a node would between
blocks. Per phase: its hit rate and the class sizes it ends with; per tuning
interval: the sizes and the interval's hit rate (the plot's data).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from framepool.bench.options import Settings
from framepool.bench.rows import Direction, Row
from framepool.manager import FramePoolManager
from framepool.workload import MAINNET, Shape, make_transactions, run_transaction
from framepool_spec.config import FrameType, PoolConfig
from framepool_spec.statistics import PoolCounts

TARGET = 0.85
"""The sketch's hit rate, for every phase of a shifting mix."""
TUNE_EVERY = 100

F = FrameType
PHASES: tuple[tuple[str, Shape], ...] = (
    ("transfers", Shape(((F.CALL, 1),), (80, 20), 2)),
    ("mainnet mix", MAINNET),
    ("static reads", Shape(((F.STATIC_CALL, 60), (F.PRECOMPILE, 40)), (20, 30, 25, 15, 10), 6)),
    ("deployments", Shape(((F.CREATE, 50), (F.CREATE2, 40), (F.CALL, 10)), (40, 40, 20), 4)),
    ("deep recursion", Shape(((F.CALL, 1),), (2, 98), 300)),
    ("transfers again", Shape(((F.CALL, 1),), (80, 20), 2)),
)


@dataclass(frozen=True)
class Interval:
    transaction: int
    sizes: tuple[int, ...]
    hit_rate: float


@dataclass(frozen=True)
class Phase:
    name: str
    transactions: int
    frames: int
    hit_rate: float
    sizes: tuple[int, ...]


def _hit_rate(before: PoolCounts, after: PoolCounts) -> float:
    acquisitions = after.acquisitions - before.acquisitions
    return (after.hits - before.hits) / acquisitions if acquisitions else 0.0


def _sizes(counts: PoolCounts) -> tuple[int, ...]:
    return tuple(c.current_size for c in counts.classes)


def run_phases(settings: Settings) -> tuple[list[Phase], list[Interval]]:
    manager = FramePoolManager(PoolConfig.high_performance())
    phases: list[Phase] = []
    intervals: list[Interval] = []
    done = 0
    for seed, (name, shape) in enumerate(PHASES):
        trees = make_transactions(settings.phase_transactions, seed=seed, shape=shape)
        phase_start = interval_start = manager.counts()
        for tree in trees:
            run_transaction(manager, tree)
            done += 1
            if done % TUNE_EVERY == 0:
                manager.auto_tune()
                if manager.check_gc_pressure():
                    manager.cleanup()
                now = manager.counts()
                intervals.append(Interval(done, _sizes(now), _hit_rate(interval_start, now)))
                interval_start = now
        end = manager.counts()
        frames = sum(tree.size() for tree in trees)
        phases.append(Phase(name, len(trees), frames, _hit_rate(phase_start, end), _sizes(end)))
    manager.close()
    return phases, intervals


def phase_table(phases: list[Phase]) -> str:
    short = ("REG", "CALL", "DCALL", "SCALL", "CREATE", "CRT2", "PRE", "SYS")
    head = f"{'phase':<16}{'tx':>6}{'frames':>8}{'hit rate':>9}" + "".join(f"{s:>7}" for s in short)
    lines = [head]
    for p in phases:
        sizes = "".join(f"{size:>7}" for size in p.sizes)
        lines.append(f"{p.name:<16}{p.transactions:>6}{p.frames:>8}{p.hit_rate:>9.3f}{sizes}")
    return "\n".join(lines)


def lowest_phase_hit_rate(phases: list[Phase]) -> Row:
    worst = min(phases, key=lambda p: p.hit_rate)
    return Row(
        "auto-tuning: lowest hit rate of a phase (shifting mix)",
        worst.hit_rate, TARGET, Direction.AT_LEAST, f"in phase {worst.name!r}; table below",
    )


def plot(intervals: list[Interval], phases: list[Phase], path: Path) -> None:
    """Class sizes and hit rate over the run, phases marked (needs matplotlib)."""
    matplotlib: Any = importlib.import_module("matplotlib")
    matplotlib.use("Agg")
    pyplot: Any = importlib.import_module("matplotlib.pyplot")
    figure, (sizes_axis, hits_axis) = pyplot.subplots(2, 1, sharex=True, figsize=(10, 6))
    x = [i.transaction for i in intervals]
    for size_class, frame_type in enumerate(FrameType):
        sizes_axis.plot(x, [i.sizes[size_class] for i in intervals], label=frame_type.name)
    hits_axis.plot(x, [i.hit_rate for i in intervals], color="black")
    hits_axis.axhline(TARGET, color="red", linestyle=":", label=f"target {TARGET}")
    start = 0
    for phase in phases:
        for axis in (sizes_axis, hits_axis):
            axis.axvline(start, color="grey", linewidth=0.5)
        sizes_axis.annotate(phase.name, (start, 1.0), xycoords=("data", "axes fraction"), fontsize=8,
                            va="bottom")
        start += phase.transactions
    sizes_axis.set_ylabel("class size (idle frames kept)")
    sizes_axis.legend(fontsize=7, ncol=4, loc="center right")
    hits_axis.set_ylabel(f"hit rate per {TUNE_EVERY} tx")
    hits_axis.set_xlabel("transactions")
    hits_axis.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    pyplot.close(figure)
