"""0x30-0x3f: the message and the accounts it can see."""

from __future__ import annotations

from framepool.evm.context import (
    EvmFrame,
    ReturnDataOutOfBounds,
    StackOverflow,
)
from framepool.evm.instructions.common import (
    ADDR,
    G_COPY_WORD,
    access_cost,
    charge,
    expand,
)


def copy_padded(src: bytes, start: int, size: int) -> bytes:
    """``size`` bytes of ``src`` from ``start``, zero-padded past its end."""
    chunk = src[start : start + size] if start < len(src) else b""
    if len(chunk) < size:
        chunk = chunk + bytes(size - len(chunk))
    return chunk



def op_address(c: EvmFrame, pc: int) -> int:
    s = c.stack
    if len(s) >= 1024:
        raise StackOverflow
    s.append(c.address)
    return pc


def op_balance(c: EvmFrame, pc: int) -> int:
    s = c.stack
    a = s[-1] & ADDR
    charge(c, access_cost(c, a))
    acct = c.env.state.accounts.get(a)
    s[-1] = acct.balance if acct is not None else 0
    return pc


def op_origin(c: EvmFrame, pc: int) -> int:
    s = c.stack
    if len(s) >= 1024:
        raise StackOverflow
    s.append(c.env.origin)
    return pc


def op_caller(c: EvmFrame, pc: int) -> int:
    s = c.stack
    if len(s) >= 1024:
        raise StackOverflow
    s.append(c.caller)
    return pc


def op_callvalue(c: EvmFrame, pc: int) -> int:
    s = c.stack
    if len(s) >= 1024:
        raise StackOverflow
    s.append(c.value)
    return pc


def op_calldataload(c: EvmFrame, pc: int) -> int:
    s = c.stack
    i = s[-1]
    data = c.calldata
    if i >= len(data):
        s[-1] = 0
    else:
        chunk = data[i : i + 32]
        s[-1] = int.from_bytes(chunk, "big") << ((32 - len(chunk)) << 3)
    return pc


def op_calldatasize(c: EvmFrame, pc: int) -> int:
    s = c.stack
    if len(s) >= 1024:
        raise StackOverflow
    s.append(len(c.calldata))
    return pc


def op_calldatacopy(c: EvmFrame, pc: int) -> int:
    s = c.stack
    dst = s.pop()
    src = s.pop()
    size = s.pop()
    if size:
        charge(c, G_COPY_WORD * ((size + 31) >> 5))
        expand(c, dst + size)
        c.memory[dst : dst + size] = copy_padded(c.calldata, src, size)
    return pc


def op_codesize(c: EvmFrame, pc: int) -> int:
    s = c.stack
    if len(s) >= 1024:
        raise StackOverflow
    s.append(c.code_size)
    return pc


def op_codecopy(c: EvmFrame, pc: int) -> int:
    s = c.stack
    dst = s.pop()
    src = s.pop()
    size = s.pop()
    if size:
        charge(c, G_COPY_WORD * ((size + 31) >> 5))
        expand(c, dst + size)
        c.memory[dst : dst + size] = copy_padded(c.raw_code, src, size)
    return pc


def op_gasprice(c: EvmFrame, pc: int) -> int:
    s = c.stack
    if len(s) >= 1024:
        raise StackOverflow
    s.append(c.env.gas_price)
    return pc


def op_extcodesize(c: EvmFrame, pc: int) -> int:
    s = c.stack
    a = s[-1] & ADDR
    charge(c, access_cost(c, a))
    acct = c.env.state.accounts.get(a)
    s[-1] = len(acct.code) if acct is not None else 0
    return pc


def op_extcodecopy(c: EvmFrame, pc: int) -> int:
    s = c.stack
    a = s.pop() & ADDR
    dst = s.pop()
    src = s.pop()
    size = s.pop()
    cost = access_cost(c, a)
    if size:
        cost += G_COPY_WORD * ((size + 31) >> 5)
    charge(c, cost)
    if size:
        expand(c, dst + size)
        acct = c.env.state.accounts.get(a)
        code = acct.code if acct is not None else b""
        c.memory[dst : dst + size] = copy_padded(code, src, size)
    return pc


def op_returndatasize(c: EvmFrame, pc: int) -> int:
    s = c.stack
    if len(s) >= 1024:
        raise StackOverflow
    s.append(len(c.return_data))
    return pc


def op_returndatacopy(c: EvmFrame, pc: int) -> int:
    s = c.stack
    dst = s.pop()
    src = s.pop()
    size = s.pop()
    if size:
        charge(c, G_COPY_WORD * ((size + 31) >> 5))
    if src + size > len(c.return_data):
        raise ReturnDataOutOfBounds
    if size:
        expand(c, dst + size)
        c.memory[dst : dst + size] = c.return_data[src : src + size]
    return pc


def op_extcodehash(c: EvmFrame, pc: int) -> int:
    s = c.stack
    a = s[-1] & ADDR
    charge(c, access_cost(c, a))
    acct = c.env.state.accounts.get(a)
    if acct is None or acct.is_empty():
        s[-1] = 0
    else:
        s[-1] = int.from_bytes(acct.code_hash, "big")
    return pc
