"""0x02 SHA256, 0x03 RIPEMD160 (hashlib / pycryptodome) and 0x04 IDENTITY: priced per word."""

from __future__ import annotations

import hashlib

from Crypto.Hash import RIPEMD160

from framepool.evm.precompiles.base import Handler, per_word

__all__ = ["IDENTITY", "RIPEMD160_HANDLER", "SHA256"]


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _ripemd160(data: bytes) -> bytes:
    digest: bytes = RIPEMD160.new(data).digest()
    return bytes(12) + digest


SHA256: Handler = per_word(60, 12, _sha256)
RIPEMD160_HANDLER: Handler = per_word(600, 120, _ripemd160)
IDENTITY: Handler = per_word(15, 3, bytes)
