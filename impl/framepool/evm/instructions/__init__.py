"""The instructions, by family, and the per-fork instruction tables.

One module per family, as the execution specs lay them out: ``arithmetic``, ``bitwise``
(comparison and bitwise), ``keccak``, ``environment``, ``block``, ``memory``, ``storage``,
``flow``, ``stack``, ``log``, ``system``; ``common`` holds what they share (the calling
convention and gas metering, documented there).

The tables are assembled here, in one place: Shanghai's instruction set in full, then what
each later fork adds or replaces (``_FORK_CHANGES``). Each fork's table, static gas and
block enders are built once, at import, into ``INSTRUCTIONS[fork]``; the interpreter indexes
the table of the transaction's fork and never checks the fork per opcode.
"""

from __future__ import annotations

from dataclasses import dataclass

from framepool.evm.forks import Fork
from framepool.evm.instructions import (
    arithmetic,
    bitwise,
    block,
    environment,
    flow,
    keccak,
    log,
    memory,
    stack,
    storage,
    system,
)
from framepool.evm.instructions.common import G_CREATE, G_LOG, G_LOG_TOPIC, G_SELFDESTRUCT, OpFn

__all__ = ["INSTRUCTIONS", "InstructionSet", "OpFn"]

Entry = tuple[OpFn, int]
"""An opcode's function and its static gas."""

# Opcodes after which a new static-gas block starts because they observe gas, jump or halt
# (every opcode a fork leaves undefined ends a block too).
_GAS_BLOCK_ENDERS = frozenset(
    [0x00, 0x55, 0x56, 0x57, 0x5A, 0xF0, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xFA, 0xFD, 0xFE, 0xFF]
)


def _shanghai() -> dict[int, Entry]:
    ops: dict[int, Entry] = {
        0x00: (flow.op_stop, 0),
        0x01: (arithmetic.op_add, 3),
        0x02: (arithmetic.op_mul, 5),
        0x03: (arithmetic.op_sub, 3),
        0x04: (arithmetic.op_div, 5),
        0x05: (arithmetic.op_sdiv, 5),
        0x06: (arithmetic.op_mod, 5),
        0x07: (arithmetic.op_smod, 5),
        0x08: (arithmetic.op_addmod, 8),
        0x09: (arithmetic.op_mulmod, 8),
        0x0A: (arithmetic.op_exp, 10),
        0x0B: (arithmetic.op_signextend, 5),
        0x10: (bitwise.op_lt, 3),
        0x11: (bitwise.op_gt, 3),
        0x12: (bitwise.op_slt, 3),
        0x13: (bitwise.op_sgt, 3),
        0x14: (bitwise.op_eq, 3),
        0x15: (bitwise.op_iszero, 3),
        0x16: (bitwise.op_and, 3),
        0x17: (bitwise.op_or, 3),
        0x18: (bitwise.op_xor, 3),
        0x19: (bitwise.op_not, 3),
        0x1A: (bitwise.op_byte, 3),
        0x1B: (bitwise.op_shl, 3),
        0x1C: (bitwise.op_shr, 3),
        0x1D: (bitwise.op_sar, 3),
        0x20: (keccak.op_keccak, 30),
        0x30: (environment.op_address, 2),
        0x31: (environment.op_balance, 0),
        0x32: (environment.op_origin, 2),
        0x33: (environment.op_caller, 2),
        0x34: (environment.op_callvalue, 2),
        0x35: (environment.op_calldataload, 3),
        0x36: (environment.op_calldatasize, 2),
        0x37: (environment.op_calldatacopy, 3),
        0x38: (environment.op_codesize, 2),
        0x39: (environment.op_codecopy, 3),
        0x3A: (environment.op_gasprice, 2),
        0x3B: (environment.op_extcodesize, 0),
        0x3C: (environment.op_extcodecopy, 0),
        0x3D: (environment.op_returndatasize, 2),
        0x3E: (environment.op_returndatacopy, 3),
        0x3F: (environment.op_extcodehash, 0),
        0x40: (block.op_blockhash, 20),
        0x41: (block.op_coinbase, 2),
        0x42: (block.op_timestamp, 2),
        0x43: (block.op_number, 2),
        0x44: (block.op_prevrandao, 2),
        0x45: (block.op_gaslimit, 2),
        0x46: (block.op_chainid, 2),
        0x47: (block.op_selfbalance, 5),
        0x48: (block.op_basefee, 2),
        0x50: (stack.op_pop, 2),
        0x51: (memory.op_mload, 3),
        0x52: (memory.op_mstore, 3),
        0x53: (memory.op_mstore8, 3),
        0x54: (storage.op_sload, 0),
        0x55: (storage.op_sstore, 0),
        0x56: (flow.op_jump, 8),
        0x57: (flow.op_jumpi, 10),
        0x58: (flow.op_pc, 2),
        0x59: (memory.op_msize, 2),
        0x5A: (flow.op_gas, 2),
        0x5B: (flow.op_jumpdest, 1),
        0x5F: (stack.op_push0, 2),
        0x60: (stack.op_push1, 3),
        0xF0: (system.op_create, G_CREATE),
        0xF1: (system.op_call, 0),
        0xF2: (system.op_callcode, 0),
        0xF3: (system.op_return, 0),
        0xF4: (system.op_delegatecall, 0),
        0xF5: (system.op_create2, G_CREATE),
        0xFA: (system.op_staticcall, 0),
        0xFD: (system.op_revert, 0),
        0xFE: (system.op_invalid, 0),
        0xFF: (system.op_selfdestruct_shanghai, G_SELFDESTRUCT),
    }
    for n in range(2, 33):
        ops[0x5F + n] = (stack.make_push(n), 3)
    for n in range(1, 17):
        ops[0x7F + n] = (stack.make_dup(n), 3)
        ops[0x8F + n] = (stack.make_swap(n), 3)
    for n in range(5):
        ops[0xA0 + n] = (log.make_log(n), G_LOG + G_LOG_TOPIC * n)
    return ops


