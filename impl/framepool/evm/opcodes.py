"""Cancun opcodes: one plain function per opcode plus the dispatch and static-gas tables.

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
start a child frame take it from the pool (``_spawn``: it becomes ``c``'s only child), fill in
its message, save ``c.pc`` and raise ``Suspend`` (see interpreter.py).
"""

from __future__ import annotations

from collections.abc import Callable

from framepool.evm.context import (
    STATUS_REVERT,
    STATUS_SUCCESS,
    EvmFrame,
    Halt,
    InvalidJump,
    InvalidOpcode,
    OutOfGas,
    ReturnDataOutOfBounds,
    StackOverflow,
    Suspend,
    WriteInStaticContext,
)
from framepool.evm.hashing import EMPTY_KECCAK, keccak256
from framepool.evm.precompiles import PRECOMPILE_ADDRESSES
from framepool_spec import FrameType

__all__ = ["BLOCK_ENDERS", "STATIC_GAS", "TABLE", "OpFn", "create2_address", "create_address"]

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

_FT_CALL = FrameType.CALL
_FT_DELEGATE = FrameType.DELEGATE_CALL
_FT_STATIC = FrameType.STATIC_CALL
_FT_CREATE = FrameType.CREATE
_FT_CREATE2 = FrameType.CREATE2
_FT_PRECOMPILE = FrameType.PRECOMPILE
_PRECOMPILES = frozenset(PRECOMPILE_ADDRESSES)


# --------------------------------------------------------------------------- helpers


def _spawn(c: EvmFrame, frame_type: FrameType) -> EvmFrame:
    """A child frame of ``c`` from the pool (a hit allocates nothing); the caller fills it in."""
    child: EvmFrame = c.env.manager.get_or_create(frame_type, c)
    return child


def _expand(c: EvmFrame, end: int) -> None:
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


def _mem_cost(c: EvmFrame, end: int) -> int:
    """Expansion gas to cover byte ``end`` without charging or growing."""
    old = len(c.memory)
    if end <= old:
        return 0
    nw = (end + 31) >> 5
    ow = old >> 5
    return 3 * (nw - ow) + ((nw * nw) >> 9) - ((ow * ow) >> 9)


def _grow(c: EvmFrame, end: int) -> None:
    mem = c.memory
    old = len(mem)
    if end > old:
        mem.extend(bytes((((end + 31) >> 5) << 5) - old))


def _next_block(c: EvmFrame, pc: int) -> None:
    """Charge the static gas of the block starting at ``pc`` (after a block-ending opcode)."""
    g = c.gas - c.fallgas[pc]
    if g < 0:
        raise OutOfGas
    c.gas = g


def _charge(c: EvmFrame, cost: int) -> None:
    g = c.gas - cost
    if g < 0:
        raise OutOfGas
    c.gas = g


def _copy_padded(src: bytes, start: int, size: int) -> bytes:
    """``size`` bytes of ``src`` from ``start``, zero-padded past its end."""
    chunk = src[start : start + size] if start < len(src) else b""
    if len(chunk) < size:
        chunk = chunk + bytes(size - len(chunk))
    return chunk


def _access_cost(c: EvmFrame, address: int) -> int:
    """EIP-2929: 100 if ``address`` is warm, else warm it and return 2600."""
    st = c.env.state
    if address in st.warm_addrs:
        return G_WARM
    st.warm_address(address)
    return G_COLD_ACCOUNT


def create_address(sender: int, nonce: int) -> int:
    """CREATE: keccak(rlp([sender, nonce]))[12:]."""
    from framepool.evm import rlp

    return int.from_bytes(keccak256(rlp.encode([sender.to_bytes(20, "big"), nonce]))[12:], "big")


def create2_address(sender: int, salt: int, initcode_hash: bytes) -> int:
    """CREATE2 (EIP-1014): keccak(0xff ++ sender ++ salt ++ keccak(initcode))[12:]."""
    data = b"\xff" + sender.to_bytes(20, "big") + salt.to_bytes(32, "big") + initcode_hash
    return int.from_bytes(keccak256(data)[12:], "big")


# --------------------------------------------------------------------------- 0x00 arithmetic


def op_stop(c: EvmFrame, pc: int) -> int:
    c.status = STATUS_SUCCESS
    c.output = b""
    raise Halt


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
        _charge(c, G_EXP_BYTE * ((e.bit_length() + 7) >> 3))
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


