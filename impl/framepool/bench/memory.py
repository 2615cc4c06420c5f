"""Row 4: peak memory pooled / unpooled, by tracemalloc and by a child process's peak RSS.

tracemalloc starts before the VM (and so its pool) is built, so frames the pool
preallocates and keeps count; the workload's inputs are built before it starts.
Under tracemalloc this EVM runs about 15 times slower, and a few state-test vectors
(50,000 precompile calls, ecrecover loops) would take minutes each; so on a workload
of independent vectors, the ones that take over ``LIGHT_SECONDS`` of CPU untraced
(measured in a pooled run just before) are left out of the tracemalloc runs, and
the row says which. The child processes run every vector.
The peak RSS comes from a fresh ``python -m framepool.bench.child`` per variant;
the two children run at the same time (memory does not care about CPU share)
while this process does the tracemalloc runs.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable

from framepool.bench.options import Settings
from framepool.bench.rows import Direction, Row
from framepool.bench.variants import pooled_vm, unpooled_vm
from framepool.bench.workloads import LONG_RUN, Job, Workload, run_jobs
from framepool.evm.vm import VM

TARGET = 0.70
"""30% less peak memory."""
WORKLOADS = ("demo contracts", "stCallCodes", "stStaticCall", LONG_RUN)
LIGHT_SECONDS = 0.3


def _heavy_jobs(workload: Workload) -> list[int]:
    """Positions of the jobs that take over LIGHT_SECONDS of CPU on a pooled VM, untraced."""
    vm = pooled_vm()
    heavy = []
    for index, job in enumerate(workload.build()):
        start = time.process_time()
        run_jobs(vm, [job], index)
        if time.process_time() - start > LIGHT_SECONDS:
            heavy.append(index)
    return heavy


def traced_peak(jobs: list[Job], make_vm: Callable[[], VM]) -> int:
    """Peak bytes traced from building the VM to the end of ``jobs``."""
    gc.collect()
    tracemalloc.start()
    try:
        run_jobs(make_vm(), jobs)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _start_child(workload: str, mode: str, settings: Settings) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "framepool.bench.child", workload, mode]
    if settings.quick:
        command.append("--quick")
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _child_result(child: subprocess.Popen[str]) -> dict[str, int] | str:
    """The child's figures, or why there are none."""
    out, err = child.communicate()
    if child.returncode != 0:
        lines = err.strip().splitlines()
        return f"child process failed (exit {child.returncode}): {lines[-1] if lines else 'no output'}"
    figures: dict[str, int] = json.loads(out)
    return figures


def peak_memory(workload: Workload, settings: Settings) -> list[Row]:
    children = {mode: _start_child(workload.name, mode, settings) for mode in ("pooled", "unpooled")}
    heavy = set(_heavy_jobs(workload)) if workload.independent else set()

    def light_jobs() -> list[Job]:
        return [job for index, job in enumerate(workload.build()) if index not in heavy]

    traced = {"pooled": traced_peak(light_jobs(), pooled_vm), "unpooled": traced_peak(light_jobs(), unpooled_vm)}
    left_out = f"; left out {len(heavy)} vectors taking over {LIGHT_SECONDS} s CPU each" if heavy else ""
    rows = [
        Row(
            f"peak memory pooled/unpooled, tracemalloc: {workload.name}",
            traced["pooled"] / traced["unpooled"], TARGET, Direction.AT_MOST,
            f"peak traced KiB {traced['pooled'] / 1024:.0f}/{traced['unpooled'] / 1024:.0f}{left_out}",
        )
    ]
    results = {mode: _child_result(child) for mode, child in children.items()}
    pooled, unpooled = results["pooled"], results["unpooled"]
    name = f"peak memory pooled/unpooled, child peak RSS: {workload.name}"
    if isinstance(pooled, str) or isinstance(unpooled, str):
        reason = pooled if isinstance(pooled, str) else str(unpooled)
        rows.append(Row(name, None, TARGET, Direction.AT_MOST, reason))
    else:
        rows.append(
            Row(
                name, pooled["peak_kib"] / unpooled["peak_kib"], TARGET, Direction.AT_MOST,
                f"peak RSS KiB {pooled['peak_kib']}/{unpooled['peak_kib']}; rise while running "
                f"{pooled['peak_kib'] - pooled['before_kib']}/{unpooled['peak_kib'] - unpooled['before_kib']}",
            )
        )
    return rows


def unmeasured(name: str, reason: str) -> list[Row]:
    """The rows of a workload that cannot run here."""
    return [
        Row(f"peak memory pooled/unpooled, {how}: {name}", None, TARGET, Direction.AT_MOST, reason)
        for how in ("tracemalloc", "child peak RSS")
    ]
