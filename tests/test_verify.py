"""`framepool verify` is a CI gate: it passes framepool's pool and fails a broken one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from framepool.cli import main
from framepool.verify import load_factory

REPO = Path(__file__).resolve().parent.parent


def test_verify_fails_a_broken_pool_with_exit_status_1(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    status = main(["verify", "--factory", "tests.broken_pools:OverflowNotCounted"])
    out = capsys.readouterr().out
    assert status == 1
    assert "FAIL sequential agreement" in out
    assert "does not conform" in out  # caught by the model, not by a crash
    assert out.strip().endswith("failed") and "0 failed" not in out


@pytest.mark.parametrize(
    "spec, words",
    [("nocolon", "must look like"), ("framepool.manager:Nope", "no attribute"), ("framepool.manager:MAX_FRAME_SIZES", "not callable")],
)
def test_factory_option_errors_name_the_problem(spec: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        load_factory(spec)


@pytest.mark.deep
def test_verify_passes_our_pool() -> None:
    result = subprocess.run([sys.executable, "-m", "framepool.cli", "verify"], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed, 0 failed" in result.stdout
