"""0x01 ECRECOVER: the address that signed a hash (secp256k1, through coincurve).

Invalid input is not a failure here: the call succeeds with empty output.
"""

from __future__ import annotations

from coincurve import PublicKey

from framepool.evm.hashing import keccak256
from framepool.evm.precompiles.base import Handler, fixed, padded, uint

__all__ = ["ECRECOVER", "SECP256K1N"]

SECP256K1N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
ECRECOVER_GAS = 3000


def _ecrecover(data: bytes) -> bytes:
    msg_hash = padded(data, 0, 32)
    v = uint(padded(data, 32, 32))
    r = uint(padded(data, 64, 32))
    s = uint(padded(data, 96, 32))
    if v not in (27, 28) or not 0 < r < SECP256K1N or not 0 < s < SECP256K1N:
        return b""
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([v - 27])
    try:
        key = PublicKey.from_signature_and_message(signature, msg_hash, hasher=None)
    except ValueError:  # coincurve: "failed to recover ECDSA public key"
        return b""
    uncompressed: bytes = key.format(compressed=False)
    return bytes(12) + keccak256(uncompressed[1:])[12:]


ECRECOVER: Handler = fixed(ECRECOVER_GAS, _ecrecover)
