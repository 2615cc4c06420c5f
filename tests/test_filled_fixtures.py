"""The project's own state-test fixtures (tests/fixtures/state, filled by the execution spec from
tests/fixtures/fillers) run through framepool's VM under each fork they name, pool on and off:
every vector must pass, with identical results either way.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from framepool.cli import main as cli_main
from framepool.evm.fill import dump_fixture, fill_filler, fillers_dir, state_dir

FIXTURES = sorted(state_dir().glob("*.json"))
FILLERS = sorted(fillers_dir().glob("*Filler.yml"))


def _forks_of(path: Path) -> list[str]:
    forks: set[str] = set()
    for test in json.loads(path.read_text(encoding="utf-8")).values():
        forks.update(test["post"])
    return sorted(forks)


CASES = [pytest.param(path, fork, id=f"{path.stem}-{fork}") for path in FIXTURES for fork in _forks_of(path)]


def _statetest(capsys: pytest.CaptureFixture[str], path: Path, fork: str, *pool: str) -> tuple[int, list[dict[str, object]], str]:
    code = cli_main(["statetest", str(path), "--fork", fork, "--json", *pool])
    out, err = capsys.readouterr()
    rows = [row for row in map(json.loads, out.splitlines()) if "summary" not in row]
    return code, rows, err


def test_every_filler_has_its_fixture() -> None:
    assert FILLERS, "no fillers found"
    filled = {p.name for p in FIXTURES}
    for filler in FILLERS:
        assert filler.name.replace("Filler.yml", ".json") in filled, f"{filler.name} was never filled"


@pytest.mark.parametrize(("path", "fork"), CASES)
def test_filled_fixture_passes(capsys: pytest.CaptureFixture[str], path: Path, fork: str) -> None:
    code, pooled, err = _statetest(capsys, path, fork)
    assert pooled, f"no vector ran: {err}"
    failures = [row for row in pooled if not row["pass"]]
    assert not failures, f"{len(failures)} of {len(pooled)} vectors failed: {failures[:3]}"
    assert code == 0
    code_off, unpooled, _ = _statetest(capsys, path, fork, "--no-pool")
    assert code_off == 0
    assert [(r["stateRoot"], r["logsHash"]) for r in unpooled] == [(r["stateRoot"], r["logsHash"]) for r in pooled]


@pytest.mark.parametrize("filler", FILLERS, ids=[f.stem for f in FILLERS])
def test_fixture_is_what_its_filler_fills(filler: Path) -> None:
    """The committed fixture is up to date: re-filling its filler with the spec gives the same file."""
    target = state_dir() / filler.name.replace("Filler.yml", ".json")
    expected = dump_fixture(fill_filler(filler, f"tests/fixtures/fillers/{filler.name}"))
    assert target.read_text(encoding="utf-8") == expected, f"{target.name} is stale: run scripts/fill"
