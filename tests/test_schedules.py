"""(2) Deterministic schedule exploration of the real manager: at its lock operations and
anywhere in its own code.

Every schedule of the standard programs under the default passes (lock
granularity with 2 preemptions, opcode granularity with 1; under ``-m deep``
one more preemption each) must give a history the reference model linearizes,
and no deadlock; so must the first schedules of small Hypothesis-drawn
programs. Each broken variant must fail -- deterministically, without hints in
its code -- and the printed schedule id must replay the same failure.
"""

from __future__ import annotations

import dis
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

import framepool.manager
import framepool.pool
from framepool import FramePoolManager
from framepool_spec.concurrency import Acquire, Program, ProgramShape, Release, Stats, programs
from framepool_spec.concurrency.preemption import Granularity, PoolCode, Preemption, yield_offsets
from framepool_spec.concurrency.schedules import (
    DEEP_PASSES,
    DEFAULT_PASSES,
    ExplorationPass,
    Scheduler,
    explore,
    explore_programs,
    format_schedule,
    next_schedule,
    parse_schedule,
    repeat_ops,
    run_schedule,
    standard_programs,
    thorough_programs,
)
from framepool_spec.config import FrameType, PoolConfig

sys.path.insert(0, str(Path(__file__).parent))
import broken_concurrent
from broken_concurrent import BROKEN

EXAMPLES = 6
DRAWN_CAP = 100  # schedules per drawn program and pass
SHAPE = ProgramShape(min_threads=2, max_threads=2, max_ops=3, max_prefix=2)
DEEP_EXAMPLES = 40
DEEP_SHAPE = ProgramShape(min_threads=2, max_threads=3, max_ops=4, max_prefix=3)
DEEP_CAP = 5_000  # schedules per drawn program (the standard programs run to completion)
FINE_ONLY = {"missing_release_lock", "release_under_meta_lock", "refill_without_class_lock"}
"""Variants with no lock operation inside their race window: only opcode granularity shows them."""


def test_next_schedule_is_depth_first() -> None:
    assert next_schedule([(0, 2), (0, 3)]) == [0, 1]
    assert next_schedule([(0, 2), (2, 3)]) == [1]
    assert next_schedule([(1, 2), (2, 3)]) is None
    assert next_schedule([]) is None


def test_schedule_ids_count_zeros() -> None:
    assert parse_schedule("0.1.0.2") == [0, 1, 0, 2]
    assert parse_schedule("") == []
    assert parse_schedule("0*3.1.0.2") == [0, 0, 0, 1, 0, 2]
    assert format_schedule([0, 0, 0, 1, 0, 2, 0, 0]) == "0*3.1.0.2"
    assert format_schedule([0, 0]) == ""
    for choices in ([1], [0, 1, 1], [0] * 40 + [2]):
        assert parse_schedule(format_schedule(choices)) == choices


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


# ---- preemption inside the pool's code ---------------------------------------------------


class Counter:
    """A "pool" with an unprotected read-modify-write (this module is its source file)."""

    def __init__(self) -> None:
        self.n = 0

    def bump(self) -> None:
        self.n += 1


def _counter_outcomes(granularity: Granularity, bound: int = 1) -> tuple[set[int], int]:
    """Final counts over every schedule of two threads bumping one Counter, and how many."""
    outcomes: set[int] = set()
    choices: list[int] | None = []
    schedules = 0
    while choices is not None:
        counter = Counter()
        sched = Scheduler(2, choices, preemption_bound=bound,
                          preemption=Preemption(granularity, PoolCode.of(counter)))
        sched.run([counter.bump, counter.bump])
        outcomes.add(counter.n)
        schedules += 1
        choices = next_schedule(sched.trace)
    return outcomes, schedules


def test_opcode_granularity_splits_a_read_modify_write() -> None:
    # self.n += 1 is LOAD_ATTR ... STORE_ATTR on one line: only opcode granularity can switch
    # threads between the two, and then one update is lost.
    assert _counter_outcomes("opcodes")[0] == {1, 2}
    assert _counter_outcomes("lines")[0] == {2}
    assert _counter_outcomes("locks") == ({2}, 2)  # the one choice: which thread starts
    offsets = yield_offsets(Counter.bump.__code__)
    ops = {i.opname for i in dis.get_instructions(Counter.bump) if i.offset in offsets}
    assert {"LOAD_ATTR", "STORE_ATTR"} <= ops
    assert not ops & {"LOAD_FAST", "LOAD_CONST", "SWAP", "COPY", "RESUME"}


def test_pool_code_is_the_pools_own() -> None:
    code = PoolCode.of(FramePoolManager(PoolConfig.minimal()))
    for module in (framepool.manager, framepool.pool):
        assert code.covers(module.__file__ or "")
    for name in ("framepool_spec.concurrency.schedules", "framepool_spec.concurrency.programs",
                 "threading", "hypothesis"):
        assert not code.covers(sys.modules[name].__file__ or "")
    assert not code.covers(__file__)
    # A variant's own module is reached through its size classes, not its class.
    broken = PoolCode.of(BROKEN["missing_release_lock"](PoolConfig.minimal()))
    assert broken.covers(broken_concurrent.__file__ or "")
    assert broken.covers(framepool.pool.__file__ or "")


