"""MLOAD, MSTORE, MSTORE8, MSIZE, MCOPY."""

from __future__ import annotations

from framepool.evm.context import (
    EvmFrame,
    StackOverflow,
)
from framepool.evm.instructions.common import (
    G_COPY_WORD,
    charge,
    expand,
)


def op_mload(c: EvmFrame, pc: int) -> int:
    s = c.stack
    off = s[-1]
    end = off + 32
    if end > len(c.memory):
        expand(c, end)
    s[-1] = int.from_bytes(c.memory[off:end], "big")
    return pc


def op_mstore(c: EvmFrame, pc: int) -> int:
    s = c.stack
    off = s.pop()
    v = s.pop()
    end = off + 32
    if end > len(c.memory):
        expand(c, end)
    c.memory[off:end] = v.to_bytes(32, "big")
    return pc


def op_mstore8(c: EvmFrame, pc: int) -> int:
    s = c.stack
    off = s.pop()
    v = s.pop()
    if off >= len(c.memory):
        expand(c, off + 1)
    c.memory[off] = v & 0xFF
    return pc



def op_msize(c: EvmFrame, pc: int) -> int:
    s = c.stack
    if len(s) >= 1024:
        raise StackOverflow
    s.append(len(c.memory))
    return pc



def op_mcopy(c: EvmFrame, pc: int) -> int:
    s = c.stack
    dst = s.pop()
    src = s.pop()
    size = s.pop()
    if size:
        charge(c, G_COPY_WORD * ((size + 31) >> 5))
        expand(c, max(dst, src) + size)
        mem = c.memory
        mem[dst : dst + size] = mem[src : src + size]
    return pc
