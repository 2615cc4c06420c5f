"""CREATE, CREATE2, the CALL family, RETURN, REVERT, INVALID, SELFDESTRUCT."""

from __future__ import annotations

from collections.abc import Callable

from framepool.evm.context import (
    STATUS_REVERT,
    STATUS_SUCCESS,
    EvmFrame,
    Halt,
    InvalidOpcode,
    OutOfGas,
    Suspend,
    WriteInStaticContext,
)
from framepool.evm.hashing import EMPTY_KECCAK, keccak256
from framepool.evm.instructions.common import (
    ADDR,
    DEPTH_LIMIT,
    G_CALL_STIPEND,
    G_CALL_VALUE,
    G_COLD_ACCOUNT,
    G_INITCODE_WORD,
    G_KECCAK_WORD,
    G_NEW_ACCOUNT,
    G_WARM,
    MAX_INITCODE_SIZE,
    access_cost,
    charge,
    expand,
    expansion_cost,
    grow,
    next_block,
)
from framepool.evm.state import State
from framepool_spec import FrameType

_FT_CALL = FrameType.CALL
_FT_DELEGATE = FrameType.DELEGATE_CALL
_FT_STATIC = FrameType.STATIC_CALL
_FT_CREATE = FrameType.CREATE
_FT_CREATE2 = FrameType.CREATE2
_FT_PRECOMPILE = FrameType.PRECOMPILE


def _spawn(c: EvmFrame, frame_type: FrameType) -> EvmFrame:
    """A child frame of ``c`` from the pool (a hit allocates nothing); the caller fills it in."""
    child: EvmFrame = c.env.manager.get_or_create(frame_type, c)
    return child



CodeResolver = Callable[[State, int], tuple[int, bytes, bytes, int]]
"""``resolve(state, address) -> (code address, code, code hash, access gas)``: what a message
to ``address`` runs. The fork's rules pick one (``rules.ForkRules.resolve_code``)."""

DELEGATION_PREFIX = b"\xef\x01\x00"
DELEGATION_LENGTH = 23


def is_delegation(code: bytes) -> bool:
    """Whether ``code`` is an EIP-7702 delegation designator: 0xef0100 ++ a 20-byte address."""
    return len(code) == DELEGATION_LENGTH and code[:3] == DELEGATION_PREFIX


def own_code(state: State, address: int) -> tuple[int, bytes, bytes, int]:
    """Before Prague: an account runs its own code."""
    acct = state.accounts.get(address)
    if acct is None:
        return address, b"", EMPTY_KECCAK, 0
    return address, acct.code, acct.code_hash, 0


def delegated_code(state: State, address: int) -> tuple[int, bytes, bytes, int]:
    """EIP-7702: an account whose code is a delegation designator runs its delegate's code,
    and resolving it is an access to the delegate (warm 100, cold 2600; the delegate is
    warm afterwards). The code address is then the delegate's, and the message never runs
    a precompile, even where the delegate is one."""
    accounts = state.accounts
    acct = accounts.get(address)
    if acct is None:
        return address, b"", EMPTY_KECCAK, 0
    code = acct.code
    if len(code) != DELEGATION_LENGTH or code[:3] != DELEGATION_PREFIX:
        return address, code, acct.code_hash, 0
    delegate = int.from_bytes(code[3:], "big")
    cost = G_WARM if state.warm_address(delegate) else G_COLD_ACCOUNT
    target = accounts.get(delegate)
    if target is None:
        return delegate, b"", EMPTY_KECCAK, cost
    return delegate, target.code, target.code_hash, cost


def create_address(sender: int, nonce: int) -> int:
    """CREATE: keccak(rlp([sender, nonce]))[12:]."""
    from framepool.evm import rlp

    return int.from_bytes(keccak256(rlp.encode([sender.to_bytes(20, "big"), nonce]))[12:], "big")


def create2_address(sender: int, salt: int, initcode_hash: bytes) -> int:
    """CREATE2 (EIP-1014): keccak(0xff ++ sender ++ salt ++ keccak(initcode))[12:]."""
    data = b"\xff" + sender.to_bytes(20, "big") + salt.to_bytes(32, "big") + initcode_hash
    return int.from_bytes(keccak256(data)[12:], "big")



