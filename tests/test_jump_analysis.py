"""Jump analysis: compact tables whose memory is proportional to the code (issue #9 item 9)."""

from __future__ import annotations

import tracemalloc

import pytest

from framepool.evm import interpreter
from framepool.evm.forks import Fork
from framepool.evm.instructions import INSTRUCTIONS
from framepool.evm.instructions.common import MAX_INITCODE_SIZE
from framepool.evm.interpreter import Analysis, JumpDestMap
from framepool.evm.state import Account, State
from framepool.evm.transaction import BlockContext, Transaction
from framepool.evm.vm import VM

SENDER = 0x5E4D_E200_0000_0000_0000_0000_0000_0000_0000_0001
CONTRACT = 0xC0DE
BLOCK = BlockContext(
    coinbase=0xC0FFEE, number=1, timestamp=1000, gas_limit=2**62, prev_randao=0, base_fee=0,
    excess_blob_gas=0,
)


def jump_analysis(code: bytes) -> Analysis:
    return interpreter.jump_analysis(code, INSTRUCTIONS[Fork.CANCUN])


def _clear_caches() -> None:
    for cache in interpreter._JUMP_CACHES.values():
        cache.clear()
    interpreter._jump_cache_bytes = 0


def _peak_bytes(code: bytes) -> int:
    _clear_caches()
    tracemalloc.start()
    try:
        jump_analysis(code)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        _clear_caches()


@pytest.mark.parametrize("op", [0x5B, 0x00], ids=["JUMPDEST", "STOP"])
def test_analysis_of_large_code_stays_within_12_bytes_per_code_byte(op: int) -> None:
    # Before: Python int lists of len(code)+33 and a frozenset of every JUMPDEST, ~130 bytes
    # per JUMPDEST byte (1.3 GB for 10 MB) and 17 per STOP byte; now ~7 for either.
    code = bytes([op]) * 2**17
    assert _peak_bytes(code) < 12 * len(code)


def test_large_code_gets_a_bitmap_small_code_a_frozenset() -> None:
    small = bytes([0x5B]) * MAX_INITCODE_SIZE
    large = small + b"\x5b"
    assert isinstance(jump_analysis(small)[1], frozenset)
    dests = jump_analysis(large)[1]
    assert isinstance(dests, JumpDestMap)
    assert 0 in dests and MAX_INITCODE_SIZE in dests
    assert MAX_INITCODE_SIZE + 1 not in dests and -1 not in dests and 2**256 - 1 not in dests


def test_bitmap_and_frozenset_agree_on_push_data_and_gas() -> None:
    # PUSH2 0x5b5b (data, not JUMPDESTs), JUMPDEST, PUSH1 0, JUMP, repeated past the set limit
    unit = bytes([0x61, 0x5B, 0x5B, 0x5B, 0x60, 0x00, 0x56])
    code = unit * (MAX_INITCODE_SIZE // len(unit) + 1)
    _, dests, blockgas, fallgas = jump_analysis(code)
    assert isinstance(dests, JumpDestMap)
    for base in (0, len(code) - len(unit)):
        assert base + 3 in dests and base + 1 not in dests and base + 2 not in dests
        assert blockgas[base] == fallgas[base] == 3  # PUSH2, cut before the JUMPDEST
        assert blockgas[base + 3] == 1 + 3 + 8 and fallgas[base + 3] == 0
        assert blockgas[base + 1] == blockgas[base + 4] == 0  # not block starts


def test_block_gas_beyond_16_bits_widens_the_table() -> None:
    code = bytes([0xA4]) * 40  # LOG4 x 40: 75,000 static gas in one block
    _, _, blockgas, _ = jump_analysis(code)
    assert blockgas[0] == 40 * 1875


def test_cache_is_bounded_by_footprint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(interpreter, "_JUMP_CACHE_BYTES", 10_000)
    monkeypatch.setattr(interpreter, "_JUMP_CACHES", {fork: {} for fork in Fork})
    monkeypatch.setattr(interpreter, "_jump_cache_bytes", 0)
    for i in range(50):
        jump_analysis(bytes([0x60, i]) + bytes(200))
        assert interpreter._jump_cache_bytes <= 10_000
    assert 0 < len(interpreter._JUMP_CACHES[Fork.CANCUN]) < 50


def test_jumps_in_code_larger_than_any_deployable_code_run_right() -> None:
    # A pre-state contract of 64 KB: JUMP to the JUMPDEST at 60,000 stores 1; a JUMP to the
    # 0x5b that is PUSH1's data right after it is an exceptional halt.
    far = 60_000
    code = bytearray(0x10000)
    # JUMPDEST PUSH1 0x5b POP PUSH1 1 PUSH0 SSTORE STOP
    code[far : far + 9] = bytes([0x5B, 0x60, 0x5B, 0x50, 0x60, 0x01, 0x5F, 0x55, 0x00])

    def jumping_to(dest: int) -> bytes:
        return bytes([0x61]) + dest.to_bytes(2, "big") + b"\x56" + bytes(code[4:])  # PUSH2 dest JUMP

    for contract_code, stored in ((jumping_to(far), 1), (jumping_to(far + 2), None)):
        state = State({CONTRACT: Account(nonce=1, code=contract_code), SENDER: Account(balance=10**30)})
        tx = Transaction(tx_type=0, sender=SENDER, nonce=0, gas_limit=100_000, to=CONTRACT, value=0,
                         data=b"", gas_price=10)
        result = VM().execute_transaction(state, BLOCK, tx)
        assert result.success is (stored is not None)
        assert state.accounts[CONTRACT].storage.get(0) == stored
