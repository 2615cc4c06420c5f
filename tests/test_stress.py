"""(4) Stress: many threads on one shared manager; then every frame is accounted for.

8 threads x 10,000 operations (acquire, child frames, release, statistics,
auto_tune, cleanup, resize, gc checks) on one FramePoolManager. During the run
every statistics snapshot must conserve counts (a torn snapshot would not) and
no frame may be handed to two holders at once (each holder stamps the frames
it holds). Afterwards: every invariant holds, nothing is active, created -
destroyed = idle, and the counts that do not depend on the interleaving
(acquisitions, releases, per-type allocations and deallocations, refusals,
cleanups) equal those of a single-threaded run of the same operation lists.

Then several VMs on threads sharing one manager run state-test fixtures; every
vector's result must equal a single-threaded run's.
"""

from __future__ import annotations

import random
import sys
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from framepool import FramePoolManager, FrameType, PoolConfig, PooledFrame
from framepool_spec.concurrency import FakeClock
from framepool_spec.config import can_be_parent_of
from framepool_spec.errors import FramePoolError
from framepool_spec.statistics import PoolCounts, conservation_violations

sys.path.insert(0, str(Path(__file__).parent))
from broken_concurrent import BROKEN

THREADS = 8
OPS = 10_000
JOIN_TIMEOUT = 120.0  # a deadlock shows as a timeout, never as a hung test run

STRESS_CONFIG = PoolConfig(
    enable_size_classes=True,
    enable_auto_tuning=True,
    enable_gc_integration=True,
    initial_pool_sizes=(4, 4, 2, 2, 2, 2, 1, 1),
    max_pool_sizes=(16, 16, 8, 8, 8, 8, 4, 4),
    gc_pressure_threshold=0.5,
)
CACHED_STRESS_CONFIG = replace(STRESS_CONFIG, thread_cache_size=4)
"""With thread caches: refills, flushes at the limit, drains by resize, auto_tune and
cleanup against them, and each thread's exit."""

_KINDS = ("acquire",) * 30 + ("child",) * 15 + ("release",) * 40 + (
    "statistics", "statistics", "auto_tune", "cleanup", "check_gc", "resize", "release_parent",
)


def make_ops(seed: int, n: int) -> list[tuple[str, int]]:
    """A thread's operation list: (kind, argument) pairs; arguments pick types, frames, sizes."""
    rng = random.Random(seed)
    return [(rng.choice(_KINDS), rng.randrange(1 << 30)) for _ in range(n)]


@dataclass
class ThreadLog:
    errors: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    snapshots: int = 0


def run_ops(manager: FramePoolManager, ops: list[tuple[str, int]], me: int, log: ThreadLog,
            clock: FakeClock, config: PoolConfig = STRESS_CONFIG) -> None:
    """Run one thread's list; at the end release everything it still holds (leaves first)."""
    held: list[PooledFrame] = []
    mark = ("holder", me)

    def took(frame: PooledFrame) -> None:
        if frame.contract is not None or not frame.is_active:
            log.problems.append(f"thread {me} got {frame!r} still marked {frame.contract!r}")
        frame.contract = mark
        held.append(frame)

    def give_back(frame: PooledFrame) -> None:
        if frame.contract != mark:
            log.problems.append(f"thread {me} releases {frame!r} marked {frame.contract!r}")
        try:
            manager.release(frame)
            held.remove(frame)
        except FramePoolError as exc:
            log.errors[type(exc).__name__] += 1

    types = list(FrameType)
    for kind, arg in ops:
        if kind == "acquire" or (kind in ("child", "release", "release_parent") and not held):
            took(manager.acquire(types[arg % len(types)]))
        elif kind == "child":
            parent = held[arg % len(held)]
            child_type = types[(arg >> 8) % len(types)]
            try:
                took(manager.get_or_create(child_type, parent))
            except FramePoolError as exc:
                log.errors[type(exc).__name__] += 1
                if can_be_parent_of(parent.frame_type, child_type):
                    log.problems.append(f"thread {me}: refused a legal child: {exc}")
        elif kind == "release":
            leaves = [f for f in held if not f.children]
            give_back(leaves[arg % len(leaves)])
        elif kind == "release_parent":  # may be refused (ActiveChildrenError): same in both runs
            give_back(held[arg % len(held)])
        elif kind == "statistics":
            counts = manager.counts()
            log.snapshots += 1
            for p in conservation_violations(counts):
                log.problems.append(f"thread {me}: torn snapshot: {p}")
        elif kind == "auto_tune":
            manager.auto_tune()
        elif kind == "cleanup":
            manager.cleanup()
        elif kind == "check_gc":
            manager.check_gc_pressure()
        else:
            c = arg % 8
            manager.resize(c, (arg >> 8) % (config.max_pool_sizes[c] + 1))
    while held:
        leaves = [f for f in held if not f.children]
        for frame in leaves:
            give_back(frame)


