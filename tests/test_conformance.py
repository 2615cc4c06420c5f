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

from broken_pools import BROKEN_POOLS, SEEDED
from framepool import FramePoolManager, FrameType, PooledFrame
from framepool_spec.boundaries import cases, run_boundary_scenarios
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
from framepool_spec.lockstep import fresh_violations, payload_fields, scribble
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


def test_the_evm_frames_conform_too() -> None:
    """The EVM's frames are its execution contexts: every one of their fields must come back
    fresh (the suite scribbles them all, from ``EvmFrame.payload_fields``)."""
    from framepool.evm.context import EvmFrame

    def evm_pool(config: PoolConfig, clock: Callable[[], int]) -> FramePoolManager:
        return FramePoolManager(config, clock=clock, frame_class=EvmFrame)

    assert len(EvmFrame.payload_fields) > 20
    run_conformance(
        evm_pool,
        configs=[pool_configs()],
        settings=settings(DEFAULT_SETTINGS, max_examples=50, database=None),
    )


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
    "shrink_keeps_frames": r"counts\(\) differ(.|\n)*destroyed: pool \d+, model \d+",
    "leaky_release_tree": r"counts\(\) differ(.|\n)*active: pool \d+, model \d+",
}


HAND_WRITTEN = sorted(set(BROKEN_POOLS) - set(SEEDED))


def test_every_hand_written_broken_pool_has_a_symptom() -> None:
    assert set(SYMPTOMS) == set(HAND_WRITTEN)
    assert len(HAND_WRITTEN) >= 6


@pytest.mark.parametrize("where", sorted(BROKEN_CONFIGS))
@pytest.mark.parametrize("name", HAND_WRITTEN)
def test_random_search_catches_broken_pool(name: str, where: str) -> None:
    """Each bug is found by the random search alone, on a preset and on small random configs."""
    with pytest.raises(ConformanceFailure) as info:
        run_conformance(
            factory_of(BROKEN_POOLS[name]),
            settings=BROKEN_SETTINGS,
            configs=[BROKEN_CONFIGS[where]],
            boundaries=False,
        )
    cause = info.value.__cause__
    assert isinstance(cause, ConformanceError), repr(cause)
    assert re.search(SYMPTOMS[name], str(cause)), str(cause)
    assert "Reproduce:" in str(info.value)


# ---- the boundary cases ------------------------------------------------------------------

# The family of boundary cases where each seeded bug must show first.
CAUGHT_BY = {
    "reset_forgets_stack": "uses",
    "reset_forgets_memory": "uses",
    "reset_forgets_return_data": "uses",
    "reset_forgets_gas": "uses",
    "reset_forgets_contract": "uses",
    "evm_reset_keeps_message": "uses",
    "age_limit_inclusive": "age+0",
    "age_from_last_access": "age-after-reuse",
    "memory_limit_exclusive": "memory+0",
    "release_room_inclusive": "auto-tune",
    "cleanup_idle_inclusive": "idle+0",
    "cleanup_uses_inclusive": "uses+0",
    "cleanup_idle_from_creation": "idle-1",
    "shrink_at_threshold": "auto-tune",
    "grow_at_target_hit_rate": "auto-tune",
    "shrink_below_initial": "auto-tune(initial=5",
    "expand_short_of_demand": "auto-tune(initial=0",
    "gc_overdue_inclusive": "gc-interval+0",
    "gc_threshold_inclusive": "gc-pressure+0",
    "gc_force_inclusive": "gc-force+0",
    "forced_gc_keeps_timer": "gc-forced-resets-timer-1",
    "shrink_destroys_hottest": "auto-tune",
    "peak_only_at_snapshot": "idle",
    "cleanup_time_not_recorded": "idle",
    "tier_age_limit_inclusive": "tier-age+0",
    "tier_memory_limit_exclusive": "tier-memory+0",
    "tier_room_ignores_slots": "tier-expand-1",
    "tier_flush_past_limit": "tier-flush+1",
    "refill_takes_coldest": "tier-room-1",
    "tier_expand_short_of_demand": "tier-expand",
}


def test_every_seeded_bug_has_a_place_to_show() -> None:
    assert set(CAUGHT_BY) == set(SEEDED)


def test_real_pool_passes_every_boundary_case() -> None:
    assert run_boundary_scenarios(real_pool) == len(list(cases())) > 500


@pytest.mark.parametrize("name", sorted(SEEDED))
def test_boundary_cases_catch_seeded_bug(name: str) -> None:
    with pytest.raises(ConformanceFailure) as info:
        run_boundary_scenarios(factory_of(BROKEN_POOLS[name]))
    message = str(info.value)
    assert f"fails the boundary case '{CAUGHT_BY[name]}" in message, message
    assert "Reproduce: run_boundary_scenarios(factory, only=" in message


def test_boundary_cases_can_be_picked_by_name() -> None:
    assert run_boundary_scenarios(real_pool, only="gc-force+") == 2  # +0 and +1
    with pytest.raises(ValueError, match="no boundary case"):
        run_boundary_scenarios(real_pool, only="nonsense")


def test_a_reused_frame_must_come_back_clean() -> None:
    ls = Lockstep(factory_of(BROKEN_POOLS["reset_forgets_return_data"]), PoolConfig.minimal())
    frame = ls.acquire(FrameType.REGULAR)
    assert frame is not None
    ls.release(frame)  # the suite scribbles into it first
    with pytest.raises(ConformanceError, match="handed out unclean.*return_data"):
        ls.acquire(FrameType.REGULAR)


class _Frame:
    """A bare frame with one more per-call field, ``origin``."""

    def __init__(self) -> None:
        self.frame_type = FrameType.REGULAR
        self.parent = None
        self.children: list[object] = []
        self.depth = self.usage_count = self.gas = 0
        self.stack: list[int] = []
        self.memory = bytearray()
        self.return_data = b""
        self.contract: object = None
        self.origin: object = None


def test_declared_payload_fields_are_scribbled_and_checked() -> None:
    fields = payload_fields(type("Pool", (), {"payload_fields": {"origin": None}})())
    frame = _Frame()
    assert fresh_violations(frame, fields, None) == []  # type: ignore[arg-type]
    scribble(frame, fields)  # type: ignore[arg-type]
    found = fresh_violations(frame, fields, None)  # type: ignore[arg-type]
    assert [p.split(" is ")[0] for p in found] == [
        "stack", "memory", "return_data", "gas", "contract", "origin"
    ]


def test_failure_names_a_seed_to_reproduce() -> None:
    noisy = settings(BROKEN_SETTINGS, derandomize=False, phases=[Phase.generate])
    with pytest.raises(ConformanceFailure, match=r"seed_value=123\b"):
        run_conformance(
            factory_of(BROKEN_POOLS["hit_counted_as_miss"]),
            settings=noisy,
            configs=[PoolConfig.balanced()],
            seed_value=123,
            boundaries=False,
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
