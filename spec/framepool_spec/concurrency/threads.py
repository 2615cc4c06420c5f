"""Run a program on real threads, several times, and check every history.

Threads start together behind a barrier, with a tiny ``sys.setswitchinterval``
(restored afterwards) so the interpreter switches threads often. A thread that
does not finish within ``join_timeout`` seconds is reported as a deadlock
(timeout); it is a daemon thread, so it cannot hang the test run.

A program runs ``repeats`` times. A failure in every repeat is a *logic bug*
(it does not need an unlucky interleaving); in only some repeats, a *race*.
"""

from __future__ import annotations

import random
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import hypothesis
from hypothesis.strategies import SearchStrategy

from framepool_spec.concurrency.linearizability import CheckResult, Outcome, check_history
from framepool_spec.concurrency.programs import (
    FINAL_THREAD,
    PREFIX_THREAD,
    ConcurrentPool,
    Entry,
    FakeClock,
    PoolFactory,
    Program,
    Recorder,
    Stats,
    run_op,
    run_sequential,
    tokenize,
)

SWITCH_INTERVAL = 1e-6
_PAUSES = (-1.0, -1.0, 0.0, 0.0, 0.0, 1e-5, 1e-4)
"""Before each operation of a jittered run: nothing, ``sleep(0)`` (yield the GIL), or a short nap."""


@dataclass
class RunResult:
    """One execution of a program."""

    history: list[Entry]
    stuck: list[int]  # threads still running after the join timeout
    crashed: list[str]  # BaseExceptions that escaped a thread (not refusals: those are results)
    check: CheckResult | None = None

    @property
    def failed(self) -> bool:
        return bool(self.stuck or self.crashed) or (self.check is not None and not self.check.ok)

    def summary(self) -> str:
        if self.stuck:
            return f"deadlock (timeout): threads {self.stuck} never finished"
        if self.crashed:
            return "crash: " + "; ".join(self.crashed)
        assert self.check is not None
        return f"linearizability {self.check.outcome.value}"


def make_pool(factory: PoolFactory, config: Any, clock: FakeClock, **kwargs: Any) -> ConcurrentPool:
    return factory(config, clock=clock, **kwargs)


