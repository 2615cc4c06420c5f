"""Every deliberately broken pool in ``tests/`` is caught by
``framepool verify --profile quick --skip-evm`` within a minute.

One ``verify`` run per variant of ``broken_pools.BROKEN_POOLS`` and
``broken_concurrent.BROKEN`` (whatever those tables hold when the tests are
collected), so this is deep: about half a minute per variant (most are caught
within seconds; the rest of the run goes on). As a script it prints the time
each variant takes to be caught::

    .venv/bin/python tests/test_gate_broken.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TESTS = REPO / "tests"
CATCH_WITHIN = 60.0
"""Seconds from start to the first FAIL line."""
KILL_AFTER = 240.0

SHIM = """\
from {module} import {table} as _TABLE


def factory(config, clock, **kwargs):
    return _TABLE[{key!r}](config, clock=clock, **kwargs)
"""
"""A module naming one variant as MODULE:CALLABLE (the tables map names to classes
taking a keyword-only clock, as the tests call them)."""


def variants() -> list[tuple[str, str, str]]:
    """(module, table, name) of every broken variant."""
    sys.path.insert(0, str(TESTS))
    try:
        from broken_concurrent import BROKEN
        from broken_pools import BROKEN_POOLS
    finally:
        sys.path.remove(str(TESTS))
    return [("broken_pools", "BROKEN_POOLS", name) for name in BROKEN_POOLS] + [
        ("broken_concurrent", "BROKEN", name) for name in BROKEN
    ]


@dataclass
class Catch:
    name: str
    status: int | None
    """Exit status (None: killed after KILL_AFTER seconds)."""
    caught_after: float | None
    """Seconds until the first FAIL line."""
    seconds: float
    output: str

    @property
    def first_fail(self) -> str:
        return next((line for line in self.output.splitlines() if line.startswith("FAIL")), "-")


def run_variant(module: str, table: str, name: str, workdir: Path) -> Catch:
    """``framepool verify --profile quick --skip-evm`` on one variant, run in ``workdir``."""
    (workdir / "gate_target.py").write_text(SHIM.format(module=module, table=table, key=name))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(TESTS), env.get("PYTHONPATH", "")) if p)
    env["XDG_CACHE_HOME"] = str(workdir / "cache")  # no failure remembered from an earlier run
    command = [sys.executable, "-m", "framepool.cli", "verify", "--profile", "quick", "--skip-evm",
               "--factory", "gate_target:factory"]
    start = time.perf_counter()
    caught_after: float | None = None
    lines: list[str] = []
    with subprocess.Popen(command, cwd=workdir, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if caught_after is None and line.startswith("FAIL"):
                caught_after = time.perf_counter() - start
            if time.perf_counter() - start > KILL_AFTER:
                proc.kill()
                break
        status = proc.wait()
    killed = status < 0
    return Catch(f"{table}[{name!r}]", None if killed else status, caught_after,
                 time.perf_counter() - start, "".join(lines))


@pytest.mark.deep
@pytest.mark.parametrize("module, table, name", variants())
def test_quick_profile_catches_broken_variant(module: str, table: str, name: str, tmp_path: Path) -> None:
    catch = run_variant(module, table, name, tmp_path)
    assert catch.status == 1, catch.output
    assert catch.caught_after is not None and catch.caught_after < CATCH_WITHIN, catch.output
    assert "replay: framepool verify --profile quick --seed " in catch.output
    assert not (tmp_path / ".hypothesis").exists()


def main() -> int:
    import tempfile

    print(f"{'variant':<45} {'exit':>4} {'caught':>8} {'total':>7}  first failing check", flush=True)
    worst = 0
    for module, table, name in variants():
        with tempfile.TemporaryDirectory() as tmp:
            c = run_variant(module, table, name, Path(tmp))
        caught = f"{c.caught_after:7.1f}s" if c.caught_after is not None else "   never"
        print(f"{c.name:<45} {c.status!s:>4} {caught} {c.seconds:6.1f}s  {c.first_fail[:60]}", flush=True)
        ok = c.status == 1 and c.caught_after is not None and c.caught_after < CATCH_WITHIN
        worst = worst or (0 if ok else 1)
    return worst


if __name__ == "__main__":
    sys.exit(main())
