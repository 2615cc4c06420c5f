"""STOP, JUMP, JUMPI, PC, GAS, JUMPDEST: control flow and the per-block gas charges."""

from __future__ import annotations

from framepool.evm.context import (
    STATUS_SUCCESS,
    EvmFrame,
    Halt,
    InvalidJump,
    OutOfGas,
    StackOverflow,
)
from framepool.evm.instructions.common import (
    next_block,
)


def op_stop(c: EvmFrame, pc: int) -> int:
    c.status = STATUS_SUCCESS
    c.output = b""
    raise Halt



def op_jump(c: EvmFrame, pc: int) -> int:
    dest = c.stack.pop()
    if dest not in c.jumpdests:
        raise InvalidJump
    return dest


def op_jumpi(c: EvmFrame, pc: int) -> int:
    s = c.stack
    dest = s.pop()
    if s.pop():
        if dest not in c.jumpdests:
            raise InvalidJump
        return dest
    g = c.gas - c.fallgas[pc]
    if g < 0:
        raise OutOfGas
    c.gas = g
    return pc


def op_pc(c: EvmFrame, pc: int) -> int:
    s = c.stack
    if len(s) >= 1024:
        raise StackOverflow
    s.append(pc - 1)
    return pc



def op_gas(c: EvmFrame, pc: int) -> int:
    s = c.stack
    if len(s) >= 1024:
        raise StackOverflow
    s.append(c.gas)
    next_block(c, pc)
    return pc


def op_jumpdest(c: EvmFrame, pc: int) -> int:
    # A JUMPDEST starts a block: charge the static gas of the whole block (itself included).
    g = c.gas - c.blockgas[pc - 1]
    if g < 0:
        raise OutOfGas
    c.gas = g
    return pc
