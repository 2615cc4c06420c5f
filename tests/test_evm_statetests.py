"""State-test fixtures: a quick sample (pool on vs off, vector by vector) and the full folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from framepool import PoolConfig
from framepool.evm.fixtures import (
    FixturesNotFoundError,
    fixtures_root,
)
from framepool.evm.sample import run_vectors, sample_paths
from framepool.evm.vm import VM, VectorResult


def _root() -> Path:
    try:
        return fixtures_root() / "GeneralStateTests"
    except FixturesNotFoundError:
        pytest.skip("ethereum-tests fixtures not available")


def _sample_paths() -> list[Path]:
    return sample_paths(_root())


def _run_all(vm: VM, paths: list[Path]) -> list[VectorResult]:
    return run_vectors(vm, paths)


def test_sample_pool_on_and_off_agree_and_pass() -> None:
    paths = _sample_paths()
    assert len(paths) >= 10
    pooled = VM(PoolConfig.high_performance())
    plain = VM(PoolConfig.disabled())
    on = _run_all(pooled, paths)
    off = _run_all(plain, paths)
    assert len(on) == len(off) > 0
    for a, b in zip(on, off):
        assert a == b, (a, b)
    failed = [r for r in on if not r.passed]
    assert not failed, failed[:5]
    assert pooled.get_frame_pool_statistics().counts.frames_active == 0
    assert plain.get_frame_pool_statistics().counts.frames_active == 0
    assert pooled.get_frame_pool_statistics().counts.hits > 0


FULL_FOLDERS = [
    "stCallCodes",
    "stCallCreateCallCodeTest",
    "stDelegatecallTestHomestead",
    "stStaticCall",
    "stCreate2",
    "stCreateTest",
    "stRevertTest",
    "stMemoryTest",
    "stStackTests",
    "stReturnDataTest",
    "stPreCompiledContracts",
    "stRandom",
    "VMTests/vmArithmeticTest",
    "VMTests/vmBitwiseLogicOperation",
    "VMTests/vmIOandFlowOperations",
    "VMTests/vmLogTest",
    "VMTests/vmTests",
    # VMTests/vmPerformance (23 vectors, ~10 min per run) is test_vm_performance_folder (deep).
    "Cancun",
]


@pytest.mark.fixtures_full
@pytest.mark.parametrize("folder", FULL_FOLDERS)
def test_full_folder_pool_on_off(folder: str) -> None:
    paths = sorted((_root() / folder).rglob("*.json"))
    on = _run_all(VM(PoolConfig.high_performance()), paths)
    off = _run_all(VM(PoolConfig.disabled()), paths)
    assert on == off
    assert on, f"no vectors in {folder}"
    failed = [r for r in on if not r.passed]
    assert not failed, failed[:5]


@pytest.mark.fixtures_full
@pytest.mark.deep
def test_vm_performance_folder() -> None:
    """VMTests/vmPerformance: tens of millions of opcodes per vector; pooled run only."""
    paths = sorted((_root() / "VMTests" / "vmPerformance").rglob("*.json"))
    results = _run_all(VM(PoolConfig.high_performance()), paths)
    assert all(r.passed for r in results), [r for r in results if not r.passed][:3]
