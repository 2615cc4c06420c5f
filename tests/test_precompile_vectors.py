"""Every published precompile vector (../shared/precompile-vectors, go-ethereum's test data)
passes under its fork: output and gas exact, one gas less fails, and every failing input fails
(with all the gas given).

The vectors are read where they are: ``$FRAMEPOOL_PRECOMPILE_VECTORS``, else
``<repo>/../shared/precompile-vectors``.
"""

from __future__ import annotations

import pytest

from framepool.evm.forks import Fork
from framepool.evm.precompiles import precompiles_for
from precompile_vectors import load, vectors_dir

FAIL_GAS = 10_000_000

# file stem -> (address, fork whose price the file's Gas holds, whether Gas is checked).
# modexp.json holds EIP-198's pre-Berlin prices, which no fork here charges: its outputs are
# checked, its prices are those of modexp_eip2565.json (the same inputs).
FILES: dict[str, tuple[int, Fork, bool]] = {
    "ecRecover": (0x01, Fork.CANCUN, True),
    "modexp": (0x05, Fork.CANCUN, False),
    "modexp_eip2565": (0x05, Fork.CANCUN, True),
    "modexp_eip7883": (0x05, Fork.OSAKA, True),
    "bn256Add": (0x06, Fork.CANCUN, True),
    "bn256ScalarMul": (0x07, Fork.CANCUN, True),
    "bn256Pairing": (0x08, Fork.CANCUN, True),
    "blake2F": (0x09, Fork.CANCUN, True),
    "pointEvaluation": (0x0A, Fork.CANCUN, True),
    "blsG1Add": (0x0B, Fork.PRAGUE, True),
    "blsG1Mul": (0x0C, Fork.PRAGUE, True),  # a single-pair G1MSM
    "blsG1MultiExp": (0x0C, Fork.PRAGUE, True),
    "blsG2Add": (0x0D, Fork.PRAGUE, True),
    "blsG2Mul": (0x0E, Fork.PRAGUE, True),  # a single-pair G2MSM
    "blsG2MultiExp": (0x0E, Fork.PRAGUE, True),
    "blsPairing": (0x0F, Fork.PRAGUE, True),
    "blsMapG1": (0x10, Fork.PRAGUE, True),
    "blsMapG2": (0x11, Fork.PRAGUE, True),
    "p256Verify": (0x100, Fork.OSAKA, True),
}
FAIL_FILES: dict[str, tuple[int, Fork]] = {
    "fail-blake2f": (0x09, Fork.CANCUN),
    "fail-blsG1Add": (0x0B, Fork.PRAGUE),
    "fail-blsG1Mul": (0x0C, Fork.PRAGUE),
    "fail-blsG1MultiExp": (0x0C, Fork.PRAGUE),
    "fail-blsG2Add": (0x0D, Fork.PRAGUE),
    "fail-blsG2Mul": (0x0E, Fork.PRAGUE),
    "fail-blsG2MultiExp": (0x0E, Fork.PRAGUE),
    "fail-blsPairing": (0x0F, Fork.PRAGUE),
    "fail-blsMapG1": (0x10, Fork.PRAGUE),
    "fail-blsMapG2": (0x11, Fork.PRAGUE),
}


def test_every_vector_file_is_covered() -> None:
    """A vector file this test does not know about would otherwise go untested."""
    on_disk = {p.stem for p in vectors_dir().glob("*.json")}
    assert on_disk == set(FILES) | set(FAIL_FILES)


def test_precompiles_carry_over_unchanged_but_modexp_at_osaka() -> None:
    """Each file runs under its own fork only: a later fork runs the very same precompile
    object (this checks it), except MODEXP, repriced at Osaka, which has its own file."""
    for earlier, later in zip(list(Fork), list(Fork)[1:]):
        for address, precompile in precompiles_for(earlier).items():
            carried = precompiles_for(later)[address]
            assert (carried is precompile) == (not (address == 0x05 and later == Fork.OSAKA))


@pytest.mark.parametrize("stem", sorted(FILES))
def test_vectors(stem: str) -> None:
    address, fork, check_gas = FILES[stem]
    precompile = precompiles_for(fork)[address]
    vectors = load(stem)
    assert vectors
    for v in vectors:
        data = bytes.fromhex(v["Input"])
        gas = v["Gas"]
        expected = bytes.fromhex(v["Expected"])
        label = f"{stem}/{v['Name']}"
        if check_gas:
            assert precompile(data, gas) == (True, gas, expected), label
            if gas > 0:
                assert precompile(data, gas - 1) == (False, gas - 1, b""), label
        else:
            ok, _, output = precompile(data, FAIL_GAS)
            assert (ok, output) == (True, expected), label


@pytest.mark.parametrize("stem", sorted(FAIL_FILES))
def test_failing_vectors(stem: str) -> None:
    address, fork = FAIL_FILES[stem]
    vectors = load(stem)
    assert vectors
    precompile = precompiles_for(fork)[address]
    for v in vectors:
        label = f"{stem}/{v['Name']} ({v['ExpectedError']})"
        assert precompile(bytes.fromhex(v["Input"]), FAIL_GAS) == (False, FAIL_GAS, b""), label


@pytest.mark.parametrize("address", [0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x10, 0x11, 0x100])
def test_new_precompiles_absent_before_their_fork(address: int) -> None:
    first = Fork.OSAKA if address == 0x100 else Fork.PRAGUE
    for fork in Fork:
        assert (address in precompiles_for(fork)) == (fork >= first), fork.title
