"""0x40-0x4a: the block (and BLOBHASH, which reads the transaction's blobs)."""

from __future__ import annotations

from collections.abc import Callable

from framepool.evm.context import (
    EvmFrame,
    StackOverflow,
)
from framepool.evm.instructions.common import (
    OpFn,
)


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