# --------------------------------------------------------------------------- 0x10 comparison / bitwise


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


# --------------------------------------------------------------------------- 0x20 keccak


def op_keccak(c: EvmFrame, pc: int) -> int:
    s = c.stack
    off = s.pop()
    size = s[-1]
    if size:
        _charge(c, G_KECCAK_WORD * ((size + 31) >> 5))
        _expand(c, off + size)
        s[-1] = int.from_bytes(keccak256(c.memory[off : off + size]), "big")
    else:
        s[-1] = 0xC5D2460186F7233C927E7DB2DCC703C0E500B653CA82273B7BFAD8045D85A470
    return pc


# --------------------------------------------------------------------------- 0x30 environment


def op_address(c: EvmFrame, pc: int) -> int:
    s = c.stack
    if len(s) >= 1024:
        raise StackOverflow
    s.append(c.address)
    return pc


def op_balance(c: EvmFrame, pc: int) -> int:
    s = c.stack
    a = s[-1] & ADDR
    _charge(c, _access_cost(c, a))
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
        _charge(c, G_COPY_WORD * ((size + 31) >> 5))
        _expand(c, dst + size)
        c.memory[dst : dst + size] = _copy_padded(c.calldata, src, size)
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
        _charge(c, G_COPY_WORD * ((size + 31) >> 5))
        _expand(c, dst + size)
        c.memory[dst : dst + size] = _copy_padded(c.raw_code, src, size)
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
    _charge(c, _access_cost(c, a))
    acct = c.env.state.accounts.get(a)
    s[-1] = len(acct.code) if acct is not None else 0
    return pc


def op_extcodecopy(c: EvmFrame, pc: int) -> int:
    s = c.stack
    a = s.pop() & ADDR
    dst = s.pop()
    src = s.pop()
    size = s.pop()
    cost = _access_cost(c, a)
    if size:
        cost += G_COPY_WORD * ((size + 31) >> 5)
    _charge(c, cost)
    if size:
        _expand(c, dst + size)
        acct = c.env.state.accounts.get(a)
        code = acct.code if acct is not None else b""
        c.memory[dst : dst + size] = _copy_padded(code, src, size)
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
        _charge(c, G_COPY_WORD * ((size + 31) >> 5))
    if src + size > len(c.return_data):
        raise ReturnDataOutOfBounds
    if size:
        _expand(c, dst + size)
        c.memory[dst : dst + size] = c.return_data[src : src + size]
    return pc


def op_extcodehash(c: EvmFrame, pc: int) -> int:
    s = c.stack
    a = s[-1] & ADDR
    _charge(c, _access_cost(c, a))
    acct = c.env.state.accounts.get(a)
    if acct is None or acct.is_empty():
        s[-1] = 0
    else:
        s[-1] = int.from_bytes(acct.code_hash, "big")
    return pc


# --------------------------------------------------------------------------- 0x40 block


def op_blockhash(c: EvmFrame, pc: int) -> int:
    s = c.stack
    n = s[-1]
    cur = c.env.number
    if n >= cur or n + 256 < cur:
        s[-1] = 0
    else:
        s[-1] = c.env.block_hashes.get(n, 0)
    return pc


def _push_env(getter: Callable[[EvmFrame], int]) -> OpFn:
    def op(c: EvmFrame, pc: int) -> int:
        s = c.stack
        if len(s) >= 1024:
            raise StackOverflow
        s.append(getter(c))
        return pc

    return op


op_coinbase = _push_env(lambda c: c.env.coinbase)
op_timestamp = _push_env(lambda c: c.env.timestamp)
op_number = _push_env(lambda c: c.env.number)
op_prevrandao = _push_env(lambda c: c.env.prev_randao)
op_gaslimit = _push_env(lambda c: c.env.gas_limit)
op_chainid = _push_env(lambda c: c.env.chain_id)
op_basefee = _push_env(lambda c: c.env.base_fee)
op_blobbasefee = _push_env(lambda c: c.env.blob_base_fee)


def op_selfbalance(c: EvmFrame, pc: int) -> int:
    s = c.stack
    if len(s) >= 1024:
        raise StackOverflow
    acct = c.env.state.accounts.get(c.address)
    s.append(acct.balance if acct is not None else 0)
    return pc


