"""Timing variants of one workload against each other, interleaved chunk by chunk.

Every repetition builds each variant's VM and a fresh copy of the workload, then
runs the workload in chunks (the first transaction alone, then up to ``CHUNKS``
equal parts), each chunk on every variant before the next, the order rotating
from chunk to chunk. So machine load that comes and goes hits every variant
alike, and variants stay in lockstep through a workload whose state evolves.
Garbage is collected before each timed chunk, so a chunk does not pay for the
previous variant's garbage; collections a chunk causes are its own cost.
Times are CPU time of this process (``time.process_time_ns``). A workload that
runs in a blink is repeated beyond ``repeats`` until every variant has spent
``min_seconds`` (at most ``MAX_REPEATS`` times), so its median is not one
scheduler tick's noise.
"""

from __future__ import annotations

import gc
import itertools
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from framepool.bench.workloads import Workload, run_jobs
from framepool.evm.vm import VM
from framepool_spec.statistics import PoolCounts

CHUNKS = 8
MAX_REPEATS = 41


@dataclass(frozen=True)
class Timing:
    transactions: int
    seconds: Mapping[str, list[float]]
    """Per variant, the CPU seconds of each repetition."""
    after_first: Mapping[str, PoolCounts]
    """Per variant, its manager's counts after the first transaction (first repetition)."""
    at_end: Mapping[str, PoolCounts]
    """Per variant, its manager's counts after the last transaction (first repetition)."""

    def ratios(self, variant: str, baseline: str) -> list[float]:
        return [a / b for a, b in zip(self.seconds[variant], self.seconds[baseline])]

    def median_ratio(self, variant: str, baseline: str) -> float:
        return statistics.median(self.ratios(variant, baseline))


def chunk_bounds(count: int) -> list[tuple[int, int]]:
    """``[0, 1)`` then the rest of ``range(count)`` in at most ``CHUNKS`` near-equal parts."""
    bounds = [(0, min(1, count))]
    rest = count - 1
    parts = max(1, min(CHUNKS, rest))
    edges = [1 + rest * i // parts for i in range(parts + 1)]
    bounds += [(lo, hi) for lo, hi in itertools.pairwise(edges) if hi > lo]
    return bounds


def _enough(seconds: Mapping[str, list[float]], repeats: int, min_seconds: float) -> bool:
    done = min(len(times) for times in seconds.values())
    if done < repeats:
        return False
    return done >= MAX_REPEATS or min(sum(times) for times in seconds.values()) >= min_seconds


def time_variants(
    workload: Workload, variants: Mapping[str, Callable[[], VM]], repeats: int, min_seconds: float
) -> Timing:
    names = list(variants)
    seconds: dict[str, list[float]] = {name: [] for name in names}
    after_first: dict[str, PoolCounts] = {}
    at_end: dict[str, PoolCounts] = {}
    transactions = 0
    repetition = 0
    while not _enough(seconds, repeats, min_seconds):
        runs = {name: (variants[name](), workload.build()) for name in names}
        transactions = len(runs[names[0]][1])
        spent = dict.fromkeys(names, 0)
        for index, (lo, hi) in enumerate(chunk_bounds(transactions)):
            shift = (repetition + index) % len(names)
            for name in names[shift:] + names[:shift]:
                vm, jobs = runs[name]
                chunk = jobs[lo:hi]
                gc.collect()
                start = time.process_time_ns()
                run_jobs(vm, chunk, lo)
                spent[name] += time.process_time_ns() - start
            if repetition == 0 and index == 0:
                after_first = {name: runs[name][0].manager.counts() for name in names}
        if repetition == 0:
            at_end = {name: runs[name][0].manager.counts() for name in names}
        for name in names:
            seconds[name].append(spent[name] / 1e9)
            runs[name][0].manager.close()
        repetition += 1
    return Timing(transactions, seconds, after_first, at_end)
