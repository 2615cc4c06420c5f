"""Merkle-Patricia trie roots (Ethereum yellow paper, appendix D).

Only roots are computed: the trie is built bottom-up from a sorted key list each time,
which is plenty fast for state tests (hundreds of accounts, a few thousand slots).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from framepool.evm import rlp
from framepool.evm.hashing import EMPTY_KECCAK, keccak256

__all__ = [
    "EMPTY_CODE_HASH",
    "EMPTY_TRIE_ROOT",
    "account_rlp",
    "logs_hash",
    "state_root",
    "storage_root",
    "trie_root",
]

EMPTY_TRIE_ROOT = keccak256(rlp.encode(b""))
"""Root of the empty trie: 56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421."""

EMPTY_CODE_HASH = EMPTY_KECCAK
"""Code hash of an account without code."""

_HASHED_REF_PREFIX = b"\xa0"  # RLP header of a 32-byte string


def _hex_prefix(nibbles: bytes, leaf: bool) -> bytes:
    """Compact (hex-prefix) encoding of a nibble path with the leaf flag."""
    flag = 2 if leaf else 0
    if len(nibbles) % 2:
        head = bytes([((flag + 1) << 4) | nibbles[0]])
        rest = nibbles[1:]
    else:
        head = bytes([flag << 4])
        rest = nibbles
    return head + bytes((rest[i] << 4) | rest[i + 1] for i in range(0, len(rest), 2))


def _reference(encoded_node: bytes) -> bytes:
    """How a parent refers to a child node: embedded if its encoding is under 32 bytes, else its hash."""
    if len(encoded_node) < 32:
        return encoded_node
    return _HASHED_REF_PREFIX + keccak256(encoded_node)


def _common_prefix_length(a: bytes, b: bytes, start: int) -> int:
    n = start
    limit = min(len(a), len(b))
    while n < limit and a[n] == b[n]:
        n += 1
    return n - start


def _encode_node(items: Sequence[tuple[bytes, bytes]], lo: int, hi: int, depth: int) -> bytes:
    """RLP of the node holding ``items[lo:hi]`` (sorted by nibble key, sharing ``depth`` nibbles)."""
    if hi - lo == 1:
        key, value = items[lo]
        return rlp.encode_list_of_encoded(
            (rlp.encode(_hex_prefix(key[depth:], leaf=True)), rlp.encode(value))
        )
    # Sorted keys: the prefix common to all is the prefix common to the first and the last.
    shared = _common_prefix_length(items[lo][0], items[hi - 1][0], depth)
    if shared:
        child = _encode_node(items, lo, hi, depth + shared)
        path = items[lo][0][depth : depth + shared]
        return rlp.encode_list_of_encoded(
            (rlp.encode(_hex_prefix(path, leaf=False)), _reference(child))
        )
    # Branch node.  A key ending exactly here (only possible with keys of unequal length) is the
    # branch's value; being the shortest, it sorts first.
    branch_value = b""
    if len(items[lo][0]) == depth:
        branch_value = items[lo][1]
        lo += 1
    slots: list[bytes] = []
    i = lo
    for nibble in range(16):
        j = i
        while j < hi and items[j][0][depth] == nibble:
            j += 1
        slots.append(_reference(_encode_node(items, i, j, depth + 1)) if j > i else rlp.encode(b""))
        i = j
    slots.append(rlp.encode(branch_value))
    return rlp.encode_list_of_encoded(slots)


def _to_nibbles(key: bytes) -> bytes:
    out = bytearray(2 * len(key))
    out[0::2] = bytes(b >> 4 for b in key)
    out[1::2] = bytes(b & 0x0F for b in key)
    return bytes(out)


def trie_root(items: Mapping[bytes, bytes]) -> bytes:
    """Root hash of the trie mapping raw ``keys`` to ``values`` (pairs with an empty value are omitted)."""
    pairs = sorted((_to_nibbles(bytes(k)), bytes(v)) for k, v in items.items() if v)
    if not pairs:
        return EMPTY_TRIE_ROOT
    return keccak256(_encode_node(pairs, 0, len(pairs), 0))


def storage_root(storage: Mapping[int, int]) -> bytes:
    """Root of an account's storage trie: key keccak(slot as 32 bytes), value rlp(int); zeros omitted."""
    items: dict[bytes, bytes] = {}
    for slot, value in storage.items():
        if not 0 <= slot < 1 << 256:
            raise ValueError(f"storage slot out of range: {slot}")
        if not 0 <= value < 1 << 256:
            raise ValueError(f"storage value out of range at slot {slot:#x}: {value}")
        if value:
            items[keccak256(slot.to_bytes(32, "big"))] = rlp.encode(value)
    return trie_root(items)


def account_rlp(nonce: int, balance: int, storage_root_: bytes, code_hash: bytes) -> bytes:
    """RLP of an account as stored in the state trie."""
    if len(storage_root_) != 32 or len(code_hash) != 32:
        raise ValueError("storage root and code hash must be 32 bytes each")
    return rlp.encode([nonce, balance, storage_root_, code_hash])


def state_root(accounts: Mapping[int, tuple[int, int, bytes, bytes]]) -> bytes:
    """Root of the state trie.

    ``accounts`` maps an address to ``(nonce, balance, storage_root, code_hash)``; the key is
    keccak(address as 20 bytes).  Every account given is included (dropping empty accounts is
    the caller's business).
    """
    items: dict[bytes, bytes] = {}
    for address, (nonce, balance, sroot, code_hash) in accounts.items():
        if not 0 <= address < 1 << 160:
            raise ValueError(f"address out of range: {address:#x}")
        items[keccak256(address.to_bytes(20, "big"))] = account_rlp(
            nonce, balance, sroot, code_hash
        )
    return trie_root(items)


def logs_hash(logs: Sequence[tuple[int, Sequence[int], bytes]]) -> bytes:
    """keccak(rlp([[address (20 bytes), [topic (32 bytes), ...], data], ...]))."""
    encoded: list[rlp.Encodable] = []
    for address, topics, data in logs:
        encoded.append(
            [address.to_bytes(20, "big"), [t.to_bytes(32, "big") for t in topics], bytes(data)]
        )
    return keccak256(rlp.encode(encoded))
