"""The conformance suite passes on FramePoolManager and catches every deliberately broken pool.

The real pool runs with the suite's DEFAULT_SETTINGS (200 examples of 50 steps
per configuration, random seed); the broken pools run derandomized, so each
one is caught the same way on every run.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import Phase, settings
from hypothesis import strategies as st

from broken_pools import BROKEN_POOLS
from framepool import FramePoolManager, FrameType, PooledFrame
from framepool_spec.config import PRESET_NAMES, PoolConfig
from framepool_spec.conformance import (
    DEFAULT_SETTINGS,
    ConformanceError,
    ConformanceFailure,
    ConformantPool,
    Lockstep,
    PoolFactory,
    pool_configs,
    run_conformance,
)
from framepool_spec.errors import DoubleReleaseError, ForeignFrameError
from framepool_spec.model import PoolModel


def real_pool(config: PoolConfig, clock: Callable[[], int]) -> FramePoolManager:
    return FramePoolManager(config, clock=clock)


def factory_of(cls: type[FramePoolManager]) -> PoolFactory:
    def make(config: PoolConfig, clock: Callable[[], int]) -> FramePoolManager:
        return cls(config, clock=clock)

    make.__name__ = cls.__name__
    return make


def test_the_real_pool_satisfies_the_protocol() -> None:
    pool: ConformantPool[PooledFrame] = FramePoolManager(PoolConfig.minimal())
    assert pool.counts().classes[0].available == 32


@pytest.mark.parametrize("preset", PRESET_NAMES)
def test_real_pool_conforms_on_preset(preset: str) -> None:
    run_conformance(real_pool, configs=[PoolConfig.preset(preset)])


def test_real_pool_conforms_on_random_configs() -> None:
    run_conformance(real_pool, configs=[pool_configs()])


def test_default_settings_meet_the_required_budget() -> None:
    assert DEFAULT_SETTINGS.max_examples >= 200
    assert DEFAULT_SETTINGS.stateful_step_count >= 50
    assert DEFAULT_SETTINGS.deadline is None


# ---- the broken pools -------------------------------------------------------------

BROKEN_SETTINGS = settings(
    DEFAULT_SETTINGS,
    max_examples=1000,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
)
"""Derandomized, so a broken pool is found by the same examples on every run. No
shrinking: finding the bug is the point here, and shrinking a 50-step run costs
tens of seconds (run_conformance with default phases prints a minimal one)."""

BROKEN_CONFIGS: dict[str, PoolConfig | st.SearchStrategy[PoolConfig]] = {
    "balanced": PoolConfig.balanced(),
    "random": pool_configs(),
}

# What each bug looks like when the suite reports it.
SYMPTOMS = {
    "overflow_not_counted": r"counts\(\) differ(.|\n)*overflows: pool \d+, model \d+",
    "double_release_accepted": r"release\(#\d+\): the pool returned False, the model raised DoubleReleaseError",
    "child_stays_linked": r"(held frame #\d+: \(type, parent, children, depth, uses\)|the pool raised ActiveChildrenError)",
    "hit_counted_as_miss": r"counts\(\) differ(.|\n)*hits: pool \d+, model \d+",
    "cleanup_ignores_usage": r"cleanup\(\): the pool returned \d+, the model returned \d+",
    "shrink_keeps_frames": r"must destroy \d+ of its idle frames, not \[\]",
    "leaky_release_tree": r"counts\(\) differ(.|\n)*active: pool \d+, model \d+",
}


def test_every_broken_pool_has_a_symptom() -> None:
    assert set(SYMPTOMS) == set(BROKEN_POOLS)
    assert len(BROKEN_POOLS) >= 6


@pytest.mark.parametrize("where", sorted(BROKEN_CONFIGS))
@pytest.mark.parametrize("name", sorted(BROKEN_POOLS))
def test_conformance_catches_broken_pool(name: str, where: str) -> None:
    """Each bug is found both on a preset and on small random configurations."""
    with pytest.raises(ConformanceFailure) as info:
        run_conformance(
            factory_of(BROKEN_POOLS[name]),
            settings=BROKEN_SETTINGS,
            configs=[BROKEN_CONFIGS[where]],
        )
    cause = info.value.__cause__
    assert isinstance(cause, ConformanceError), repr(cause)
    assert re.search(SYMPTOMS[name], str(cause)), str(cause)
    assert "Reproduce:" in str(info.value)


def test_failure_names_a_seed_to_reproduce() -> None:
    noisy = settings(BROKEN_SETTINGS, derandomize=False, phases=[Phase.generate])
    with pytest.raises(ConformanceFailure, match=r"seed_value=123\b"):
        run_conformance(
            factory_of(BROKEN_POOLS["hit_counted_as_miss"]),
            settings=noisy,
            configs=[PoolConfig.balanced()],
            seed_value=123,
        )


# ---- the lockstep driver on its own ----------------------------------------------------


def test_lockstep_maps_prefilled_frames_and_agrees_on_a_hit() -> None:
    ls = Lockstep(real_pool, PoolConfig.minimal())
    frame = ls.acquire(FrameType.CALL)
    assert frame is not None
    assert ls.fid(frame) in range(32)  # a prefilled frame: a hit
    ls.check()
    assert ls.model.statistics().classes[0].hits == 1


def test_lockstep_compares_error_classes() -> None:
    ls = Lockstep(real_pool, PoolConfig.minimal())
    frame = ls.acquire(FrameType.REGULAR)
    assert frame is not None
    ls.release(frame)
    before = ls.pool.counts()
    ls.release(frame)  # double release: both sides raise DoubleReleaseError
    ls.release(ls.foreign_frame())  # both raise ForeignFrameError
    ls.check()
    assert ls.pool.counts() == before


def test_lockstep_reports_a_pool_that_swallows_an_error() -> None:
    ls = Lockstep(factory_of(BROKEN_POOLS["double_release_accepted"]), PoolConfig.minimal())
    frame = ls.acquire(FrameType.REGULAR)
    assert frame is not None
    ls.release(frame)
    with pytest.raises(ConformanceError, match="DoubleReleaseError"):
        ls.release(frame)


def test_lockstep_rejects_a_pool_handing_out_a_held_frame() -> None:
    class HandsOutHeldFrame(FramePoolManager):
        def acquire(self, frame_type: FrameType):  # type: ignore[no-untyped-def]
            held = getattr(self, "held", None)
            if held is not None:
                return held
            self.held = super().acquire(frame_type)
            return self.held

    ls = Lockstep(factory_of(HandsOutHeldFrame), PoolConfig.minimal())
    ls.acquire(FrameType.REGULAR)
    with pytest.raises(ConformanceError, match="which is active, not idle"):
        ls.acquire(FrameType.REGULAR)


def test_lockstep_rejects_a_miss_when_the_model_would_hit() -> None:
    class AlwaysMisses(FramePoolManager):
        def acquire(self, frame_type: FrameType):  # type: ignore[no-untyped-def]
            saved = list(self._pools[0].available)
            self._pools[0].available.clear()
            try:
                return super().acquire(frame_type)
            finally:
                self._pools[0].available[:0] = saved

    ls = Lockstep(factory_of(AlwaysMisses), PoolConfig.minimal())
    with pytest.raises(ConformanceError, match="the pool missed"):
        ls.acquire(FrameType.REGULAR)


def test_model_and_errors_used_by_the_suite_exist() -> None:
    model = PoolModel(PoolConfig.minimal(), 0)
    with pytest.raises(ForeignFrameError):
        model.release(-1, 0)
    fid = model.acquire(FrameType.REGULAR, 0)
    model.release(fid, 0)
    with pytest.raises(DoubleReleaseError):
        model.release(fid, 0)