def _create(c: EvmFrame, value: int, off: int, size: int, salt: int | None) -> None:
    """Shared tail of CREATE/CREATE2 after the opcode's own gas was charged."""
    st = c.env.state
    if size:
        grow(c, off + size)  # its gas was charged by the opcode
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
        next_block(c, c.pc)
        return
    if st.has_code_or_nonce_or_storage(target):
        st.increment_nonce(c.address)
        s.append(0)
        next_block(c, c.pc)
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
        cost = G_INITCODE_WORD * ((size + 31) >> 5) + expansion_cost(c, off + size)
    charge(c, cost)
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
        cost = (G_INITCODE_WORD + G_KECCAK_WORD) * ((size + 31) >> 5) + expansion_cost(c, off + size)
    charge(c, cost)
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
    to: int,
    transfer: bool,
    is_static: bool,
    frame_type: FrameType,
    check_static_value: bool,
    pc: int,
) -> None:
    """The common part of CALL, CALLCODE and STATICCALL: resolve the code ``to`` runs, EIP-150
    gas, memory, then start the child."""
    # Hot path: an account's own code, unless it has a designator's shape (23 bytes from 0xef);
    # only then does the fork's resolver decide (measured: ~2% per CALL saved).
    acct = c.env.state.accounts.get(to)
    if acct is None:
        code_address, code, code_hash = to, b"", EMPTY_KECCAK
    else:
        code_address, code, code_hash = to, acct.code, acct.code_hash
        if len(code) == DELEGATION_LENGTH and code[0] == 0xEF:
            code_address, code, code_hash, delegation_cost = c.env.rules.resolve_code(c.env.state, to)
            extra += delegation_cost
    end = 0
    if in_size:
        end = in_off + in_size
    if out_size and out_off + out_size > end:
        end = out_off + out_size
    mem_cost = expansion_cost(c, end) if end else 0
    stipend = G_CALL_STIPEND if value else 0
    left = c.gas
    if left < extra + mem_cost:
        raise OutOfGas
    avail = left - mem_cost - extra
    gas = min(avail - (avail >> 6), gas_arg)
    charge(c, gas + extra + mem_cost)
    if check_static_value and c.is_static and value:
        raise WriteInStaticContext
    if end:
        grow(c, end)
    s = c.stack
    st = c.env.state
    if value:
        me = st.accounts.get(c.address)
        if me is None or me.balance < value:
            s.append(0)
            c.return_data = b""
            c.gas += gas + stipend
            next_block(c, pc)
            return
    c.return_data = b""
    if c.depth + 1 > DEPTH_LIMIT:
        c.gas += gas + stipend
        s.append(0)
        next_block(c, pc)
        return
    if code_address == to and to in c.env.rules.precompiles:  # not a delegated call
        frame_type = _FT_PRECOMPILE
    child = _spawn(c, frame_type)
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
    extra = access_cost(c, to)
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
        to,  # the code's address, before delegation
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
    extra = access_cost(c, to)
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
        to,  # the code's address, before delegation
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
    extra = access_cost(c, to)
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
    # Hot path: an account's own code, unless it has a designator's shape (23 bytes from 0xef);
    # only then does the fork's resolver decide (measured: ~2% per CALL saved).
    acct = c.env.state.accounts.get(to)
    if acct is None:
        code_address, code, code_hash = to, b"", EMPTY_KECCAK
    else:
        code_address, code, code_hash = to, acct.code, acct.code_hash
        if len(code) == DELEGATION_LENGTH and code[0] == 0xEF:
            code_address, code, code_hash, delegation_cost = c.env.rules.resolve_code(c.env.state, to)
            extra += delegation_cost
    end = 0
    if in_size:
        end = in_off + in_size
    if out_size and out_off + out_size > end:
        end = out_off + out_size
    mem_cost = expansion_cost(c, end) if end else 0
    left = c.gas
    if left < extra + mem_cost:
        raise OutOfGas
    avail = left - mem_cost - extra
    gas = min(avail - (avail >> 6), gas_arg)
    charge(c, gas + extra + mem_cost)
    if end:
        grow(c, end)
    c.return_data = b""
    if c.depth + 1 > DEPTH_LIMIT:
        c.gas += gas
        c.stack.append(0)
        next_block(c, pc)
        return
    if code_address == to and to in c.env.rules.precompiles:  # not a delegated call
        frame_type = _FT_PRECOMPILE
    else:
        frame_type = _FT_DELEGATE if not c.is_static else _FT_STATIC
    child = _spawn(c, frame_type)
    child.begin(
        c.env, c.caller, c.address, code_address, c.value,
        bytes(c.memory[in_off : in_off + in_size]) if in_size else b"",
        code, code_hash, gas, c.is_static, False, False, out_off, out_size,
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
    extra = access_cost(c, to)
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
        to,  # the code's address, before delegation
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
        expand(c, off + size)
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
        expand(c, off + size)
        c.output = bytes(c.memory[off : off + size])
    else:
        c.output = b""
    c.status = STATUS_REVERT
    raise Halt


def op_invalid(c: EvmFrame, pc: int) -> int:
    raise InvalidOpcode


def op_selfdestruct_shanghai(c: EvmFrame, pc: int) -> int:
    """Before EIP-6780: send the whole balance, then delete the account at the end of the
    transaction whether or not it was created in it (a self-beneficiary burns its balance)."""
    beneficiary = c.stack.pop() & ADDR
    st = c.env.state
    cost = 0  # G_SELFDESTRUCT is its static gas
    if not st.warm_address(beneficiary):
        cost += G_COLD_ACCOUNT
    me = c.address
    my_balance = st.balance(me)
    if my_balance and not st.is_alive(beneficiary):
        cost += G_NEW_ACCOUNT
    charge(c, cost)
    if c.is_static:
        raise WriteInStaticContext
    if beneficiary != me:
        st.transfer(me, beneficiary, my_balance)
    elif my_balance:
        st.set_balance(me, 0)
    st.mark_destruct(me)
    c.status = STATUS_SUCCESS
    c.output = b""
    raise Halt


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
    charge(c, cost)
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