def run_on_threads(
    factory: PoolFactory,
    program: Program,
    *,
    join_timeout: float = 10.0,
    switch_interval: float = SWITCH_INTERVAL,
    jitter: int = 0,
) -> RunResult:
    """Execute ``program`` once on real threads and record its history (not yet checked)."""
    clock = FakeClock(0)
    pool = make_pool(factory, program.config, clock)
    recorder = Recorder()
    clock.now = program.prefix_time
    prefix_slots = run_sequential(pool, program.prefix, PREFIX_THREAD, clock.now, recorder)
    clock.now = program.concurrent_time
    n = len(program.threads)
    barrier = threading.Barrier(n)
    crashed: list[str] = []

    def body(t: int) -> None:
        rng = random.Random(jitter * 1000 + t) if jitter else None
        try:
            barrier.wait(timeout=join_timeout)
            slots: list[object] = []
            for index, op in enumerate(program.threads[t]):
                if rng is not None:  # vary how the threads line up from one repeat to the next
                    pause = rng.choice(_PAUSES)
                    if pause >= 0:
                        time.sleep(pause)
                run_op(pool, op, slots, t, index, program.concurrent_time, recorder, prefix_slots)
        except BaseException as exc:  # noqa: BLE001 -- reported, never swallowed
            crashed.append(f"thread {t}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=body, args=(t,), daemon=True, name=f"fp-{t}") for t in range(n)]
    old = sys.getswitchinterval()
    sys.setswitchinterval(switch_interval)
    try:
        for th in threads:
            th.start()
        deadline = time.monotonic() + join_timeout
        for th in threads:
            th.join(max(0.0, deadline - time.monotonic()))
    finally:
        sys.setswitchinterval(old)
    stuck = [t for t, th in enumerate(threads) if th.is_alive()]
    if not stuck:
        run_op(pool, Stats(), [], FINAL_THREAD, 0, program.concurrent_time, recorder)
    return RunResult(tokenize(recorder.entries), stuck, crashed)


@dataclass
class Verdict:
    """The outcome of a program over all its repeats."""

    program: Program
    runs: list[RunResult] = field(default_factory=list)

    @property
    def failures(self) -> list[RunResult]:
        return [r for r in self.runs if r.failed]

    @property
    def failed(self) -> bool:
        return bool(self.failures)

    @property
    def unknown(self) -> bool:
        return any(r.check is not None and r.check.outcome is Outcome.UNKNOWN for r in self.runs)

    @property
    def kind(self) -> str:
        bad = self.failures
        if not bad:
            return "ok"
        if any(r.stuck for r in bad):
            return "deadlock (timeout)"
        return "logic bug" if len(bad) == len(self.runs) else "race"

    def report(self) -> str:
        bad = self.failures
        if not bad:
            return f"ok: {len(self.runs)} runs"
        first = bad[0]
        lines = [
            (f"CONCURRENT DISAGREEMENT: {self.kind} -- failed in {len(bad)} of {len(self.runs)}"
             f" runs ({first.summary()})"),
        ]
        if first.check is not None:
            lines.append(first.check.report())
        else:
            lines.append("history so far:")
            lines.extend(e.describe() for e in first.history)
        lines.append("replay with:")
        lines.append("  from framepool_spec.concurrency import *")
        lines.append("  program = " + self.program.source().replace("\n", "\n  "))
        lines.append("  print(check_program(<factory>, program, repeats=20).report())")
        return "\n".join(lines)


def check_program(
    factory: PoolFactory,
    program: Program,
    *,
    repeats: int = 5,
    time_budget: float = 10.0,
    join_timeout: float = 10.0,
    stop_early: bool = False,
) -> Verdict:
    """Run ``program`` ``repeats`` times on real threads and check each history."""
    verdict = Verdict(program)
    for repeat in range(repeats):
        # The first run is plain; the others jitter the threads' alignment differently each time.
        run = run_on_threads(factory, program, join_timeout=join_timeout, jitter=repeat)
        if not run.stuck and not run.crashed:
            run.check = check_history(program.config, run.history, time_budget=time_budget)
        verdict.runs.append(run)
        if run.stuck or (stop_early and run.failed and len(verdict.runs) >= 2):
            break  # a deadlocked run leaves stuck threads behind: one is enough
    return verdict


class ConcurrencyFailure(AssertionError):
    """A concurrent history the reference model cannot explain (or a deadlock)."""


def linearizability_property(
    factory: PoolFactory,
    *,
    repeats: int = 5,
    time_budget: float = 10.0,
    join_timeout: float = 10.0,
    on_failure: Callable[[Verdict], None] | None = None,
    runs: list[int] | None = None,
) -> Callable[[Program], None]:
    """The body of a Hypothesis test: raises ConcurrencyFailure on a failing program.

    With ``on_failure`` it calls that instead of raising (to collect failures
    without Hypothesis shrinking, as the broken-variant tests do). ``runs[0]``, if
    given, counts the histories recorded.
    """

    def prop(program: Program) -> None:
        verdict = check_program(
            factory, program, repeats=repeats, time_budget=time_budget, join_timeout=join_timeout
        )
        if runs is not None:
            runs[0] += len(verdict.runs)
        if verdict.failed:
            if on_failure is not None:
                on_failure(verdict)
                return
            raise ConcurrencyFailure(verdict.report())

    return prop


def run_linearizability(
    factory: PoolFactory,
    strategy: SearchStrategy[Program],
    settings: hypothesis.settings,
    *,
    repeats: int = 5,
    time_budget: float = 10.0,
    join_timeout: float = 10.0,
    explicit: Sequence[Program] | None = None,
) -> int:
    """Hypothesis-driven check: draws programs from ``strategy`` under ``settings``.
    Returns how many histories it checked.

    ``explicit`` programs run first (default: :func:`default_explicit`, the contention
    programs: random programs rarely line two threads up on one narrow window).
    """
    runs = [0]
    prop = linearizability_property(
        factory, repeats=repeats, time_budget=time_budget, join_timeout=join_timeout, runs=runs
    )
    settings(_with_examples(hypothesis.given(strategy)(prop), explicit))()
    return runs[0]


def default_explicit() -> list[Program]:
    from framepool_spec.concurrency.schedules import contention_programs

    return contention_programs()


def _with_examples(test: Callable[[], None], explicit: Sequence[Program] | None) -> Callable[[], None]:
    for program in reversed(default_explicit() if explicit is None else explicit):
        test = hypothesis.example(program)(test)
    return test


def find_failure(
    factory: PoolFactory,
    strategy: SearchStrategy[Program],
    settings: hypothesis.settings,
    *,
    repeats: int = 5,
    join_timeout: float = 10.0,
    explicit: Sequence[Program] | None = None,
) -> tuple[Verdict | None, int]:
    """The first failing program Hypothesis draws (no shrinking), and how many programs ran."""
    found: list[Verdict] = []
    ran = [0]

    def collect(v: Verdict) -> None:
        found.append(v)

    prop = linearizability_property(
        factory, repeats=repeats, join_timeout=join_timeout, on_failure=collect
    )

    def body(program: Program) -> None:
        if found:
            return
        ran[0] += 1
        prop(program)

    settings(_with_examples(hypothesis.given(strategy)(body), explicit))()
    return (found[0] if found else None), ran[0]


def sequential_history(factory: PoolFactory, program: Program) -> Sequence[Entry]:
    """The program's threads run one after another, each on a thread of its own that ends
    before the next starts (for debugging)."""
    clock = FakeClock(0)
    pool = make_pool(factory, program.config, clock)
    recorder = Recorder()
    clock.now = program.prefix_time
    prefix_slots = run_sequential(pool, program.prefix, PREFIX_THREAD, clock.now, recorder)
    clock.now = program.concurrent_time
    for t, ops in enumerate(program.threads):
        thread = threading.Thread(
            target=run_sequential, args=(pool, ops, t, clock.now, recorder, prefix_slots)
        )
        thread.start()
        thread.join()
    run_op(pool, Stats(), [], FINAL_THREAD, 0, program.concurrent_time, recorder)
    return tokenize(recorder.entries)
