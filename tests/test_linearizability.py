"""(1) Real-thread histories are linearizable w.r.t. the reference model -- and the checker bites.

The default run draws ``EXAMPLES`` programs (2-3 threads, up to 4 operations
each, a prefix of up to 3), each run ``REPEATS`` times on real threads.
``pytest -m deep`` draws more and larger programs.

Real threads on CPython 3.11 switch only at calls and backward jumps, so most
broken variants (tests/broken_concurrent.py, which carry no hints) almost never
show on them; the schedule explorer finds every one (tests/test_schedules.py).
``run_conformance(threads=2)``, which runs both, must catch all eleven; real
threads alone are shown catching the variant whose window is widest.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from framepool import FramePoolManager
from framepool.pool import LockLike
from framepool_spec.concurrency import (
    Acquire,
    AutoTune,
    CheckGC,
    Cleanup,
    ConcurrencyFailure,
    GetOrCreate,
    Outcome,
    Program,
    ProgramShape,
    Release,
    Resize,
    Stats,
    check_history,
    check_program,
    find_failure,
    programs,
    run_concurrent_conformance,
    run_linearizability,
)
from framepool_spec.concurrency.linearizability import (
    Candidate,
    check_model_shape,
    clone_model,
    fingerprint,
)
from framepool_spec.concurrency.programs import PREFIX_THREAD, Entry, Op
from framepool_spec.concurrency.schedules import ExplorationPass, standard_programs
from framepool_spec.concurrency.threads import sequential_history
from framepool_spec.config import FrameType, PoolConfig
from framepool_spec.conformance import DEFAULT_SETTINGS, pool_configs, run_conformance
from framepool_spec.model import PoolModel

sys.path.insert(0, str(Path(__file__).parent))
from broken_concurrent import BROKEN

EXAMPLES = 100
REPEATS = 5
DEEP_EXAMPLES = 400
DEEP_SHAPE = ProgramShape(min_threads=2, max_threads=4, max_ops=8, max_prefix=5)

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large]


def _settings(examples: int, *, derandomize: bool = False) -> settings:
    return settings(
        max_examples=examples, deadline=None, derandomize=derandomize,
        database=None if derandomize else settings.default.database,
        suppress_health_check=_QUIET,
    )


# ---- the checker on hand-written histories ---------------------------------------------

ONE = PoolConfig(enable_size_classes=False, enable_auto_tuning=False,
                 initial_pool_sizes=(1,), max_pool_sizes=(2,))
R = FrameType.REGULAR


def _e(eid: int, thread: int, op: Op, invoke: int, response: int, kind: str, value: object,
       arg: int | None = None, index: int = 0) -> Entry:
    return Entry(eid, thread, index, op, 0, arg, invoke, response, kind, value)


def test_overlapping_acquisitions_of_distinct_frames_linearize() -> None:
    # One idle frame: one thread hits it, the other misses; either may have gone first.
    h = [
        _e(0, 0, Acquire(R), 1, 4, "frame", 0),
        _e(1, 1, Acquire(R), 2, 3, "frame", 1),
    ]
    assert check_history(ONE, h).outcome is Outcome.OK


def test_one_frame_handed_to_two_threads_is_illegal() -> None:
    h = [
        _e(0, 0, Acquire(R), 1, 4, "frame", 0),
        _e(1, 1, Acquire(R), 2, 3, "frame", 0),
    ]
    result = check_history(ONE, h)
    assert result.outcome is Outcome.ILLEGAL
    assert "#0" in result.report()


def test_real_time_order_is_respected() -> None:
    # t0's release returned before t1's acquire began, so t1 must hit the returned frame ...
    ok = [
        _e(0, 0, Acquire(R), 1, 2, "frame", 0),
        _e(1, 0, Acquire(R), 3, 4, "frame", 1, index=1),
        _e(2, 0, Release(0), 5, 6, "value", True, arg=0, index=2),
        _e(3, 1, Acquire(R), 7, 8, "frame", 0),
    ]
    assert check_history(ONE, ok).ok
    # ... a fresh frame there is a miss the model cannot explain.
    bad = ok[:3] + [_e(3, 1, Acquire(R), 7, 8, "frame", 2)]
    assert check_history(ONE, bad).outcome is Outcome.ILLEGAL
    # Overlapping the release, the acquisition may come first and miss.
    overlapping = ok[:2] + [
        _e(2, 0, Release(0), 5, 8, "value", True, arg=0, index=2),
        _e(3, 1, Acquire(R), 6, 7, "frame", 2),
    ]
    assert check_history(ONE, overlapping).ok


def test_statistics_must_match_some_order() -> None:
    model = PoolModel(ONE, 0)
    before = model.statistics()
    model.acquire(R, 0)
    after = model.statistics()
    for seen in (before, after):
        h = [_e(0, 0, Acquire(R), 1, 4, "frame", 0), _e(1, 1, Stats(), 2, 3, "value", seen)]
        assert check_history(ONE, h).ok
    torn = [_e(0, 0, Acquire(R), 1, 2, "frame", 0), _e(1, 1, Stats(), 3, 4, "value", before)]
    assert check_history(ONE, torn).outcome is Outcome.ILLEGAL


def test_errors_must_match_the_model() -> None:
    h = [
        _e(0, 0, Acquire(R), 1, 2, "frame", 0),
        _e(1, 0, Release(0), 3, 4, "value", True, arg=0, index=1),
        _e(2, 0, Release(0), 5, 6, "error", "DoubleReleaseError", arg=0, index=2),
    ]
    assert check_history(ONE, h).ok
    wrong = h[:2] + [_e(2, 0, Release(0), 5, 6, "error", "ActiveChildrenError", arg=0, index=2)]
    assert not check_history(ONE, wrong).ok
    accepted = h[:2] + [_e(2, 0, Release(0), 5, 6, "value", False, arg=0, index=2)]
    assert not check_history(ONE, accepted).ok


def test_shrink_destroys_the_coldest() -> None:
    # Two frames go idle, a resize to 1 destroys the one idle longest (frame #0, released
    # first): only #1 may be handed out again.
    cfg = PoolConfig(enable_size_classes=False, enable_auto_tuning=False,
                     initial_pool_sizes=(0,), max_pool_sizes=(2,))
    base = [
        _e(0, PREFIX_THREAD, Resize(0, 2), 1, 2, "value", None),
        _e(1, PREFIX_THREAD, Acquire(R), 3, 4, "frame", 0, index=1),
        _e(2, PREFIX_THREAD, Acquire(R), 5, 6, "frame", 1, index=2),
        _e(3, PREFIX_THREAD, Release(1), 7, 8, "value", True, arg=0, index=3),
        _e(4, PREFIX_THREAD, Release(2), 9, 10, "value", True, arg=1, index=4),
        _e(5, PREFIX_THREAD, Resize(0, 1), 11, 12, "value", None, index=5),
    ]
    assert check_history(cfg, base + [_e(6, 0, Acquire(R), 13, 14, "frame", 1)]).ok
    assert not check_history(cfg, base + [_e(6, 0, Acquire(R), 13, 14, "frame", 0)]).ok
    # Nor a third, new frame while one is idle.
    assert not check_history(cfg, base + [_e(6, 0, Acquire(R), 13, 14, "frame", 2)]).ok


def test_a_threads_cache_is_its_own_until_it_ends() -> None:
    # t0 takes the prefilled frame through its cache and gives it back there. While t0 runs,
    # t1 cannot hit it (other threads' caches are not searched); once t0 may have ended (its
    # cache flushed to the shared list), t1 may.
    cfg = PoolConfig(enable_size_classes=False, enable_auto_tuning=False,
                     initial_pool_sizes=(1,), max_pool_sizes=(2,), thread_cache_size=1)
    t0 = [
        _e(0, 0, Acquire(R), 1, 2, "frame", 0),
        _e(1, 0, Release(0), 3, 4, "value", True, arg=0, index=1),
    ]
    alive = [_e(3, 0, CheckGC(), 7, 8, "value", False, index=2)]
    hit, miss = (_e(2, 1, Acquire(R), 5, 6, "frame", token) for token in (0, 1))
    assert check_history(cfg, t0 + [hit]).ok
    assert check_history(cfg, t0 + [miss]).ok
    assert check_history(cfg, t0 + [hit] + alive).outcome is Outcome.ILLEGAL
    assert check_history(cfg, t0 + [miss] + alive).ok


def test_fingerprint_ignores_creation_order() -> None:
    cfg = PoolConfig(enable_size_classes=False, enable_auto_tuning=False,
                     initial_pool_sizes=(0,), max_pool_sizes=(2,))
    a, b = Candidate(PoolModel(cfg, 0), {}, {}), Candidate(PoolModel(cfg, 0), {}, {})
    # a creates token 0 then 1; b creates token 1 then 0.
    a.bind(0, a.model.acquire(R, 0))
    a.bind(1, a.model.acquire(FrameType.CALL, 0))
    b.bind(1, b.model.acquire(FrameType.CALL, 0))
    b.bind(0, b.model.acquire(R, 0))
    assert fingerprint(a) == fingerprint(b)
    b.model.release(b.fid_of[0], 0)
    assert fingerprint(a) != fingerprint(b)


def test_clone_is_independent_and_complete() -> None:
    model = PoolModel(PoolConfig.minimal(), 0)
    check_model_shape(model)
    parent = model.acquire(R, 0)
    model.get_or_create(FrameType.CALL, parent, 5)
    copy = clone_model(model)
    fp = fingerprint(Candidate(copy, {}, {}))
    assert fp == fingerprint(Candidate(model, {}, {}))
    copy.release(copy.frames[parent].children[0], 7)
    copy.auto_tune()
    assert fingerprint(Candidate(model, {}, {})) == fp
    assert copy.statistics() != model.statistics()


def test_time_budget_gives_unknown() -> None:
    h = [_e(i, i, Acquire(R), i + 1, 100 - i, "frame", i) for i in range(12)]
    assert check_history(ONE, h, time_budget=-1.0).outcome is Outcome.UNKNOWN


def test_sequential_runs_are_linearizable() -> None:
    program = Program(
        PoolConfig.balanced(), (Acquire(R),),
        ((Acquire(FrameType.CALL), GetOrCreate(R, 0), Release(0), Release(1), AutoTune()),
         (Cleanup(), Stats())),
        10, 31_000,
    )
    h = sequential_history(FramePoolManager, program)
    result = check_history(program.config, list(h))
    assert result.ok, result.report()
    assert result.final_violations == []


# ---- the property: the real manager agrees with the model on real threads --------------


def test_real_threads_linearizable() -> None:
    run_linearizability(FramePoolManager, programs(), _settings(EXAMPLES), repeats=REPEATS)


@pytest.mark.deep
def test_real_threads_linearizable_deep() -> None:
    run_linearizability(FramePoolManager, programs(DEEP_SHAPE), _settings(DEEP_EXAMPLES),
                        repeats=10, time_budget=60.0)


def test_standard_program_repeats_agree() -> None:
    for program in standard_programs():
        verdict = check_program(FramePoolManager, program, repeats=REPEATS)
        assert not verdict.failed, verdict.report()


# ---- real threads catch a race with a wide window -------------------------------------


def test_real_threads_catch_an_unlocked_release() -> None:
    # A release with no lock at all races with every other release and acquisition; real
    # threads meet in it within the first few programs (measured: 1-5 of 100).
    verdict, ran = find_failure(
        BROKEN["missing_release_lock"], programs(), _settings(EXAMPLES, derandomize=True),
        repeats=REPEATS, join_timeout=3.0,
    )
    assert verdict is not None, f"no failure in {ran} programs"
    report = verdict.report()
    assert "replay with" in report and "Program(" in report
    assert verdict.kind in ("race", "logic bug"), report


# ---- run_conformance(threads=N) runs these checks for any pool --------------------------


def _locking(cls: type[FramePoolManager]) -> Callable[..., FramePoolManager]:
    def make(config: PoolConfig, clock: Callable[[], int],
             lock_factory: Callable[[], LockLike] = threading.Lock) -> FramePoolManager:
        return cls(config, clock=clock, lock_factory=lock_factory)

    make.__name__ = cls.__name__
    return make


_QUICK = settings(DEFAULT_SETTINGS, max_examples=8, stateful_step_count=10, derandomize=True,
                  database=None)
_FEW = settings(_QUICK, max_examples=2)


@pytest.mark.deep
def test_run_conformance_with_threads_passes_the_real_pool() -> None:
    # ~50 s; the default run shows the real pool passing every schedule in test_schedules
    # and run_concurrent_conformance in the test below.
    run_conformance(_locking(FramePoolManager), settings=_QUICK, configs=[pool_configs()],
                    threads=3)


def test_run_concurrent_conformance_reports_what_it_checked() -> None:
    one_pass = (ExplorationPass("locks", 1),)
    summary = run_concurrent_conformance(
        _locking(FramePoolManager), st.just(PoolConfig.minimal()), threads=2,
        settings=settings(_QUICK, max_examples=2), passes=one_pass, drawn_schedules=20,
    )
    assert summary.passes == one_pass
    assert summary.programs_explored >= len(standard_programs())
    assert summary.schedules > 2 * summary.programs_explored
    assert summary.histories >= REPEATS * len(standard_programs())


_ENTRY_POINT_SAMPLE = {"missing_release_lock", "refill_trims_after_unlock"}
"""The variants run through run_conformance in the default run (one of the class locks, one
of the thread caches); every variant is caught there by test_schedules, and here under -m deep."""


@pytest.mark.parametrize(
    "name",
    [n if n in _ENTRY_POINT_SAMPLE else pytest.param(n, marks=pytest.mark.deep) for n in sorted(BROKEN)],
)
def test_run_conformance_with_threads_catches_broken_variant(name: str) -> None:
    # run_conformance first checks the sequential agreement, which every variant has (see
    # test_schedules.test_broken_variant_agrees_without_preemption); threads= sees the bug.
    started = time.monotonic()
    with pytest.raises(ConcurrencyFailure, match="SCHEDULE FAILURE"):
        run_conformance(_locking(BROKEN[name]), settings=_FEW, configs=[PoolConfig.minimal()],
                        threads=2)
    print(f"{name}: run_conformance(threads=2) failed after {time.monotonic() - started:.1f}s")
