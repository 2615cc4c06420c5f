"""``framepool statetest`` as a user meets it: bad files, exit codes, JSON, --jobs, Ctrl-C, pipes."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from framepool.cli import build_parser, main, preset_config
from framepool.evm.fixtures import FixturesNotFoundError, fixtures_root
from framepool.evm.runner import run_statetest

FRAMEPOOL = str(Path(sys.executable).parent / "framepool")


def _root() -> Path:
    try:
        return fixtures_root() / "GeneralStateTests"
    except FixturesNotFoundError:
        pytest.skip("ethereum-tests fixtures not available")


def _add() -> Path:
    return _root() / "VMTests" / "vmArithmeticTest" / "add.json"  # 5 Cancun vectors, all pass


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["statetest", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _mutated(tmp_path: Path, name: str, change: Any) -> Path:
    doc = json.loads(_add().read_text())
    change(doc["add"])
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def _set(path: list[str], value: object) -> Any:
    def change(test: dict[str, Any]) -> None:
        node = test
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return change


BAD_FILES = {
    "bad_json": lambda tmp: _write(tmp / "bad_json.json", '{"add": {"env": '),
    "deep_nesting": lambda tmp: _write(tmp / "deep_nesting.json", "[" * 100_000 + "]" * 100_000),
    "huge_int_literal": lambda tmp: _write(tmp / "huge_int_literal.json", '{"add": ' + "9" * 5000 + "}"),
    "wrong_type": lambda tmp: _mutated(tmp, "wrong_type.json", _set(["env", "currentNumber"], 12)),
    "invalid_hex": lambda tmp: _mutated(tmp, "invalid_hex.json", _set(["env", "currentNumber"], "0xzz")),
    "number_over_256_bits": lambda tmp: _mutated(
        tmp, "number_over_256_bits.json", _set(["env", "currentGasLimit"], "0x1" + "0" * 64)
    ),
    "not_utf8": lambda tmp: _write_bytes(tmp / "not_utf8.json", b"\xff\xfe{}"),
}


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_an_unreadable_file_is_one_named_failure_and_the_run_goes_on(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = BAD_FILES[kind](tmp_path)
    code, out, err = _run([str(bad), str(_add())], capsys)
    lines = out.splitlines()
    assert code == 1
    assert lines[-1] == "5 passed, 1 failed"  # the good file after it still ran
    assert len(lines) == 2 and lines[0].startswith(f"FAIL {bad}: ")
    assert "Traceback" not in err


def test_exit_codes_say_whether_anything_ran(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run([str(_add())], capsys)[0] == 0

    empty = tmp_path / "empty"
    empty.mkdir()
    code, out, err = _run([str(empty)], capsys)
    assert (code, out) == (1, "0 passed, 0 failed\n")
    assert err == f"error: no fixture files (*.json) in {empty}\n"

    other_fork = _mutated(tmp_path, "shanghai_only.json", lambda t: t.__setitem__("post", {"Shanghai": t["post"]["Cancun"]}))
    code, out, err = _run([str(other_fork)], capsys)
    assert (code, out) == (1, "0 passed, 0 failed\n")
    assert err == "error: no vectors for fork Cancun in 1 fixture file(s)\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["no/such/path"], "error: no such fixture file or directory: no/such/path"),
        (["--fork", "Frontier", "x"], "error: unknown fork 'Frontier'; known forks: Shanghai, Cancun, Prague, Osaka"),
        (["--jobs", "0", "x"], "argument --jobs: must be at least 1, got 0"),
        (["--preset", "fastest", "x"], "argument --preset: unknown preset 'fastest'"),
        (["--trace", "--jobs", "2", "x"], "error: --trace needs --jobs 1 (traces from several processes would interleave)"),
    ],
)
def test_usage_errors_exit_2_with_one_line(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc_info:
        code = main(["statetest", *argv])
        raise SystemExit(code)
    err = capsys.readouterr().err
    assert exc_info.value.code == 2
    assert message in err and len(err.splitlines()) == 1


def test_json_is_one_object_per_line_with_the_file_then_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The same test name in two files: only the file tells the records apart.
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        shutil.copy(_add(), tmp_path / folder / "add.json")
    bad = _write(tmp_path / "a" / "broken.json", "{")
    code, out, _ = _run(["--json", str(tmp_path)], capsys)
    records = [json.loads(line) for line in out.splitlines()]
    *vectors, summary = records
    assert code == 1
    assert [r["file"] for r in vectors] == [str(tmp_path / "a" / "add.json")] * 5 + [str(bad)] + [
        str(tmp_path / "b" / "add.json")
    ] * 5
    assert all(set(r) == {"file", "name", "fork", "index", "pass", "stateRoot", "logsHash", "error"} for r in vectors)
    assert vectors[5]["pass"] is False and vectors[5]["name"] is None and "not valid JSON" in vectors[5]["error"]
    assert summary == {
        "summary": {
            "passed": 10, "failed": 1, "files": 3, "unreadableFiles": 1, "filesFound": 3, "fork": "Cancun",
            "interrupted": False, "reason": None, "exitCode": 1,
        }
    }


def test_json_summary_gives_the_reason_when_nothing_ran(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["--json", str(tmp_path)], capsys)
    summary = json.loads(out)["summary"]
    assert code == summary["exitCode"] == 1
    assert summary["reason"] == f"no fixture files (*.json) in {tmp_path}"


def test_jobs_output_is_identical_to_one_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _root() / "VMTests" / "vmArithmeticTest"
    failing = _mutated(tmp_path, "wrong_root.json", lambda t: t["post"]["Cancun"][1].__setitem__("hash", "0x" + "11" * 32))
    paths = [str(folder), str(failing), str(BAD_FILES["bad_json"](tmp_path))]
    for mode in ([], ["--json"]):
        one = _run([*mode, "--jobs", "1", *paths], capsys)
        two = _run([*mode, "--jobs", "2", *paths], capsys)
        assert one == two
        assert one[0] == 1 and one[1].count("\n") == (3 if mode == [] else 114 + 1)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal(tmp_path: Path) -> None:
    for i in range(25):
        shutil.copy(_add(), tmp_path / f"add{i:02}.json")
    args = build_parser().parse_args(["statetest", str(tmp_path)])
    for err, shown in ((_Terminal(), True), (io.StringIO(), False)):
        out = io.StringIO()
        assert run_statetest(args, preset_config(None, True), out=out, err=err) == 0
        assert out.getvalue() == "125 passed, 0 failed\n"
        assert ("/25 [" in err.getvalue()) is shown  # "9/25 [00:00<00:00, 86.11file/s, failed=0]"
        assert shown or err.getvalue() == ""


def _start(args: list[str]) -> subprocess.Popen[str]:
    """Start ``args`` with Ctrl-C's default action: pytest-xdist's workers ignore SIGINT, and a
    child would inherit that (Python installs no KeyboardInterrupt handler for an ignored SIGINT)."""
    return subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _first_line_then(proc: subprocess.Popen[str], action: str) -> tuple[int, str, str]:
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    assert first.startswith("{"), first
    if action == "interrupt":
        proc.send_signal(signal.SIGINT)
    else:
        proc.stdout.close()
    try:
        rest, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError(f"the command did not end within 60 s of {action}") from None
    return proc.returncode, first + (rest or ""), err


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_prints_the_partial_summary_and_exits_130(jobs: str) -> None:
    # Every folder: a run minutes long, so that a loaded machine that starves this process
    # between the first line and the signal cannot let the run finish first.
    folder = _root()
    proc = _start([FRAMEPOOL, "statetest", "--json", "--jobs", jobs, str(folder)])
    code, out, err = _first_line_then(proc, "interrupt")
    summary = json.loads(out.splitlines()[-1])["summary"]
    assert code == 130, err
    assert summary["interrupted"] is True and summary["exitCode"] == 130
    assert 0 < summary["files"] < summary["filesFound"]
    assert "Traceback" not in err and err.startswith("interrupted after ")


def test_a_closed_pipe_ends_the_installed_command_quietly() -> None:
    folder = _root() / "VMTests"
    proc = _start([FRAMEPOOL, "statetest", "--json", str(folder)])
    code, _, err = _first_line_then(proc, "close")
    assert code == 1
    assert err == ""


def _without_extra(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a Python where the evm extra's coincurve counts as not installed."""
    prelude = (
        "import framepool.extras as extras\n"
        "installed = extras._is_installed\n"
        "extras._is_installed = lambda dist: dist != 'coincurve' and installed(dist)\n"
    )
    return subprocess.run([sys.executable, "-c", prelude + code], check=False, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("argv", [["statetest", "x"], ["bench", "--quick"]])
def test_without_the_evm_extra_statetest_and_bench_say_so_and_exit_2(argv: list[str]) -> None:
    run = _without_extra(f"import sys\nfrom framepool.cli import main\nsys.exit(main({argv!r}))")
    assert run.returncode == 2
    assert run.stderr == (
        "error: framepool's EVM needs the 'evm' extra (not installed: coincurve); "
        "install it with: pip install 'framepool[evm]'\n"
    )


def test_without_the_evm_extra_importing_the_evm_names_the_extra() -> None:
    run = _without_extra("import framepool.evm")
    assert run.returncode == 1
    assert run.stderr.splitlines()[-1] == (
        "ImportError: framepool's EVM needs the 'evm' extra (not installed: coincurve); "
        "install it with: pip install 'framepool[evm]'"
    )


def test_the_pool_model_and_conformance_suite_import_no_evm_library() -> None:
    code = (
        "import sys\n"
        "import framepool, framepool.cli, framepool.verify, framepool_spec.conformance\n"
        "framepool.cli.build_parser()\n"
        "evm = {'Crypto', 'coincurve', 'py_ecc', 'ckzg', 'blake2b', 'sha3', 'tqdm', 'framepool.evm',\n"
        "       'py_arkworks_bls12381', 'cryptography'}\n"
        "print(sorted(evm & set(sys.modules)))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=120)
    assert run.stdout == "[]\n", run.stderr


def test_pyproject_puts_the_evm_libraries_in_the_evm_extra() -> None:
    import tomllib

    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]
    base = " ".join(project["dependencies"])
    evm = " ".join(project["optional-dependencies"]["evm"])
    for library in ("pycryptodome", "coincurve", "py_ecc", "ckzg", "blake2b-py", "safe-pysha3", "tqdm",
                    "py-arkworks-bls12381", "cryptography"):
        assert library in evm and library not in base
    assert "framepool[evm]" in project["optional-dependencies"]["dev"]


def test_python_m_framepool_evm_is_the_same_command(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "framepool.evm", "statetest", str(tmp_path)],
                         check=False, capture_output=True, text=True, timeout=120)
    assert (run.returncode, run.stdout) == (1, "0 passed, 0 failed\n")
    assert os.fspath(tmp_path) in run.stderr


