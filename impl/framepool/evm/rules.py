"""Each fork's rules as data, assembled in one place: ``RULES[fork]``.

A ``ForkRules`` holds everything the VM looks up per fork: the instruction set (table and
static gas, see ``instructions/__init__.py``), the precompiles, how a CALL finds the code it
runs, the transaction types and their limits, and the blob parameters. Each is built once, at
import; a transaction reads its block's ``ForkRules`` and nothing checks the fork per opcode.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from framepool.evm.forks import Fork
from framepool.evm.instructions import INSTRUCTIONS, InstructionSet
from framepool.evm.instructions.system import CodeResolver, delegated_code, own_code
from framepool.evm.precompiles import Precompile, precompiles_for

__all__ = ["RULES", "ForkRules"]

GAS_PER_BLOB = 2**17


@dataclass(frozen=True, eq=False)
class ForkRules:
    """What differs between forks, beyond the instruction table."""

    fork: Fork
    instructions: InstructionSet
    precompiles: Mapping[int, Precompile]
    """The active precompiles by address (they all start warm, EIP-2929); see precompiles/."""
    resolve_code: CodeResolver
    """What a CALL to an address runs: its own code, or (EIP-7702) its delegate's."""
    tx_types: frozenset[int]
    max_blob_gas_per_block: int
    """EIP-4844 / EIP-7691: the blob gas one block may use (a transaction may not exceed it)."""
    target_blob_gas_per_block: int
    """EIP-4844 / EIP-7691: blob gas above this raises the next block's blob base fee."""
    blob_base_cost: int | None
    """EIP-7918 (Osaka): the execution gas a blob is priced at least at, times the base fee."""
    max_blobs_per_tx: int
    """EIP-7594 (Osaka) caps a transaction's blobs below the block's maximum."""
    blob_base_fee_update_fraction: int
    calldata_floor: bool
    """EIP-7623: a transaction pays at least 10 gas per calldata token (+21000)."""
    tx_gas_limit_cap: int | None
    """EIP-7825: the most gas one transaction may ask for."""


_SHANGHAI = ForkRules(
    fork=Fork.SHANGHAI,
    instructions=INSTRUCTIONS[Fork.SHANGHAI],
    precompiles=precompiles_for(Fork.SHANGHAI),
    resolve_code=own_code,
    tx_types=frozenset({0, 1, 2}),
    max_blob_gas_per_block=0,
    target_blob_gas_per_block=0,
    blob_base_cost=None,
    max_blobs_per_tx=0,
    blob_base_fee_update_fraction=0,
    calldata_floor=False,
    tx_gas_limit_cap=None,
)
_CANCUN = replace(
    _SHANGHAI,
    fork=Fork.CANCUN,
    instructions=INSTRUCTIONS[Fork.CANCUN],
    precompiles=precompiles_for(Fork.CANCUN),  # + POINT_EVALUATION (EIP-4844)
    tx_types=frozenset({0, 1, 2, 3}),  # + blob transactions (EIP-4844)
    max_blob_gas_per_block=6 * GAS_PER_BLOB,
    target_blob_gas_per_block=3 * GAS_PER_BLOB,
    max_blobs_per_tx=6,
    blob_base_fee_update_fraction=3338477,
)
_PRAGUE = replace(
    _CANCUN,
    fork=Fork.PRAGUE,
    instructions=INSTRUCTIONS[Fork.PRAGUE],
    precompiles=precompiles_for(Fork.PRAGUE),  # + BLS12-381 (EIP-2537)
    resolve_code=delegated_code,  # EIP-7702
    tx_types=frozenset({0, 1, 2, 3, 4}),  # + set-code transactions (EIP-7702)
    max_blob_gas_per_block=9 * GAS_PER_BLOB,  # EIP-7691
    target_blob_gas_per_block=6 * GAS_PER_BLOB,  # EIP-7691
    max_blobs_per_tx=9,
    blob_base_fee_update_fraction=5007716,  # EIP-7691
    calldata_floor=True,  # EIP-7623
)
_OSAKA = replace(
    _PRAGUE,
    fork=Fork.OSAKA,
    instructions=INSTRUCTIONS[Fork.OSAKA],  # + CLZ (EIP-7939)
    precompiles=precompiles_for(Fork.OSAKA),  # + P256VERIFY (EIP-7951), MODEXP (EIP-7823/7883)
    max_blobs_per_tx=6,  # EIP-7594
    blob_base_cost=2**13,  # EIP-7918
    tx_gas_limit_cap=2**24,  # EIP-7825
)

RULES: dict[Fork, ForkRules] = {r.fork: r for r in (_SHANGHAI, _CANCUN, _PRAGUE, _OSAKA)}