@dataclass
class Outcome:
    counts: PoolCounts
    errors: Counter[str]
    problems: list[str]
    stuck: list[int]
    snapshots: int


def run_stress(factory: Callable[..., FramePoolManager], op_lists: list[list[tuple[str, int]]],
               *, concurrent: bool, config: PoolConfig = STRESS_CONFIG) -> Outcome:
    clock = FakeClock(0)
    manager = factory(config, clock=clock)
    logs = [ThreadLog() for _ in op_lists]
    stuck: list[int] = []
    if concurrent:
        barrier = threading.Barrier(len(op_lists))

        def body(t: int) -> None:
            barrier.wait()
            run_ops(manager, op_lists[t], t, logs[t], clock, config)

        threads = [threading.Thread(target=body, args=(t,), daemon=True) for t in range(len(op_lists))]
        old = sys.getswitchinterval()
        sys.setswitchinterval(1e-5)
        try:
            for th in threads:
                th.start()
            for th in threads:
                th.join(JOIN_TIMEOUT)
        finally:
            sys.setswitchinterval(old)
        stuck = [t for t, th in enumerate(threads) if th.is_alive()]
    else:
        for t, ops in enumerate(op_lists):
            run_ops(manager, ops, t, logs[t], clock, config)
    errors: Counter[str] = Counter()
    for log in logs:
        errors.update(log.errors)
    problems = [p for log in logs for p in log.problems]
    counts = manager.counts() if not stuck else PoolCounts((), (), 0, None, 0, False)
    return Outcome(counts, errors, problems, stuck, sum(log.snapshots for log in logs))


def interleaving_free(counts: PoolCounts) -> dict[str, Any]:
    """The counts every interleaving of the same per-thread lists must agree on."""
    return {
        "acquisitions": [c.acquisitions for c in counts.classes],
        "releases": [c.releases for c in counts.classes],
        "active": [c.active for c in counts.classes],
        "allocations by type": [t.pool_allocations + t.direct_allocations for t in counts.by_type],
        "deallocations by type": [
            t.pool_deallocations + t.direct_deallocations for t in counts.by_type
        ],
        "cleanups": counts.cleanups_performed,
    }


def check_accounted(outcome: Outcome) -> list[str]:
    counts = outcome.counts
    problems = list(outcome.problems) + conservation_violations(counts)
    if outcome.stuck:
        problems.append(f"deadlock (timeout): threads {outcome.stuck} never finished")
    for c in counts.classes:
        if c.active:
            problems.append(f"class {c.size_class}: {c.active} frames still active")
        if c.created - c.destroyed != c.available:
            problems.append(f"class {c.size_class}: created - destroyed != idle")
    return problems


def _managers(cls: type[FramePoolManager]) -> Callable[..., FramePoolManager]:
    return lambda config, clock: cls(config, clock=clock)


@pytest.mark.parametrize("config", [STRESS_CONFIG, CACHED_STRESS_CONFIG], ids=["shared", "cached"])
def test_stress_eight_threads_ten_thousand_ops(config: PoolConfig) -> None:
    op_lists = [make_ops(1000 + t, OPS) for t in range(THREADS)]
    together = run_stress(_managers(FramePoolManager), op_lists, concurrent=True, config=config)
    assert not together.stuck, f"deadlock (timeout): threads {together.stuck}"
    problems = check_accounted(together)
    assert not problems, "\n".join(problems[:20])
    alone = run_stress(_managers(FramePoolManager), op_lists, concurrent=False, config=config)
    assert not check_accounted(alone)
    assert interleaving_free(together.counts) == interleaving_free(alone.counts)
    assert together.errors == alone.errors
    assert together.counts.acquisitions == alone.counts.acquisitions > OPS
    assert together.counts.hits + together.counts.misses == together.counts.acquisitions
    assert together.snapshots > 0


@pytest.mark.deep
@pytest.mark.parametrize("config", [STRESS_CONFIG, CACHED_STRESS_CONFIG], ids=["shared", "cached"])
def test_stress_deep(config: PoolConfig) -> None:
    op_lists = [make_ops(3000 + t, 5 * OPS) for t in range(THREADS)]
    together = run_stress(_managers(FramePoolManager), op_lists, concurrent=True, config=config)
    problems = check_accounted(together)
    assert not problems, "\n".join(problems[:20])
    alone = run_stress(_managers(FramePoolManager), op_lists, concurrent=False, config=config)
    assert interleaving_free(together.counts) == interleaving_free(alone.counts)
    assert together.errors == alone.errors