def test_sigterm_stops_the_workers_too() -> None:
    folder = _root()  # every folder: the run cannot end before the signal on a loaded machine
    proc = _start([FRAMEPOOL, "statetest", "--json", "--jobs", "2", str(folder)])
    assert proc.stdout is not None
    assert proc.stdout.readline().startswith("{")
    workers = _children(proc.pid)
    assert workers
    proc.terminate()
    assert proc.wait(timeout=60) == 128 + signal.SIGTERM
    for pid in workers:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        assert not Path(f"/proc/{pid}").exists() or "python" not in _cmdline(pid)


def _children(pid: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid) and "spawn_main" in _cmdline(int(status.parent.name)):
            found.append(int(status.parent.name))
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
    except OSError:
        return ""


def test_deep_nesting_is_refused_before_parsing_even_under_a_raised_recursion_limit(tmp_path: Path) -> None:
    # py_ecc raises the limit to 100,000 on import; json's C parser would then overflow the
    # C stack (a segfault) on this file instead of raising RecursionError.
    from framepool.evm.fixtures import FixtureError, load_fixture_file

    deep = _write(tmp_path / "deep.json", '{"t": ' + "[" * 200_000 + "]" * 200_000 + "}")
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(1_000_000)
    try:
        with pytest.raises(FixtureError, match="JSON nested 200001 levels deep"):
            load_fixture_file(deep)
    finally:
        sys.setrecursionlimit(previous)


def test_brackets_inside_strings_do_not_count_as_nesting(tmp_path: Path) -> None:
    from framepool.evm.fixtures import MAX_JSON_DEPTH, load_fixture_file

    doc = json.loads(_add().read_text())
    doc["add"]["_info"] = {"comment": "[" * (MAX_JSON_DEPTH + 10) + '\\" {'}
    path = _write(tmp_path / "brackets.json", json.dumps(doc))
    assert [t.name for t in load_fixture_file(path)] == ["add"]
