"""Sequential agreement: the boundary scenarios, then ``run_conformance`` on small random
configurations and on each preset.

One check per configuration source, so progress shows as each finishes. The
number of examples run is counted from the pools the suite builds: one per
example (the second pool an example may build for a foreign frame shares the
example's clock, and is not counted).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis.errors import Flaky, HypothesisException

from framepool.gate.context import Check, Context
from framepool.gate.report import Counterexample, NoVerdict
from framepool_spec.boundaries import run_boundary_scenarios
from framepool_spec.config import PRESET_NAMES, PoolConfig
from framepool_spec.conformance import ConfigSpec, ConformanceFailure, pool_configs, run_conformance


class _CountingFactory:
    """The factory under test, named ``label`` in the suite's messages, counting examples
    (distinct clocks) as the suite builds pools (unless ``counts`` is None)."""

    def __init__(self, factory: Callable[..., Any], label: str, counts: dict[str, int] | None) -> None:
        self._factory = factory
        self._counts = counts
        self._last_clock: object = None
        self.__name__ = label

    def __call__(self, config: PoolConfig, clock: Callable[[], int]) -> Any:
        if self._counts is not None and clock is not self._last_clock:
            self._last_clock = clock
            self._counts["examples"] += 1
        return self._factory(config, clock)


def _notes(exc: BaseException | None) -> list[str]:
    notes = getattr(exc, "__notes__", None)
    return [str(n) for n in notes] if isinstance(notes, list) else []


def _run(ctx: Context, spec: ConfigSpec, examples: int, counts: dict[str, int]) -> None:
    counts["examples"] = 0
    factory = _CountingFactory(ctx.factory, ctx.label, counts)
    try:
        run_conformance(
            factory,
            settings=ctx.settings(examples, ctx.profile.steps),
            configs=[spec],
            seed_value=ctx.seed,
            boundaries=False,  # a check of their own: once, not once per configuration
        )
    except ConformanceFailure as failure:
        cause = failure.__cause__
        if isinstance(cause, HypothesisException) and not isinstance(cause, Flaky):
            raise NoVerdict(f"Hypothesis could not run the check: {type(cause).__name__}: {cause}") from None
        summary, _, rest = str(failure).partition("\n")
        steps = "\n".join(_notes(cause) + _notes(failure))
        raise Counterexample(summary, f"{steps}\n{rest}".strip()) from None
    if counts["examples"] == 0:
        raise NoVerdict("no example ran")


def _boundaries(ctx: Context, counts: dict[str, int]) -> None:
    try:
        counts["cases"] = run_boundary_scenarios(_CountingFactory(ctx.factory, ctx.label, None))
    except ConformanceFailure as failure:
        summary, _, rest = str(failure).partition("\n")
        raise Counterexample(summary, rest) from None


def sequential_checks(ctx: Context) -> list[Check]:
    """``boundaries`` (every threshold at -1, 0, +1; the same cases in every profile),
    ``sequential:random`` (small random configurations) and ``sequential:<preset>``."""
    profile = ctx.profile
    sources: list[tuple[str, ConfigSpec, int]] = [("random", pool_configs(), profile.random_examples)]
    sources += [(name, PoolConfig.preset(name), profile.preset_examples) for name in PRESET_NAMES]
    checks = [Check("boundaries", "every boundary case (deterministic)",
                    lambda counts: _boundaries(ctx, counts))]
    for name, spec, examples in sources:

        def body(counts: dict[str, int], spec: ConfigSpec = spec, examples: int = examples) -> None:
            _run(ctx, spec, examples, counts)

        checks.append(Check(f"sequential:{name}", profile.sequential_budget(examples), body))
    return checks
