"""Concurrent agreement: controlled schedules, and real-thread histories, checked for
linearizability against the reference model (``framepool_spec.concurrency``).

``schedules:<granularity>-<bound>``, one check per exploration pass of the
profile, explores every interleaving of the standard programs (and of a few
drawn ones) with yield points of that granularity and at most that many
preemptions; it needs a factory taking ``lock_factory=`` and is SKIPPED
otherwise. ``linearizability`` runs the contention programs and drawn ones on
real threads, several times each. Every check stops at the first failing
program and reports it unshrunk.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import hypothesis

from framepool.gate.context import Check, Context
from framepool.gate.report import Counterexample, NoVerdict, Skip
from framepool_spec.concurrency.programs import Program, ProgramShape, programs
from framepool_spec.concurrency.schedules import (
    ExplorationPass,
    contention_programs,
    explore_programs,
    standard_programs,
)
from framepool_spec.concurrency.suite import EXPLORED_SHAPE, accepts_lock_factory
from framepool_spec.concurrency.threads import Verdict, linearizability_property

JOIN_TIMEOUT = 5.0
"""Seconds a real thread may take before its run counts as a deadlock."""


def _adapt(factory: Callable[..., Any]) -> Callable[..., Any]:
    """The concurrency checkers call ``factory(config, clock=..., **kwargs)``; ours takes the
    clock positionally."""

    def make(config: Any, *, clock: Callable[[], int], **kwargs: Any) -> Any:
        return factory(config, clock, **kwargs)

    return make


def _split(report: str) -> Counterexample:
    summary, _, details = report.partition("\n")
    return Counterexample(summary, details)


def _first_failure(
    ctx: Context,
    strategy: hypothesis.strategies.SearchStrategy[Program],
    max_examples: int,
    check: Callable[[Program], str | None],
    explicit: list[Program],
) -> str | None:
    """``check`` on the ``explicit`` programs, then on drawn ones (the run's seed), until one
    returns a failure report. Failures are collected, not raised: Hypothesis would replay a
    failing real-thread run to report it, and a race need not show twice."""
    found: list[str] = []

    def body(program: Program) -> None:
        if not found:
            report = check(program)
            if report is not None:
                found.append(report)

    test = hypothesis.given(strategy)(body)
    for program in reversed(explicit):
        test = hypothesis.example(program)(test)
    hypothesis.seed(ctx.seed)(ctx.settings(max_examples)(test))()
    return found[0] if found else None


def _schedules(ctx: Context, each: ExplorationPass, counts: dict[str, int]) -> str | None:
    if not accepts_lock_factory(ctx.factory):
        raise Skip("the factory takes no lock_factory= keyword: its locks cannot be scheduled")
    profile = ctx.profile
    counts.update(programs=0, schedules=0, incomplete=0)
    make = _adapt(ctx.factory)

    def one(program: Program, max_schedules: int) -> str | None:
        (result,) = explore_programs(make, [program], [each], max_schedules=max_schedules)
        counts["programs"] += 1
        counts["schedules"] += result.schedules
        counts["incomplete"] += not result.complete and not result.failed
        return result.report() if result.failed else None

    for program in standard_programs():
        report = one(program, profile.max_schedules)
        if report is not None:
            raise _split(report)
    report = _first_failure(
        ctx, programs(EXPLORED_SHAPE), profile.explored_programs,
        lambda program: one(program, profile.drawn_schedules), [],
    )
    if report is not None:
        raise _split(report)
    if counts["schedules"] == 0:
        raise NoVerdict("no schedule ran")
    if counts["incomplete"]:
        return f"{counts['incomplete']} programs explored up to the profile's schedule cap"
    return None


def _linearizability(ctx: Context, counts: dict[str, int]) -> None:
    profile = ctx.profile
    counts.update(programs=0, histories=0)
    runs = [0]
    verdicts: list[Verdict] = []
    prop = linearizability_property(
        _adapt(ctx.factory), repeats=profile.repeats, join_timeout=JOIN_TIMEOUT,
        on_failure=verdicts.append, runs=runs,
    )

    def one(program: Program) -> str | None:
        counts["programs"] += 1
        try:
            prop(program)
        finally:
            counts["histories"] = runs[0]
        return verdicts[0].report() if verdicts else None

    shape = ProgramShape(min_threads=2, max_threads=profile.threads)
    report = _first_failure(ctx, programs(shape), profile.histories_programs, one, contention_programs())
    if report is not None:
        raise _split(report)
    if counts["histories"] == 0:
        raise NoVerdict("no history ran")


def concurrent_checks(ctx: Context) -> list[Check]:
    """One ``schedules:*`` check per exploration pass of the profile, then ``linearizability``."""
    profile = ctx.profile
    checks = []
    for granularity, bound in profile.passes:
        each = ExplorationPass(granularity, bound)

        def body(counts: dict[str, int], each: ExplorationPass = each) -> str | None:
            return _schedules(ctx, each, counts)

        checks.append(Check(
            f"schedules:{each.granularity}-{each.preemption_bound}",
            f"{len(standard_programs())} standard programs (<= {profile.max_schedules} schedules each) "
            f"+ {profile.explored_programs} drawn (<= {profile.drawn_schedules}), {each}",
            body,
        ))
    checks.append(Check(
        "linearizability",
        f"{len(contention_programs())} contention + {profile.histories_programs} drawn programs, "
        f"<= {profile.threads} threads, {profile.repeats} runs each",
        lambda counts: _linearizability(ctx, counts),
    ))
    return checks
