"""``framepool bench``: every promised figure of pooled frames, as a ratio measured in one run.

Timings on a shared machine are noisy, so nothing here is an absolute time: each
figure compares two variants run in the same process, interleaved in chunks
with alternating order, over several repetitions, and the median ratio is what
is reported next to its target.

Modules, one concern each:

- ``options``      command-line checks and the quick/full sizes
- ``rows``         a figure with its target and direction; the table and JSON
- ``interleave``   timing variants against each other, chunk by chunk
- ``workloads``    the EVM workloads (demo contracts, state-test folders, a long mixed run)
- ``frame_alloc``  row 1: a warm pooled frame against constructing one
- ``contention``   row 1c: hand-outs from 1 and 4 threads, thread caches against the class lock
- ``floor``        a bare free list as a manager: the least any pool of these frames can cost
- ``evm_speed``    rows 2, 2b, 3, 6: time ratios, hit rates, management overhead
- ``memory``       row 4: peak memory by tracemalloc and by a child process's peak RSS
- ``child``        the child process of ``memory``
- ``call_blocks``  row 5: memory blocks held per nested CALL
- ``tuning``       row 7: auto-tuning under a call mix that shifts, and its plot
- ``command``      runs everything and prints
"""

from __future__ import annotations

import argparse


def run_bench(args: argparse.Namespace) -> int:
    """Entry point of ``framepool bench`` (imports the benchmark only when it runs)."""
    from framepool.bench.command import run

    return run(args)
