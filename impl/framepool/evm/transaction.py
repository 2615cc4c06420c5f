"""Transactions under a block's fork: validation, intrinsic gas, fees, execution of the
outermost frame. What differs between forks comes from ``rules.RULES[block.fork]``.

Sender: derived from the fixture's ``secretKey`` (coincurve computes the public key; the
address is keccak(pubkey)[12:]) -- the fixtures sign every transaction with that key, so this
is the same address signature recovery over ``txbytes`` would give, at a fraction of the cost.
``sender_from_txbytes`` does the full recovery and is used by the tests as a cross-check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from framepool.evm.context import STATUS_ERROR, STATUS_SUCCESS, Env, EvmFrame
from framepool.evm.forks import Fork
from framepool.evm.hashing import keccak256
from framepool.evm.instructions.common import MAX_INITCODE_SIZE
from framepool.evm.instructions.system import (
    DELEGATION_PREFIX,
    create_address,
    is_delegation,
)
from framepool.evm.interpreter import execute
from framepool.evm.rules import GAS_PER_BLOB, RULES, ForkRules
from framepool.evm.state import State
from framepool_spec import FrameType

if TYPE_CHECKING:
    from framepool.evm.trace import Tracer

__all__ = [
    "Authorization",
    "InvalidTransaction",
    "Transaction",
    "TxResult",
    "blob_gas_price",
    "excess_blob_gas",
    "floor_gas",
    "intrinsic_gas",
    "process_transaction",
    "sender_from_secret",
    "sender_from_txbytes",
]

TX_BASE = 21000
TX_DATA_ZERO = 4
TX_DATA_NONZERO = 16
TX_CREATE = 32000
TX_ACCESS_ADDRESS = 2400
TX_ACCESS_KEY = 1900
TX_FLOOR_PER_TOKEN = 10  # EIP-7623
PER_EMPTY_ACCOUNT_COST = 25000  # EIP-7702, per authorization
PER_AUTH_BASE_COST = 12500  # EIP-7702: an existing authority refunds the difference
SECP256K1N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
SET_CODE_MAGIC = b"\x05"
MIN_BLOB_GASPRICE = 1
VERSIONED_HASH_VERSION_KZG = 0x01
CHAIN_ID = 1


class InvalidTransaction(Exception):
    """The transaction cannot be included; ``reason`` names the rule (e.g. NONCE_MISMATCH)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


def _auth_hash(chain_id: int, address: int, nonce: int) -> bytes:
    """What an EIP-7702 authorization signs: keccak(0x05 ++ rlp([chain_id, address, nonce]))."""
    from framepool.evm import rlp

    return keccak256(SET_CODE_MAGIC + rlp.encode([chain_id, address.to_bytes(20, "big"), nonce]))


@dataclass(frozen=True)
class Authorization:
    """One entry of a set-code transaction's authorization list (EIP-7702): the signer of
    ``(chain_id, address, nonce)`` asks that its account run ``address``'s code."""

    chain_id: int
    address: int
    nonce: int
    y_parity: int
    r: int
    s: int

    @classmethod
    def signed(cls, secret_key: bytes, chain_id: int, address: int, nonce: int) -> Authorization:
        """The authorization ``secret_key``'s account gives to run ``address``'s code."""
        from coincurve import PrivateKey

        sig = PrivateKey(secret_key).sign_recoverable(_auth_hash(chain_id, address, nonce), hasher=None)
        return cls(chain_id, address, nonce, sig[64], int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:64], "big"))

    def authority(self) -> int | None:
        """The signer's address, or None if the signature is invalid (the entry is skipped)."""
        from coincurve import PublicKey

        if self.y_parity not in (0, 1) or not 0 < self.r < SECP256K1N or not 0 < self.s <= SECP256K1N // 2:
            return None
        signature = self.r.to_bytes(32, "big") + self.s.to_bytes(32, "big") + bytes([self.y_parity])
        digest = _auth_hash(self.chain_id, self.address, self.nonce)
        try:
            public = PublicKey.from_signature_and_message(signature, digest, hasher=None)
        except ValueError:  # no curve point has this r: nothing signed it
            return None
        return int.from_bytes(keccak256(public.format(compressed=False)[1:])[12:], "big")


