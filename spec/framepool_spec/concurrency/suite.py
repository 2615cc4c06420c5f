"""The concurrent part of ``run_conformance(factory, threads=N)``.

``framepool_spec.conformance`` looks this entry point up by name
(``run_concurrent_conformance``) and calls it once per configuration it checks.
A pool whose factory accepts ``lock_factory=`` (a callable returning locks with
``acquire``/``release`` and the context-manager protocol, used for every lock
the pool makes) gets the controlled schedule exploration first: every schedule
of the standard programs under each exploration pass, then a few drawn
programs. Any pool then gets the real-thread linearizability check.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import hypothesis
from hypothesis import HealthCheck
from hypothesis.strategies import SearchStrategy

from framepool_spec.concurrency.programs import ConcurrentPool, Program, ProgramShape, programs
from framepool_spec.concurrency.schedules import (
    DEFAULT_PASSES,
    Exploration,
    ExplorationPass,
    explore_programs,
    standard_programs,
)
from framepool_spec.concurrency.threads import ConcurrencyFailure, run_linearizability
from framepool_spec.config import PoolConfig

REPEATS = 5
MAX_EXAMPLES = 60
"""Cap on drawn programs per configuration (each runs ``REPEATS`` times on threads)."""
MAX_EXPLORED = 4
"""Cap on drawn programs explored schedule by schedule, per configuration."""
DRAWN_SCHEDULES = 150
"""Cap on the schedules of one drawn program, per pass (the standard programs have none)."""
EXPLORED_SHAPE = ProgramShape(min_threads=2, max_threads=2, max_ops=3, max_prefix=2)


def accepts_lock_factory(factory: Callable[..., object]) -> bool:
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(
        p.name == "lock_factory" or p.kind is inspect.Parameter.VAR_KEYWORD for p in params
    )


@dataclass(frozen=True)
class ConcurrentSummary:
    """What one ``run_concurrent_conformance`` call checked (it raises on a failure)."""

    histories: int
    """Real-thread histories checked for linearizability."""
    programs_explored: int
    """(program, pass) explorations, standard and drawn."""
    schedules: int
    """Schedules run by those explorations."""
    passes: tuple[ExplorationPass, ...]
    """The exploration passes (empty: the factory takes no ``lock_factory=``)."""
    seconds: float


def run_concurrent_conformance(
    factory: Callable[..., Any],
    configs: SearchStrategy[PoolConfig],
    *,
    threads: int,
    settings: hypothesis.settings,
    passes: Sequence[ExplorationPass] = DEFAULT_PASSES,
    drawn_schedules: int = DRAWN_SCHEDULES,
) -> ConcurrentSummary:
    """With ``lock_factory=`` support, every schedule of the standard programs under each of
    ``passes`` (default: lock granularity under preemption bound 2, then opcode granularity
    under bound 1), and up to ``drawn_schedules`` of a few drawn programs, must give a
    linearizable history and no deadlock; then real-thread histories of programs with up to
    ``threads`` threads must be linearizable. Raises ConcurrencyFailure."""
    if threads < 2:
        raise ValueError(f"threads must be at least 2, got {threads}")
    started = time.monotonic()

    def make(config: PoolConfig, *, clock: Callable[[], int], **kwargs: Any) -> ConcurrentPool:
        pool: ConcurrentPool = factory(config, clock, **kwargs)
        return pool

    quiet = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
    drawn = hypothesis.settings(
        settings, max_examples=min(settings.max_examples, MAX_EXAMPLES), deadline=None,
        suppress_health_check=quiet,
    )
    explored: list[Exploration] = []
    explores = accepts_lock_factory(factory)
    if explores:
        # First: deterministic, and the standard programs show most races within seconds.
        _raise_on_failure(explored, explore_programs(make, standard_programs(), passes))

        def explore_drawn(program: Program) -> None:
            _raise_on_failure(
                explored, explore_programs(make, [program], passes, max_schedules=drawn_schedules)
            )

        few = hypothesis.settings(drawn, max_examples=min(settings.max_examples, MAX_EXPLORED))
        few(hypothesis.given(programs(EXPLORED_SHAPE, configs))(explore_drawn))()
    shape = ProgramShape(min_threads=2, max_threads=threads)
    histories = run_linearizability(make, programs(shape, configs), drawn, repeats=REPEATS,
                                    join_timeout=5.0)
    return ConcurrentSummary(
        histories=histories,
        programs_explored=len(explored),
        schedules=sum(e.schedules for e in explored),
        passes=tuple(passes) if explores else (),
        seconds=time.monotonic() - started,
    )


def _raise_on_failure(into: list[Exploration], results: list[Exploration]) -> None:
    into.extend(results)
    if results and results[-1].failed:
        raise ConcurrencyFailure(results[-1].report())