def op_blobhash(c: EvmFrame, pc: int) -> int:
    s = c.stack
    i = s[-1]
    hashes = c.env.blob_hashes
    s[-1] = hashes[i] if i < len(hashes) else 0
    return pc


# --------------------------------------------------------------------------- 0x50 stack/memory/storage/flow


def op_pop(c: EvmFrame, pc: int) -> int:
    c.stack.pop()
    return pc


def op_mload(c: EvmFrame, pc: int) -> int:
    s = c.stack
    off = s[-1]
    end = off + 32
    if end > len(c.memory):
        _expand(c, end)
    s[-1] = int.from_bytes(c.memory[off:end], "big")
    return pc


def op_mstore(c: EvmFrame, pc: int) -> int:
    s = c.stack
    off = s.pop()
    v = s.pop()
    end = off + 32
    if end > len(c.memory):
        _expand(c, end)
    c.memory[off:end] = v.to_bytes(32, "big")
    return pc


def op_mstore8(c: EvmFrame, pc: int) -> int:
    s = c.stack
    off = s.pop()
    v = s.pop()
    if off >= len(c.memory):
        _expand(c, off + 1)
    c.memory[off] = v & 0xFF
    return pc


def op_sload(c: EvmFrame, pc: int) -> int:
    s = c.stack
    key = s[-1]
    address = c.address
    st = c.env.state
    if (address, key) in st.warm_slots:
        cost = G_WARM
    else:
        st.warm_slot(address, key)
        cost = G_COLD_SLOAD
    g = c.gas - cost
    if g < 0:
        raise OutOfGas
    c.gas = g
    acct = st.accounts.get(address)
    s[-1] = acct.storage.get(key, 0) if acct is not None else 0
    return pc


def op_sstore(c: EvmFrame, pc: int) -> int:
    """EIP-2200 as amended by EIP-2929 (cold surcharge) and EIP-3529 (refunds)."""
    s = c.stack
    key = s.pop()
    new = s.pop()
    if c.gas <= G_CALL_STIPEND:
        raise OutOfGas
    if c.is_static:
        raise WriteInStaticContext
    st = c.env.state
    address = c.address
    original = st.original_storage(address, key)
    current = st.get_storage(address, key)
    cost = 0
    if not st.warm_slot(address, key):
        cost = G_COLD_SLOAD
    if original == current and current != new:
        cost += G_SSTORE_SET if original == 0 else G_SSTORE_RESET - G_COLD_SLOAD
    else:
        cost += G_WARM
    if current != new:
        refund = 0
        if original != 0 and current != 0 and new == 0:
            refund += R_SSTORE_CLEAR
        if original != 0 and current == 0:
            refund -= R_SSTORE_CLEAR
        if original == new:
            if original == 0:
                refund += G_SSTORE_SET - G_WARM
            else:
                refund += G_SSTORE_RESET - G_COLD_SLOAD - G_WARM
        if refund:
            st.add_refund(refund)
    _charge(c, cost)
    if current != new:
        st.set_storage(address, key, new)
    _next_block(c, pc)
    return pc


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


def op_msize(c: EvmFrame, pc: int) -> int:
    s = c.stack
    if len(s) >= 1024:
        raise StackOverflow
    s.append(len(c.memory))
    return pc


def op_gas(c: EvmFrame, pc: int) -> int:
    s = c.stack
    if len(s) >= 1024:
        raise StackOverflow
    s.append(c.gas)
    _next_block(c, pc)
    return pc


def op_jumpdest(c: EvmFrame, pc: int) -> int:
    # A JUMPDEST starts a block: charge the static gas of the whole block (itself included).
    g = c.gas - c.blockgas[pc - 1]
    if g < 0:
        raise OutOfGas
    c.gas = g
    return pc


def op_tload(c: EvmFrame, pc: int) -> int:
    s = c.stack
    s[-1] = c.env.state.transient.get((c.address, s[-1]), 0)
    return pc


def op_tstore(c: EvmFrame, pc: int) -> int:
    s = c.stack
    key = s.pop()
    v = s.pop()
    if c.is_static:
        raise WriteInStaticContext
    c.env.state.set_transient(c.address, key, v)
    return pc


