"""`framepool bench`: the report's schema and its computed met flags, and argument errors.

No timing is asserted: figures depend on the machine; only their shape and logic are checked.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from framepool.bench.evm_speed import bare_vm, floor_vm
from framepool.bench.floor import BareFreeList
from framepool.bench.frame_alloc import direct_constructor
from framepool.bench.variants import pooled_vm
from framepool.bench.workloads import _recursion, run_jobs
from framepool.bench.interleave import chunk_bounds
from framepool.bench.rows import Direction, Row
from framepool.cli import main
from framepool.evm.vm import VM
from framepool_spec.config import FrameType, PoolConfig

EVM_WORKLOADS = (
    "demo contracts",
    "demo 1024-deep recursion",
    "stCallCodes",
    "stStaticCall",
    "stCallCreateCallCodeTest",
    "long mixed run",
)
CALL_HEAVY = ("demo 1024-deep recursion", "stCallCodes", "stStaticCall", "stCallCreateCallCodeTest")
MEMORY_WORKLOADS = ("demo contracts", "stCallCodes", "stStaticCall", "long mixed run")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("bench") / "bench.json"
    assert main(["bench", "--quick", "--json", str(path)]) == 0
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def test_every_row_has_the_schema_and_a_computed_met_flag(report: dict[str, Any]) -> None:
    rows = report["rows"]
    assert rows
    for row in rows:
        assert {"name", "value", "target", "met"} <= row.keys()
        value, target = row["value"], row["target"]
        assert isinstance(target, (int, float))
        if value is None:
            assert row["met"] is False
        elif row["direction"] == "<=":
            assert row["met"] is (value <= target)
        else:
            assert row["direction"] == ">="
            assert row["met"] is (value >= target)


def test_a_row_for_every_figure(report: dict[str, Any]) -> None:
    names = [row["name"] for row in report["rows"]]
    expected = ["frame allocation time, warm pooled/new", "frame allocation time, floor: bare free list/new"]
    expected += [f"EVM CPU time pooled/unpooled: {w}" for w in EVM_WORKLOADS]
    expected += [f"EVM CPU time, floor: bare free list/bare construction: {w}" for w in CALL_HEAVY]
    expected += [f"hit rate after the first transaction: {w}" for w in EVM_WORKLOADS]
    for workload in MEMORY_WORKLOADS:
        expected += [
            f"peak memory pooled/unpooled, tracemalloc: {workload}",
            f"peak memory pooled/unpooled, child peak RSS: {workload}",
        ]
    expected += [
        "memory blocks held per warm nested CALL, pooled",
        "management overhead, auto-tuning on/off: long mixed run",
        "auto-tuning: lowest hit rate of a phase (shifting mix)",
    ]
    missing = [name for name in expected if name not in names]
    assert missing == []


def test_targets_are_the_promised_ones(report: dict[str, Any]) -> None:
    targets = {row["name"]: (row["direction"], row["target"]) for row in report["rows"]}
    assert targets["frame allocation time, warm pooled/new"] == ("<=", 0.40)
    assert targets["EVM CPU time pooled/unpooled: long mixed run"] == ("<=", 1.02)
    assert targets["EVM CPU time pooled/unpooled: stStaticCall"] == ("<=", 0.85)
    assert targets["hit rate after the first transaction: demo contracts"] == (">=", 0.95)
    assert targets["peak memory pooled/unpooled, tracemalloc: stCallCodes"] == ("<=", 0.70)
    assert targets["memory blocks held per warm nested CALL, pooled"] == ("<=", 0.0)
    assert targets["management overhead, auto-tuning on/off: long mixed run"] == ("<=", 1.03)


@pytest.mark.parametrize(
    ("value", "direction", "met"),
    [
        (0.5, Direction.AT_MOST, True),
        (0.7, Direction.AT_MOST, False),
        (0.6, Direction.AT_MOST, True),
        (0.7, Direction.AT_LEAST, True),
        (0.5, Direction.AT_LEAST, False),
        (None, Direction.AT_MOST, False),
        (None, Direction.AT_LEAST, False),
    ],
)
def test_met_compares_value_and_target_in_the_rows_direction(
    value: float | None, direction: Direction, met: bool
) -> None:
    assert Row("figure", value, 0.6, direction).met is met


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--repeats", "0"], "must be at least 1"),
        (["--repeats", "many"], "expected a whole number"),
        (["--json", "/nonexistent-directory/bench.json"], "does not exist"),
        (["--json", "."], "is a directory"),
    ],
)
def test_bad_arguments_exit_2_with_a_reason(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["bench", *argv])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.skipif(importlib.util.find_spec("matplotlib") is not None, reason="matplotlib is installed")
def test_plot_without_matplotlib_names_the_extra(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["bench", "--quick", "--plot", str(tmp_path / "tuning.png")])
    assert exited.value.code == 2
    assert "framepool[plot]" in capsys.readouterr().err


def test_a_bad_argument_prints_no_traceback() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "framepool.cli", "bench", "--json", "/nonexistent-directory/x.json"],
        check=False, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "--json" in done.stderr


def test_the_direct_constructor_builds_the_frame_the_pool_hands_out() -> None:
    manager = VM(PoolConfig.high_performance()).manager
    frame = manager.acquire(FrameType.CALL)
    built = direct_constructor(frame)()
    assert type(built) is type(frame)
    assert built is not frame
    manager.release(frame)


def test_the_bare_frame_sources_run_the_evm_like_the_pool() -> None:
    """Row 2b times the bare managers on real workloads: they must execute them as the pool does."""
    vms = {"pooled": pooled_vm(), "floor": floor_vm(), "bare": bare_vm()}
    jobs = {name: _recursion(2)() for name in vms}
    for name, vm in vms.items():
        run_jobs(vm, jobs[name])
    roots = {name: jobs[name][0][0].root() for name in vms}
    assert roots["floor"] == roots["pooled"] == roots["bare"]
    floor = vms["floor"].manager
    assert isinstance(floor, BareFreeList)
    assert sum(len(idle) for idle in floor._idle) >= 1024  # it did hand out the frames


@pytest.mark.parametrize("count", [1, 2, 5, 9, 10, 1000])
def test_chunks_put_the_first_transaction_alone_and_cover_the_rest_once(count: int) -> None:
    bounds = chunk_bounds(count)
    assert bounds[0] == (0, 1)
    covered = [i for lo, hi in bounds for i in range(lo, hi)]
    assert covered == list(range(count))
