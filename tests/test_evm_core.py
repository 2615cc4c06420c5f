"""EVM core: deep recursion, invalid bytecode, invalid transactions, frame accounting."""

from __future__ import annotations

import sys

import pytest

from framepool import FrameType, PoolConfig
from framepool.evm.hashing import keccak256
from framepool.evm.state import Account, State
from framepool.evm.transaction import (
    BlockContext,
    Transaction,
    intrinsic_gas,
    sender_from_secret,
    sender_from_txbytes,
)
from framepool.evm.vm import VM, evm_manager

SECRET = bytes.fromhex("45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8")
SENDER = sender_from_secret(SECRET)
CONTRACT = 0xC0DE
COINBASE = 0xC0FFEE

BLOCK = BlockContext(
    coinbase=COINBASE,
    number=1,
    timestamp=1000,
    gas_limit=2**62,
    prev_randao=0,
    base_fee=0,
    excess_blob_gas=0,
)


def _push(value: int, size: int = 1) -> bytes:
    return bytes([0x5F + size]) + value.to_bytes(size, "big")


def _acquired(counts: object, frame_type: FrameType) -> int:
    t = counts.by_type[frame_type]  # type: ignore[attr-defined]
    return int(t.pool_allocations + t.direct_allocations)


def _state(code: bytes, balance: int = 10**30) -> State:
    return State({SENDER: Account(balance=balance), CONTRACT: Account(code=code)})


def _tx(**kw: object) -> Transaction:
    base: dict[str, object] = {
        "tx_type": 0, "sender": SENDER, "nonce": 0, "gas_limit": 1_000_000, "to": CONTRACT,
        "value": 0, "data": b"", "gas_price": 1,
    }
    base.update(kw)
    return Transaction(**base)  # type: ignore[arg-type]


def test_sender_from_secret_matches_fixture_convention() -> None:
    assert SENDER == 0xA94F5374FCE5EDBC8E2A8697C15331677E6EBF0B


def test_sender_recovery_from_txbytes_agrees() -> None:
    # A Cancun blob transaction from the fixtures (blobhashListBounds3), signed with SECRET.
    txbytes = bytes.fromhex(
        "03f9012d01800285012a05f200833d090094095e7baea6a6c7c4c2dfeb977efac326af552d87830186a000f85b"
        "f85994095e7baea6a6c7c4c2dfeb977efac326af552d87f842a00000000000000000000000000000000000000000"
        "000000000000000000000000a0000000000000000000000000000000000000000000000000000000000000000"
        "10af863a001a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065f0001a001a915e4d06014"
        "9eb4365960e6a7a45f334393093061116b197e3240065f0002a001a915e4d060149eb4365960e6a7a45f3343"
        "93093061116b197e3240065f000380a0787d491816e6b21187fc25ee71bc1dd2240b41de89852c21f7a51810"
        "1dc28bc2a05b5dbb0592f2fdc391efe1e9c6181e54f1b817d07d6f5c7767c7267529528e20"
    )
    assert sender_from_txbytes(txbytes) == SENDER


def _recursive_code() -> bytes:
    """Calls itself with calldata d+1 until d == 1024; there it stores d in slot 1 and
    stores 5 + (result of one more CALL, which must fail: depth limit) in slot 2."""
    head = (
        _push(0) + b"\x35"  # d = CALLDATALOAD(0)
        + b"\x80" + _push(1024, 2) + b"\x14"  # d == 1024 ?
    )
    recurse = (
        _push(1) + b"\x01" + _push(0) + b"\x52"  # MSTORE(0, d + 1)
        + _push(0) + _push(0) + _push(32) + _push(0) + _push(0) + b"\x30" + b"\x5a" + b"\xf1"
        + b"\x00"
    )
    bottom_at = len(head) + 2 + 1 + len(recurse)
    bottom = (
        b"\x5b"
        + _push(1) + b"\x55"  # SSTORE(1, d)
        + _push(0) * 5 + b"\x30" + b"\x5a" + b"\xf1"  # CALL(gas, self, 0, 0, 0, 0, 0)
        + _push(5) + b"\x01" + _push(2) + b"\x55"  # SSTORE(2, 5 + result)
        + b"\x00"
    )
    return head + _push(bottom_at) + b"\x57" + recurse + bottom