def op_mcopy(c: EvmFrame, pc: int) -> int:
    s = c.stack
    dst = s.pop()
    src = s.pop()
    size = s.pop()
    if size:
        _charge(c, G_COPY_WORD * ((size + 31) >> 5))
        _expand(c, max(dst, src) + size)
        mem = c.memory
        mem[dst : dst + size] = mem[src : src + size]
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


def _make_push(n: int) -> OpFn:
    def op(c: EvmFrame, pc: int) -> int:
        s = c.stack
        if len(s) >= 1024:
            raise StackOverflow
        # c.code is padded with 33 zero bytes, so a truncated immediate reads zeros.
        s.append(int.from_bytes(c.code[pc : pc + n], "big"))
        return pc + n

    op.__name__ = f"op_push{n}"
    return op


def _make_dup(n: int) -> OpFn:
    def op(c: EvmFrame, pc: int) -> int:
        s = c.stack
        if len(s) >= 1024:
            raise StackOverflow
        s.append(s[-n])
        return pc

    op.__name__ = f"op_dup{n}"
    return op


def _make_swap(n: int) -> OpFn:
    k = -n - 1

    def op(c: EvmFrame, pc: int) -> int:
        s = c.stack
        s[-1], s[k] = s[k], s[-1]
        return pc

    op.__name__ = f"op_swap{n}"
    return op


def _make_log(n: int) -> OpFn:
    def op(c: EvmFrame, pc: int) -> int:
        s = c.stack
        off = s.pop()
        size = s.pop()
        topics = tuple(s.pop() for _ in range(n))
        if size:
            _charge(c, G_LOG_DATA * size)
            _expand(c, off + size)
        if c.is_static:
            raise WriteInStaticContext
        c.env.state.add_log(c.address, topics, bytes(c.memory[off : off + size]) if size else b"")
        return pc

    op.__name__ = f"op_log{n}"
    return op


# --------------------------------------------------------------------------- 0xf0 system


def _create(c: EvmFrame, value: int, off: int, size: int, salt: int | None) -> None:
    """Shared tail of CREATE/CREATE2 after the opcode's own gas was charged."""
    st = c.env.state
    if size:
        _grow(c, off + size)  # its gas was charged by the opcode
        initcode = bytes(c.memory[off : off + size])
    else:
        initcode = b""
    if size > MAX_INITCODE_SIZE:
        raise OutOfGas
    me = st.accounts.get(c.address)
    nonce = me.nonce if me is not None else 0
    if salt is None:
        target = create_address(c.address, nonce)
        code_hash = None
    else:
        code_hash = keccak256(initcode)
        target = create2_address(c.address, salt, code_hash)
    st.warm_address(target)
    gas = c.gas - (c.gas >> 6)
    c.gas -= gas
    if c.is_static:
        raise WriteInStaticContext
    c.return_data = b""
    balance = me.balance if me is not None else 0
    s = c.stack
    if balance < value or nonce == (1 << 64) - 1 or c.depth + 1 > DEPTH_LIMIT:
        c.gas += gas
        s.append(0)
        _next_block(c, c.pc)
        return
    if st.has_code_or_nonce_or_storage(target):
        st.increment_nonce(c.address)
        s.append(0)
        _next_block(c, c.pc)
        return
    st.increment_nonce(c.address)
    child = _spawn(c, _FT_CREATE if salt is None else _FT_CREATE2)
    child.begin(c.env, c.address, target, target, value, b"", initcode, code_hash, gas,
                False, True, True)
    raise Suspend


def op_create(c: EvmFrame, pc: int) -> int:
    s = c.stack
    value = s.pop()
    off = s.pop()
    size = s.pop()
    cost = 0
    if size:
        cost = G_INITCODE_WORD * ((size + 31) >> 5) + _mem_cost(c, off + size)
    _charge(c, cost)
    c.pc = pc
    _create(c, value, off, size, None)
    return pc


def op_create2(c: EvmFrame, pc: int) -> int:
    s = c.stack
    value = s.pop()
    off = s.pop()
    size = s.pop()
    salt = s.pop()
    cost = 0
    if size:
        cost = (G_INITCODE_WORD + G_KECCAK_WORD) * ((size + 31) >> 5) + _mem_cost(c, off + size)
    _charge(c, cost)
    c.pc = pc
    _create(c, value, off, size, salt)
    return pc


