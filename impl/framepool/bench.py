"""``framepool bench``: what a pooled frame costs next to a new one, as ratios of one run.

Timings on shared machines are noisy, so every figure is printed next to a
baseline measured in the same run, interleaved in rounds; the ratios are what to read.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

from framepool.manager import FramePoolManager
from framepool.workload import make_transactions, run_workload
from framepool_spec.config import FrameType, PoolConfig


def _work(stack: list[int], memory: bytearray) -> None:
    """Typical work of a frame: 8 pushes and 128 bytes of memory."""
    for i in range(8):
        stack.append(i)
    memory.extend(b"\0" * 128)


def _time_ns(fn: Callable[[int], None], n: int) -> float:
    start = time.perf_counter_ns()
    fn(n)
    return (time.perf_counter_ns() - start) / n


def run_bench(args: argparse.Namespace) -> int:
    n = max(1000, int(args.rounds))
    pooled = FramePoolManager(PoolConfig.high_performance())
    direct = FramePoolManager(PoolConfig.disabled())

    def with_manager(manager: FramePoolManager) -> Callable[[int], None]:
        def loop(count: int) -> None:
            acquire, release = manager.acquire, manager.release
            for _ in range(count):
                frame = acquire(FrameType.CALL)
                _work(frame.stack, frame.memory)
                release(frame)
        return loop

    def work_only(count: int) -> None:
        stack: list[int] = []
        memory = bytearray()
        for _ in range(count):
            _work(stack, memory)
            stack.clear()
            del memory[:]

    cases = {"work only": work_only, "pooled": with_manager(pooled), "direct (pool disabled)": with_manager(direct)}
    totals = {name: 0.0 for name in cases}
    rounds = 5
    for _ in range(rounds):  # interleave so drift hits every case alike
        for name, fn in cases.items():
            totals[name] += _time_ns(fn, n // rounds)
    ns = {name: total / rounds for name, total in totals.items()}
    overhead = {name: ns[name] - ns["work only"] for name in ("pooled", "direct (pool disabled)")}

    trees = make_transactions(3000, seed=1)
    wl_on = run_workload("pooled", PoolConfig.high_performance(), trees)
    wl_off = run_workload("unpooled", PoolConfig.disabled(), trees)
    mem_on = run_workload("pooled", PoolConfig.high_performance(), trees, trace_memory=True)
    mem_off = run_workload("unpooled", PoolConfig.disabled(), trees, trace_memory=True)
    result: dict[str, object] = {
        "ns_per_frame": ns,
        "overhead_ns_per_frame": overhead,
        "overhead_ratio_pooled_vs_direct": overhead["pooled"] / overhead["direct (pool disabled)"],
        "workload_time_ratio_pooled_vs_unpooled": wl_on.seconds / wl_off.seconds,
        "workload_peak_memory_ratio_pooled_vs_unpooled": mem_on.peak_traced_bytes / max(1, mem_off.peak_traced_bytes),
        "workload_hit_rate": wl_on.statistics.hit_rate,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"frame acquire+work+release, {n} frames per case, {rounds} interleaved rounds")
    for name, value in ns.items():
        print(f"  {name:<24}{value:10.1f} ns/frame")
    for name, value in overhead.items():
        print(f"  overhead {name:<15}{value:10.1f} ns/frame")
    print(f"  pooling overhead / direct overhead: {overhead['pooled'] / overhead['direct (pool disabled)']:.3f}")
    print("synthetic workload (3000 transactions):")
    print(f"  time pooled/unpooled:        {wl_on.seconds / wl_off.seconds:.3f}")
    print(f"  peak memory pooled/unpooled: {mem_on.peak_traced_bytes / max(1, mem_off.peak_traced_bytes):.3f}")
    print(f"  hit rate:                    {wl_on.statistics.hit_rate * 100:.2f}%")
    return 0