@pytest.mark.parametrize("pooled", [True, False])
def test_recursion_to_depth_1024(pooled: bool) -> None:
    limit = sys.getrecursionlimit()
    vm = VM(PoolConfig.high_performance() if pooled else PoolConfig.disabled())
    state = _state(_recursive_code())
    result = vm.execute_transaction(state, BLOCK, _tx(gas_limit=2**42, data=bytes(32)))
    assert result.error is None and result.success
    storage = state.accounts[CONTRACT].storage
    assert storage.get(1) == 1024  # the frame at depth 1024 ran
    assert storage.get(2) == 5  # ... and its CALL to depth 1025 failed
    assert sys.getrecursionlimit() == limit
    counts = vm.get_frame_pool_statistics().counts
    assert counts.frames_active == 0
    # 1025 frames of the recursion plus the failing call that never got one.
    assert counts.acquisitions == 1025


def test_the_vm_counts_every_frame_and_records_events_only_when_asked() -> None:
    quiet = VM(PoolConfig.high_performance())
    traced = VM(manager=evm_manager(PoolConfig.high_performance(), track_events=True))
    for vm in (quiet, traced):
        vm.execute_transaction(_state(_recursive_code()), BLOCK, _tx(gas_limit=2**42, data=bytes(32)))
    assert quiet.manager.counts() == traced.manager.counts()
    assert quiet.manager.counts().acquisitions == 1025
    assert quiet.manager.allocation_events() == []
    assert len(traced.manager.allocation_events()) == 2 * 1025


def test_invalid_opcode_consumes_all_gas() -> None:
    vm = VM()
    state = _state(bytes([0x60, 0x01, 0x0C]))  # PUSH1 1, then undefined opcode 0x0C
    tx = _tx(gas_limit=100_000)
    result = vm.execute_transaction(state, BLOCK, tx)
    assert result.error is None and not result.success
    assert result.gas_used == 100_000
    assert state.accounts[SENDER].nonce == 1


def test_designated_invalid_and_bad_jump() -> None:
    vm = VM()
    for code in (b"\xfe", _push(3) + b"\x56" + b"\x00\x5b", _push(1) + b"\x56" + b"\x60\x5b"):
        state = _state(code)
        result = vm.execute_transaction(state, BLOCK, _tx(gas_limit=50_000))
        assert not result.success and result.gas_used == 50_000, code.hex()


def test_truncated_push_reads_zeros() -> None:
    vm = VM()
    # PUSH2 with one immediate byte missing; then we never reach anything: implicit STOP.
    state = _state(bytes([0x61, 0x01]))
    result = vm.execute_transaction(state, BLOCK, _tx())
    assert result.success


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"nonce": 5}, "NONCE_MISMATCH_TOO_HIGH"),
        ({"gas_limit": 20_000}, "INTRINSIC_GAS_TOO_LOW"),
        ({"gas_limit": 2**63}, "GAS_ALLOWANCE_EXCEEDED"),
        ({"value": 10**31}, "INSUFFICIENT_ACCOUNT_FUNDS"),
        ({"nonce": 2**64 - 1}, "NONCE_IS_MAX"),
        ({"to": None, "data": bytes(49153)}, "INITCODE_SIZE_EXCEEDED"),
        (
            {"tx_type": 3, "to": None, "max_fee_per_gas": 10, "blob_versioned_hashes": (b"\x01" * 32,)},
            "TYPE_3_TX_CONTRACT_CREATION",
        ),
        ({"tx_type": 3, "max_fee_per_gas": 10}, "TYPE_3_TX_ZERO_BLOBS"),
        (
            {"tx_type": 3, "max_fee_per_gas": 10, "max_fee_per_blob_gas": 1,
             "blob_versioned_hashes": (b"\x02" * 32,)},
            "TYPE_3_TX_INVALID_BLOB_VERSIONED_HASH",
        ),
        (
            {"tx_type": 3, "max_fee_per_gas": 10, "max_fee_per_blob_gas": 1,
             "blob_versioned_hashes": (b"\x01" * 32,) * 7},
            "TYPE_3_TX_BLOB_COUNT_EXCEEDED",
        ),
        ({"tx_type": 2, "max_fee_per_gas": 1, "max_priority_fee_per_gas": 2}, "PRIORITY_GREATER_THAN_MAX_FEE_PER_GAS"),
    ],
)
def test_invalid_transactions_change_nothing(changes: dict[str, object], reason: str) -> None:
    vm = VM(PoolConfig.high_performance())
    state = _state(b"\x00")
    before = state.root()
    result = vm.execute_transaction(state, BLOCK, _tx(**changes))
    assert result.error == reason
    assert state.root() == before
    assert vm.get_frame_pool_statistics().counts.acquisitions == 0


