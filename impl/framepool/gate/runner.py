"""``framepool verify``: validate the inputs, run the profile's checks, report, exit.

Exit status: 0 every check that applies passed; 1 a check found a
counterexample; 2 the gate could not run (bad ``--factory``, ``--fixtures`` or
``--json``, a missing dependency, a check that could not reach a verdict -- one
that reached its time limit included --, or no check passed at all); 143 or 130
when stopped by SIGTERM or SIGINT (the report of the checks that ran is still
written). Inputs are validated before any check starts.
"""

from __future__ import annotations

import argparse
import importlib
import os
import random
import shlex
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from hypothesis.errors import Flaky, HypothesisException

from framepool.gate.concurrent import concurrent_checks
from framepool.gate.context import Check, Context
from framepool.gate.evm import evm_check
from framepool.gate.inputs import (
    GateError,
    check_fixtures,
    check_json_target,
    load_factory,
    own_factory,
    probe_factory,
)
from framepool.gate.profiles import PROFILES
from framepool.gate.report import (
    CheckResult,
    Counterexample,
    NoVerdict,
    Reporter,
    Skip,
    Verdict,
    exit_code,
    write_json,
)
from framepool.gate.sequential import sequential_checks
from framepool.gate.signals import CheckTimedOut, Stopped, deadline, stop_on_signals
from framepool.gate.storage import Storage, hypothesis_storage

OWN_POOL = "framepool.FramePoolManager"


def _check_evm_importable() -> None:
    try:
        for module in ("framepool.evm.sample", "framepool.evm.vm"):
            importlib.import_module(module)
    except ImportError as exc:
        raise GateError(
            f"the EVM sample needs {exc.name or 'a module'} ({exc}); install framepool's "
            "dependencies or pass --skip-evm"
        ) from None


def _ordered_checks(ctx: Context, skip_evm: bool) -> list[Check]:
    """Cheap, discriminating checks first, so a broken pool is caught within seconds: the
    boundary cases, lock-level schedules, real threads and random configurations; then the
    finer (costlier) schedule passes, the presets and the EVM sample."""
    boundaries, random_configs, *presets = sequential_checks(ctx)
    *schedules, histories = concurrent_checks(ctx)  # one per exploration pass, then real threads
    checks = [boundaries, *schedules[:1], histories, random_configs, *schedules[1:], *presets]
    if not skip_evm:
        checks.append(evm_check(ctx))
    return checks


def _select(checks: list[Check], only: list[str] | None) -> list[Check]:
    """``--only NAME``: a check's name, or its group (``sequential`` for every ``sequential:*``)."""
    if not only:
        return checks
    names = [c.name for c in checks]
    for wanted in only:
        if not any(c == wanted or c.split(":")[0] == wanted for c in names):
            raise GateError(f"--only {wanted}: no such check (checks: {', '.join(names)})")
    return [c for c in checks if c.name in only or c.name.split(":")[0] in only]


def prepare(args: argparse.Namespace, storage: Storage) -> tuple[Context, list[Check]]:
    """Validate every input and build the checks; raises GateError before anything runs."""
    profile = PROFILES[args.profile]
    if args.factory:
        factory = load_factory(args.factory)
        label = args.factory
    else:
        factory, label = own_factory, OWN_POOL
    fixtures = check_fixtures(args.fixtures) if args.fixtures else None
    if not args.skip_evm:
        _check_evm_importable()
        from framepool.evm.fixtures import ENV_VAR

        if fixtures is None and os.environ.get(ENV_VAR):  # asked for, so it must be right
            check_fixtures(os.environ[ENV_VAR], f"${ENV_VAR} =")
    probe_factory(factory, label)
    seed = args.seed if args.seed is not None else random.SystemRandom().getrandbits(32)
    ctx = Context(factory, label, profile, seed, storage.database, shrink=args.shrink, fixtures=fixtures)
    return ctx, _select(_ordered_checks(ctx, args.skip_evm), args.only)


_STOPPED_EXIT = {"SIGTERM": 143, "SIGINT": 130}
"""Exit status when stopped by a signal: 128 + its number, as a shell reports it."""


def _time_limit(args: argparse.Namespace, ctx: Context) -> int:
    """The time limit of every check: ``--check-timeout``, else the profile's."""
    given: int | None = getattr(args, "check_timeout", None)
    return ctx.profile.check_timeout if given is None else given


def replay_command(args: argparse.Namespace, ctx: Context, check: str) -> str:
    words = ["framepool", "verify", "--profile", ctx.profile.name, "--seed", str(ctx.seed), "--only", check]
    if getattr(args, "check_timeout", None) is not None:
        words += ["--check-timeout", str(args.check_timeout)]
    if args.factory:
        words += ["--factory", args.factory]
    if args.fixtures:
        words += ["--fixtures", args.fixtures]
    return shlex.join(words)


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return ""
    last = frames[-1]
    return f" (at {last.filename}:{last.lineno} in {last.name})"