@dataclass(frozen=True)
class Transaction:
    """A decoded transaction. ``tx_type``: 0 legacy, 1 EIP-2930, 2 EIP-1559, 3 EIP-4844,
    4 EIP-7702 (set code)."""

    tx_type: int
    sender: int
    nonce: int
    gas_limit: int
    to: int | None
    value: int
    data: bytes
    gas_price: int = 0
    max_fee_per_gas: int = 0
    max_priority_fee_per_gas: int = 0
    access_list: Sequence[tuple[int, Sequence[int]]] = ()
    max_fee_per_blob_gas: int = 0
    blob_versioned_hashes: Sequence[bytes] = ()
    authorizations: Sequence[Authorization] = ()


@dataclass
class TxResult:
    """Outcome of ``process_transaction``: ``error`` is set iff the transaction was invalid."""

    error: str | None = None
    success: bool = False
    gas_used: int = 0
    output: bytes = b""
    logs: list[tuple[int, tuple[int, ...], bytes]] = field(default_factory=list)


@dataclass(frozen=True)
class BlockContext:
    """What the VM needs of the block (fixture ``env``), and the fork whose rules apply."""

    coinbase: int
    number: int
    timestamp: int
    gas_limit: int
    prev_randao: int
    base_fee: int
    excess_blob_gas: int
    fork: Fork = Fork.CANCUN


def fake_exponential(factor: int, numerator: int, denominator: int) -> int:
    """EIP-4844's integer approximation of factor * e ** (numerator / denominator)."""
    i = 1
    output = 0
    acc = factor * denominator
    while acc > 0:
        output += acc
        acc = (acc * numerator) // (denominator * i)
        i += 1
    return output // denominator


def blob_gas_price(excess_blob_gas: int, rules: ForkRules = RULES[Fork.CANCUN]) -> int:
    """The price of one unit of blob gas under ``rules`` (EIP-4844, fraction per EIP-7691)."""
    return fake_exponential(MIN_BLOB_GASPRICE, excess_blob_gas, rules.blob_base_fee_update_fraction)


def excess_blob_gas(parent_excess: int, parent_blob_gas_used: int, parent_base_fee: int, rules: ForkRules) -> int:
    """A block's excess blob gas from its parent's header (EIP-4844, targets per EIP-7691).

    From Osaka (EIP-7918), while a blob's execution cost (``blob_base_cost`` times the base
    fee) exceeds its blob-gas price at the target, the excess only grows (by the blob gas
    used, scaled by (max - target) / max) and never falls, so the blob base fee climbs until
    it is bounded below by execution cost. State tests give the excess itself
    (``currentExcessBlobGas``), so this is for callers that build blocks.
    """
    parent_blob_gas = parent_excess + parent_blob_gas_used
    target = rules.target_blob_gas_per_block
    if parent_blob_gas < target:
        return 0
    if rules.blob_base_cost is not None:
        at_target = GAS_PER_BLOB * blob_gas_price(parent_excess, rules)
        if rules.blob_base_cost * parent_base_fee > at_target:
            maximum = rules.max_blob_gas_per_block
            return parent_excess + parent_blob_gas_used * (maximum - target) // maximum
    return parent_blob_gas - target


