"""The Cancun precompiled contracts, addresses 0x01 to 0x0a.

``run_precompile(address, data, gas)`` returns ``(success, gas_used, output)``.  A failure
(out of gas, or input the contract rejects) consumes all the gas given and returns no output:
``(False, gas, b"")``.  ecrecover is the exception to "invalid input fails": per the spec it
succeeds with empty output.

Libraries: coincurve (secp256k1 recovery), hashlib / pycryptodome (SHA-256, RIPEMD-160),
py_ecc (alt_bn128 arithmetic and pairing), ckzg (KZG point evaluation).  The BLAKE2b F
compression function is written out here (EIP-152 exposes it with a caller-chosen round count,
which no library offers).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from importlib import resources
from typing import Any

import blake2b

from framepool.evm.hashing import keccak256

__all__ = [
    "BLS_MODULUS",
    "FIELD_ELEMENTS_PER_BLOB",
    "PRECOMPILE_ADDRESSES",
    "PRECOMPILE_NAMES",
    "PrecompileResult",
    "load_trusted_setup",
    "modexp_gas",
    "run_precompile",
]

PrecompileResult = tuple[bool, int, bytes]
"""``(success, gas_used, output)``."""

PRECOMPILE_ADDRESSES = frozenset(range(1, 11))

PRECOMPILE_NAMES: dict[int, str] = {
    1: "ecrecover",
    2: "sha256",
    3: "ripemd160",
    4: "identity",
    5: "modexp",
    6: "ecadd",
    7: "ecmul",
    8: "ecpairing",
    9: "blake2f",
    10: "point_evaluation",
}

SECP256K1N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
ALT_BN128_PRIME = 0x30644E72E131A029B85045B68181585D97816A916871CA8D3C208C16D87CFD47
BLS_MODULUS = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
FIELD_ELEMENTS_PER_BLOB = 4096
VERSIONED_HASH_VERSION_KZG = 0x01

POINT_EVALUATION_GAS = 50000
ECADD_GAS = 150
ECMUL_GAS = 6000
ECPAIRING_BASE_GAS = 45000
ECPAIRING_PER_PAIR_GAS = 34000
MODEXP_MIN_GAS = 200


class _Failure(Exception):
    """Internal: the precompile fails and consumes all gas."""


def _words(length: int) -> int:
    return (length + 31) // 32


def _padded(data: bytes, start: int, length: int) -> bytes:
    """``length`` bytes of ``data`` from ``start``, zero-filled past the end (like calldata)."""
    chunk = data[start : start + length] if start < len(data) else b""
    return chunk + bytes(length - len(chunk))


def _uint(data: bytes) -> int:
    return int.from_bytes(data, "big")


# --------------------------------------------------------------------------- 0x01 ecrecover


def _ecrecover(data: bytes) -> bytes:
    from coincurve import PublicKey

    msg_hash = _padded(data, 0, 32)
    v = _uint(_padded(data, 32, 32))
    r = _uint(_padded(data, 64, 32))
    s = _uint(_padded(data, 96, 32))
    if v not in (27, 28) or not 0 < r < SECP256K1N or not 0 < s < SECP256K1N:
        return b""
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([v - 27])
    try:
        key = PublicKey.from_signature_and_message(signature, msg_hash, hasher=None)
    except ValueError:  # coincurve: "failed to recover ECDSA public key"
        return b""
    uncompressed: bytes = key.format(compressed=False)
    return bytes(12) + keccak256(uncompressed[1:])[12:]


# --------------------------------------------------------------------------- 0x02..0x04


def _ripemd160(data: bytes) -> bytes:
    from Crypto.Hash import RIPEMD160

    digest: bytes = RIPEMD160.new(data).digest()
    return bytes(12) + digest


# --------------------------------------------------------------------------- 0x05 modexp


def modexp_gas(base_length: int, exp_length: int, modulus_length: int, exp_head: int) -> int:
    """EIP-2565 price of modexp; ``exp_head`` is the first min(32, exp_length) exponent bytes as an int."""
    words = (max(base_length, modulus_length) + 7) // 8
    complexity = words * words
    if exp_length <= 32:
        iterations = exp_head.bit_length() - 1 if exp_head else 0
    else:
        iterations = 8 * (exp_length - 32) + max(exp_head.bit_length() - 1, 0)
    return max(MODEXP_MIN_GAS, complexity * max(iterations, 1) // 3)


def _modexp(data: bytes, gas: int) -> tuple[int, bytes]:
    base_length = _uint(_padded(data, 0, 32))
    exp_length = _uint(_padded(data, 32, 32))
    modulus_length = _uint(_padded(data, 64, 32))
    exp_start = 96 + base_length
    exp_head = _uint(_padded(data, exp_start, min(32, exp_length)))
    cost = modexp_gas(base_length, exp_length, modulus_length, exp_head)
    if cost > gas:
        raise _Failure("out of gas")
    # Past this point all lengths are bounded by the gas paid, so reading them is safe.
    if base_length == 0 and modulus_length == 0:
        return cost, b""
    base = _uint(_padded(data, 96, base_length))
    exponent = _uint(_padded(data, exp_start, exp_length))
    modulus = _uint(_padded(data, exp_start + exp_length, modulus_length))
    if modulus == 0:
        return cost, bytes(modulus_length)
    return cost, pow(base, exponent, modulus).to_bytes(modulus_length, "big")


# --------------------------------------------------------------------------- 0x06..0x08 alt_bn128


def _bn_g1(x: int, y: int) -> Any:
    """A validated G1 point in py_ecc's projective form; (0, 0) is the point at infinity."""
    from py_ecc.fields import optimized_bn128_FQ as FQ
    from py_ecc.optimized_bn128.optimized_curve import Z1, b, is_on_curve

    if x >= ALT_BN128_PRIME or y >= ALT_BN128_PRIME:
        raise _Failure("G1 coordinate not below the field modulus")
    if x == 0 and y == 0:
        return Z1
    point = (FQ(x), FQ(y), FQ(1))
    if not is_on_curve(point, b):
        raise _Failure("G1 point not on the curve")
    return point