def test_stress_checks_can_fail() -> None:
    # What a race leaves behind, the stress checks report. (On CPython 3.11 real threads
    # switch only at calls and backward jumps, so the seeded races of broken_concurrent
    # rarely show in a stress run; the schedule explorer finds them all: test_schedules.)
    op_lists = [make_ops(2000 + t, 300) for t in range(2)]
    fine = run_stress(_managers(FramePoolManager), op_lists, concurrent=False)
    assert not check_accounted(fine)
    manager = FramePoolManager(STRESS_CONFIG, clock=FakeClock(0))
    manager.acquire(FrameType.CALL)  # a frame nobody gives back
    leaked = Outcome(manager.counts(), Counter(), [], [], 0)
    assert any("still active" in p for p in check_accounted(leaked))
    # A snapshot taken between two counter bumps of one acquisition (stats_outside_lock).
    first = fine.counts.classes[0]
    torn = replace(fine.counts, classes=(replace(first, acquisitions=first.acquisitions + 1),)
                   + fine.counts.classes[1:])
    assert conservation_violations(torn)
    # A lost update of a counter changes what every interleaving must agree on.
    lost = replace(fine.counts, classes=(replace(first, releases=first.releases - 1),)
                   + fine.counts.classes[1:])
    assert interleaving_free(lost) != interleaving_free(fine.counts)


def test_stress_catches_an_unlocked_release() -> None:
    # A release without its lock corrupts the counts on real threads too (measured: 4 runs
    # in 5 at 4 x 1,500 operations; here 8 x 3,000).
    op_lists = [make_ops(2000 + t, 3000) for t in range(THREADS)]
    outcome = run_stress(_managers(BROKEN["missing_release_lock"]), op_lists, concurrent=True)
    assert check_accounted(outcome) or interleaving_free(outcome.counts) != interleaving_free(
        run_stress(_managers(FramePoolManager), op_lists, concurrent=False).counts
    )


# ---- VMs on threads sharing one manager --------------------------------------------------

VM_THREADS = 4
FIXTURE_FILES = 20
FIXTURE_DIRS = ("stCallCodes", "stStaticCall", "stExample", "stSelfBalance")


def _evm() -> tuple[Any, Any]:
    try:
        from framepool.evm import fixtures, vm
    except ImportError as exc:  # pragma: no cover - the EVM is optional for this test
        pytest.skip(f"the EVM (framepool.evm.vm / fixtures) is not importable yet: {exc}")
    if not hasattr(vm, "VM") or not hasattr(vm.VM, "run_vector"):
        pytest.skip("framepool.evm.vm.VM.run_vector does not exist yet")
    try:
        root = fixtures.fixtures_root() / "GeneralStateTests"
    except fixtures.FixturesNotFoundError as exc:
        pytest.skip(f"state-test fixtures not found: {exc}")
    return vm, root


def _fixture_vectors(fixtures: Any, root: Path) -> list[Any]:
    files: list[Path] = []
    for d in FIXTURE_DIRS:
        if (root / d).is_dir():
            files.extend(list(fixtures.iter_fixture_files([root / d]))[: FIXTURE_FILES // 4])
    vectors = []
    for path in files[:FIXTURE_FILES]:
        for test in fixtures.load_fixture_file(path):
            vectors.extend(fixtures.iter_vectors(test))
    return vectors


def _vm_on(vm_module: Any, manager: FramePoolManager) -> Any:
    """A VM whose frames come from the shared ``manager``."""
    return vm_module.VM(manager=manager)


def test_vms_on_threads_share_one_manager() -> None:
    vm_module, root = _evm()
    from framepool.evm import fixtures

    vectors = _fixture_vectors(fixtures, root)
    assert len(vectors) >= FIXTURE_FILES
    # Thread caches: what a manager shared by several VM threads is meant to run with.
    config = replace(PoolConfig.high_performance(), thread_cache_size=16)

    alone = _vm_on(vm_module, vm_module.evm_manager(config))
    expected = [alone.run_vector(v) for v in vectors]

    shared = vm_module.evm_manager(config)
    results: list[list[Any]] = [[] for _ in range(VM_THREADS)]
    crashed: list[str] = []

    def body(t: int) -> None:
        vm = _vm_on(vm_module, shared)
        try:
            # Every thread runs every vector, each starting at a different place.
            order = vectors[t * len(vectors) // VM_THREADS:] + vectors[: t * len(vectors) // VM_THREADS]
            results[t] = [(vectors.index(v), vm.run_vector(v)) for v in order]
        except BaseException as exc:  # noqa: BLE001 -- reported below
            crashed.append(f"thread {t}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=body, args=(t,), daemon=True) for t in range(VM_THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(JOIN_TIMEOUT)
    assert not [th for th in threads if th.is_alive()], "deadlock (timeout)"
    assert not crashed, crashed
    for t in range(VM_THREADS):
        assert len(results[t]) == len(vectors)
        for i, result in results[t]:
            assert result == expected[i], (t, vectors[i].test.name, result, expected[i])
    counts = shared.counts()
    assert not conservation_violations(counts)
    assert counts.frames_active == 0
    assert counts.acquisitions == VM_THREADS * alone.manager.counts().acquisitions
