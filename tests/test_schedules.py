"""(2) Deterministic schedule exploration of the real manager, at its lock operations.

Every schedule with at most 2 preemptions (3 under ``-m deep``) of the standard
programs and of small Hypothesis-drawn programs must give a history the
reference model linearizes, and no deadlock. Each broken variant must fail
under exhaustive exploration of the standard programs -- deterministically --
and the printed schedule id must replay the same failure.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from framepool import FramePoolManager
from framepool_spec.concurrency import Acquire, Program, ProgramShape, Release, Stats, programs
from framepool_spec.concurrency.schedules import (
    Scheduler,
    explore,
    next_schedule,
    parse_schedule,
    repeat_ops,
    run_schedule,
    standard_programs,
)
from framepool_spec.config import FrameType, PoolConfig

sys.path.insert(0, str(Path(__file__).parent))
from broken_concurrent import BROKEN

BOUND = 2
DEEP_BOUND = 3
EXAMPLES = 30
SHAPE = ProgramShape(min_threads=2, max_threads=2, max_ops=3, max_prefix=2)
DEEP_EXAMPLES = 40
DEEP_SHAPE = ProgramShape(min_threads=2, max_threads=3, max_ops=4, max_prefix=3)
DEEP_CAP = 5_000  # schedules per drawn program (the standard programs run to completion)


def test_next_schedule_is_depth_first() -> None:
    assert next_schedule([(0, 2), (0, 3)]) == [0, 1]
    assert next_schedule([(0, 2), (2, 3)]) == [1]
    assert next_schedule([(1, 2), (2, 3)]) is None
    assert next_schedule([]) is None
    assert parse_schedule("0.1.0.2") == [0, 1, 0, 2]
    assert parse_schedule("") == []


def test_repeat_ops_renumbers_slots() -> None:
    r = FrameType.REGULAR
    assert repeat_ops((Acquire(r), Release(0)), 2) == (Acquire(r), Release(0), Acquire(r), Release(2))


def test_scheduler_runs_one_thread_at_a_time() -> None:
    sched = Scheduler(3, preemption_bound=2)
    lock = sched.lock()
    inside = [0]
    seen: list[int] = []

    def body() -> None:
        for _ in range(3):
            with lock:
                inside[0] += 1
                seen.append(inside[0])
                inside[0] -= 1

    sched.run([body, body, body])
    assert seen == [1] * 9
    assert not sched.deadlock and not sched.aborting


@pytest.mark.parametrize("index", range(len(standard_programs())))
def test_standard_programs_all_schedules(index: int) -> None:
    program = standard_programs()[index]
    result = explore(FramePoolManager, program, preemption_bound=BOUND)
    assert not result.failed, result.report()
    assert result.complete
    assert result.schedules > 1


def test_exploration_is_deterministic() -> None:
    program = standard_programs()[4]
    first = explore(FramePoolManager, program, preemption_bound=BOUND, max_schedules=60)
    second = explore(FramePoolManager, program, preemption_bound=BOUND, max_schedules=60)
    assert first.schedules == second.schedules == 60
    run_a = run_schedule(FramePoolManager, program, "0.1.1.0")
    run_b = run_schedule(FramePoolManager, program, "0.1.1.0")
    assert run_a.history == run_b.history
    assert run_a.schedule_id == run_b.schedule_id


def test_replay_of_a_wrong_id_is_reported() -> None:
    program = standard_programs()[1]
    run = run_schedule(FramePoolManager, program, "7")
    assert run.failed and "replay mismatch" in run.aborted


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(SHAPE))
def test_drawn_programs_all_schedules(program: Program) -> None:
    result = explore(FramePoolManager, program, preemption_bound=BOUND)
    assert not result.failed, result.report()


@pytest.mark.deep
@settings(max_examples=DEEP_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(DEEP_SHAPE))
def test_drawn_programs_all_schedules_deep(program: Program) -> None:
    result = explore(FramePoolManager, program, preemption_bound=DEEP_BOUND, max_schedules=DEEP_CAP)
    assert not result.failed, result.report()


@pytest.mark.deep
@pytest.mark.parametrize("index", range(len(standard_programs())))
def test_standard_programs_all_schedules_deep(index: int) -> None:
    result = explore(FramePoolManager, standard_programs()[index], preemption_bound=DEEP_BOUND)
    assert not result.failed, result.report()
    assert result.complete


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_variant_caught_exhaustively(name: str) -> None:
    factory = BROKEN[name]
    failures = []
    for program in standard_programs():
        result = explore(factory, program, preemption_bound=BOUND)
        if result.failed:
            failures.append(result)
    assert failures, f"{name}: every schedule of every standard program passed"
    found = failures[0]
    bad = found.failures[0]
    report = found.report()
    assert bad.schedule_id in report and "run_schedule(" in report
    if name == "inverted_cleanup_order":
        assert bad.deadlock, report
    else:
        assert bad.check is not None and not bad.check.ok, report
    # The printed id replays the same failure, with the same history.
    again = run_schedule(factory, found.program, bad.schedule_id, preemption_bound=BOUND)
    assert again.failed and again.summary() == bad.summary()
    assert again.history == bad.history


def test_statistics_race_needs_the_switch_after_release() -> None:
    # The schedule that shows (b): the acquiring thread is preempted right after its lock
    # release, before its counters move; the snapshot then sees a torn pool.
    cfg = PoolConfig(enable_size_classes=False, enable_auto_tuning=False,
                     initial_pool_sizes=(1,), max_pool_sizes=(1,))
    program = Program(cfg, (), ((Acquire(FrameType.REGULAR),), (Stats(),)))
    result = explore(BROKEN["stats_outside_lock"], program, preemption_bound=1)
    assert result.failed
    assert explore(FramePoolManager, program, preemption_bound=1).complete