def intrinsic_gas(tx: Transaction) -> int:
    """21000 + calldata + creation (EIP-3860 initcode words) + access list (EIP-2930)
    + 25000 per authorization (EIP-7702)."""
    zeros = tx.data.count(0)
    cost = TX_BASE + TX_DATA_ZERO * zeros + TX_DATA_NONZERO * (len(tx.data) - zeros)
    if tx.to is None:
        cost += TX_CREATE + 2 * ((len(tx.data) + 31) // 32)
    for _address, keys in tx.access_list:
        cost += TX_ACCESS_ADDRESS + TX_ACCESS_KEY * len(keys)
    return cost + PER_EMPTY_ACCOUNT_COST * len(tx.authorizations)


def floor_gas(tx: Transaction, rules: ForkRules) -> int:
    """EIP-7623 (Prague): 21000 + 10 per calldata token (a zero byte is one token, any other
    byte four). A transaction must afford it and pays at least it; 0 before Prague."""
    if not rules.calldata_floor:
        return 0
    zeros = tx.data.count(0)
    return TX_BASE + TX_FLOOR_PER_TOKEN * (zeros + 4 * (len(tx.data) - zeros))


@lru_cache(maxsize=256)
def sender_from_secret(secret_key: bytes) -> int:
    """The address controlled by ``secret_key`` (32 bytes)."""
    from coincurve import PrivateKey

    if len(secret_key) != 32:
        raise ValueError(f"secret key must be 32 bytes, got {len(secret_key)}")
    pub = PrivateKey(secret_key).public_key.format(compressed=False)[1:]
    return int.from_bytes(keccak256(pub)[12:], "big")


def sender_from_txbytes(txbytes: bytes) -> int:
    """Recover the sender of a signed transaction (legacy with EIP-155, or typed 1/2/3)."""
    from coincurve import PublicKey

    from framepool.evm import rlp

    if not txbytes:
        raise ValueError("empty transaction bytes")
    if txbytes[0] >= 0xC0:
        fields = rlp.decode(txbytes)
        if not isinstance(fields, list) or len(fields) != 9:
            raise ValueError("legacy transaction must be a 9-item RLP list")
        v = rlp.decode_uint(fields[6])
        if v in (27, 28):
            unsigned: Any = fields[:6]
            recid = v - 27
        else:
            chain_id = (v - 35) // 2
            recid = v - 35 - 2 * chain_id
            unsigned = fields[:6] + [chain_id, 0, 0]
        preimage = rlp.encode(unsigned)
        r, s = fields[7], fields[8]
    else:
        fields = rlp.decode(txbytes[1:])
        if not isinstance(fields, list) or len(fields) < 4:
            raise ValueError("typed transaction payload must be an RLP list")
        recid = rlp.decode_uint(fields[-3])
        r, s = fields[-2], fields[-1]
        preimage = txbytes[:1] + rlp.encode(fields[:-3])
    assert isinstance(r, bytes) and isinstance(s, bytes)
    sig = r.rjust(32, b"\0") + s.rjust(32, b"\0") + bytes([recid])
    pub = PublicKey.from_signature_and_message(sig, keccak256(preimage), hasher=None)
    return int.from_bytes(keccak256(pub.format(compressed=False)[1:])[12:], "big")


def _validate(
    state: State, block: BlockContext, tx: Transaction, rules: ForkRules
) -> tuple[int, int, int, int]:
    """Raise InvalidTransaction, or return (intrinsic gas, floor, effective gas price, blob fee)."""
    if tx.tx_type not in rules.tx_types:
        raise InvalidTransaction(f"TYPE_{tx.tx_type}_TX_PRE_FORK", f"not a {rules.fork.title} type")
    for name in ("value", "gas_price", "max_fee_per_gas", "max_priority_fee_per_gas", "max_fee_per_blob_gas"):
        if not 0 <= getattr(tx, name) < 2**256:
            raise InvalidTransaction("RLP_INVALID_VALUE", f"{name} does not fit in 256 bits")
    intrinsic = intrinsic_gas(tx)
    floor = floor_gas(tx, rules)
    if intrinsic > tx.gas_limit:
        raise InvalidTransaction("INTRINSIC_GAS_TOO_LOW", f"{intrinsic} > {tx.gas_limit}")
    if floor > tx.gas_limit:
        raise InvalidTransaction("INTRINSIC_GAS_BELOW_FLOOR_GAS_COST", f"{floor} > {tx.gas_limit}")
    if tx.nonce >= 2**64 - 1:
        raise InvalidTransaction("NONCE_IS_MAX")
    if tx.to is None and len(tx.data) > MAX_INITCODE_SIZE:
        raise InvalidTransaction("INITCODE_SIZE_EXCEEDED", f"{len(tx.data)} bytes")
    if rules.tx_gas_limit_cap is not None and tx.gas_limit > rules.tx_gas_limit_cap:
        raise InvalidTransaction("GAS_LIMIT_EXCEEDS_MAXIMUM", f"{tx.gas_limit} > {rules.tx_gas_limit_cap}")
    if tx.gas_limit > block.gas_limit:
        raise InvalidTransaction("GAS_ALLOWANCE_EXCEEDED", f"{tx.gas_limit} > {block.gas_limit}")
    blob_gas = GAS_PER_BLOB * len(tx.blob_versioned_hashes) if tx.tx_type == 3 else 0
    if blob_gas > rules.max_blob_gas_per_block or len(tx.blob_versioned_hashes) > rules.max_blobs_per_tx:
        raise InvalidTransaction("TYPE_3_TX_BLOB_COUNT_EXCEEDED", f"{len(tx.blob_versioned_hashes)} blobs")
    if tx.tx_type >= 2:
        if tx.max_fee_per_gas < tx.max_priority_fee_per_gas:
            raise InvalidTransaction("PRIORITY_GREATER_THAN_MAX_FEE_PER_GAS")
        if tx.max_fee_per_gas < block.base_fee:
            raise InvalidTransaction("INSUFFICIENT_MAX_FEE_PER_GAS")
        priority = min(tx.max_priority_fee_per_gas, tx.max_fee_per_gas - block.base_fee)
        price = priority + block.base_fee
        max_fee = tx.gas_limit * tx.max_fee_per_gas
    else:
        if tx.gas_price < block.base_fee:
            raise InvalidTransaction("INSUFFICIENT_MAX_FEE_PER_GAS")
        price = tx.gas_price
        max_fee = tx.gas_limit * tx.gas_price
    blob_fee = 0
    if tx.tx_type == 3:
        if tx.to is None:
            raise InvalidTransaction("TYPE_3_TX_CONTRACT_CREATION")
        if not tx.blob_versioned_hashes:
            raise InvalidTransaction("TYPE_3_TX_ZERO_BLOBS")
        for h in tx.blob_versioned_hashes:
            if h[:1] != bytes([VERSIONED_HASH_VERSION_KZG]):
                raise InvalidTransaction("TYPE_3_TX_INVALID_BLOB_VERSIONED_HASH")
        price_per_blob_gas = blob_gas_price(block.excess_blob_gas, rules)
        if tx.max_fee_per_blob_gas < price_per_blob_gas:
            raise InvalidTransaction("INSUFFICIENT_MAX_FEE_PER_BLOB_GAS")
        max_fee += blob_gas * tx.max_fee_per_blob_gas
        blob_fee = blob_gas * price_per_blob_gas
    if tx.tx_type == 4:
        if tx.to is None:
            raise InvalidTransaction("TYPE_4_TX_CONTRACT_CREATION")
        if not tx.authorizations:
            raise InvalidTransaction("TYPE_4_EMPTY_AUTHORIZATION_LIST")
    sender = state.accounts.get(tx.sender)
    nonce = sender.nonce if sender is not None else 0
    if nonce > tx.nonce:
        raise InvalidTransaction("NONCE_MISMATCH_TOO_LOW", f"account {nonce}, tx {tx.nonce}")
    if nonce < tx.nonce:
        raise InvalidTransaction("NONCE_MISMATCH_TOO_HIGH", f"account {nonce}, tx {tx.nonce}")
    balance = sender.balance if sender is not None else 0
    if balance < max_fee + tx.value:
        raise InvalidTransaction("INSUFFICIENT_ACCOUNT_FUNDS")
    if sender is not None and sender.code and not (4 in rules.tx_types and is_delegation(sender.code)):
        raise InvalidTransaction("SENDER_NOT_EOA")  # a delegated EOA may send (EIP-7702)
    return intrinsic, floor, price, blob_fee


def _set_delegations(state: State, authorizations: Sequence[Authorization]) -> int:
    """EIP-7702: apply each valid authorization in order (skipping the invalid ones), warm its
    authority, and return the refund owed for authorities that already existed."""
    refund = 0
    for auth in authorizations:
        if auth.chain_id not in (0, CHAIN_ID) or auth.nonce >= 2**64 - 1:
            continue
        authority = auth.authority()
        if authority is None:
            continue
        state.warm_address(authority)
        acct = state.accounts.get(authority)
        if acct is not None and acct.code and not is_delegation(acct.code):
            continue
        if (acct.nonce if acct is not None else 0) != auth.nonce:
            continue
        if acct is not None:
            refund += PER_EMPTY_ACCOUNT_COST - PER_AUTH_BASE_COST
        code = DELEGATION_PREFIX + auth.address.to_bytes(20, "big") if auth.address else b""
        state.set_code(authority, code)
        state.increment_nonce(authority)
    return refund


def process_transaction(
    state: State, block: BlockContext, tx: Transaction, manager: Any, tracer: Tracer | None = None
) -> TxResult:
    """Apply ``tx`` to ``state``. An invalid transaction changes nothing and sets ``error``.
    With a ``tracer``, a valid one also writes its EIP-3155 trace (see trace.py)."""
    rules = RULES[block.fork]
    try:
        intrinsic, floor, price, blob_fee = _validate(state, block, tx, rules)
    except InvalidTransaction as exc:
        return TxResult(error=exc.reason)

    state.begin_transaction()
    sender = tx.sender
    sender_nonce = state.accounts[sender].nonce
    state.increment_nonce(sender)
    state.set_balance(sender, state.accounts[sender].balance - tx.gas_limit * price - blob_fee)

    # EIP-2929/2930/3651: precompiles, coinbase, the access list, sender and target start warm.
    warm = state.warm_addrs
    warm.update(rules.precompiles)
    warm.add(block.coinbase)
    warm.add(sender)
    for address, keys in tx.access_list:
        warm.add(address)
        for key in keys:
            state.warm_slots.add((address, key))

    env = Env(
        state,
        coinbase=block.coinbase,
        number=block.number,
        timestamp=block.timestamp,
        gas_limit=block.gas_limit,
        prev_randao=block.prev_randao,
        base_fee=block.base_fee,
        chain_id=CHAIN_ID,
        blob_base_fee=blob_gas_price(block.excess_blob_gas, rules) if 3 in rules.tx_types else 0,
        origin=sender,
        gas_price=price,
        blob_hashes=tuple(int.from_bytes(h, "big") for h in tx.blob_versioned_hashes),
        manager=manager,
        tracer=tracer,
        rules=rules,
    )
    gas = tx.gas_limit - intrinsic
    auth_refund = _set_delegations(state, tx.authorizations)
    delegated = False
    if tx.to is None:
        target = create_address(sender, sender_nonce)
        code_address = target
        code, calldata, code_hash = tx.data, b"", None
    else:
        target = tx.to
        # A delegate is warmed for free here (the access gas is not charged).
        code_address, code, code_hash, _ = rules.resolve_code(state, target)
        delegated = code_address != target
        calldata = tx.data
    warm.add(target)
    # The journal so far holds only the nonce/fee records; start the message with it empty so a
    # failed outermost frame can never undo the fee payment.
    state.journal.clear()

    gas_left = 0
    status = STATUS_ERROR
    output = b""
    if tx.to is None and state.has_code_or_nonce_or_storage(target):
        pass  # EIP-684/7610 address collision: the transaction fails and consumes all gas
    else:
        # The outermost frame is FrameType.REGULAR, for a create transaction too, except that
        # a transaction to a precompile runs it on a PRECOMPILE frame.
        # a transaction to a precompile (not a delegated one) runs it on a PRECOMPILE frame.
        if target in rules.precompiles and not delegated:
            root_type = FrameType.PRECOMPILE
        else:
            root_type = FrameType.REGULAR
        root: EvmFrame = env.manager.acquire(root_type)
        root.begin(env, sender, target, code_address, tx.value, calldata, code, code_hash, gas,
                   False, tx.to is None, True)
        status, gas_left, output = execute(env, root)
    success = status == STATUS_SUCCESS
    if tracer is not None:
        tracer.summary(output, gas - gas_left, status)

    used = tx.gas_limit - gas_left
    # The authorizations' refund stands even when the call fails (EIP-7702).
    refund = min(used // 5, auth_refund + (state.refund if success else 0))
    used = max(used - refund, floor)
    state.add_balance(sender, (tx.gas_limit - used) * price)
    state.add_balance(block.coinbase, used * (price - block.base_fee))
    if success:
        for address in list(state.to_delete):
            state.destroy(address)
    logs = list(state.logs) if success else []
    state.journal.clear()
    return TxResult(error=None, success=success, gas_used=used, output=output, logs=logs)
