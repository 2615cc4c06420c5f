"""`framepool verify` is a CI gate: exit 0 on a conforming pool, 1 with a replayable
counterexample on a broken one, 2 with a one-line reason when it cannot run."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from framepool import FramePoolManager
from framepool.cli import main
from framepool.gate.inputs import GateError, load_factory
from framepool.gate.report import CheckResult, Verdict, exit_code
from framepool.gate.storage import storage_paths
from framepool_spec.config import PoolConfig

REPO = Path(__file__).resolve().parent.parent
TESTS = REPO / "tests"


# ---- factories for the tests (named as test_verify:NAME; tests/ is on sys.path) ----------


def raising_factory(config: PoolConfig, clock: Any) -> Any:
    raise RuntimeError("no pool today")


def not_a_pool(config: PoolConfig, clock: Any) -> Any:
    return object()


NOT_CALLABLE = 3


class ProxyPool:
    """framepool's pool behind a proxy: conformant, but not a FramePoolManager (the VM refuses it)."""

    def __init__(self, inner: FramePoolManager) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def proxy_factory(config: PoolConfig, clock: Any) -> ProxyPool:
    return ProxyPool(FramePoolManager(config, clock=clock))


class ReleaseTakesItsLockTwice(FramePoolManager):
    """release() holds the class lock while the pool's own release takes it again: it hangs."""

    def release(self, frame: Any) -> bool:
        with frame._pool.lock:
            return super().release(frame)


# ---- helpers -------------------------------------------------------------------------------


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory and a cache directory of its own (no remembered failures)."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return work


