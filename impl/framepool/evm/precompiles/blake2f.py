"""0x09 BLAKE2F (EIP-152): the BLAKE2b F compression function, one gas per round.

The F function comes from blake2b-py (native; ~100x a pure-Python loop): EIP-152 exposes it
with a caller-chosen round count, which hashlib's BLAKE2b does not offer.
"""

from __future__ import annotations

import blake2b

from framepool.evm.precompiles.base import Handler, PrecompileFailure, charged, uint

__all__ = ["BLAKE2F"]


def _blake2f(data: bytes, gas: int) -> tuple[int, bytes]:
    if len(data) != 213:
        raise PrecompileFailure("input must be exactly 213 bytes")
    rounds = charged(uint(data[0:4]), gas)
    final = data[212]
    if final not in (0, 1):
        raise PrecompileFailure("final block flag must be 0 or 1")

    def le64(offset: int) -> int:
        return int.from_bytes(data[offset : offset + 8], "little")

    h = [le64(4 + 8 * i) for i in range(8)]
    m = [le64(68 + 8 * i) for i in range(16)]
    output: bytes = blake2b.compress(rounds, h, m, [le64(196), le64(204)], final == 1)
    return rounds, output


BLAKE2F: Handler = _blake2f
