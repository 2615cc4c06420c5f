"""``framepool statetest``: run Ethereum state-test fixtures on the VM, in one process or several.

Each fixture file becomes a ``FileOutcome`` (its records, in file order); ``run_statetest``
prints the outcomes in the order of the files, so ``--jobs N`` prints exactly what a run in one
process prints. A file that cannot be read (bad JSON, nesting too deep, a field of the wrong
type, invalid hex, a number too large) is one failure naming the file, and the run goes on.

Output, on stdout: one ``FAIL`` line per failure and a last line ``N passed, N failed``; with
``--json``, one JSON object per vector (every one with its ``file``) and a last JSON object
``{"summary": {...}}``. A progress bar goes to stderr when stderr is a terminal; ``--trace``
writes each vector's EIP-3155 trace to stderr.

Exit status: 0 when at least one vector ran and all passed; 1 when any failed, or none ran
(the reason goes to stderr: no fixture files, or no vectors for the fork); 130 on Ctrl-C,
after the summary of the files finished so far. Usage errors (exit 2) are caught before.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import signal
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

from tqdm import tqdm

from framepool.evm.fixtures import FixtureError, iter_fixture_files, iter_vectors, load_fixture_file
from framepool.evm.trace import Tracer
from framepool.evm.vm import VM
from framepool_spec.config import PoolConfig

__all__ = ["FileOutcome", "run_file", "run_statetest"]

EXIT_INTERRUPTED = 130
_PROGRESS_MIN_FILES = 20
"""Smaller runs finish before a bar would tell anything."""

Record = dict[str, Any]


@dataclass
class FileOutcome:
    """What one fixture file gave: a record per vector (or one for an unreadable file)."""

    path: str
    records: list[Record] = field(default_factory=list)
    passed: int = 0
    failed: int = 0
    unreadable: bool = False


def _failure(path: str, name: str | None, fork: str, index: int | None, error: str) -> Record:
    return {
        "file": path, "name": name, "fork": fork, "index": index, "pass": False,
        "stateRoot": None, "logsHash": None, "error": error,
    }


def run_file(vm: VM, path: str, fork: str, tracer: Tracer | None = None) -> FileOutcome:
    """Run every vector of ``fork`` in the fixture file ``path``; never raises for bad input.
    ``tracer`` writes each vector's EIP-3155 trace."""
    outcome = FileOutcome(path)
    try:
        tests = load_fixture_file(path)
    except FixtureError as exc:
        problem = f"{exc.field_path}: {exc.problem}" if exc.field_path else exc.problem
        outcome.records.append(_failure(path, None, fork, None, problem))
    except Exception as exc:  # noqa: BLE001 - a loader bug must not stop the run either
        outcome.records.append(_failure(path, None, fork, None, f"internal error: {type(exc).__name__}: {exc}"))
    if outcome.records:
        outcome.failed = 1
        outcome.unreadable = True
        return outcome
    for test in tests:
        for vector in iter_vectors(test, fork):
            try:
                result = vm.run_vector(vector, tracer)
            except Exception as exc:  # noqa: BLE001 - an internal error must not stop the run
                record = _failure(path, test.name, fork, vector.index, f"internal error: {type(exc).__name__}: {exc}")
            else:
                record = {"file": path, **result.as_json()}
            outcome.records.append(record)
            if record["pass"]:
                outcome.passed += 1
            else:
                outcome.failed += 1
    return outcome


# --------------------------------------------------------------------------- worker processes

_worker_vm: VM | None = None
_worker_fork = ""


def _init_worker(config: PoolConfig, fork: str) -> None:
    global _worker_vm, _worker_fork
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's (also for a respawned worker)
    _worker_vm = VM(config)
    _worker_fork = fork


def _run_in_worker(path: str) -> FileOutcome:
    assert _worker_vm is not None, "_init_worker runs first in every worker"
    return run_file(_worker_vm, path, _worker_fork)


