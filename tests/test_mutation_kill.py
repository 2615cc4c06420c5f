"""The conformance gate, cut into small deterministic tests: the kill suite of ``scripts/mutation``.

mutmut runs, for each mutant, only the tests that reached the mutated function,
in the order ``scripts/mutation`` fixes (the pool's unit tests first, then these),
and stops at the first failure. So the gate is split fine here: every boundary
case of :mod:`framepool_spec.boundaries` on its own (the auto-tuning cases in one
test per initial size and shrink threshold), then a short derandomized
``run_conformance`` per configuration. Same checks as ``tests/test_conformance.py``,
fewer random examples, no seed drawn: a mutant is killed or not, the same way on
every run.

Marked ``deep`` so that the default test run skips it (the whole file takes about
twenty seconds); run it alone with ``pytest -m deep tests/test_mutation_kill.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import Phase, settings

from framepool import FramePoolManager
from framepool_spec.boundaries import Case, cases
from framepool_spec.config import PoolConfig
from framepool_spec.conformance import DEFAULT_SETTINGS, pool_configs, run_conformance
from framepool_spec.lockstep import Lockstep

pytestmark = pytest.mark.deep

KILL_SETTINGS = settings(
    DEFAULT_SETTINGS,
    max_examples=100,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
)
"""100 examples of 50 steps, the same ones on every run, no shrinking (the verdict
is all mutation testing needs; test_conformance.py shrinks and prints a failure)."""


def real_pool(config: PoolConfig, clock: Callable[[], int]) -> FramePoolManager:
    return FramePoolManager(config, clock=clock)


def _group(name: str) -> str:
    """The auto-tuning cases grouped by initial size and threshold; every other case alone."""
    if name.startswith("auto-tune("):
        name = name.split(", size=")[0] + ")"
    return re.sub(r"[^A-Za-z0-9+.=-]+", "_", name).strip("_")


GROUPS: dict[str, list[Case]] = {}
for _case in cases():
    GROUPS.setdefault(_group(_case.name), []).append(_case)


def test_groups_cover_every_boundary_case() -> None:
    assert sum(len(g) for g in GROUPS.values()) == len(list(cases())) > 500


@pytest.mark.parametrize("group", list(GROUPS))
def test_boundary_cases(group: str) -> None:
    for case in GROUPS[group]:
        ls = Lockstep(real_pool, case.config)
        case.script(ls)
        ls.check()


@pytest.mark.parametrize(
    "config",
    [pool_configs(), PoolConfig.balanced()],
    ids=["random", "balanced"],
)
def test_conformance(config: object) -> None:
    run_conformance(real_pool, configs=[config], settings=KILL_SETTINGS, boundaries=False)  # type: ignore[list-item]
