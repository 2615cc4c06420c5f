"""``framepool demo``: the same work with pooling on and off, side by side."""

from __future__ import annotations

import dataclasses

from framepool.workload import WorkloadResult, make_transactions, run_workload
from framepool_spec.config import PoolConfig


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
    print()
    print(_table(on, off))
    if off.seconds > 0:
        print(f"time ratio pooled/unpooled: {on.seconds / off.seconds:.3f}")
    if off.peak_traced_bytes > 0:
        print(f"peak memory ratio pooled/unpooled: {on.peak_traced_bytes / off.peak_traced_bytes:.3f}")
    same = on.checksum == off.checksum
    print(f"results identical: {same}")
    return same


def run_demo(preset: str, transactions: int, seed: int, synthetic: bool) -> int:
    ok = run_synthetic(preset, transactions, seed)
    if not synthetic:
        try:
            from framepool.evm.demo import run_contract_demo
        except ImportError:
            print("\n(EVM contract demo not available in this build)")
        else:
            print()
            ok = run_contract_demo(preset) and ok
    return 0 if ok else 1
