"""The proofs run and can fail: the bounded model checker, and the CrossHair contracts.

* The model checker explores every sequence up to a small depth on the real
  pool, agrees with full enumeration on how many sequences it covers, and finds
  the shortest failing sequence for broken pools.
* The contracts hold on random inputs (their pre/post conditions evaluated
  directly), CrossHair proves a fast subset, and it refutes a deliberately
  wrong contract (tests/crosshair_broken_contract.py). The full CrossHair run
  is marked ``deep``.
"""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from broken_pools import BROKEN_POOLS
from framepool import FramePoolManager
from framepool_spec.config import PoolConfig

ROOT = Path(__file__).resolve().parent.parent

from proofs import contracts  # the repository root is on sys.path (pyproject: pythonpath)
from proofs.model_check import TIER_CONFIG, Checker, ModelCheckFailure, describe, main

BROKEN_CONTRACT = Path(__file__).resolve().parent / "crosshair_broken_contract.py"


def factory_of(cls: type[FramePoolManager]) -> Callable[[PoolConfig, Callable[[], int]], Any]:
    def make(config: PoolConfig, clock: Callable[[], int]) -> FramePoolManager:
        return cls(config, clock=clock)

    return make


# ---- bounded model checker -------------------------------------------------------------


def test_model_check_depth_3_on_the_real_pool() -> None:
    result = Checker().run(3)
    assert result.per_depth[0] == 1 and len(result.per_depth) == 4
    assert result.states == sum(result.per_depth)
    assert result.sequences > result.runs > result.states > 100
    assert "sequences covered" in result.summary()


def test_state_merging_covers_exactly_the_enumerated_sequences() -> None:
    merged = Checker().run(2)
    full = Checker(dedup=False).run(2)
    assert merged.sequences == full.sequences == full.runs
    assert merged.runs < full.runs


# Shortest failing sequence for each broken pool, over the tiny configuration.
# (cleanup_ignores_usage needs a frame used five times, then idle: too deep for this test;
# so do the auto-tuning and GC thresholds, and age_from_last_access, which needs a frame
# released after time passed and handed out again at its age limit (six operations);
# the boundary cases pin those down instead.)
SHORTEST = {
    "hit_counted_as_miss": 1,
    "shrink_keeps_frames": 1,
    "overflow_not_counted": 2,
    "double_release_accepted": 3,
    "child_stays_linked": 3,
    "leaky_release_tree": 3,
    "reset_forgets_stack": 3,  # acquire -> release -> acquire: the frame comes back unclean
    "age_limit_inclusive": 3,  # acquire -> limit(age) -> release
    "memory_limit_exclusive": 3,  # acquire -> grow to exactly 1 MiB -> release
    "cleanup_idle_inclusive": 2,  # limit(idle) -> cleanup
    "peak_only_at_snapshot": 2,
}


@pytest.mark.parametrize("name", sorted(SHORTEST))
def test_model_checker_finds_the_shortest_failure(name: str) -> None:
    with pytest.raises(ModelCheckFailure) as info:
        Checker(factory_of(BROKEN_POOLS[name])).run(3)
    assert len(info.value.path) == SHORTEST[name], describe(info.value.path)
    assert str(info.value).startswith("after ")


# With thread caches (``--tier``): a second thread's hand-outs, releases and end join the alphabet.
SHORTEST_TIER = {
    "tier_age_limit_inclusive": 3,  # acquire -> limit(age) -> release, through the thread cache
    "tier_memory_limit_exclusive": 3,  # acquire -> grow to exactly 1 MiB -> release
    "tier_room_ignores_slots": 3,  # acquire on two threads, release one: no spare room is left
}


def test_model_check_with_thread_caches_on_the_real_pool() -> None:
    result = Checker(config=TIER_CONFIG).run(2)
    assert result.states == sum(result.per_depth) > 50


@pytest.mark.parametrize("name", sorted(SHORTEST_TIER))
def test_model_checker_finds_the_shortest_tier_failure(name: str) -> None:
    with pytest.raises(ModelCheckFailure) as info:
        Checker(factory_of(BROKEN_POOLS[name]), TIER_CONFIG).run(3)
    assert len(info.value.path) == SHORTEST_TIER[name], describe(info.value.path)


def test_model_check_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--depth", "2"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"depth 2: \d+ sequences covered", out) and out.rstrip().endswith("length 2")
    assert main(["--depth", "2", "--pool", "broken_pools:OverflowNotCounted"]) == 1
    assert "FAILED: after " in capsys.readouterr().err


# ---- contracts on random inputs ----------------------------------------------------------


