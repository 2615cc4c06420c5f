"""0x01-0x0b: arithmetic."""

from __future__ import annotations

from framepool.evm.context import (
    EvmFrame,
)
from framepool.evm.instructions.common import (
    G_EXP_BYTE,
    SIGN,
    M,
    charge,
)


def op_add(c: EvmFrame, pc: int) -> int:
    s = c.stack
    a = s.pop()
    s[-1] = (a + s[-1]) & M
    return pc


def op_mul(c: EvmFrame, pc: int) -> int:
    s = c.stack
    a = s.pop()
    s[-1] = (a * s[-1]) & M
    return pc


def op_sub(c: EvmFrame, pc: int) -> int:
    s = c.stack
    a = s.pop()
    s[-1] = (a - s[-1]) & M
    return pc


def op_div(c: EvmFrame, pc: int) -> int:
    s = c.stack
    a = s.pop()
    b = s[-1]
    s[-1] = a // b if b else 0
    return pc


def op_sdiv(c: EvmFrame, pc: int) -> int:
    s = c.stack
    a = s.pop()
    b = s[-1]
    if b == 0:
        s[-1] = 0
        return pc
    if a & SIGN:
        a -= 1 << 256
    if b & SIGN:
        b -= 1 << 256
    q = abs(a) // abs(b)
    if (a < 0) != (b < 0):
        q = -q
    s[-1] = q & M
    return pc


def op_mod(c: EvmFrame, pc: int) -> int:
    s = c.stack
    a = s.pop()
    b = s[-1]
    s[-1] = a % b if b else 0
    return pc


def op_smod(c: EvmFrame, pc: int) -> int:
    s = c.stack
    a = s.pop()
    b = s[-1]
    if b == 0:
        s[-1] = 0
        return pc
    if a & SIGN:
        a -= 1 << 256
    if b & SIGN:
        b -= 1 << 256
    r = abs(a) % abs(b)
    s[-1] = (-r if a < 0 else r) & M
    return pc


def op_addmod(c: EvmFrame, pc: int) -> int:
    s = c.stack
    a = s.pop()
    b = s.pop()
    n = s[-1]
    s[-1] = (a + b) % n if n else 0
    return pc


def op_mulmod(c: EvmFrame, pc: int) -> int:
    s = c.stack
    a = s.pop()
    b = s.pop()
    n = s[-1]
    s[-1] = (a * b) % n if n else 0
    return pc


def op_exp(c: EvmFrame, pc: int) -> int:
    s = c.stack
    base = s.pop()
    e = s[-1]
    if e:
        charge(c, G_EXP_BYTE * ((e.bit_length() + 7) >> 3))
    s[-1] = pow(base, e, 1 << 256)
    return pc


def op_signextend(c: EvmFrame, pc: int) -> int:
    s = c.stack
    b = s.pop()
    x = s[-1]  # read even when unused: an empty stack must underflow
    if b < 31:
        bit = (b << 3) + 7
        mask = (1 << (bit + 1)) - 1
        s[-1] = (x | (M ^ mask)) if (x >> bit) & 1 else (x & mask)
    return pc