def _call_tail(
    c: EvmFrame,
    gas_arg: int,
    extra: int,
    value: int,
    in_off: int,
    in_size: int,
    out_off: int,
    out_size: int,
    caller: int,
    target: int,
    code_address: int,
    transfer: bool,
    is_static: bool,
    frame_type: FrameType,
    check_static_value: bool,
    pc: int,
) -> None:
    """The common part of the four CALL opcodes: EIP-150 gas, memory, then start the child."""
    end = 0
    if in_size:
        end = in_off + in_size
    if out_size and out_off + out_size > end:
        end = out_off + out_size
    mem_cost = _mem_cost(c, end) if end else 0
    stipend = G_CALL_STIPEND if value else 0
    left = c.gas
    if left < extra + mem_cost:
        raise OutOfGas
    avail = left - mem_cost - extra
    gas = min(avail - (avail >> 6), gas_arg)
    _charge(c, gas + extra + mem_cost)
    if check_static_value and c.is_static and value:
        raise WriteInStaticContext
    if end:
        _grow(c, end)
    s = c.stack
    st = c.env.state
    if value:
        me = st.accounts.get(c.address)
        if me is None or me.balance < value:
            s.append(0)
            c.return_data = b""
            c.gas += gas + stipend
            _next_block(c, pc)
            return
    c.return_data = b""
    if c.depth + 1 > DEPTH_LIMIT:
        c.gas += gas + stipend
        s.append(0)
        _next_block(c, pc)
        return
    acct = st.accounts.get(code_address)
    if acct is not None:
        code = acct.code
        code_hash: bytes | None = acct.code_hash
    else:
        code = b""
        code_hash = EMPTY_KECCAK
    child = _spawn(c, _FT_PRECOMPILE if code_address in _PRECOMPILES else frame_type)
    child.begin(
        c.env, caller, target, code_address, value,
        bytes(c.memory[in_off : in_off + in_size]) if in_size else b"",
        code, code_hash, gas + stipend, is_static, False, transfer, out_off, out_size,
    )
    c.pc = pc
    raise Suspend


def op_call(c: EvmFrame, pc: int) -> int:
    s = c.stack
    gas_arg = s.pop()
    to = s.pop() & ADDR
    value = s.pop()
    in_off = s.pop()
    in_size = s.pop()
    out_off = s.pop()
    out_size = s.pop()
    extra = _access_cost(c, to)
    if value:
        extra += G_CALL_VALUE
        if not c.env.state.is_alive(to):
            extra += G_NEW_ACCOUNT
    _call_tail(  # positional: a 16-keyword call costs noticeably more per CALL
        c,
        gas_arg,
        extra,
        value,
        in_off,
        in_size,
        out_off,
        out_size,
        c.address,  # caller
        to,  # target
        to,  # code_address
        True,  # transfer
        c.is_static,  # is_static
        _FT_CALL if not c.is_static else _FT_STATIC,  # frame_type
        True,  # check_static_value
        pc,
    )
    return pc


def op_callcode(c: EvmFrame, pc: int) -> int:
    s = c.stack
    gas_arg = s.pop()
    to = s.pop() & ADDR
    value = s.pop()
    in_off = s.pop()
    in_size = s.pop()
    out_off = s.pop()
    out_size = s.pop()
    extra = _access_cost(c, to)
    if value:
        extra += G_CALL_VALUE
    _call_tail(  # positional: a 16-keyword call costs noticeably more per CALL
        c,
        gas_arg,
        extra,
        value,
        in_off,
        in_size,
        out_off,
        out_size,
        c.address,  # caller
        c.address,  # target
        to,  # code_address
        True,  # transfer
        c.is_static,  # is_static
        # CALLCODE frames use FrameType.CALL (docs/pool-api.md); inside a static context the
        # frame is typed STATIC_CALL so that the pool's parent rules match the EVM's.
        _FT_CALL if not c.is_static else _FT_STATIC,  # frame_type
        False,  # check_static_value
        pc,
    )
    return pc


def op_delegatecall(c: EvmFrame, pc: int) -> int:
    s = c.stack
    gas_arg = s.pop()
    to = s.pop() & ADDR
    in_off = s.pop()
    in_size = s.pop()
    out_off = s.pop()
    out_size = s.pop()
    extra = _access_cost(c, to)
    # The child sees the parent's value but no transfer happens and no stipend is added.
    _call_tail_delegate(c, gas_arg, extra, in_off, in_size, out_off, out_size, to, pc)
    return pc


