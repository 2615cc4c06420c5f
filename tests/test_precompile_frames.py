"""The Prague and Osaka precompiles inside the VM: every call opcode reaches them on a
PRECOMPILE frame under the fork that has them, with the output of the published vector, and
pool on and off give the same state root and gas. Before their fork the same call reaches an
empty account, on a frame of the calling opcode's own type."""

from __future__ import annotations

import pytest

from framepool import FrameType, PoolConfig
from framepool.evm.asm import assemble
from framepool.evm.forks import Fork
from framepool.evm.hashing import keccak256
from framepool.evm.state import Account, State
from framepool.evm.transaction import BlockContext, Transaction, sender_from_secret
from framepool.evm.vm import VM
from precompile_vectors import load

SECRET = bytes.fromhex("45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8")
SENDER = sender_from_secret(SECRET)
CONTRACT = 0xC0DE

# address -> (vector file whose first vector is called, the fork that adds the precompile)
NEW_PRECOMPILES = {
    0x0B: ("blsG1Add", Fork.PRAGUE),
    0x0C: ("blsG1Mul", Fork.PRAGUE),
    0x0D: ("blsG2Add", Fork.PRAGUE),
    0x0E: ("blsG2Mul", Fork.PRAGUE),
    0x0F: ("blsPairing", Fork.PRAGUE),
    0x10: ("blsMapG1", Fork.PRAGUE),
    0x11: ("blsMapG2", Fork.PRAGUE),
    0x100: ("p256Verify", Fork.OSAKA),
}
# opcode -> the frame type a call to an ordinary account takes
OPCODES = {
    "CALL": FrameType.CALL,
    "CALLCODE": FrameType.CALL,
    "DELEGATECALL": FrameType.DELEGATE_CALL,
    "STATICCALL": FrameType.STATIC_CALL,
}


def caller_code(opcode: str, address: int) -> bytes:
    """Call ``address`` with the calldata; store success, output size and output hash."""
    value = "PUSH0" if opcode in ("CALL", "CALLCODE") else ""
    return assemble(
        f"""
        CALLDATASIZE PUSH0 PUSH0 CALLDATACOPY
        PUSH0 PUSH0 CALLDATASIZE PUSH0 {value} PUSH2 {address} GAS {opcode}
        PUSH0 SSTORE
        RETURNDATASIZE PUSH1 1 SSTORE
        RETURNDATASIZE PUSH0 PUSH0 RETURNDATACOPY
        RETURNDATASIZE PUSH0 KECCAK256 PUSH1 2 SSTORE
        STOP
        """
    )


def first_vector(stem: str) -> tuple[bytes, bytes]:
    vector = load(stem)[0]
    return bytes.fromhex(vector["Input"]), bytes.fromhex(vector["Expected"])


def run(fork: Fork, code: bytes, data: bytes, config: PoolConfig) -> tuple[VM, State, int]:
    state = State({SENDER: Account(balance=10**30), CONTRACT: Account(code=code)})
    block = BlockContext(
        coinbase=0xC0FFEE, number=1, timestamp=1000, gas_limit=2**40, prev_randao=0,
        base_fee=0, excess_blob_gas=0, fork=fork,
    )  # fmt: skip
    tx = Transaction(
        tx_type=0, sender=SENDER, nonce=0, gas_limit=1_000_000, to=CONTRACT, value=0,
        data=data, gas_price=1,
    )  # fmt: skip
    vm = VM(config)
    result = vm.execute_transaction(state, block, tx)
    assert result.error is None and result.success, result
    return vm, state, result.gas_used


def acquired(vm: VM, frame_type: FrameType) -> int:
    t = vm.get_frame_pool_statistics().counts.by_type[frame_type]
    return int(t.pool_allocations + t.direct_allocations)


@pytest.mark.parametrize("opcode", sorted(OPCODES))
@pytest.mark.parametrize("address", sorted(NEW_PRECOMPILES), ids=hex)
def test_new_precompile_runs_on_a_precompile_frame(address: int, opcode: str) -> None:
    stem, first_fork = NEW_PRECOMPILES[address]
    data, expected = first_vector(stem)
    code = caller_code(opcode, address)
    for fork in Fork:
        vm, state, gas = run(fork, code, data, PoolConfig.high_performance())
        storage = state.accounts[CONTRACT].storage
        if fork >= first_fork:
            assert storage.get(0) == 1, fork.title
            assert storage.get(1) == len(expected), fork.title
            assert storage.get(2) == int.from_bytes(keccak256(expected), "big"), fork.title
            assert acquired(vm, FrameType.PRECOMPILE) == 1, fork.title
            assert acquired(vm, OPCODES[opcode]) == 0, fork.title
        else:  # an empty account: success, no output
            assert storage.get(0) == 1 and storage.get(1) is None, fork.title
            assert acquired(vm, FrameType.PRECOMPILE) == 0, fork.title
            assert acquired(vm, OPCODES[opcode]) == 1, fork.title
        assert vm.get_frame_pool_statistics().counts.frames_active == 0
        _, unpooled, gas_off = run(fork, code, data, PoolConfig.disabled())
        assert (unpooled.root(), gas_off) == (state.root(), gas), fork.title
