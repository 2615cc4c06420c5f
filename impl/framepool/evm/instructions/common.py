"""What every instruction family shares: the calling convention, word masks, limits, gas
constants, and the metering helpers (memory expansion, EIP-2929 access, per-block charges).

Calling convention (hot path, kept deliberately simple):
``fn(c: EvmFrame, pc: int) -> int`` where ``pc`` already points past the opcode byte and the
return value is the next pc.  A function charges only the *dynamic* part of its gas.

Static gas is charged per basic block, not per opcode (see ``interpreter.jump_analysis``):
when a block starts, the static gas of all its opcodes is charged at once.  A block ends at
every opcode that can observe the remaining gas (GAS, SSTORE's stipend check, CALL*/CREATE*'s
63/64 rule), at jumps, at halting opcodes, and before every JUMPDEST.  This is exact: within a
block nothing can observe gas, and a block that cannot be paid for in full would run out of
gas in the per-opcode model too (an exceptional halt either way, all gas consumed, state
reverted).  So: JUMPDEST charges its own block (``c.blockgas``); an opcode that ends a block
and continues (JUMPI not taken, GAS, SSTORE, a CALL/CREATE that starts no child) charges the
following block via ``c.fallgas``; the loop charges it when a frame starts or resumes.

Stack underflow is detected by Python itself: ``list.pop()`` / negative indexing on a too
short list raises ``IndexError``, which the loop treats as an exceptional halt.  Every
function pops all of its operands before touching state, so a half-executed opcode never
leaves side effects behind (and the halting frame's journal is reverted anyway).  Opcodes that
grow the stack check the 1024 limit themselves.

Halting opcodes set ``c.status`` / ``c.output`` and raise ``Halt``; CALL*/CREATE* opcodes that
start a child frame take it from the pool (it becomes ``c``'s only child), fill in its message,
save ``c.pc`` and raise ``Suspend`` (see interpreter.py).
"""

from __future__ import annotations

from collections.abc import Callable

from framepool.evm.context import (
    EvmFrame,
    OutOfGas,
)

OpFn = Callable[[EvmFrame, int], int]

M = (1 << 256) - 1
SIGN = 1 << 255
ADDR = (1 << 160) - 1
STACK_LIMIT = 1024
DEPTH_LIMIT = 1024
MAX_CODE_SIZE = 0x6000
MAX_INITCODE_SIZE = 2 * MAX_CODE_SIZE

G_WARM = 100
G_COLD_ACCOUNT = 2600
G_COLD_SLOAD = 2100
G_SSTORE_SET = 20000
G_SSTORE_RESET = 5000
R_SSTORE_CLEAR = 4800
G_CALL_VALUE = 9000
G_CALL_STIPEND = 2300
G_NEW_ACCOUNT = 25000
G_SELFDESTRUCT = 5000
G_CREATE = 32000
G_LOG = 375
G_LOG_TOPIC = 375
G_LOG_DATA = 8
G_COPY_WORD = 3
G_KECCAK_WORD = 6
G_INITCODE_WORD = 2
G_EXP_BYTE = 50



def expand(c: EvmFrame, end: int) -> None:
    """Grow memory to cover byte ``end`` (exclusive), charging the expansion gas.

    Memory length is always a multiple of 32; cost(words) = 3*words + words**2 // 512.
    The cost is computed before allocating, so absurd offsets just run out of gas.
    """
    mem = c.memory
    old = len(mem)
    if end <= old:
        return
    nw = (end + 31) >> 5
    ow = old >> 5
    g = c.gas - (3 * (nw - ow) + ((nw * nw) >> 9) - ((ow * ow) >> 9))
    if g < 0:
        raise OutOfGas
    c.gas = g
    mem.extend(bytes((nw << 5) - old))


def expansion_cost(c: EvmFrame, end: int) -> int:
    """Expansion gas to cover byte ``end`` without charging or growing."""
    old = len(c.memory)
    if end <= old:
        return 0
    nw = (end + 31) >> 5
    ow = old >> 5
    return 3 * (nw - ow) + ((nw * nw) >> 9) - ((ow * ow) >> 9)


def grow(c: EvmFrame, end: int) -> None:
    mem = c.memory
    old = len(mem)
    if end > old:
        mem.extend(bytes((((end + 31) >> 5) << 5) - old))


def next_block(c: EvmFrame, pc: int) -> None:
    """Charge the static gas of the block starting at ``pc`` (after a block-ending opcode)."""
    g = c.gas - c.fallgas[pc]
    if g < 0:
        raise OutOfGas
    c.gas = g


def charge(c: EvmFrame, cost: int) -> None:
    g = c.gas - cost
    if g < 0:
        raise OutOfGas
    c.gas = g


def access_cost(c: EvmFrame, address: int) -> int:
    """EIP-2929: 100 if ``address`` is warm, else warm it and return 2600."""
    st = c.env.state
    if address in st.warm_addrs:
        return G_WARM
    st.warm_address(address)
    return G_COLD_ACCOUNT