def _outcomes(files: list[str], config: PoolConfig, fork: str, jobs: int,
              tracer: Tracer | None) -> Iterator[FileOutcome]:
    """The files' outcomes, in the files' order, computed here or in ``jobs`` processes
    (tracing is only done here: the command refuses ``--trace`` with ``--jobs`` above 1)."""
    if jobs == 1 or len(files) <= 1:
        vm = VM(config)
        for path in files:
            yield run_file(vm, path, fork, tracer)
        return
    context = multiprocessing.get_context("spawn")
    # Workers start with Ctrl-C ignored (a disposition a new process inherits), so a Ctrl-C
    # while they boot prints no traceback from them; the parent stops them.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        pool = context.Pool(min(jobs, len(files)), initializer=_init_worker, initargs=(config, fork))
    finally:
        signal.signal(signal.SIGINT, previous)
    # SIGTERM (a CI timeout, `kill`) would end this process at once and orphan the workers:
    # make it an exception, so that leaving the block below stops them too.
    previous_term = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        with pool:
            # Leaving the block (done, Ctrl-C, SIGTERM, a closed pipe) terminates the workers.
            yield from pool.imap(_run_in_worker, files, chunksize=1)
    finally:
        signal.signal(signal.SIGTERM, previous_term)


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


# --------------------------------------------------------------------------- the command


def _text_line(record: Record) -> str:
    if record["name"] is None:
        return f"FAIL {record['file']}: {record['error']}"
    return f"FAIL {record['file']}::{record['name']}[{record['fork']}-{record['index']}]: {record['error']}"


@dataclass
class _Totals:
    passed: int = 0
    failed: int = 0
    files: int = 0
    unreadable: int = 0

    def add(self, outcome: FileOutcome) -> None:
        self.passed += outcome.passed
        self.failed += outcome.failed
        self.files += 1
        self.unreadable += outcome.unreadable


def _none_ran_reason(files: list[str], paths: list[str], fork: str) -> str:
    if not files:
        return f"no fixture files (*.json) in {', '.join(paths)}"
    return f"no vectors for fork {fork} in {len(files)} fixture file(s)"


def run_statetest(args: argparse.Namespace, config: PoolConfig, out: TextIO | None = None,
                  err: TextIO | None = None) -> int:
    """Run ``args.paths`` (checked options: ``fork``, ``json``, ``jobs``, ``trace``); the exit status."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        files = [str(p) for p in iter_fixture_files(args.paths)]
    except FileNotFoundError as exc:
        err.write(f"error: {exc}\n")
        return 2
    totals = _Totals()
    interrupted = False
    bar = tqdm(total=len(files), unit="file", file=err, leave=False,
               disable=len(files) < _PROGRESS_MIN_FILES or not err.isatty())
    try:
        tracer = Tracer(err) if args.trace else None
        for outcome in _outcomes(files, config, args.fork, args.jobs, tracer):
            totals.add(outcome)
            for record in outcome.records:
                if args.json:
                    _write(bar, out, json.dumps(record))
                elif not record["pass"]:
                    _write(bar, out, _text_line(record))
            out.flush()
            bar.update(1)
            bar.set_postfix(failed=totals.failed, refresh=False)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        bar.close()

    reason = None
    if interrupted:
        err.write(f"interrupted after {totals.files} of {len(files)} fixture files\n")
        code = EXIT_INTERRUPTED
    elif totals.failed:
        code = 1
    elif totals.passed == 0:
        reason = _none_ran_reason(files, args.paths, args.fork)
        err.write(f"error: {reason}\n")
        code = 1
    else:
        code = 0
    if args.json:
        summary = {
            "passed": totals.passed, "failed": totals.failed, "files": totals.files,
            "unreadableFiles": totals.unreadable, "filesFound": len(files), "fork": args.fork,
            "interrupted": interrupted, "reason": reason, "exitCode": code,
        }
        out.write(json.dumps({"summary": summary}) + "\n")
    else:
        out.write(f"{totals.passed} passed, {totals.failed} failed\n")
    out.flush()
    return code


def _write(bar: tqdm[Any], out: TextIO, line: str) -> None:
    if bar.disable:
        out.write(line + "\n")
    else:  # clears the bar, writes the line, redraws the bar below it
        tqdm.write(line, file=out)
