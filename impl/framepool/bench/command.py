"""``framepool bench``: run every figure, print the table, write JSON and the plot if asked."""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

from framepool.bench import memory
from framepool.bench.call_blocks import blocks_per_call
from framepool.bench.contention import contention
from framepool.bench.evm_speed import management_overhead, speed_and_hit_rate, unmeasured
from framepool.bench.frame_alloc import frame_allocation
from framepool.bench.options import Settings
from framepool.bench.rows import Row, format_table, write_json
from framepool.bench.tuning import lowest_phase_hit_rate, phase_table, plot, run_phases
from framepool.bench.workloads import LONG_RUN, RECURSION, evm_workloads

_STARTED = time.perf_counter()


def _progress(message: str) -> None:
    print(f"bench [{time.perf_counter() - _STARTED:5.0f} s]: {message}", file=sys.stderr, flush=True)


def _machine(settings: Settings) -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    size = "quick (indicative only)" if settings.quick else "full"
    return (
        f"{size} run, {settings.repeats} interleaved repetition(s) per EVM comparison; "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load average {load} at start"
    )


def run(args: argparse.Namespace) -> int:
    settings = (Settings.small if args.quick else Settings.full)(args.repeats)
    started = time.perf_counter()
    header = _machine(settings)
    _progress("frame allocation")
    allocation = frame_allocation(settings)
    _progress("hand-outs from several threads")
    allocation += contention(settings)
    workloads, missing = evm_workloads(settings)
    by_name = {w.name: w for w in workloads}
    speed: list[Row] = []
    hit_rates: list[Row] = []
    for workload in workloads:
        _progress(f"EVM pooled against unpooled: {workload.name}")
        time_rows, hit_row = speed_and_hit_rate(workload, settings)
        speed += time_rows
        hit_rates.append(hit_row)
    for name, reason in missing.items():
        time_row, hit_row = unmeasured(name, reason)
        speed.append(time_row)
        hit_rates.append(hit_row)
    peaks: list[Row] = []
    for name in memory.WORKLOADS:
        _progress(f"peak memory: {name}")
        if name in by_name:
            peaks += memory.peak_memory(by_name[name], settings)
        else:
            peaks += memory.unmeasured(name, missing.get(name, "not run"))
    _progress("memory blocks per nested CALL")
    blocks = blocks_per_call(by_name[RECURSION])
    _progress("management overhead")
    overhead = management_overhead(by_name[LONG_RUN], settings)
    _progress("auto-tuning phases")
    phases, intervals = run_phases(settings)
    rows = [*allocation, *speed, *hit_rates, *peaks, blocks, *overhead, lowest_phase_hit_rate(phases)]
    print(header)
    print()
    print(format_table(rows))
    print()
    print("auto-tuning, phase by phase (class sizes at the end of each phase):")
    print(phase_table(phases))
    print(f"\nbench took {time.perf_counter() - started:.0f} s")
    if args.plot is not None:
        plot(intervals, phases, args.plot)
        print(f"plot written to {args.plot}")
    if args.json is not None:
        write_json(args.json, rows)
        print(f"rows written to {args.json}")
    return 0
