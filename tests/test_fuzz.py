"""The differential fuzzer: a small budget against the execution spec, and proof that it catches,
reports and saves a divergence."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from framepool.evm.fixtures import load_fixture_file
from framepool.evm.forks import Fork
from framepool.evm.fuzz import _fill, generate, main, run_fuzz


def test_programs_are_reproducible_and_differ() -> None:
    a = generate(random.Random("7:0"), Fork.CANCUN)
    assert a == generate(random.Random("7:0"), Fork.CANCUN)
    assert a != generate(random.Random("7:1"), Fork.CANCUN)


def test_prague_programs_carry_a_delegated_account() -> None:
    pre = generate(random.Random("3:0"), Fork.PRAGUE)["pre"]
    assert any(acc["code"].startswith("0xef0100") for acc in pre.values())
    assert not any(acc["code"].startswith("0xef0100") for acc in generate(random.Random("3:0"), Fork.CANCUN)["pre"].values())


def test_small_budget_finds_no_divergence_under_cancun(tmp_path: Path) -> None:
    report = run_fuzz(Fork.CANCUN, seed=20261203, budget=25, save_dir=tmp_path)
    assert report.programs == 25
    assert report.diverged == [], f"framepool and the spec disagree: {report.diverged}"
    assert not list(tmp_path.iterdir())


def test_a_divergence_is_reported_and_saved_as_a_fixture(tmp_path: Path) -> None:
    def wrong_spec(test: dict[str, Any], fork: Fork) -> None:
        _fill(test, fork)
        entry = test["post"][fork.title][0]
        entry["hash"] = "0x" + "11" * 32  # a spec that disagrees with framepool

    lines: list[str] = []
    report = run_fuzz(Fork.CANCUN, seed=5, budget=2, save_dir=tmp_path, log=lines.append, filler=wrong_spec)
    assert len(report.diverged) == 2
    assert len(lines) == 2 and "DIVERGED program 0 (seed 5)" in lines[0] and "state root" in lines[0]
    saved = sorted(tmp_path.glob("*.json"))
    assert [p.name for p in saved] == ["fuzz_Cancun_5_0.json", "fuzz_Cancun_5_1.json"]
    tests = load_fixture_file(saved[0])  # a fixture framepool's loader reads, ready to replay
    assert tests[0].post["Cancun"][0].state_root == bytes.fromhex("11" * 32)


def test_cli_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--fork", "Frontier", "--budget", "1"]) == 2
    assert "unknown fork 'Frontier'" in capsys.readouterr().err
    assert main(["--budget", "0"]) == 2
    assert "--budget must be at least 1" in capsys.readouterr().err


def test_cli_runs_and_summarises(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--budget", "3", "--seed", "9", "--save", str(tmp_path)]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1].startswith("Cancun: 3 programs, 0 diverged, 0 the spec could not run,") and "programs/s" in out[-1]


def test_a_spec_crash_is_counted_and_the_run_goes_on(tmp_path: Path) -> None:
    calls: list[int] = []

    def crashing_spec(test: dict[str, Any], fork: Fork) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise OverflowError("spec overflow")
        _fill(test, fork)

    lines: list[str] = []
    report = run_fuzz(Fork.CANCUN, seed=8, budget=2, save_dir=tmp_path, log=lines.append, filler=crashing_spec)
    assert report.spec_errors == ["program 0: OverflowError: spec overflow"]
    assert report.programs == 1 and report.diverged == []
    assert lines == ["SPEC ERROR program 0 (seed 8): the spec raised OverflowError: spec overflow"]


def test_saved_fixture_is_valid_json_with_the_spec_gas(tmp_path: Path) -> None:
    test = generate(random.Random("1:1"), Fork.CANCUN)
    _fill(test, Fork.CANCUN)
    assert test["_info"]["comment"].startswith("spec gas used ")
    assert json.loads(json.dumps(test))["post"]["Cancun"][0]["indexes"] == {"data": 0, "gas": 0, "value": 0}