# ---- the real pool passes every schedule ---------------------------------------------------


@pytest.mark.parametrize("each", DEFAULT_PASSES, ids=str)
@pytest.mark.parametrize("index", range(len(standard_programs())))
def test_standard_programs_all_schedules(index: int, each: ExplorationPass) -> None:
    program = standard_programs()[index]
    result = explore(FramePoolManager, program, preemption_bound=each.preemption_bound,
                     granularity=each.granularity)
    assert not result.failed, result.report()
    assert result.complete
    assert result.schedules > 1


def test_exploration_is_deterministic() -> None:
    program = standard_programs()[0]
    first = explore(FramePoolManager, program, preemption_bound=2, max_schedules=60)
    second = explore(FramePoolManager, program, preemption_bound=2, max_schedules=60)
    assert first.schedules == second.schedules == 60
    schedule = "0*25.1.0*3.1"
    run_a = run_schedule(FramePoolManager, program, schedule, preemption_bound=2)
    run_b = run_schedule(FramePoolManager, program, schedule, preemption_bound=2)
    assert not run_a.failed, run_a.summary()  # (a mismatched id would abort the run)
    assert run_a.history == run_b.history
    assert run_a.schedule_id == run_b.schedule_id == schedule


def test_replay_of_a_wrong_id_is_reported() -> None:
    program = standard_programs()[7]
    run = run_schedule(FramePoolManager, program, "7")
    assert run.failed and "replay mismatch" in run.aborted


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(SHAPE))
def test_drawn_programs_first_schedules(program: Program) -> None:
    for result in explore_programs(FramePoolManager, [program], max_schedules=DRAWN_CAP):
        assert not result.failed, result.report()


@pytest.mark.deep
@settings(max_examples=DEEP_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(DEEP_SHAPE))
def test_drawn_programs_all_schedules_deep(program: Program) -> None:
    for result in explore_programs(FramePoolManager, [program], DEEP_PASSES, max_schedules=DEEP_CAP):
        assert not result.failed, result.report()


@pytest.mark.deep
@pytest.mark.parametrize("each", DEEP_PASSES, ids=str)
@pytest.mark.parametrize("index", range(len(thorough_programs())))
def test_standard_programs_all_schedules_deep(index: int, each: ExplorationPass) -> None:
    (result,) = explore_programs(FramePoolManager, [thorough_programs()[index]], [each])
    assert not result.failed, result.report()
    assert result.complete or result.schedules == each.max_schedules


# ---- every broken variant is caught ----------------------------------------------------------


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_variant_agrees_without_preemption(name: str) -> None:
    # Each variant is only concurrently broken: with no preemption it agrees with the model,
    # so what the explorer finds below is an interleaving.
    for program in standard_programs():
        for granularity in ("locks", "opcodes"):
            run = run_schedule(BROKEN[name], program, "", preemption_bound=0,
                               granularity=granularity)
            assert not run.failed, (program.source(), run.summary())


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_variant_caught(name: str) -> None:
    factory = BROKEN[name]
    started = time.monotonic()
    done = explore_programs(factory, standard_programs())
    seconds = time.monotonic() - started
    found = done[-1]
    assert found.failed, f"{name}: every schedule of every standard program passed"
    print(f"{name}: caught in {seconds:.1f}s after {sum(e.schedules for e in done)} schedules "
          f"({found.granularity} granularity, bound {found.preemption_bound})")
    bad = found.failures[0]
    report = found.report()
    assert bad.schedule_id in report and "run_schedule(" in report
    if name == "inverted_cleanup_order":
        assert bad.deadlock, report
    else:
        assert bad.check is not None and not bad.check.ok, report
    # Lock operations alone cannot show a race with no lock operation inside it.
    assert (found.granularity == "opcodes") == (name in FINE_ONLY), report
    # The printed id replays the same failure, with the same history.
    again = run_schedule(factory, found.program, bad.schedule_id,
                         preemption_bound=found.preemption_bound, granularity=found.granularity)
    assert again.failed and again.summary() == bad.summary()
    assert again.history == bad.history
    assert again.schedule_id == bad.schedule_id


def test_statistics_race_needs_the_switch_after_release() -> None:
    # The schedule that shows (b): the acquiring thread is preempted right after its lock
    # release, before its counters move; the snapshot then sees a torn pool.
    cfg = PoolConfig(enable_size_classes=False, enable_auto_tuning=False,
                     initial_pool_sizes=(1,), max_pool_sizes=(1,))
    program = Program(cfg, (), ((Acquire(FrameType.REGULAR),), (Stats(),)))
    result = explore(BROKEN["stats_outside_lock"], program, preemption_bound=1, granularity="locks")
    assert result.failed
    assert explore(FramePoolManager, program, preemption_bound=1, granularity="locks").complete
