"""0x10-0x1d: comparison and bitwise (and Osaka's CLZ, 0x1e)."""

from __future__ import annotations

from framepool.evm.context import (
    EvmFrame,
)
from framepool.evm.instructions.common import (
    SIGN,
    M,
)


def op_lt(c: EvmFrame, pc: int) -> int:
    s = c.stack
    a = s.pop()
    s[-1] = 1 if a < s[-1] else 0
    return pc


def op_gt(c: EvmFrame, pc: int) -> int:
    s = c.stack
    a = s.pop()
    s[-1] = 1 if a > s[-1] else 0
    return pc


def op_slt(c: EvmFrame, pc: int) -> int:
    # Flipping the sign bit maps two's-complement order onto unsigned order.
    s = c.stack
    a = s.pop()
    s[-1] = 1 if (a ^ SIGN) < (s[-1] ^ SIGN) else 0
    return pc


def op_sgt(c: EvmFrame, pc: int) -> int:
    s = c.stack
    a = s.pop()
    s[-1] = 1 if (a ^ SIGN) > (s[-1] ^ SIGN) else 0
    return pc


def op_eq(c: EvmFrame, pc: int) -> int:
    s = c.stack
    a = s.pop()
    s[-1] = 1 if a == s[-1] else 0
    return pc


def op_iszero(c: EvmFrame, pc: int) -> int:
    s = c.stack
    s[-1] = 0 if s[-1] else 1
    return pc


def op_and(c: EvmFrame, pc: int) -> int:
    s = c.stack
    a = s.pop()
    s[-1] &= a
    return pc


def op_or(c: EvmFrame, pc: int) -> int:
    s = c.stack
    a = s.pop()
    s[-1] |= a
    return pc


def op_xor(c: EvmFrame, pc: int) -> int:
    s = c.stack
    a = s.pop()
    s[-1] ^= a
    return pc


def op_not(c: EvmFrame, pc: int) -> int:
    s = c.stack
    s[-1] = M ^ s[-1]
    return pc


def op_byte(c: EvmFrame, pc: int) -> int:
    s = c.stack
    i = s.pop()
    x = s[-1]
    s[-1] = (x >> (248 - (i << 3))) & 0xFF if i < 32 else 0
    return pc


def op_shl(c: EvmFrame, pc: int) -> int:
    s = c.stack
    shift = s.pop()
    x = s[-1]
    s[-1] = (x << shift) & M if shift < 256 else 0
    return pc


def op_shr(c: EvmFrame, pc: int) -> int:
    s = c.stack
    shift = s.pop()
    x = s[-1]
    s[-1] = x >> shift if shift < 256 else 0
    return pc


def op_sar(c: EvmFrame, pc: int) -> int:
    s = c.stack
    shift = s.pop()
    x = s[-1]
    if x & SIGN:
        x -= 1 << 256
    s[-1] = (x >> (min(256, shift))) & M
    return pc


def op_clz(c: EvmFrame, pc: int) -> int:
    """EIP-7939 (Osaka): the number of leading zero bits of the top word (256 for zero)."""
    s = c.stack
    s[-1] = 256 - s[-1].bit_length()
    return pc
