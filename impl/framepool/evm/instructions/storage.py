"""SLOAD, SSTORE (persistent) and TLOAD, TSTORE (EIP-1153 transient)."""

from __future__ import annotations

from framepool.evm.context import (
    EvmFrame,
    OutOfGas,
    WriteInStaticContext,
)
from framepool.evm.instructions.common import (
    G_CALL_STIPEND,
    G_COLD_SLOAD,
    G_SSTORE_RESET,
    G_SSTORE_SET,
    G_WARM,
    R_SSTORE_CLEAR,
    charge,
    next_block,
)


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
    charge(c, cost)
    if current != new:
        st.set_storage(address, key, new)
    next_block(c, pc)
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
