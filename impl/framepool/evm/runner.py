"""``framepool statetest``: run Ethereum state-test fixtures on the VM.

``add_statetest_arguments(parser)`` declares the options, ``run_statetest(args)`` runs them and
returns the exit status (1 if any vector failed).  Output: in ``--json`` mode one JSON object per
vector (name, fork, index, pass, stateRoot, logsHash, error); otherwise one line per failure.
Either way the last line is exactly ``N passed, N failed``.  A malformed fixture file is
reported (file and field, from ``FixtureError``), counted as one failure, and the run goes on.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TextIO

from framepool import PoolConfig

__all__ = ["add_statetest_arguments", "run_statetest"]


def add_statetest_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", metavar="PATH", nargs="+", help="fixture files or directories (recursive)")
    parser.add_argument("--fork", default="Cancun", help="fork whose post-states to check and whose rules apply: Shanghai, Cancun (default), Prague, Osaka")
    parser.add_argument("--json", action="store_true", help="one JSON object per vector on stdout")
    parser.add_argument(
        "--trace", action="store_true",
        help="write an EIP-3155 trace of every vector (one JSON line per instruction) to stderr",
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--preset",
        default="high_performance",
        help="frame-pool preset: high_performance (default), balanced, minimal, disabled",
    )
    group.add_argument("--no-pool", action="store_true", help="run with pooling disabled")


class _Progress:
    """A one-line progress bar on stderr (only when stderr is a terminal and the run is large)."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total = total
        self.stream = stream
        self.enabled = total >= 20 and stream.isatty()
        self.start = time.monotonic()

    def update(self, done: int, failed: int) -> None:
        if not self.enabled:
            return
        width = 30
        filled = width * done // max(self.total, 1)
        elapsed = time.monotonic() - self.start
        self.stream.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{self.total} files, "
            f"{failed} failed, {elapsed:.0f}s"
        )
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def run_statetest(args: argparse.Namespace) -> int:
    from framepool.evm.fixtures import (
        FixtureError,
        iter_fixture_files,
        iter_vectors,
        load_fixture_file,
    )
    from framepool.evm.trace import Tracer
    from framepool.evm.vm import VM

    out = sys.stdout
    err = sys.stderr
    from framepool.evm.forks import Fork

    try:
        args.fork = Fork.from_name(args.fork).title
    except ValueError as exc:
        err.write(f"error: {exc}\n")
        return 2
    try:
        config = PoolConfig.disabled() if args.no_pool else PoolConfig.preset(args.preset)
    except ValueError as exc:
        err.write(f"error: {exc}\n")
        return 2
    try:
        files = list(iter_fixture_files(args.paths))
    except FileNotFoundError as exc:
        err.write(f"error: {exc}\n")
        return 2

    vm = VM(config)
    tracer = Tracer(err) if args.trace else None
    passed = failed = 0
    progress = _Progress(len(files), err)
    for n, path in enumerate(files, 1):
        try:
            tests = load_fixture_file(path)
        except FixtureError as exc:
            failed += 1
            if args.json:
                out.write(
                    json.dumps(
                        {
                            "name": Path(path).name,
                            "fork": args.fork,
                            "index": None,
                            "pass": False,
                            "stateRoot": None,
                            "logsHash": None,
                            "error": str(exc),
                        }
                    )
                    + "\n"
                )
            else:
                out.write(f"FAIL {path}: {exc}\n")
            progress.update(n, failed)
            continue
        for test in tests:
            for vector in iter_vectors(test, args.fork):
                try:
                    result = vm.run_vector(vector, tracer)
                except Exception as exc:  # noqa: BLE001 - an internal error must not stop the run
                    failed += 1
                    msg = f"internal error: {type(exc).__name__}: {exc}"
                    if args.json:
                        out.write(
                            json.dumps(
                                {
                                    "name": test.name,
                                    "fork": vector.fork,
                                    "index": vector.index,
                                    "pass": False,
                                    "stateRoot": None,
                                    "logsHash": None,
                                    "error": msg,
                                }
                            )
                            + "\n"
                        )
                    else:
                        out.write(f"FAIL {path}::{test.name}[{vector.fork}-{vector.index}]: {msg}\n")
                    continue
                if result.passed:
                    passed += 1
                else:
                    failed += 1
                if args.json:
                    out.write(json.dumps(result.as_json()) + "\n")
                elif not result.passed:
                    out.write(f"FAIL {path}::{test.name}[{vector.fork}-{vector.index}]: {result.error}\n")
        progress.update(n, failed)
    progress.close()
    out.write(f"{passed} passed, {failed} failed\n")
    out.flush()
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    """``python -m framepool.evm statetest PATH...``"""
    parser = argparse.ArgumentParser(prog="python -m framepool.evm")
    sub = parser.add_subparsers(dest="command", required=True)
    add_statetest_arguments(sub.add_parser("statetest", help="run state-test fixtures"))
    args = parser.parse_args(argv)
    try:
        return run_statetest(args)
    except BrokenPipeError:  # e.g. piped into `head`: stop quietly
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