def _call_tail_delegate(
    c: EvmFrame,
    gas_arg: int,
    extra: int,
    in_off: int,
    in_size: int,
    out_off: int,
    out_size: int,
    to: int,
    pc: int,
) -> None:
    end = 0
    if in_size:
        end = in_off + in_size
    if out_size and out_off + out_size > end:
        end = out_off + out_size
    mem_cost = _mem_cost(c, end) if end else 0
    left = c.gas
    if left < extra + mem_cost:
        raise OutOfGas
    avail = left - mem_cost - extra
    gas = min(avail - (avail >> 6), gas_arg)
    _charge(c, gas + extra + mem_cost)
    if end:
        _grow(c, end)
    c.return_data = b""
    if c.depth + 1 > DEPTH_LIMIT:
        c.gas += gas
        c.stack.append(0)
        _next_block(c, pc)
        return
    acct = c.env.state.accounts.get(to)
    child = _spawn(
        c, _FT_PRECOMPILE if to in _PRECOMPILES else _FT_DELEGATE if not c.is_static else _FT_STATIC
    )
    child.begin(
        c.env, c.caller, c.address, to, c.value,
        bytes(c.memory[in_off : in_off + in_size]) if in_size else b"",
        acct.code if acct is not None else b"",
        acct.code_hash if acct is not None else EMPTY_KECCAK,
        gas, c.is_static, False, False, out_off, out_size,
    )
    c.pc = pc
    raise Suspend


def op_staticcall(c: EvmFrame, pc: int) -> int:
    s = c.stack
    gas_arg = s.pop()
    to = s.pop() & ADDR
    in_off = s.pop()
    in_size = s.pop()
    out_off = s.pop()
    out_size = s.pop()
    extra = _access_cost(c, to)
    _call_tail(  # positional: a 16-keyword call costs noticeably more per CALL
        c,
        gas_arg,
        extra,
        0,  # value
        in_off,
        in_size,
        out_off,
        out_size,
        c.address,  # caller
        to,  # target
        to,  # code_address
        True,  # transfer
        True,  # is_static
        _FT_STATIC,  # frame_type
        False,  # check_static_value
        pc,
    )
    return pc


def op_return(c: EvmFrame, pc: int) -> int:
    s = c.stack
    off = s.pop()
    size = s.pop()
    if size:
        _expand(c, off + size)
        c.output = bytes(c.memory[off : off + size])
    else:
        c.output = b""
    c.status = STATUS_SUCCESS
    raise Halt


def op_revert(c: EvmFrame, pc: int) -> int:
    s = c.stack
    off = s.pop()
    size = s.pop()
    if size:
        _expand(c, off + size)
        c.output = bytes(c.memory[off : off + size])
    else:
        c.output = b""
    c.status = STATUS_REVERT
    raise Halt


def op_invalid(c: EvmFrame, pc: int) -> int:
    raise InvalidOpcode


def op_selfdestruct(c: EvmFrame, pc: int) -> int:
    """EIP-6780: only an account created in this transaction is deleted; otherwise just send."""
    beneficiary = c.stack.pop() & ADDR
    st = c.env.state
    cost = 0  # G_SELFDESTRUCT is its static gas
    if not st.warm_address(beneficiary):
        cost += G_COLD_ACCOUNT
    me = c.address
    my_balance = st.balance(me)
    if my_balance and not st.is_alive(beneficiary):
        cost += G_NEW_ACCOUNT
    _charge(c, cost)
    if c.is_static:
        raise WriteInStaticContext
    if beneficiary != me:
        # Like the spec's move_ether even for 0 wei: an empty beneficiary is thereby removed.
        st.transfer(me, beneficiary, my_balance)
    if me in st.created:
        if st.balance(me):
            st.set_balance(me, 0)
        st.mark_destruct(me)
    c.status = STATUS_SUCCESS
    c.output = b""
    raise Halt


# --------------------------------------------------------------------------- tables

TABLE: list[OpFn] = [op_invalid] * 256
STATIC_GAS: list[int] = [0] * 256


def _def(op: int, fn: OpFn, gas: int) -> None:
    TABLE[op] = fn
    STATIC_GAS[op] = gas