def test_sender_with_code_is_rejected() -> None:
    vm = VM()
    state = _state(b"\x00")
    state.accounts[SENDER].code = b"\x00"
    state.accounts[SENDER].code_hash = keccak256(b"\x00")
    assert vm.execute_transaction(state, BLOCK, _tx()).error == "SENDER_NOT_EOA"


def test_intrinsic_gas() -> None:
    tx = _tx(data=b"\x00\x01", access_list=[(1, [1, 2])], to=None)
    assert intrinsic_gas(tx) == 21000 + 4 + 16 + 32000 + 2 + 2400 + 2 * 1900


def test_revert_restores_storage_and_refund_and_frames_released() -> None:
    # SSTORE(0, 1) then REVERT: storage unchanged; gas partly returned.
    code = _push(1) + _push(0) + b"\x55" + _push(0) + _push(0) + b"\xfd"
    vm = VM(PoolConfig.high_performance())
    state = _state(code)
    result = vm.execute_transaction(state, BLOCK, _tx(gas_limit=100_000))
    assert not result.success and result.gas_used < 100_000
    assert state.accounts[CONTRACT].storage == {}
    counts = vm.get_frame_pool_statistics().counts
    assert counts.frames_active == 0
    assert _acquired(counts, FrameType.REGULAR) == 1


def test_precompile_call_uses_precompile_frame() -> None:
    # STATICCALL the identity precompile (0x04), then STOP.
    code = _push(0) * 4 + _push(4) + b"\x5a" + b"\xfa" + b"\x00"
    vm = VM(PoolConfig.high_performance())
    state = _state(code)
    assert vm.execute_transaction(state, BLOCK, _tx()).success
    counts = vm.get_frame_pool_statistics().counts
    assert _acquired(counts, FrameType.PRECOMPILE) == 1
    assert counts.frames_active == 0


def test_python_api_rejects_bad_input() -> None:
    vm = VM()
    with pytest.raises(TypeError):
        vm.execute_transaction({}, BLOCK, _tx())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        vm.enable_frame_pooling("fast")  # type: ignore[arg-type]


def test_python_exception_escaping_releases_every_frame() -> None:
    from framepool.evm.forks import Fork
    from framepool.evm.instructions import INSTRUCTIONS

    table = INSTRUCTIONS[Fork.CANCUN].table

    def boom(c: object, pc: int) -> int:
        raise RuntimeError("bug in an opcode")

    # The contract CALLs itself once (so two frames are held), then hits opcode 0x0C.
    call_self = _push(0) * 2 + _push(32) + _push(0) * 2 + b"\x30\x5a\xf1\x00"  # CALL(self, mem[0:32])
    head_len = 7
    code = _push(0) + b"\x35" + b"\x15" + _push(head_len + len(call_self)) + b"\x57"  # d == 0: jump
    assert len(code) == head_len
    code += call_self + b"\x5b\x0c"
    vm = VM(PoolConfig.high_performance())
    state = _state(code)
    saved = table[0x0C]
    table[0x0C] = boom
    try:
        # The top frame gets d=1 and calls itself with d=0 (zeroed memory); the child hits "boom".
        with pytest.raises(RuntimeError):
            vm.execute_transaction(state, BLOCK, _tx(data=(1).to_bytes(32, "big")))
    finally:
        table[0x0C] = saved
    assert _acquired(vm.get_frame_pool_statistics().counts, FrameType.CALL) == 1
    assert vm.get_frame_pool_statistics().counts.frames_active == 0


