"""The main job: `framepool demo` must show identical results with pooling on and off."""

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
