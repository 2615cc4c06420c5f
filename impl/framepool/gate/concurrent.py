"""Concurrent agreement: controlled schedules, and real-thread histories, checked for
linearizability against the reference model (``framepool_spec.concurrency``).

``schedules`` explores every interleaving (within the profile's preemption
bound) of the standard programs and of a few drawn ones; it needs a factory
taking ``lock_factory=`` and is SKIPPED otherwise. ``linearizability`` runs the
contention programs and drawn ones on real threads, several times each. Both
stop at the first failing program and report it unshrunk.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import hypothesis

from framepool.gate.context import Check, Context
from framepool.gate.report import Counterexample, NoVerdict, Skip
from framepool_spec.concurrency.programs import Program, ProgramShape, programs
from framepool_spec.concurrency.schedules import Exploration, contention_programs, explore, standard_programs
from framepool_spec.concurrency.suite import accepts_lock_factory
from framepool_spec.concurrency.threads import Verdict, linearizability_property

EXPLORED_SHAPE = ProgramShape(min_threads=2, max_threads=2, max_ops=3, max_prefix=2)
"""Drawn programs for exploration stay small: schedules grow exponentially with length."""
JOIN_TIMEOUT = 5.0
"""Seconds a real thread may take before its run counts as a deadlock."""


def _adapt(factory: Callable[..., Any], counts: dict[str, int], key: str | None) -> Callable[..., Any]:
    """The concurrency checkers call ``factory(config, clock=..., **kwargs)``; ours takes the
    clock positionally. Counts the pools built under ``key`` (if given)."""

    def make(config: Any, *, clock: Callable[[], int], **kwargs: Any) -> Any:
        if key is not None:
            counts[key] += 1
        return factory(config, clock, **kwargs)

    return make


def _split(report: str) -> Counterexample:
    summary, _, details = report.partition("\n")
    return Counterexample(summary, details)


def _drawn(
    ctx: Context,
    strategy: hypothesis.strategies.SearchStrategy[Program],
    max_examples: int,
    check: Callable[[Program], str | None],
    explicit: list[Program],
) -> str | None:
    """Run ``check`` on the ``explicit`` programs, then on drawn ones, until one returns a report."""
    found: list[str] = []

    def body(program: Program) -> None:
        if not found:
            report = check(program)
            if report is not None:
                found.append(report)

    test = hypothesis.given(strategy)(body)
    for program in reversed(explicit):
        test = hypothesis.example(program)(test)
    test = ctx.settings(max_examples)(test)
    hypothesis.seed(ctx.seed)(test)()
    return found[0] if found else None


def _schedules(ctx: Context, counts: dict[str, int]) -> str:
    if not accepts_lock_factory(ctx.factory):
        raise Skip("the factory takes no lock_factory= keyword: its locks cannot be scheduled")
    profile = ctx.profile
    counts.update(programs=0, schedules=0, incomplete=0)
    make = _adapt(ctx.factory, counts, None)

    def one(program: Program) -> str | None:
        result: Exploration = explore(
            make, program, preemption_bound=profile.preemption_bound,
            max_schedules=profile.max_schedules,
        )
        counts["programs"] += 1
        counts["schedules"] += result.schedules
        counts["incomplete"] += not result.complete and not result.failed
        return result.report() if result.failed else None

    for program in standard_programs():
        report = one(program)
        if report is not None:
            raise _split(report)
    report = _drawn(ctx, programs(EXPLORED_SHAPE), profile.explored_programs, one, [])
    if report is not None:
        raise _split(report)
    if counts["schedules"] == 0:
        raise NoVerdict("no schedule ran")
    return f"preemption bound {profile.preemption_bound}"


def _linearizability(ctx: Context, counts: dict[str, int]) -> None:
    profile = ctx.profile
    counts.update(programs=0, histories=0)
    make = _adapt(ctx.factory, counts, "histories")
    verdicts: list[Verdict] = []
    prop = linearizability_property(
        make, repeats=profile.repeats, join_timeout=JOIN_TIMEOUT, on_failure=verdicts.append
    )

    def one(program: Program) -> str | None:
        counts["programs"] += 1
        prop(program)
        return verdicts[0].report() if verdicts else None

    shape = ProgramShape(min_threads=2, max_threads=profile.threads)
    report = _drawn(ctx, programs(shape), profile.histories_programs, one, contention_programs())
    if report is not None:
        raise _split(report)
    if counts["histories"] == 0:
        raise NoVerdict("no history ran")


def concurrent_checks(ctx: Context) -> list[Check]:
    profile = ctx.profile
    return [
        Check(
            "schedules",
            f"{len(standard_programs())} standard + {profile.explored_programs} drawn programs, "
            f"preemption bound {profile.preemption_bound}, <= {profile.max_schedules} schedules each",
            lambda counts: _schedules(ctx, counts),
        ),
        Check(
            "linearizability",
            f"{len(contention_programs())} contention + {profile.histories_programs} drawn programs, "
            f"<= {profile.threads} threads, {profile.repeats} runs each",
            lambda counts: _linearizability(ctx, counts),
        ),
    ]