def test_create_transaction_root_frame_is_regular() -> None:
    # Init code returning one STOP byte as the runtime code.
    init = _push(0) + _push(0) + b"\x53" + _push(1) + _push(0) + b"\xf3"
    vm = VM(PoolConfig.high_performance())
    state = _state(b"")
    result = vm.execute_transaction(state, BLOCK, _tx(to=None, data=init, gas_limit=200_000))
    assert result.success
    counts = vm.get_frame_pool_statistics().counts
    assert _acquired(counts, FrameType.REGULAR) == 1
    assert _acquired(counts, FrameType.CREATE) == 0
    from framepool.evm.instructions.system import create_address

    created = state.accounts[create_address(SENDER, 0)]
    assert created.code == b"\x00" and created.nonce == 1


def test_jump_analysis_skips_push_data_and_sums_block_gas() -> None:
    from framepool.evm.forks import Fork
    from framepool.evm.instructions import INSTRUCTIONS
    from framepool.evm.interpreter import jump_analysis

    # PUSH2 0x5b5b (data, not JUMPDESTs), JUMPDEST, PUSH1 0, JUMP
    code = bytes([0x61, 0x5B, 0x5B, 0x5B, 0x60, 0x00, 0x56])
    padded, dests, blockgas, fallgas = jump_analysis(code, INSTRUCTIONS[Fork.CANCUN])
    assert dests == frozenset({3})
    assert padded == code + bytes(33)
    assert blockgas[0] == 3  # PUSH2, then the block is cut before the JUMPDEST
    assert blockgas[3] == 1 + 3 + 8  # JUMPDEST PUSH1 JUMP
    assert fallgas[3] == 0  # charged by the JUMPDEST itself


def test_gas_opcode_sees_exact_per_opcode_accounting() -> None:
    # PUSH1 1, PUSH1 2, ADD, POP, GAS, PUSH1 0, SSTORE  -> slot 0 = gas left after GAS
    code = _push(1) + _push(2) + b"\x01\x50\x5a" + _push(0) + b"\x55"
    vm = VM()
    state = _state(code)
    assert vm.execute_transaction(state, BLOCK, _tx(gas_limit=100_000)).success
    assert state.accounts[CONTRACT].storage[0] == 100_000 - 21_000 - (3 + 3 + 3 + 2 + 2)


def test_out_of_gas_inside_a_block_is_an_exceptional_halt() -> None:
    # Enough gas for the first PUSH but not for the whole block: must fail like per-op charging.
    code = _push(1) + _push(0) + b"\x55"
    vm = VM()
    state = _state(code)
    result = vm.execute_transaction(state, BLOCK, _tx(gas_limit=21_004))
    assert not result.success and result.gas_used == 21_004


def test_memoized_state_root_equals_trie_state_root() -> None:
    from framepool.evm import trie

    state = State(
        {
            1: Account(nonce=1, balance=5, code=b"\x60\x00", storage={1: 2, 3: 4}),
            2: Account(balance=7),
            SENDER: Account(nonce=3, balance=10**18),
        }
    )
    for _ in range(2):  # the second round hits the caches
        expected = trie.state_root(
            {
                a: (x.nonce, x.balance, trie.storage_root(x.storage), x.code_hash)
                for a, x in state.accounts.items()
            }
        )
        assert state.root() == expected


def test_vm_shares_a_given_manager_and_rejects_ambiguous_arguments() -> None:
    from framepool import FramePoolManager
    from framepool.evm.vm import VM, evm_manager

    shared = evm_manager(PoolConfig.balanced())
    assert VM(manager=shared).manager is shared
    with pytest.raises(ValueError, match="either config or manager"):
        VM(PoolConfig.balanced(), manager=shared)
    with pytest.raises(TypeError, match="FramePoolManager"):
        VM(manager=object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="cannot hold an EVM execution context"):
        VM(manager=FramePoolManager(PoolConfig.balanced()))  # plain PooledFrames
