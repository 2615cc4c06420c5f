"""0x100 P256VERIFY (EIP-7951, Osaka): verify an ECDSA signature over secp256r1 (NIST P-256).

Input is exactly 160 bytes: message hash ``h``, ``r``, ``s``, public key ``qx``, ``qy`` (32
bytes each, big-endian). The gas is charged whatever the input; then the call succeeds with
the 32-byte word 1 if the signature verifies, and with empty output otherwise (wrong input
length and invalid values included: nothing here fails the call).

Validation is EIP-7951's, written out here so that it does not depend on what a library
accepts: 0 < r < n and 0 < s < n (no low-s rule: malleable signatures verify); 0 <= qx, qy < p;
(qx, qy) is not (0, 0) and satisfies qy^2 = qx^3 - 3 qx + b (mod p). The library
(``cryptography``, OpenSSL underneath) then does the curve arithmetic of verification: with
u1 = h/s, u2 = r/s (mod n), R = u1 G + u2 Q must not be infinity and R.x = r (mod n). ``h`` is
used as given (32 bytes, P-256's order is 256 bits, so nothing is truncated).
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, encode_dss_signature

from framepool.evm.precompiles.base import Handler, fixed, uint

__all__ = ["P256VERIFY", "P256_B", "P256_N", "P256_P", "valid_inputs"]

P256_P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
P256_B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
P256VERIFY_GAS = 6900
INPUT_LENGTH = 160

_VALID = (1).to_bytes(32, "big")
_ECDSA_PREHASHED = ec.ECDSA(Prehashed(hashes.SHA256()))
_CURVE = ec.SECP256R1()


def valid_inputs(r: int, s: int, qx: int, qy: int) -> bool:
    """EIP-7951's input rules for the signature and the public key (before any curve arithmetic)."""
    if not (0 < r < P256_N and 0 < s < P256_N):
        return False
    if qx >= P256_P or qy >= P256_P or (qx == 0 and qy == 0):
        return False
    return (qy * qy - (qx * qx * qx - 3 * qx + P256_B)) % P256_P == 0


def _p256verify(data: bytes) -> bytes:
    if len(data) != INPUT_LENGTH:
        return b""
    message_hash = data[0:32]
    r, s, qx, qy = (uint(data[i : i + 32]) for i in range(32, INPUT_LENGTH, 32))
    if not valid_inputs(r, s, qx, qy):
        return b""
    key = ec.EllipticCurvePublicNumbers(qx, qy, _CURVE).public_key()
    try:
        key.verify(encode_dss_signature(r, s), message_hash, _ECDSA_PREHASHED)
    except InvalidSignature:
        return b""
    return _VALID


P256VERIFY: Handler = fixed(P256VERIFY_GAS, _p256verify)
