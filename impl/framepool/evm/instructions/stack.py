"""POP, PUSH0-PUSH32, DUP1-16, SWAP1-16."""

from __future__ import annotations

from framepool.evm.context import (
    EvmFrame,
    StackOverflow,
)
from framepool.evm.instructions.common import (
    OpFn,
)


def op_pop(c: EvmFrame, pc: int) -> int:
    c.stack.pop()
    return pc



def op_push0(c: EvmFrame, pc: int) -> int:
    s = c.stack
    if len(s) >= 1024:
        raise StackOverflow
    s.append(0)
    return pc


def op_push1(c: EvmFrame, pc: int) -> int:
    s = c.stack
    if len(s) >= 1024:
        raise StackOverflow
    s.append(c.code[pc])
    return pc + 1


def make_push(n: int) -> OpFn:
    def op(c: EvmFrame, pc: int) -> int:
        s = c.stack
        if len(s) >= 1024:
            raise StackOverflow
        # c.code is padded with 33 zero bytes, so a truncated immediate reads zeros.
        s.append(int.from_bytes(c.code[pc : pc + n], "big"))
        return pc + n

    op.__name__ = f"op_push{n}"
    return op


def make_dup(n: int) -> OpFn:
    def op(c: EvmFrame, pc: int) -> int:
        s = c.stack
        if len(s) >= 1024:
            raise StackOverflow
        s.append(s[-n])
        return pc

    op.__name__ = f"op_dup{n}"
    return op


def make_swap(n: int) -> OpFn:
    k = -n - 1

    def op(c: EvmFrame, pc: int) -> int:
        s = c.stack
        s[-1], s[k] = s[k], s[-1]
        return pc

    op.__name__ = f"op_swap{n}"
    return op