def run_check(
    check: Check, reporter: Reporter, replay: str, *, shrunk: bool = False, timeout: int = 0
) -> CheckResult:
    """Run one check: START line, body, verdict line (and the counterexample, if any).

    ``timeout`` seconds (0: none) end the check with no verdict. ``Stopped`` (a signal)
    ends it too, recorded with no verdict, and is raised on."""
    counts: dict[str, int] = {}
    start = time.perf_counter()
    failure: Counterexample | None = None
    try:
        reporter.started(check.name, check.budget)  # in the try: a signal right after it is this check's
        with deadline(timeout):
            note = check.body(counts)
        verdict, detail = Verdict.PASS, note
    except CheckTimedOut as exc:
        while isinstance(exc.__context__, CheckTimedOut):  # interrupted again in its clean-up
            exc = exc.__context__
        verdict = Verdict.ERROR
        detail = (
            f"no verdict: {exc}. A pool that hangs (a lock taken twice, a wait that "
            "never ends) stops here; if it is only slow, raise --check-timeout"
        )
    except Stopped as exc:
        reporter.ended(
            CheckResult(check.name, Verdict.ERROR, time.perf_counter() - start, counts, f"no verdict: {exc}")
        )
        raise
    except Counterexample as exc:
        failure = exc
    except Skip as exc:
        verdict, detail = Verdict.SKIPPED, str(exc)
    except NoVerdict as exc:
        verdict, detail = Verdict.ERROR, str(exc)
    except HypothesisException as exc:
        if isinstance(exc, Flaky):  # the pool's behaviour changed on a replay: its failure
            failure = Counterexample(f"flaky: {exc}", "\n".join(getattr(exc, "__notes__", [])))
        else:
            verdict, detail = Verdict.ERROR, f"Hypothesis could not run the check: {type(exc).__name__}: {exc}"
    except Exception as exc:  # noqa: BLE001 -- the pool under test may raise anything, anywhere
        notes = "\n".join(str(n) for n in getattr(exc, "__notes__", []))
        failure = Counterexample(f"stopped on {type(exc).__name__}: {exc}{_where(exc)}", notes)
    seconds = time.perf_counter() - start
    if failure is not None:
        result = CheckResult(check.name, Verdict.FAIL, seconds, counts, failure.summary, replay)
        reporter.ended(result)
        reporter.counterexample(result, failure)
        if not shrunk:
            reporter.line("  (unshrunk; add --shrink to the replay to minimise it, which can take minutes)")
    else:
        result = CheckResult(check.name, verdict, seconds, counts, detail)
        reporter.ended(result)
    return result


def _fail_to_run(reason: str, json_target: Path | None, run: dict[str, Any]) -> int:
    print(f"framepool verify: {reason}", file=sys.stderr, flush=True)
    if json_target is not None:
        write_json(json_target, results=[], code=2, run=run, error=reason)
    return 2


def run_verify(args: argparse.Namespace, reporter: Reporter | None = None) -> int:
    """The ``framepool verify`` command; returns the exit status."""
    with hypothesis_storage() as storage:
        return _verify(args, storage, reporter if reporter is not None else Reporter())


def _verify(args: argparse.Namespace, storage: Storage, reporter: Reporter) -> int:
    run: dict[str, Any] = {"profile": args.profile, "factory": args.factory}
    json_target: Path | None = None
    try:
        json_target = check_json_target(args.json) if args.json else None
        ctx, checks = prepare(args, storage)
    except GateError as exc:
        return _fail_to_run(str(exc), json_target, run)
    run["seed"] = ctx.seed
    reporter.line(
        f"framepool verify: profile {ctx.profile.name}, seed {ctx.seed}, pool {ctx.label}; "
        f"{len(checks)} checks; Hypothesis examples kept {storage.where}"
    )
    reporter.plan([c.name for c in checks])
    start = time.perf_counter()
    timeout = _time_limit(args, ctx)
    try:
        with stop_on_signals():
            for check in checks:
                replay = replay_command(args, ctx, check.name)
                run_check(check, reporter, replay, shrunk=ctx.shrink, timeout=timeout)
    except Stopped as exc:
        code = _STOPPED_EXIT.get(exc.signal_name, 2)
        reason = f"{exc} ({len(reporter.results)} of {len(checks)} checks started)"
        reporter.line(f"{reason}: exit status {code}")
        print(f"framepool verify: {reason}", file=sys.stderr, flush=True)
        if json_target is not None:
            write_json(json_target, results=reporter.results, code=code, run=run, error=reason)
        return code
    results = reporter.results
    code = exit_code(results)
    tally = {v: sum(r.verdict is v for r in results) for v in Verdict}
    reporter.line(
        f"{tally[Verdict.PASS]} passed, {tally[Verdict.FAIL]} failed, {tally[Verdict.SKIPPED]} skipped, "
        f"{tally[Verdict.ERROR]} errors in {time.perf_counter() - start:.1f}s: exit status {code}"
    )
    if code == 2:
        errors = [f"{r.name}: {r.detail}" for r in results if r.verdict is Verdict.ERROR]
        reason = "; ".join(errors) if errors else "no check passed (every check was skipped)"
        print(f"framepool verify: {reason}", file=sys.stderr, flush=True)
    if json_target is not None:
        write_json(json_target, results=results, code=code, run=run)
    return code