def _bn_g1_bytes(point: Any) -> bytes:
    from py_ecc.optimized_bn128.optimized_curve import is_inf, normalize

    if is_inf(point):
        return bytes(64)
    x, y = normalize(point)
    return int(x.n).to_bytes(32, "big") + int(y.n).to_bytes(32, "big")


def _bn_g2(chunk: bytes) -> Any:
    """A validated G2 point from 128 bytes (x_imag, x_real, y_imag, y_real); all zero is infinity."""
    from py_ecc.fields import optimized_bn128_FQ2 as FQ2
    from py_ecc.optimized_bn128.optimized_curve import (
        Z2,
        b2,
        curve_order,
        is_inf,
        is_on_curve,
        multiply,
    )

    x_i, x_r, y_i, y_r = (_uint(chunk[i : i + 32]) for i in range(0, 128, 32))
    if max(x_i, x_r, y_i, y_r) >= ALT_BN128_PRIME:
        raise _Failure("G2 coordinate not below the field modulus")
    if x_i == x_r == y_i == y_r == 0:
        return Z2
    point = (FQ2([x_r, x_i]), FQ2([y_r, y_i]), FQ2.one())
    if not is_on_curve(point, b2):
        raise _Failure("G2 point not on the twist curve")
    if not is_inf(multiply(point, curve_order)):
        raise _Failure("G2 point not in the prime-order subgroup")
    return point


def _ecadd(data: bytes) -> bytes:
    from py_ecc.optimized_bn128.optimized_curve import add

    buf = _padded(data, 0, 128)
    p = _bn_g1(_uint(buf[0:32]), _uint(buf[32:64]))
    q = _bn_g1(_uint(buf[64:96]), _uint(buf[96:128]))
    return _bn_g1_bytes(add(p, q))


def _ecmul(data: bytes) -> bytes:
    from py_ecc.optimized_bn128.optimized_curve import curve_order, multiply

    buf = _padded(data, 0, 96)
    p = _bn_g1(_uint(buf[0:32]), _uint(buf[32:64]))
    # G1 has prime order curve_order, so reducing the scalar does not change the result.
    return _bn_g1_bytes(multiply(p, _uint(buf[64:96]) % curve_order))


def _ecpairing(data: bytes) -> bytes:
    from py_ecc.fields import optimized_bn128_FQ12 as FQ12
    from py_ecc.optimized_bn128.optimized_curve import is_inf
    from py_ecc.optimized_bn128.optimized_pairing import final_exponentiate, pairing

    if len(data) % 192:
        raise _Failure("input length not a multiple of 192")
    pairs = []
    for offset in range(0, len(data), 192):
        p = _bn_g1(_uint(data[offset : offset + 32]), _uint(data[offset + 32 : offset + 64]))
        q = _bn_g2(data[offset + 64 : offset + 192])
        pairs.append((p, q))
    product = FQ12.one()
    for p, q in pairs:
        if not is_inf(p) and not is_inf(q):
            product = product * pairing(q, p, final_exponentiate=False)
    ok = final_exponentiate(product) == FQ12.one()
    return (1 if ok else 0).to_bytes(32, "big")


# --------------------------------------------------------------------------- 0x09 blake2f

