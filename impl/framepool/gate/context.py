"""What every check of ``framepool verify`` is given (:class:`Context`) and what a check is
(:class:`Check`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, Phase, settings
from hypothesis.database import ExampleDatabase

from framepool.gate.inputs import PoolFactory
from framepool.gate.profiles import Profile

NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate)
"""A failure found is reported at once, unshrunk: shrinking a long stateful run can take
minutes (``--shrink`` adds the phase for a replay)."""

QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]


@dataclass(frozen=True)
class Context:
    factory: PoolFactory
    label: str
    """How the factory is named in messages (``--factory`` as given, or framepool's own)."""
    profile: Profile
    seed: int
    database: ExampleDatabase
    shrink: bool = False
    fixtures: Path | None = None
    """``--fixtures``: the ethereum/tests root (None: the default location)."""

    def settings(self, max_examples: int, steps: int | None = None) -> settings:
        """Hypothesis settings for one check: the profile's budget, the cache-dir database."""
        phases = (*NO_SHRINK, Phase.shrink) if self.shrink else NO_SHRINK
        base = settings(
            max_examples=max_examples,
            deadline=None,
            database=self.database,
            phases=phases,
            derandomize=False,
            report_multiple_bugs=False,
            suppress_health_check=QUIET,
            print_blob=False,
        )
        return settings(base, stateful_step_count=steps) if steps is not None else base


CheckBody = Callable[[dict[str, int]], "str | None"]
"""A check's work: fills in the counts as it goes (so they are known on failure too);
returns an optional note; raises Counterexample, Skip or NoVerdict."""


@dataclass(frozen=True)
class Check:
    name: str
    budget: str
    body: CheckBody