def conditions(fn: Callable[..., Any]) -> tuple[list[str], list[str]]:
    doc = inspect.getdoc(fn) or ""
    pre = [line[4:].strip() for line in doc.splitlines() if line.startswith("pre:")]
    post = [line[5:].strip() for line in doc.splitlines() if line.startswith("post:")]
    return pre, post


def holds(fn: Callable[..., Any], **args: Any) -> list[str] | None:
    """Evaluate ``fn``'s PEP 316 contract at ``args``: the postconditions that fail
    (None when ``args`` break a precondition)."""
    pre, post = conditions(fn)
    scope = {**vars(sys.modules[fn.__module__]), **args}
    if not all(eval(p, scope) for p in pre):
        return None
    scope["__return__"] = fn(**args)
    return [p for p in post if not eval(p, scope)]


small = st.integers(min_value=0, max_value=16)
counts = st.integers(min_value=0, max_value=60)
unit = st.floats(min_value=-0.1, max_value=1.1, allow_nan=False)
ARGS: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "miss_growth": {"current": small, "maximum": small, "active": small},
    "tuned_size": {
        "current": small,
        "initial": small,
        "maximum": small,
        "idle": small,
        "hits": counts,
        "acquisitions": counts,
        "growth_factor": st.floats(min_value=1.0, max_value=4.0),
        "shrink_threshold": unit,
    },
    "resized": {"current": small, "maximum": small, "idle": small, "new_size": small},
    "refused": {"parent": st.integers(0, 7), "child": st.integers(0, 7)},
    "class_rates": {"hits": counts, "misses": counts, "current_size": counts, "available": counts},
    "pool_hit_rate": {"hits_a": counts, "misses_a": counts, "hits_b": counts, "misses_b": counts},
    "valid_sizes": {"initial": st.integers(-2, 4100), "maximum": st.integers(-2, 4100)},
    "valid_threshold": {"value": unit},
    "gc_fires": {"pressure": unit, "threshold": unit, "elapsed": st.integers(0, 70_000)},
    "laws_after": {"ops": st.lists(st.integers(0, 31), max_size=5)},
}


def test_every_contract_has_input_strategies() -> None:
    with_contracts = {
        name
        for name, fn in vars(contracts).items()
        if inspect.isfunction(fn) and fn.__module__ == contracts.__name__ and conditions(fn)[1]
    }
    assert with_contracts == set(ARGS)


@pytest.mark.parametrize("name", sorted(ARGS))
def test_contract_holds_on_random_inputs(name: str) -> None:
    fn = getattr(contracts, name)

    # The contracts' own preconditions (orderings such as initial <= current <= maximum)
    # filter the independent draws; that filtering is the point, not a strategy bug.
    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
    @given(st.fixed_dictionaries(ARGS[name]))
    def check(args: dict[str, Any]) -> None:
        broken = holds(fn, **args)
        assume(broken is not None)
        assert broken == []

    check()


def test_contract_evaluation_catches_the_broken_contract() -> None:
    sys.path.insert(0, str(BROKEN_CONTRACT.parent))
    try:
        import crosshair_broken_contract as broken
    finally:
        sys.path.remove(str(BROKEN_CONTRACT.parent))
    assert holds(broken.shrunk_size, current=1, initial=0) == ["initial <= __return__ < current"]
    assert holds(broken.shrunk_size, current=100, initial=0) == []
    assert holds(broken.shrunk_size, current=0, initial=0) is None  # outside the precondition


# ---- CrossHair -----------------------------------------------------------------------------


def crosshair(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crosshair", "check", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_crosshair_refutes_the_broken_contract() -> None:
    run = crosshair(str(BROKEN_CONTRACT), "--per_condition_timeout=20")
    assert run.returncode == 1, run.stdout + run.stderr
    assert re.search(r"error: false when calling shrunk_size\(\d+, \d+\)", run.stdout), run.stdout


def test_crosshair_proves_four_contracts() -> None:
    """Contracts CrossHair confirms over all paths within seconds: the parent rule, resize,
    threshold validation and the GC trigger (7 postconditions)."""
    run = crosshair(
        "proofs.contracts.refused",
        "proofs.contracts.resized",
        "proofs.contracts.valid_threshold",
        "proofs.contracts.gc_fires",
        "--per_condition_timeout=30",
        "--report_all",
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count("Confirmed over all paths") == 7, run.stdout


@pytest.mark.deep
def test_crosshair_finds_no_counterexample_in_any_contract() -> None:
    run = crosshair("proofs/", "--per_condition_timeout=20", timeout=3600)
    assert run.returncode == 0, run.stdout + run.stderr