def verify(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["verify", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def cli(*args: str, cwd: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, XDG_CACHE_HOME=str(cache), PYTHONPATH=str(TESTS))
    return subprocess.run([sys.executable, "-m", "framepool.cli", "verify", *args],
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=300, check=False)


def assert_one_line_reason(err: str, *words: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("framepool verify: "), err
    assert "Traceback" not in err
    for word in words:
        assert word in lines[0], err


# ---- exit status 2: the gate cannot run ------------------------------------------------------

BAD_FACTORIES = [
    ("nocolon", "must look like package.module:callable"),
    ("no_such_module_anywhere:make", "cannot import 'no_such_module_anywhere'"),
    ("framepool.manager:Nope", "has no attribute 'Nope'"),
    ("test_verify:NOT_CALLABLE", "is not callable"),
    ("test_verify:raising_factory", "raised RuntimeError: no pool today"),
    ("test_verify:not_a_pool", "returned object, not a pool"),
]


@pytest.mark.parametrize("spec, words", BAD_FACTORIES)
def test_bad_factory_exits_2_with_a_one_line_reason(
    spec: str, words: str, isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = verify(capsys, "--factory", spec)
    assert status == 2
    assert_one_line_reason(err, words)
    assert out == ""  # validated before anything ran


def test_bad_factory_from_the_command_line_shows_no_traceback(tmp_path: Path) -> None:
    result = cli("--factory", "no_such_module_anywhere:make", cwd=tmp_path, cache=tmp_path / "cache")
    assert result.returncode == 2
    assert_one_line_reason(result.stderr, "cannot import")


@pytest.mark.parametrize("problem", ["missing", "no-state-tests"])
def test_bad_fixtures_path_exits_2_before_running(
    problem: str, isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = isolated / "fixtures"
    if problem == "no-state-tests":
        path.mkdir()
    status, out, err = verify(capsys, "--fixtures", str(path))
    assert status == 2
    assert_one_line_reason(err, "--fixtures", str(path))
    assert "START" not in out


def test_bad_fixtures_variable_exits_2(
    isolated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRAMEPOOL_ETHEREUM_TESTS", str(isolated / "nowhere"))
    status, out, err = verify(capsys, "--profile", "quick")
    assert status == 2 and out == ""
    assert_one_line_reason(err, "$FRAMEPOOL_ETHEREUM_TESTS", "no such directory")
    monkeypatch.setenv("FRAMEPOOL_ETHEREUM_TESTS", str(isolated / "nowhere"))
    status, out, _ = verify(capsys, "--profile", "quick", "--skip-evm", "--only", "boundaries")
    assert status == 0, out  # no EVM sample, so the variable does not matter


def test_missing_evm_dependency_exits_2(
    isolated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "framepool.evm.vm", None)  # import fails as if a dependency were missing
    status, out, err = verify(capsys, "--profile", "quick")
    assert status == 2
    assert_one_line_reason(err, "the EVM sample needs", "--skip-evm")
    assert "START" not in out


def test_unknown_check_exits_2(isolated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = verify(capsys, "--only", "nonsense")
    assert status == 2 and out == ""
    assert_one_line_reason(err, "--only nonsense: no such check", "sequential:random")


def test_load_factory_raises_gate_errors() -> None:
    with pytest.raises(GateError, match="must look like"):
        load_factory("framepool.manager")
    with pytest.raises(GateError, match="has no attribute"):
        load_factory("framepool.manager:FramePoolManager.nope")


# ---- what a run prints and writes -------------------------------------------------------------


def test_a_broken_pool_fails_with_exit_1_and_a_replay_that_fails_again(
    isolated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    status, out, _ = verify(capsys, "--profile", "quick", "--skip-evm", "--only", "sequential:random",
                            "--factory", "broken_pools:OverflowNotCounted")
    assert status == 1, out
    assert "FAIL    sequential:random" in out
    assert "counts() differ from the model" in out  # caught by the model, not by a crash
    assert "state.build(config=PoolConfig(" in out  # the failing steps, unshrunk
    replay = next(line for line in out.splitlines() if line.strip().startswith("replay: "))
    words = shlex.split(replay.split("replay: ", 1)[1])
    assert words[:2] == ["framepool", "verify"] and "--seed" in words
    # The seed alone replays it: a fresh cache, so no example database helps.
    monkeypatch.setenv("XDG_CACHE_HOME", str(isolated / "fresh-cache"))
    again, out2, _ = verify(capsys, *words[2:])
    assert again == 1, out2
    assert out2.count("FAIL    sequential:random") == 1
    assert out.split("seed ")[1].split(",")[0] == out2.split("seed ")[1].split(",")[0]


def test_progress_lines_come_as_checks_run(tmp_path: Path) -> None:
    """The header and the first START line arrive while the first check still runs."""
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    command = [sys.executable, "-m", "framepool.cli", "verify", "--profile", "quick", "--skip-evm",
               "--only", "linearizability", "--only", "boundaries"]
    with subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        header = proc.stdout.readline()
        first = proc.stdout.readline()
        still_running = proc.poll() is None
        rest = proc.stdout.read()
        status = proc.wait()
    assert header.startswith("framepool verify: profile quick, seed ")
    assert first.startswith("START   boundaries")
    assert still_running
    lines = rest.splitlines()
    assert [line.split()[:2] for line in lines[:3]] == [
        ["PASS", "boundaries"], ["START", "linearizability"], ["PASS", "linearizability"]]
    assert "cases=" in lines[0] and "histories=" in lines[2]
    assert lines[-1].endswith("exit status 0") and status == 0


def test_no_hypothesis_folder_in_the_working_directory(tmp_path: Path) -> None:
    work, cache = tmp_path / "work", tmp_path / "cache"
    work.mkdir()
    result = cli("--profile", "quick", "--skip-evm", "--only", "linearizability", cwd=work, cache=cache)
    assert result.returncode == 0, result.stdout + result.stderr
    assert list(work.iterdir()) == []
    assert (cache / "framepool" / "hypothesis").is_dir()
    assert (cache / "framepool" / "hypothesis-home").is_dir()  # Hypothesis' own caches


def test_hypothesis_storage_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    database, home = storage_paths()
    assert database == tmp_path / "framepool" / "hypothesis"
    assert home.parent == database.parent and home != database


def test_json_report(isolated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = isolated / "report.json"
    status, _, _ = verify(capsys, "--profile", "quick", "--skip-evm", "--only", "linearizability",
                          "--only", "boundaries", "--json", str(target))
    report = json.loads(target.read_text())
    assert set(report) == {"profile", "factory", "seed", "checks", "exit_code", "error"}
    assert report["exit_code"] == status == 0 and report["error"] is None
    assert report["profile"] == "quick" and isinstance(report["seed"], int)
    assert [c["name"] for c in report["checks"]] == ["boundaries", "linearizability"]
    for check in report["checks"]:
        assert set(check) == {"name", "verdict", "seconds", "counts", "detail", "replay"}
        assert check["verdict"] == "PASS" and check["seconds"] >= 0 and check["replay"] is None
    assert report["checks"][0]["counts"]["cases"] > 0
    assert report["checks"][1]["counts"]["histories"] > 0


def test_json_report_when_the_gate_cannot_run(isolated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = isolated / "report.json"
    status, _, _ = verify(capsys, "--factory", "test_verify:raising_factory", "--json", str(target))
    report = json.loads(target.read_text())
    assert status == report["exit_code"] == 2
    assert report["checks"] == [] and "no pool today" in report["error"]


# ---- time limits and signals ----------------------------------------------------------------------


def test_a_pool_that_hangs_ends_at_the_time_limit_with_no_verdict(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    result = cli("--profile", "quick", "--skip-evm", "--only", "boundaries", "--only", "sequential:random",
                 "--factory", "test_verify:ReleaseTakesItsLockTwice", "--check-timeout", "2",
                 "--json", str(target), cwd=tmp_path, cache=tmp_path / "cache")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    ended = [line for line in result.stdout.splitlines() if line.startswith(("PASS", "FAIL", "ERROR"))]
    assert [line.split()[:2] for line in ended] == [["ERROR", "boundaries"], ["ERROR", "sequential:random"]]
    report = json.loads(target.read_text())
    first = report["checks"][0]
    assert first["verdict"] == "ERROR" and first["seconds"] < 30
    assert "still running after 2 s" in first["detail"] and "in release" in first["detail"]
    assert "--check-timeout" in first["detail"]


def test_sigterm_stops_the_gate_and_still_writes_the_report(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    command = [sys.executable, "-m", "framepool.cli", "verify", "--profile", "deep", "--skip-evm",
               "--only", "boundaries", "--only", "sequential:random", "--json", str(target)]
    with subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        lines = [proc.stdout.readline() for _ in range(4)]  # header, START/PASS boundaries, START random
        assert lines[-1].startswith("START   sequential:random"), lines
        proc.send_signal(signal.SIGTERM)
        status = proc.wait(timeout=60)
        rest, err = proc.stdout.read(), proc.stderr.read()
    assert status == 143
    assert "Traceback" not in rest + err
    assert err.strip() == "framepool verify: stopped by SIGTERM (2 of 2 checks started)"
    report = json.loads(target.read_text())
    assert report["exit_code"] == 143 and report["error"] == "stopped by SIGTERM (2 of 2 checks started)"
    assert [(c["name"], c["verdict"]) for c in report["checks"]] == [
        ("boundaries", "PASS"), ("sequential:random", "ERROR")]
    assert report["checks"][1]["detail"] == "no verdict: stopped by SIGTERM"


def test_check_timeout_must_be_whole_seconds(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["verify", "--check-timeout", "-1"])
    assert exit_info.value.code == 2
    assert "must be 0 (no limit) or more" in capsys.readouterr().err


# ---- verdicts and the exit status ---------------------------------------------------------------


def _results(*verdicts: Verdict) -> list[CheckResult]:
    return [CheckResult(f"c{i}", v, 0.0) for i, v in enumerate(verdicts)]


@pytest.mark.parametrize("verdicts, code", [
    ((Verdict.PASS, Verdict.PASS), 0),
    ((Verdict.PASS, Verdict.SKIPPED), 0),
    ((Verdict.PASS, Verdict.FAIL, Verdict.ERROR), 1),
    ((Verdict.PASS, Verdict.ERROR), 2),
    ((Verdict.SKIPPED,), 2),  # nothing ran is not success
    ((), 2),
])
def test_exit_code(verdicts: tuple[Verdict, ...], code: int) -> None:
    assert exit_code(_results(*verdicts)) == code


# ---- the EVM sample on another pool ------------------------------------------------------------


def _fixtures_available() -> bool:
    from framepool.evm.fixtures import FixturesNotFoundError, fixtures_root

    try:
        return (fixtures_root() / "GeneralStateTests").is_dir()
    except FixturesNotFoundError:
        return False


needs_fixtures = pytest.mark.skipif(not _fixtures_available(), reason="no ethereum/tests checkout")


@needs_fixtures
def test_evm_sample_runs_on_a_factory_pool(isolated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = verify(capsys, "--profile", "quick", "--only", "evm-sample",
                            "--factory", "framepool.manager:FramePoolManager")
    assert status == 0, out
    line = next(line for line in out.splitlines() if line.startswith("PASS    evm-sample"))
    vectors = int(line.split("vectors=")[1].split()[0])
    assert vectors > 0


@needs_fixtures
def test_evm_sample_is_skipped_for_a_pool_the_vm_cannot_use(
    isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = verify(capsys, "--profile", "quick", "--only", "evm-sample",
                              "--factory", "test_verify:proxy_factory")
    assert "SKIPPED evm-sample" in out and "ProxyPool" in out
    assert status == 2  # the only check was skipped: nothing ran, which is not a pass
    assert_one_line_reason(err, "no check passed")


# ---- whole runs -----------------------------------------------------------------------------------


def test_our_pool_passes_the_quick_profiles_cheap_checks(
    isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = verify(capsys, "--profile", "quick", "--skip-evm", "--only", "boundaries",
                              "--only", "schedules:locks-2", "--only", "linearizability")
    assert status == 0, out + err
    assert [line.split()[:2] for line in out.splitlines() if line.startswith("PASS")] == [
        ["PASS", "boundaries"], ["PASS", "schedules:locks-2"], ["PASS", "linearizability"]]
    assert "3 passed, 0 failed, 0 skipped, 0 errors" in out


@pytest.mark.deep
def test_quick_profile_passes_our_pool(tmp_path: Path) -> None:
    result = cli("--profile", "quick", "--skip-evm", cwd=tmp_path, cache=tmp_path / "cache")
    assert result.returncode == 0, result.stdout + result.stderr
    assert ", 0 failed, 0 skipped, 0 errors" in result.stdout
    assert result.stdout.count("\nPASS ") == result.stdout.count("\nSTART ") >= 9


@pytest.mark.deep
def test_ci_profile_passes_our_pool(tmp_path: Path) -> None:
    result = cli("--profile", "ci", cwd=REPO, cache=tmp_path / "cache")
    assert result.returncode == 0, result.stdout + result.stderr
    assert ", 0 failed, 0 skipped, 0 errors" in result.stdout
