"""Keccak-256, the hash Ethereum uses everywhere (pycryptodome's implementation)."""

from __future__ import annotations

from Crypto.Hash import keccak


def keccak256(data: bytes | bytearray | memoryview) -> bytes:
    """The 32-byte Keccak-256 digest of ``data`` (not NIST SHA3-256)."""
    return keccak.new(digest_bits=256, data=bytes(data)).digest()


EMPTY_KECCAK = keccak256(b"")
"""keccak256 of the empty string: the code hash of an account without code."""
