"""The main job: `framepool demo` must show identical results with pooling on and off."""

import re

import pytest

from framepool.evm.demo import expected_facts, run_script
from framepool.workload import make_transactions, run_workload
from framepool_spec.config import PoolConfig


def test_contract_demo_behaves_and_pooling_changes_nothing() -> None:
    pooled = run_script(PoolConfig.high_performance())
    unpooled = run_script(PoolConfig.disabled())
    assert expected_facts(pooled) == []
    assert expected_facts(unpooled) == []
    assert [(r.success, r.gas_used, r.output, r.logs) for r in pooled.results] == [
        (r.success, r.gas_used, r.output, r.logs) for r in unpooled.results
    ]
    assert pooled.state.root() == unpooled.state.root()
    stats = pooled.vm.get_frame_pool_statistics()
    assert stats.counts.frames_active == 0
    assert stats.counts.hits > 0


def test_synthetic_workload_same_results_and_pool_reuses_frames() -> None:
    trees = make_transactions(300, seed=3)
    on = run_workload("on", PoolConfig.balanced(), trees)
    off = run_workload("off", PoolConfig.disabled(), trees)
    assert on.checksum == off.checksum
    assert on.statistics.counts.frames_active == 0
    assert on.statistics.hit_rate > 0.85  # the sketch's success criterion
    created = sum(c.created for c in on.statistics.classes)
    assert created < off.frames


def test_demo_explains_its_figures_and_labels_pooling_off_honestly(capsys: pytest.CaptureFixture[str]) -> None:
    from framepool.cli import main

    assert main(["demo", "--transactions", "50", "--preset", "high-performance"]) == 0
    out = capsys.readouterr().out
    for figure in ("checksum", "hit rate", "peak traced memory", "time ratio", "overflow", "state root"):
        assert figure in out
    assert "lower is better" in out and "higher is better" in out and "below 1 means pooling is faster" in out
    unpooled = out[out.index("EVM POOL STATISTICS (pooling disabled)"):]
    assert "0 REGULAR" not in unpooled  # one class takes every type when pooling is off
    assert "pooling disabled: one class for every frame type, no frame kept for reuse" in unpooled
    counts = re.search(r"acquisitions (\d+)  frames created (\d+)  destroyed on release (\d+)", unpooled)
    assert counts is not None
    acquisitions, created, destroyed = map(int, counts.groups())
    assert acquisitions == created == destroyed > 1000  # every frame new, none kept


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["demo", "--transactions", "-5"], "argument --transactions: must be at least 1, got -5"),
        (["demo", "--transactions", "0"], "argument --transactions: must be at least 1, got 0"),
        (["demo", "--preset", "disabled"], "argument --preset: the demo compares a pooling preset"),
        (["demo", "--preset", "fast"], "argument --preset: unknown preset 'fast'"),
        (["bench", "--rounds", "0"], "unrecognized arguments: --rounds 0"),  # the flag is --repeats
        (["bench", "--repeats", "0"], "argument --repeats: must be at least 1, got 0"),
    ],
)
def test_cli_refuses_bad_numbers_and_presets_alike(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from framepool.cli import build_parser

    with pytest.raises(SystemExit) as exc_info:
        build_parser().parse_args(argv)
    err = capsys.readouterr().err
    assert exc_info.value.code == 2 and message in err and len(err.splitlines()) == 1


def test_demo_and_statetest_accept_preset_spellings_alike() -> None:
    from framepool.cli import build_parser

    for spelling in ("high-performance", "high_performance"):
        assert build_parser().parse_args(["demo", "--preset", spelling]).preset == "high_performance"
        assert build_parser().parse_args(["statetest", "--preset", spelling, "x"]).preset == "high_performance"
