"""A small, varied sample of state-test fixtures, and running vectors on a VM.

The default test run and ``framepool verify`` run this sample with pooling on
and off and require the two to agree vector by vector (and to pass).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from framepool.evm.fixtures import fixtures_root, iter_vectors, load_fixture_file
from framepool.evm.vm import VM, VectorResult

SAMPLE = (
    "VMTests/vmArithmeticTest/exp.json",
    "VMTests/vmIOandFlowOperations/jump.json",
    "VMTests/vmTests/suicide.json",
    "stCallCodes/callcallcallcode_001.json",
    "stCallCreateCallCodeTest/Call1024BalanceTooLow.json",
    "stDelegatecallTestHomestead/delegatecallBasic.json",
    "stStaticCall/static_CallRecursiveBomb0.json",
    "stCreate2/create2collisionStorage.json",
    "stCreateTest/CreateOOGafterInitCodeRevert.json",
    "stRevertTest/RevertOpcodeCalls.json",
    "stMemoryTest/mcopy.json",
    "stStackTests/underflowTest.json",
    "stReturnDataTest/returndatacopy_following_call.json",
    "stPreCompiledContracts/modexpTests.json",
    "stRandom/randomStatetest100.json",
    "stSStoreTest/sstore_changeFromExternalCallInInitCode.json",
    "stEIP1559/lowGasLimit.json",
    "stTransactionTest/NoSrcAccount1559.json",
)
"""Paths under GeneralStateTests, one or two per area the EVM is judged in."""


def sample_paths(root: Path | None = None, cancun_files: int = 6) -> list[Path]:
    """The sample's files that exist under ``root`` (default: ``fixtures_root()/GeneralStateTests``)."""
    base = root if root is not None else fixtures_root() / "GeneralStateTests"
    paths = [base / p for p in SAMPLE if (base / p).is_file()]
    return paths + sorted((base / "Cancun").rglob("*.json"))[:cancun_files]


def run_vectors(vm: VM, paths: Iterable[Path], fork: str = "Cancun") -> list[VectorResult]:
    """Every ``fork`` vector of every file, in order."""
    results: list[VectorResult] = []
    for path in paths:
        for test in load_fixture_file(path):
            for vector in iter_vectors(test, fork):
                results.append(vm.run_vector(vector))
    return results
