"""The child process of the peak-RSS measurement: one workload on one VM, then its peak RSS.

``python -m framepool.bench.child WORKLOAD pooled|unpooled [--quick]`` prints one JSON
line: ``{"before_kib": ..., "peak_kib": ...}``, the peak resident set size in KiB once the
workload is built and before the VM exists, and at the end.

On Linux the peak is ``VmHWM`` of ``/proc/self/status``: ``getrusage``'s ``ru_maxrss``
survives fork and exec, so a child started by a big parent reports the parent's peak
(the bench process is tens of MiB larger than the child). Elsewhere it is ``ru_maxrss``.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
from collections.abc import Sequence
from pathlib import Path

from framepool.bench.options import Settings
from framepool.bench.variants import pooled_vm, unpooled_vm
from framepool.bench.workloads import evm_workloads, run_jobs

_STATUS = Path("/proc/self/status")


def _peak_kib() -> int:
    if _STATUS.is_file():
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])  # "VmHWM:   26872 kB"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # bytes on macOS, KiB elsewhere


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m framepool.bench.child")
    parser.add_argument("workload")
    parser.add_argument("mode", choices=("pooled", "unpooled"))
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    settings = Settings.small() if args.quick else Settings.full()
    workloads, missing = evm_workloads(settings)
    chosen = [w for w in workloads if w.name == args.workload]
    if not chosen:
        parser.error(missing.get(args.workload, f"no workload named {args.workload!r}"))
    jobs = chosen[0].build()
    before = _peak_kib()
    vm = pooled_vm() if args.mode == "pooled" else unpooled_vm()
    run_jobs(vm, jobs)
    print(json.dumps({"before_kib": before, "peak_kib": _peak_kib()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
