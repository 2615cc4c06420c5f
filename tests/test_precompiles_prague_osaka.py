"""The rules of the Prague and Osaka precompiles, one by one, beyond the published vectors:
EIP-2537 (BLS12-381) encodings, subgroup rules and MSM prices; EIP-7951 (P256VERIFY) input
validation; EIP-7823/7883 (MODEXP at Osaka) bounds and prices."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, decode_dss_signature
from py_arkworks_bls12381 import G1Point, G2Point, Scalar

from framepool.evm.forks import Fork
from framepool.evm.precompiles import precompiles_for
from framepool.evm.precompiles.bls12_381 import (
    FIELD_MODULUS,
    G1_MSM_DISCOUNT,
    G2_MSM_DISCOUNT,
    msm_gas,
    pairing_gas,
)
from framepool.evm.precompiles.modexp import modexp_gas_eip2565, modexp_gas_eip7883
from framepool.evm.precompiles.p256 import P256_B, P256_N, P256_P, valid_inputs

PRAGUE = precompiles_for(Fork.PRAGUE)
OSAKA = precompiles_for(Fork.OSAKA)
BIG_GAS = 10_000_000
R = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001  # BLS12-381 group order


def word(n: int) -> bytes:
    return n.to_bytes(32, "big")


def fp(n: int) -> bytes:
    return n.to_bytes(64, "big")


def widen(xy: bytes) -> bytes:
    """The library's 48-byte coordinates as EIP-2537's 64-byte ones."""
    return b"".join(bytes(16) + xy[i : i + 48] for i in range(0, len(xy), 48))


G1 = widen(G1Point().to_xy_bytes_be())  # the generator
G2 = widen(G2Point().to_xy_bytes_be())
G1_INF = bytes(128)
G2_INF = bytes(256)
# (0, 2) is on y^2 = x^3 + 4 but not in the prime-order subgroup.
G1_OFF_SUBGROUP = fp(0) + fp(2)


def ok(address: int, data: bytes, fork: Fork = Fork.PRAGUE) -> bytes:
    success, _, output = precompiles_for(fork)[address](data, BIG_GAS)
    assert success
    return output


def fails(address: int, data: bytes, fork: Fork = Fork.PRAGUE) -> bool:
    return precompiles_for(fork)[address](data, BIG_GAS) == (False, BIG_GAS, b"")


# ----------------------------------------------------------------------------- BLS12-381


def test_g1add_infinity_is_the_identity() -> None:
    assert ok(0x0B, G1 + G1_INF) == G1
    assert ok(0x0B, G1_INF + G1_INF) == G1_INF
    neg = widen((-G1Point()).to_xy_bytes_be())
    assert ok(0x0B, G1 + neg) == G1_INF


def test_g2add_infinity_is_the_identity() -> None:
    assert ok(0x0D, G2_INF + G2) == G2
    assert ok(0x0D, G2 + widen((-G2Point()).to_xy_bytes_be())) == G2_INF


def test_add_takes_points_outside_the_subgroup_msm_and_pairing_do_not() -> None:
    assert ok(0x0B, G1_OFF_SUBGROUP + G1_INF) == G1_OFF_SUBGROUP
    assert fails(0x0C, G1_OFF_SUBGROUP + word(1))
    assert fails(0x0F, G1_OFF_SUBGROUP + G2)


@pytest.mark.parametrize(
    "coordinate",
    [
        FIELD_MODULUS,  # not below the modulus
        FIELD_MODULUS + 2,
        1 << 384,  # a nonzero top byte
        (1 << 511) + 2,
    ],
)
def test_non_canonical_field_elements_fail(coordinate: int) -> None:
    # Each is 2 modulo p or 0/2 modulo p in its low 48 bytes: only the encoding is wrong.
    assert fails(0x0B, fp(0) + fp(coordinate) + G1_INF)
    assert fails(0x0C, fp(0) + fp(coordinate) + word(1))
    assert fails(0x10, fp(coordinate))
    assert fails(0x11, fp(coordinate) + fp(0))
    assert fails(0x11, fp(0) + fp(coordinate))


def test_field_element_just_below_the_modulus_maps() -> None:
    assert len(ok(0x10, fp(FIELD_MODULUS - 1))) == 128
    assert len(ok(0x11, fp(FIELD_MODULUS - 1) + fp(FIELD_MODULUS - 1))) == 256


def test_point_not_on_curve_fails() -> None:
    assert fails(0x0B, fp(1) + fp(1) + G1_INF)
    assert fails(0x0D, G2[:-1] + bytes([G2[-1] ^ 1]) + G2_INF)


def test_msm_scalars_may_exceed_the_group_order() -> None:
    double = ok(0x0B, G1 + G1)
    assert ok(0x0C, G1 + word(2)) == double
    assert ok(0x0C, G1 + word(R + 2)) == double
    assert ok(0x0C, G1 + word(R)) == G1_INF
    assert ok(0x0C, G1_INF + word(5) + G1 + word(0)) == G1_INF
    assert ok(0x0E, G2 + word(R + 1)) == G2


def test_msm_gas_discount_table() -> None:
    assert len(G1_MSM_DISCOUNT) == len(G2_MSM_DISCOUNT) == 128
    assert msm_gas(1, 12000, G1_MSM_DISCOUNT) == 12000
    assert msm_gas(2, 12000, G1_MSM_DISCOUNT) == 2 * 12000 * 949 // 1000
    assert msm_gas(2, 22500, G2_MSM_DISCOUNT) == 2 * 22500
    # Past 128 pairs the discount stays at its last entry.
    assert msm_gas(129, 12000, G1_MSM_DISCOUNT) == 129 * 12000 * 519 // 1000
    assert msm_gas(300, 22500, G2_MSM_DISCOUNT) == 300 * 22500 * 524 // 1000


def test_msm_past_the_table_charges_the_max_discount() -> None:
    pairs = 130
    data = (G1 + word(1)) * pairs
    cost = msm_gas(pairs, 12000, G1_MSM_DISCOUNT)
    success, used, output = PRAGUE[0x0C](data, cost)
    assert (success, used) == (True, cost)
    assert output == widen((G1Point() * Scalar(pairs)).to_xy_bytes_be())
    assert PRAGUE[0x0C](data, cost - 1) == (False, cost - 1, b"")


def test_pairing_check() -> None:
    neg_g1 = widen((-G1Point()).to_xy_bytes_be())
    assert ok(0x0F, G1 + G2 + neg_g1 + G2) == word(1)
    assert ok(0x0F, G1 + G2 + G1 + G2) == word(0)
    assert ok(0x0F, G1_INF + G2) == word(1)  # e(0, Q) = 1
    assert PRAGUE[0x0F](G1 + G2, pairing_gas(1)) == (True, 37700 + 32600, word(0))
    assert fails(0x0F, b"")  # no pairs: invalid, not "true"


@pytest.mark.parametrize(
    ("address", "unit"), [(0x0B, 256), (0x0C, 160), (0x0D, 512), (0x0E, 288), (0x0F, 384),
                          (0x10, 64), (0x11, 128)]
)  # fmt: skip
def test_wrong_lengths_fail(address: int, unit: int) -> None:
    assert fails(address, b"")
    assert fails(address, bytes(unit - 1))
    assert fails(address, bytes(unit + 1))


# ----------------------------------------------------------------------------- P256VERIFY

KEY = ec.derive_private_key(0xC0FFEE, ec.SECP256R1())
NUMBERS = KEY.public_key().public_numbers()
HASH = bytes(range(32))
SIG_R, SIG_S = decode_dss_signature(KEY.sign(HASH, ec.ECDSA(Prehashed(hashes.SHA256()))))
VALID = word(1)


def p256(
    h: bytes = HASH, r: int = SIG_R, s: int = SIG_S, qx: int = NUMBERS.x, qy: int = NUMBERS.y
) -> bytes:
    return h + word(r) + word(s) + word(qx) + word(qy)


def test_p256_valid_signature() -> None:
    assert OSAKA[0x100](p256(), 6900) == (True, 6900, VALID)
    assert OSAKA[0x100](p256(), 6899) == (False, 6899, b"")


def test_p256_malleable_signature_verifies() -> None:
    """EIP-7951 has no low-s rule: (r, n - s) verifies as well as (r, s)."""
    assert ok(0x100, p256(s=P256_N - SIG_S), Fork.OSAKA) == VALID


@pytest.mark.parametrize(
    "data",
    [
        p256(r=0),
        p256(r=P256_N),
        p256(r=P256_N + 1),
        p256(s=0),
        p256(s=P256_N),
        p256(qx=P256_P),
        p256(qy=P256_P),
        p256(qx=0, qy=0),  # the point at infinity's usual encoding
        p256(qy=NUMBERS.y ^ 1),  # not on the curve
        p256(h=bytes(32)),  # another message
        p256()[:159],
        p256() + b"\x00",
        b"",
    ],
)
def test_p256_invalid_input_succeeds_with_empty_output(data: bytes) -> None:
    """Nothing fails the call: the gas is charged and the output is empty."""
    assert OSAKA[0x100](data, 6900) == (True, 6900, b"")


def small_point() -> tuple[int, int]:
    """The P-256 point with the least x; P-256's p is 3 mod 4, so y = rhs^((p+1)/4)."""
    for x in range(1, 100):
        rhs = (x**3 - 3 * x + P256_B) % P256_P
        y = pow(rhs, (P256_P + 1) // 4, P256_P)
        if y * y % P256_P == rhs:
            return x, y
    raise AssertionError("no small point")


def test_p256_validation_rules_are_ours() -> None:
    """EIP-7951's bounds hold by themselves, not only because the library rejects too."""
    x, y = NUMBERS.x, NUMBERS.y
    assert valid_inputs(1, 1, x, y)
    assert valid_inputs(P256_N - 1, P256_N - 1, x, y)
    for r, s in [(0, 1), (1, 0), (P256_N, 1), (1, P256_N), (2**256 - 1, 1)]:
        assert not valid_inputs(r, s, x, y), (r, s)
    # A curve point with a small x, so x + p still fits in 32 bytes (and means x mod p).
    small_x, small_y = small_point()
    assert valid_inputs(1, 1, small_x, small_y)
    assert not valid_inputs(1, 1, small_x + P256_P, small_y)
    assert not valid_inputs(1, 1, x, P256_P)
    assert not valid_inputs(1, 1, 0, 0)
    assert not valid_inputs(1, 1, x, P256_P - y + 1)


# ----------------------------------------------------------------------------- MODEXP at Osaka


def modexp_input(base: bytes, exp: bytes, mod: bytes) -> bytes:
    return word(len(base)) + word(len(exp)) + word(len(mod)) + base + exp + mod


def test_modexp_eip7883_gas() -> None:
    assert modexp_gas_eip7883(1, 1, 1, 2) == 500  # the minimum
    assert modexp_gas_eip7883(32, 1, 32, 3) == 500  # 16 * 1
    assert modexp_gas_eip7883(64, 32, 64, (1 << 255)) == 2 * 8 * 8 * 255
    assert modexp_gas_eip7883(33, 13, 1, 1 << 100) == 2 * 5 * 5 * 100  # length > 32: 2 * words^2
    assert modexp_gas_eip7883(32, 13, 1, 1 << 100) == 16 * 100
    assert modexp_gas_eip7883(64, 40, 64, 1) == 2 * 8 * 8 * 16 * 8  # 16 per exponent byte past 32
    assert modexp_gas_eip2565(64, 40, 64, 1) == 8 * 8 * 8 * 8 // 3  # Cancun: 8 per byte, / 3


def test_modexp_osaka_charges_eip7883() -> None:
    data = modexp_input(b"\x03", b"\x05", b"\x07")
    assert OSAKA[0x05](data, 500) == (True, 500, bytes([pow(3, 5, 7)]))
    assert OSAKA[0x05](data, 499) == (False, 499, b"")
    assert precompiles_for(Fork.CANCUN)[0x05](data, 200) == (True, 200, bytes([pow(3, 5, 7)]))


@pytest.mark.parametrize("field", [0, 1, 2])
def test_modexp_osaka_bounds_lengths_to_1024(field: int) -> None:
    lengths = [1, 1, 1]
    lengths[field] = 1024
    at_bound = b"".join(word(n) for n in lengths) + b"\x02" * sum(lengths)
    assert ok(0x05, at_bound, Fork.OSAKA)
    lengths[field] = 1025
    past_bound = b"".join(word(n) for n in lengths) + b"\x02" * sum(lengths)
    assert fails(0x05, past_bound, Fork.OSAKA)
    assert ok(0x05, past_bound, Fork.CANCUN)


def test_modexp_huge_exponent_length_with_empty_base_and_modulus() -> None:
    """Cancun: free past the minimum price, empty output. Osaka: past the bound, it fails."""
    data = word(0) + word(2**255) + word(0)
    assert precompiles_for(Fork.CANCUN)[0x05](data, 300) == (True, 200, b"")
    assert fails(0x05, data, Fork.OSAKA)
