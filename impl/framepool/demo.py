"""``framepool demo``: the same work with pooling on and off, side by side."""

from __future__ import annotations

import dataclasses

from framepool.extras import evm_extra_problem
from framepool.statistics import PoolStatistics
from framepool.workload import WorkloadResult, make_transactions, run_workload
from framepool_spec.config import PoolConfig

POOL_TABLE_LEGEND = """\
  Reading the pool statistics: acquisitions = frames asked for; hit rate = share served by
  an idle frame (higher is better); frames alive = idle + in use; idle memory = bytes the
  idle frames hold. The table has one row per size class (frame type):
    size/max   idle frames the class may keep now / at most (auto-tuning moves size)
    idle       idle frames kept, ready for reuse
    hits       acquisitions served by an idle frame (more is better)
    misses     acquisitions that had to create a frame (fewer is better)
    returns    releases that kept the frame for reuse
    overflow   releases that destroyed the frame: its class was full (fewer is better)
    created    frame objects built (fewer is better: that is what pooling saves)
    peak act   most frames of the class in use at once (the deepest call nesting)
    peak idle  most idle frames the class kept at once (memory held for reuse)
    hit rate   hits / acquisitions (higher is better)"""

SYNTHETIC_LEGEND = """\
  Reading the comparison (pooled vs unpooled, the same transactions):
    transactions, frames   the work done: equal on both sides
    checksum               a digest of every frame's computed result: must be equal
                           (pooling must never change a result)
    wall time (s)          lower is better
    frames created         frame objects built: lower is better
    hit rate               share of acquisitions served from the pool: higher is better
    peak traced memory (B) the most memory Python held at once (tracemalloc): lower is
                           better; a pool keeps idle frames, so it may be higher
    time ratio             pooled / unpooled wall time: below 1 means pooling is faster
    peak memory ratio      pooled / unpooled peak memory: below 1 means pooling saves memory"""


def unpooled_summary(statistics: PoolStatistics, title: str) -> str:
    """The statistics of a run with pooling disabled, without a per-type table: then one
    class takes every frame type, and nothing is kept, so the table would mislabel it."""
    counts = statistics.counts
    created = sum(c.created for c in statistics.classes)
    destroyed = sum(c.destroyed for c in statistics.classes)
    peak = max((c.peak_active for c in statistics.classes), default=0)
    return (
        f"=== {title} ===\n"
        f"pooling disabled: one class for every frame type, no frame kept for reuse\n"
        f"acquisitions {counts.acquisitions}  frames created {created}  "
        f"destroyed on release {destroyed}  "
        f"most frames in use at once {peak}"
    )


def _table(on: WorkloadResult, off: WorkloadResult) -> str:
    rows = [
        ("transactions", f"{on.transactions}", f"{off.transactions}"),
        ("frames", f"{on.frames}", f"{off.frames}"),
        ("checksum", f"{on.checksum}", f"{off.checksum}"),
        ("wall time (s)", f"{on.seconds:.3f}", f"{off.seconds:.3f}"),
        ("frames created", f"{sum(c.created for c in on.statistics.classes)}",
         f"{sum(c.created for c in off.statistics.classes)}"),
        ("hit rate", f"{on.statistics.hit_rate * 100:.2f}%", f"{off.statistics.hit_rate * 100:.2f}%"),
        ("peak traced memory (B)", f"{on.peak_traced_bytes}", f"{off.peak_traced_bytes}"),
    ]
    width = max(len(r[0]) for r in rows) + 2
    lines = [f"{'':<{width}}{on.label:>20}{off.label:>20}"]
    lines += [f"{name:<{width}}{a:>20}{b:>20}" for name, a, b in rows]
    return "\n".join(lines)


def run_synthetic(preset: str, transactions: int, seed: int) -> bool:
    trees = make_transactions(transactions, seed)
    on = run_workload(f"pooled ({preset})", PoolConfig.preset(preset), trees)
    off = run_workload("unpooled", PoolConfig.disabled(), trees)
    on_traced = run_workload("pooled", PoolConfig.preset(preset), trees, trace_memory=True)
    off_traced = run_workload("unpooled", PoolConfig.disabled(), trees, trace_memory=True)
    on = dataclasses.replace(on, peak_traced_bytes=on_traced.peak_traced_bytes)
    off = dataclasses.replace(off, peak_traced_bytes=off_traced.peak_traced_bytes)
    print(f"## Synthetic call-tree workload: {transactions} transactions, seed {seed}")
    print(on.statistics.summary(f"POOL STATISTICS ({preset})"))
    print(POOL_TABLE_LEGEND)
    print()
    print(_table(on, off))
    if off.seconds > 0:
        print(f"time ratio pooled/unpooled: {on.seconds / off.seconds:.3f}")
    if off.peak_traced_bytes > 0:
        print(f"peak memory ratio pooled/unpooled: {on.peak_traced_bytes / off.peak_traced_bytes:.3f}")
    same = on.checksum == off.checksum
    print(f"results identical: {same}")
    print(SYNTHETIC_LEGEND)
    return same


def run_demo(preset: str, transactions: int, seed: int, synthetic: bool) -> int:
    ok = run_synthetic(preset, transactions, seed)
    if not synthetic:
        problem = evm_extra_problem()
        if problem is not None:
            print(f"\n(no EVM contract demo: {problem})")
        else:
            from framepool.evm.demo import run_contract_demo

            print()
            ok = run_contract_demo(preset) and ok
    return 0 if ok else 1
