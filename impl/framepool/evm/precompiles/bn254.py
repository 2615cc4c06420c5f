"""0x06 ECADD, 0x07 ECMUL, 0x08 ECPAIRING on alt_bn128 (EIP-196/197, Istanbul prices), through
py_ecc."""

from __future__ import annotations

from typing import Any

from py_ecc.fields import optimized_bn128_FQ as FQ
from py_ecc.fields import optimized_bn128_FQ2 as FQ2
from py_ecc.fields import optimized_bn128_FQ12 as FQ12
from py_ecc.optimized_bn128.optimized_curve import (
    Z1,
    Z2,
    add,
    b,
    b2,
    curve_order,
    is_inf,
    is_on_curve,
    multiply,
    normalize,
)
from py_ecc.optimized_bn128.optimized_pairing import final_exponentiate, pairing

from framepool.evm.precompiles.base import (
    Handler,
    PrecompileFailure,
    charged,
    fixed,
    padded,
    uint,
)

__all__ = ["ECADD", "ECMUL", "ECPAIRING"]

ALT_BN128_PRIME = 0x30644E72E131A029B85045B68181585D97816A916871CA8D3C208C16D87CFD47
ECADD_GAS = 150
ECMUL_GAS = 6000
ECPAIRING_BASE_GAS = 45000
ECPAIRING_PER_PAIR_GAS = 34000


def _g1(x: int, y: int) -> Any:
    """A validated G1 point in py_ecc's projective form; (0, 0) is the point at infinity."""
    if x >= ALT_BN128_PRIME or y >= ALT_BN128_PRIME:
        raise PrecompileFailure("G1 coordinate not below the field modulus")
    if x == 0 and y == 0:
        return Z1
    point = (FQ(x), FQ(y), FQ(1))
    if not is_on_curve(point, b):
        raise PrecompileFailure("G1 point not on the curve")
    return point


def _g1_bytes(point: Any) -> bytes:
    if is_inf(point):
        return bytes(64)
    x, y = normalize(point)
    return int(x.n).to_bytes(32, "big") + int(y.n).to_bytes(32, "big")


def _g2(chunk: bytes) -> Any:
    """A validated G2 point from 128 bytes (x_imag, x_real, y_imag, y_real); all zero is infinity."""
    x_i, x_r, y_i, y_r = (uint(chunk[i : i + 32]) for i in range(0, 128, 32))
    if max(x_i, x_r, y_i, y_r) >= ALT_BN128_PRIME:
        raise PrecompileFailure("G2 coordinate not below the field modulus")
    if x_i == x_r == y_i == y_r == 0:
        return Z2
    point = (FQ2([x_r, x_i]), FQ2([y_r, y_i]), FQ2.one())
    if not is_on_curve(point, b2):
        raise PrecompileFailure("G2 point not on the twist curve")
    if not is_inf(multiply(point, curve_order)):
        raise PrecompileFailure("G2 point not in the prime-order subgroup")
    return point


def _ecadd(data: bytes) -> bytes:
    buf = padded(data, 0, 128)
    p = _g1(uint(buf[0:32]), uint(buf[32:64]))
    q = _g1(uint(buf[64:96]), uint(buf[96:128]))
    return _g1_bytes(add(p, q))


def _ecmul(data: bytes) -> bytes:
    buf = padded(data, 0, 96)
    p = _g1(uint(buf[0:32]), uint(buf[32:64]))
    # G1 has prime order curve_order, so reducing the scalar does not change the result.
    return _g1_bytes(multiply(p, uint(buf[64:96]) % curve_order))


def _ecpairing(data: bytes, gas: int) -> tuple[int, bytes]:
    cost = charged(ECPAIRING_BASE_GAS + ECPAIRING_PER_PAIR_GAS * (len(data) // 192), gas)
    if len(data) % 192:
        raise PrecompileFailure("input length not a multiple of 192")
    pairs = []
    for offset in range(0, len(data), 192):
        p = _g1(uint(data[offset : offset + 32]), uint(data[offset + 32 : offset + 64]))
        q = _g2(data[offset + 64 : offset + 192])
        pairs.append((p, q))
    product = FQ12.one()
    for p, q in pairs:
        if not is_inf(p) and not is_inf(q):
            product = product * pairing(q, p, final_exponentiate=False)
    ok = final_exponentiate(product) == FQ12.one()
    return cost, (1 if ok else 0).to_bytes(32, "big")


ECADD: Handler = fixed(ECADD_GAS, _ecadd)
ECMUL: Handler = fixed(ECMUL_GAS, _ecmul)
ECPAIRING: Handler = _ecpairing
