"""The concurrent part of ``run_conformance(factory, threads=N)``.

``framepool_spec.conformance`` looks this entry point up by name
(``run_concurrent_conformance``) and calls it once per configuration it checks.
Any pool gets the real-thread linearizability check; a pool whose factory also
accepts ``lock_factory=`` (a callable returning locks with ``acquire``/``release``
and the context-manager protocol, used for every lock the pool makes) also gets
the controlled schedule exploration.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import hypothesis
from hypothesis import HealthCheck
from hypothesis.strategies import SearchStrategy

from framepool_spec.concurrency.programs import ConcurrentPool, Program, ProgramShape, programs
from framepool_spec.concurrency.schedules import explore, standard_programs
from framepool_spec.concurrency.threads import ConcurrencyFailure, run_linearizability
from framepool_spec.config import PoolConfig

REPEATS = 5
MAX_EXAMPLES = 60
"""Cap on drawn programs per configuration (each runs ``REPEATS`` times on threads)."""
MAX_EXPLORED = 10
"""Cap on drawn programs explored schedule by schedule, per configuration."""
PREEMPTION_BOUND = 2
EXPLORED_SHAPE = ProgramShape(min_threads=2, max_threads=2, max_ops=3, max_prefix=2)


def accepts_lock_factory(factory: Callable[..., object]) -> bool:
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(
        p.name == "lock_factory" or p.kind is inspect.Parameter.VAR_KEYWORD for p in params
    )


def run_concurrent_conformance(
    factory: Callable[..., Any],
    configs: SearchStrategy[PoolConfig],
    *,
    threads: int,
    settings: hypothesis.settings,
) -> None:
    """Real-thread histories of programs with up to ``threads`` threads must be linearizable;
    with ``lock_factory=`` support, every schedule (preemption bound 2) of the standard
    programs and of a few drawn ones must be too. Raises ConcurrencyFailure."""
    if threads < 2:
        raise ValueError(f"threads must be at least 2, got {threads}")

    def make(config: PoolConfig, *, clock: Callable[[], int], **kwargs: Any) -> ConcurrentPool:
        pool: ConcurrentPool = factory(config, clock, **kwargs)
        return pool

    quiet = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
    shape = ProgramShape(min_threads=2, max_threads=threads)
    drawn = hypothesis.settings(
        settings, max_examples=min(settings.max_examples, MAX_EXAMPLES), deadline=None,
        suppress_health_check=quiet,
    )
    run_linearizability(make, programs(shape, configs), drawn, repeats=REPEATS, join_timeout=5.0)
    if not accepts_lock_factory(factory):
        return
    for program in standard_programs():
        result = explore(make, program, preemption_bound=PREEMPTION_BOUND)
        if result.failed:
            raise ConcurrencyFailure(result.report())

    def explored(program: Program) -> None:
        result = explore(make, program, preemption_bound=PREEMPTION_BOUND)
        if result.failed:
            raise ConcurrencyFailure(result.report())

    few = hypothesis.settings(drawn, max_examples=min(settings.max_examples, MAX_EXPLORED))
    few(hypothesis.given(programs(EXPLORED_SHAPE, configs))(explored))()