# What each fork adds to (or replaces in) the table of the fork before it.
_FORK_CHANGES: dict[Fork, dict[int, Entry]] = {
    Fork.SHANGHAI: _shanghai(),
    Fork.CANCUN: {
        0x49: (block.op_blobhash, 3),  # EIP-4844
        0x4A: (block.op_blobbasefee, 2),  # EIP-7516
        0x5C: (storage.op_tload, 100),  # EIP-1153
        0x5D: (storage.op_tstore, 100),  # EIP-1153
        0x5E: (memory.op_mcopy, 3),  # EIP-5656
        0xFF: (system.op_selfdestruct, G_SELFDESTRUCT),  # EIP-6780
    },
    Fork.PRAGUE: {},  # EIP-7702 changes what CALL* run, not the table
    Fork.OSAKA: {
        0x1E: (bitwise.op_clz, 5),  # EIP-7939
    },
}


@dataclass(frozen=True, eq=False)
class InstructionSet:
    """One fork's instructions: ``table[op]`` runs opcode ``op`` (``op_invalid`` where the fork
    defines none), ``static_gas[op]`` is its static gas, ``block_enders`` the opcodes after
    which a new static-gas block starts."""

    fork: Fork
    table: list[OpFn]
    static_gas: list[int]
    block_enders: frozenset[int]

    @classmethod
    def build(cls, fork: Fork) -> InstructionSet:
        ops: dict[int, Entry] = {}
        for f in Fork:
            if f <= fork:
                ops.update(_FORK_CHANGES[f])
        table: list[OpFn] = [system.op_invalid] * 256
        static_gas = [0] * 256
        for op, (fn, gas) in ops.items():
            table[op] = fn
            static_gas[op] = gas
        undefined = frozenset(op for op in range(256) if op not in ops)
        return cls(fork, table, static_gas, _GAS_BLOCK_ENDERS | undefined)


INSTRUCTIONS: dict[Fork, InstructionSet] = {fork: InstructionSet.build(fork) for fork in Fork}
