"""The Ethereum execution specification as a reference: run one state-test transaction on it.

``run_reference(fork, env, pre, tx)`` applies one concrete transaction to a pre-state with the
spec's transition tool (``ethereum-spec-evm t8n --state-test``, driven in-process: no block
rewards, no system calls, as a state test means) and returns the post-state root, the logs
hash, the gas used, the signed transaction's bytes and, if the spec refused the transaction,
the name of the rule it broke.  ``env``, ``pre`` and ``tx`` are JSON objects in the filled
state-test format, except that ``tx`` is one concrete transaction (``data``, ``gasLimit`` and
``value`` single values rather than lists, ``accessList`` instead of ``accessLists``).

This module needs the ``ethereum-execution`` package (framepool's ``dev`` extra); the fillers
(``framepool.evm.fill``) and the differential fuzzer (``framepool.evm.fuzz``) use it.
"""

from __future__ import annotations

import io
import json
import logging
import re
from dataclasses import dataclass
from typing import Any

from ethereum_rlp import rlp
from ethereum_spec_tools.evm_tools import create_parser
from ethereum_spec_tools.evm_tools.t8n import T8N, ForkCache

from framepool.evm.forks import Fork

__all__ = ["TX_EXCEPTIONS", "SpecOutcome", "run_reference"]

# The spec's name for each transaction-validity rule -> the names state-test fixtures give it
# (``TransactionException.<NAME>``).  One spec exception can stand for several fixture names.
TX_EXCEPTIONS: dict[str, tuple[str, ...]] = {
    "InsufficientTransactionGasError": ("INTRINSIC_GAS_TOO_LOW", "INTRINSIC_GAS_BELOW_FLOOR_GAS_COST"),
    "TransactionGasLimitExceededError": ("GAS_LIMIT_EXCEEDS_MAXIMUM",),
    "GasUsedExceedsLimitError": ("GAS_ALLOWANCE_EXCEEDED",),
    "InsufficientMaxFeePerBlobGasError": ("INSUFFICIENT_MAX_FEE_PER_BLOB_GAS",),
    "InsufficientMaxFeePerGasError": ("INSUFFICIENT_MAX_FEE_PER_GAS",),
    "PriorityFeeGreaterThanMaxFeeError": ("PRIORITY_GREATER_THAN_MAX_FEE_PER_GAS",),
    "EmptyAuthorizationListError": ("TYPE_4_EMPTY_AUTHORIZATION_LIST",),
    "TransactionTypeContractCreationError": ("TYPE_3_TX_CONTRACT_CREATION", "TYPE_4_TX_CONTRACT_CREATION"),
    "BlobCountExceededError": ("TYPE_3_TX_BLOB_COUNT_EXCEEDED",),
    "BlobGasLimitExceededError": ("TYPE_3_TX_MAX_BLOB_GAS_ALLOWANCE_EXCEEDED",),
    "NoBlobDataError": ("TYPE_3_TX_ZERO_BLOBS",),
    "InvalidBlobVersionedHashError": ("TYPE_3_TX_INVALID_BLOB_VERSIONED_HASH",),
    "NonceMismatchError": ("NONCE_MISMATCH_TOO_LOW", "NONCE_MISMATCH_TOO_HIGH"),
    "NonceOverflowError": ("NONCE_IS_MAX",),
    "InsufficientBalanceError": ("INSUFFICIENT_ACCOUNT_FUNDS",),
    "InvalidSenderError": ("SENDER_NOT_EOA",),
    "InitCodeTooLargeError": ("INITCODE_SIZE_EXCEEDED",),
}

_REJECTED_RE = re.compile(r"Failed transaction: (\w+)\(")
_FORK_CACHE = ForkCache()  # forks without custom blob parameters are returned uncached


@dataclass(frozen=True)
class SpecOutcome:
    """What the spec made of one transaction."""

    state_root: bytes
    logs_hash: bytes
    gas_used: int
    txbytes: bytes
    rejected: str | None
    """The spec's exception class name if the transaction was invalid (e.g. ``NonceMismatchError``)."""
    alloc: dict[str, Any]
    """The post-state as JSON (``{"0xaddress": {"balance", "nonce", "code", "storage"}}``)."""
    excess_blob_gas: int
    """The block's excess blob gas: ``env``'s, or computed from its ``parent*`` fields if it has none."""


def run_reference(fork: Fork, env: dict[str, Any], pre: dict[str, Any], tx: dict[str, Any]) -> SpecOutcome:
    """Apply ``tx`` to ``pre`` under ``fork``'s rules in the spec's t8n, in state-test mode."""
    t8n_env = dict(env)
    t8n_env["blockHashes"] = {"0": env["previousHash"]} if "previousHash" in env else {}
    t8n_env["withdrawals"] = []
    t8n_tx = {k: v for k, v in tx.items() if k not in ("data", "gasLimit", "sender")}
    t8n_tx["input"] = tx["data"]
    t8n_tx["gas"] = tx["gasLimit"]
    stdin = io.StringIO(json.dumps({"env": t8n_env, "alloc": pre, "txs": [t8n_tx]}))
    options = create_parser().parse_args(
        [
            "t8n",
            "--input.alloc=stdin",
            "--input.env=stdin",
            "--input.txs=stdin",
            f"--state.fork={fork.title}",
            "--state-test",
        ]
    )
    t8n = T8N(options, io.StringIO(), stdin, _FORK_CACHE)
    logging.getLogger("T8N").setLevel(logging.ERROR)  # a refused transaction is a result here, not news
    t8n.run_state_test()
    result = t8n.result
    rejected: str | None = None
    if 0 in t8n.txs.rejected_txs:
        message = str(t8n.txs.rejected_txs[0])
        match = _REJECTED_RE.match(message)
        rejected = match.group(1) if match else message
    encoded = t8n.txs.all_txs[0] if t8n.txs.all_txs else b""
    txbytes = bytes(encoded) if isinstance(encoded, bytes) else bytes(rlp.encode(encoded))
    return SpecOutcome(
        state_root=bytes(result.state_root),
        logs_hash=bytes(result.logs_hash),
        gas_used=int(result.gas_used),
        txbytes=txbytes,
        rejected=rejected,
        alloc=t8n.alloc.to_json(),
        excess_blob_gas=int(result.excess_blob_gas or 0),
    )