for _op, _fn, _gas in (
    (0x00, op_stop, 0),
    (0x01, op_add, 3),
    (0x02, op_mul, 5),
    (0x03, op_sub, 3),
    (0x04, op_div, 5),
    (0x05, op_sdiv, 5),
    (0x06, op_mod, 5),
    (0x07, op_smod, 5),
    (0x08, op_addmod, 8),
    (0x09, op_mulmod, 8),
    (0x0A, op_exp, 10),
    (0x0B, op_signextend, 5),
    (0x10, op_lt, 3),
    (0x11, op_gt, 3),
    (0x12, op_slt, 3),
    (0x13, op_sgt, 3),
    (0x14, op_eq, 3),
    (0x15, op_iszero, 3),
    (0x16, op_and, 3),
    (0x17, op_or, 3),
    (0x18, op_xor, 3),
    (0x19, op_not, 3),
    (0x1A, op_byte, 3),
    (0x1B, op_shl, 3),
    (0x1C, op_shr, 3),
    (0x1D, op_sar, 3),
    (0x20, op_keccak, 30),
    (0x30, op_address, 2),
    (0x31, op_balance, 0),
    (0x32, op_origin, 2),
    (0x33, op_caller, 2),
    (0x34, op_callvalue, 2),
    (0x35, op_calldataload, 3),
    (0x36, op_calldatasize, 2),
    (0x37, op_calldatacopy, 3),
    (0x38, op_codesize, 2),
    (0x39, op_codecopy, 3),
    (0x3A, op_gasprice, 2),
    (0x3B, op_extcodesize, 0),
    (0x3C, op_extcodecopy, 0),
    (0x3D, op_returndatasize, 2),
    (0x3E, op_returndatacopy, 3),
    (0x3F, op_extcodehash, 0),
    (0x40, op_blockhash, 20),
    (0x41, op_coinbase, 2),
    (0x42, op_timestamp, 2),
    (0x43, op_number, 2),
    (0x44, op_prevrandao, 2),
    (0x45, op_gaslimit, 2),
    (0x46, op_chainid, 2),
    (0x47, op_selfbalance, 5),
    (0x48, op_basefee, 2),
    (0x49, op_blobhash, 3),
    (0x4A, op_blobbasefee, 2),
    (0x50, op_pop, 2),
    (0x51, op_mload, 3),
    (0x52, op_mstore, 3),
    (0x53, op_mstore8, 3),
    (0x54, op_sload, 0),
    (0x55, op_sstore, 0),
    (0x56, op_jump, 8),
    (0x57, op_jumpi, 10),
    (0x58, op_pc, 2),
    (0x59, op_msize, 2),
    (0x5A, op_gas, 2),
    (0x5B, op_jumpdest, 1),
    (0x5C, op_tload, 100),
    (0x5D, op_tstore, 100),
    (0x5E, op_mcopy, 3),
    (0x5F, op_push0, 2),
    (0x60, op_push1, 3),
    (0xF0, op_create, G_CREATE),
    (0xF1, op_call, 0),
    (0xF2, op_callcode, 0),
    (0xF3, op_return, 0),
    (0xF4, op_delegatecall, 0),
    (0xF5, op_create2, G_CREATE),
    (0xFA, op_staticcall, 0),
    (0xFD, op_revert, 0),
    (0xFE, op_invalid, 0),
    (0xFF, op_selfdestruct, G_SELFDESTRUCT),
):
    _def(_op, _fn, _gas)

# Opcodes after which a new static-gas block starts (they observe gas, jump, or halt).
BLOCK_ENDERS: frozenset[int] = frozenset(
    [0x00, 0x55, 0x56, 0x57, 0x5A, 0xF0, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xFA, 0xFD, 0xFE, 0xFF]
)

for _n in range(2, 33):
    _def(0x5F + _n, _make_push(_n), 3)
for _n in range(1, 17):
    _def(0x7F + _n, _make_dup(_n), 3)
    _def(0x8F + _n, _make_swap(_n), 3)
for _n in range(5):
    _def(0xA0 + _n, _make_log(_n), G_LOG + G_LOG_TOPIC * _n)

BLOCK_ENDERS = BLOCK_ENDERS | frozenset(op for op in range(256) if TABLE[op] is op_invalid)