def _blake2f(data: bytes, gas: int) -> tuple[int, bytes]:
    if len(data) != 213:
        raise _Failure("input must be exactly 213 bytes")
    rounds = _uint(data[0:4])
    if rounds > gas:
        raise _Failure("out of gas")
    final = data[212]
    if final not in (0, 1):
        raise _Failure("final block flag must be 0 or 1")

    def le64(offset: int) -> int:
        return int.from_bytes(data[offset : offset + 8], "little")

    h = [le64(4 + 8 * i) for i in range(8)]
    m = [le64(68 + 8 * i) for i in range(16)]
    # The F function itself comes from blake2b-py (native; ~100x the pure-Python loop).
    return rounds, blake2b.compress(rounds, h, m, [le64(196), le64(204)], final == 1)


# --------------------------------------------------------------------------- 0x0a point evaluation

_setup_lock = threading.Lock()
_trusted_setup: object | None = None


def load_trusted_setup() -> object:
    """The mainnet KZG trusted setup (ckzg handle), loaded once on first use (thread-safe).

    The file ships as package data: ``framepool/evm/data/trusted_setup.txt``.
    """
    global _trusted_setup
    setup = _trusted_setup
    if setup is not None:
        return setup
    with _setup_lock:
        if _trusted_setup is None:
            import ckzg

            ref = resources.files("framepool.evm").joinpath("data/trusted_setup.txt")
            with resources.as_file(ref) as path:
                if not path.is_file():
                    raise FileNotFoundError(f"KZG trusted setup missing: {path}")
                _trusted_setup = ckzg.load_trusted_setup(str(path), 0)
        return _trusted_setup


def _point_evaluation(data: bytes) -> bytes:
    import ckzg

    if len(data) != 192:
        raise _Failure("input must be exactly 192 bytes")
    versioned_hash = data[0:32]
    z = data[32:64]
    y = data[64:96]
    commitment = data[96:144]
    proof = data[144:192]
    if (
        bytes([VERSIONED_HASH_VERSION_KZG]) + hashlib.sha256(commitment).digest()[1:]
        != versioned_hash
    ):
        raise _Failure("versioned hash does not match the commitment")
    try:
        valid = ckzg.verify_kzg_proof(commitment, z, y, proof, load_trusted_setup())
    except (
        RuntimeError,
        ValueError,
    ) as exc:  # malformed commitment/proof, or z/y not canonical field elements
        raise _Failure(f"KZG verification error: {exc}") from exc
    if not valid:
        raise _Failure("KZG proof does not verify")
    return FIELD_ELEMENTS_PER_BLOB.to_bytes(32, "big") + BLS_MODULUS.to_bytes(32, "big")


# --------------------------------------------------------------------------- dispatch


def _fixed(cost: int, fn: Callable[[bytes], bytes]) -> Callable[[bytes, int], tuple[int, bytes]]:
    """A precompile with a price known before running: charge first, then compute."""

    def run(data: bytes, gas: int) -> tuple[int, bytes]:
        if cost > gas:
            raise _Failure("out of gas")
        return cost, fn(data)

    return run


def _per_word(
    base: int, per_word: int, fn: Callable[[bytes], bytes]
) -> Callable[[bytes, int], tuple[int, bytes]]:
    def run(data: bytes, gas: int) -> tuple[int, bytes]:
        cost = base + per_word * _words(len(data))
        if cost > gas:
            raise _Failure("out of gas")
        return cost, fn(data)

    return run


def _ecpairing_priced(data: bytes, gas: int) -> tuple[int, bytes]:
    cost = ECPAIRING_BASE_GAS + ECPAIRING_PER_PAIR_GAS * (len(data) // 192)
    if cost > gas:
        raise _Failure("out of gas")
    return cost, _ecpairing(data)


_HANDLERS: dict[int, Callable[[bytes, int], tuple[int, bytes]]] = {
    1: _fixed(3000, _ecrecover),
    2: _per_word(60, 12, lambda d: hashlib.sha256(d).digest()),
    3: _per_word(600, 120, _ripemd160),
    4: _per_word(15, 3, bytes),
    5: _modexp,
    6: _fixed(ECADD_GAS, _ecadd),
    7: _fixed(ECMUL_GAS, _ecmul),
    8: _ecpairing_priced,
    9: _blake2f,
    10: _fixed(POINT_EVALUATION_GAS, _point_evaluation),
}


def run_precompile(address: int, data: bytes, gas: int) -> PrecompileResult:
    """Run the precompile at ``address`` on ``data`` with ``gas`` available.

    Returns ``(True, gas_used, output)`` on success, ``(False, gas, b"")`` on failure (out of gas
    or invalid input).  Raises ``ValueError`` if ``address`` is not a precompile or ``gas`` < 0.
    """
    handler = _HANDLERS.get(address)
    if handler is None:
        raise ValueError(f"not a precompile address: {address:#x}")
    if gas < 0:
        raise ValueError(f"negative gas: {gas}")
    try:
        used, output = handler(bytes(data), gas)
    except _Failure:
        return False, gas, b""
    return True, used, output
