"""0x0b-0x11: the BLS12-381 precompiles of EIP-2537 (Prague), through py-arkworks-bls12381.

Encoding (EIP-2537): a base-field element is 64 bytes big-endian, its top 16 bytes zero and
its value below the field modulus; an Fp2 element is c0 then c1; a G1 point is x then y
(128 bytes), a G2 point likewise with Fp2 coordinates (256 bytes); all zeros is the point at
infinity; a scalar is 32 bytes big-endian and may exceed the group order.

Validation, ours (the library only decodes coordinates already checked, and does the curve
arithmetic): every field element is canonical; every point is on its curve; the points of
G1MSM, G2MSM and PAIRING_CHECK are also in the prime-order subgroup, the addends of G1ADD and
G2ADD need not be. Any violation, or an input of the wrong length, fails the call (all gas).
"""

from __future__ import annotations

from py_arkworks_bls12381 import GT, G1Point, G2Point, Scalar

from framepool.evm.precompiles.base import Handler, PrecompileFailure, charged, fixed

__all__ = [
    "G1ADD",
    "G1MSM",
    "G1_MSM_DISCOUNT",
    "G2ADD",
    "G2MSM",
    "G2_MSM_DISCOUNT",
    "MAP_FP2_TO_G2",
    "MAP_FP_TO_G1",
    "PAIRING_CHECK",
    "msm_gas",
    "pairing_gas",
]

FIELD_MODULUS = int(
    "1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f624"
    "1eabfffeb153ffffb9feffffffffaaab",
    16,
)
FP_LENGTH = 64
G1_LENGTH = 2 * FP_LENGTH
G2_LENGTH = 4 * FP_LENGTH
SCALAR_LENGTH = 32
G1_MSM_PAIR_LENGTH = G1_LENGTH + SCALAR_LENGTH
G2_MSM_PAIR_LENGTH = G2_LENGTH + SCALAR_LENGTH
PAIRING_PAIR_LENGTH = G1_LENGTH + G2_LENGTH

G1ADD_GAS = 375
G2ADD_GAS = 600
G1MUL_GAS = 12000
G2MUL_GAS = 22500
PAIRING_BASE_GAS = 37700
PAIRING_PER_PAIR_GAS = 32600
MAP_FP_TO_G1_GAS = 5500
MAP_FP2_TO_G2_GAS = 23800
MSM_MULTIPLIER = 1000

# EIP-2537's MSM discounts (per mille) for k = 1..128 pairs; past 128 the last entry holds.
G1_MSM_DISCOUNT: tuple[int, ...] = (
    1000, 949, 848, 797, 764, 750, 738, 728, 719, 712, 705, 698, 692, 687, 682, 677,
    673, 669, 665, 661, 658, 654, 651, 648, 645, 642, 640, 637, 635, 632, 630, 627,
    625, 623, 621, 619, 617, 615, 613, 611, 609, 608, 606, 604, 603, 601, 599, 598,
    596, 595, 593, 592, 591, 589, 588, 586, 585, 584, 582, 581, 580, 579, 577, 576,
    575, 574, 573, 572, 570, 569, 568, 567, 566, 565, 564, 563, 562, 561, 560, 559,
    558, 557, 556, 555, 554, 553, 552, 551, 550, 549, 548, 547, 547, 546, 545, 544,
    543, 542, 541, 540, 540, 539, 538, 537, 536, 536, 535, 534, 533, 532, 532, 531,
    530, 529, 528, 528, 527, 526, 525, 525, 524, 523, 522, 522, 521, 520, 520, 519,
)  # fmt: skip
G2_MSM_DISCOUNT: tuple[int, ...] = (
    1000, 1000, 923, 884, 855, 832, 812, 796, 782, 770, 759, 749, 740, 732, 724, 717,
    711, 704, 699, 693, 688, 683, 679, 674, 670, 666, 663, 659, 655, 652, 649, 646,
    643, 640, 637, 634, 632, 629, 627, 624, 622, 620, 618, 615, 613, 611, 609, 607,
    606, 604, 602, 600, 598, 597, 595, 593, 592, 590, 589, 587, 586, 584, 583, 582,
    580, 579, 578, 576, 575, 574, 573, 571, 570, 569, 568, 567, 566, 565, 563, 562,
    561, 560, 559, 558, 557, 556, 555, 554, 553, 552, 552, 551, 550, 549, 548, 547,
    546, 545, 545, 544, 543, 542, 541, 541, 540, 539, 538, 537, 537, 536, 535, 535,
    534, 533, 532, 532, 531, 530, 530, 529, 528, 528, 527, 526, 526, 525, 524, 524,
)  # fmt: skip


def msm_gas(pairs: int, mul_gas: int, discounts: tuple[int, ...]) -> int:
    """The price of an MSM of ``pairs`` (point, scalar) pairs, ``pairs`` >= 1."""
    discount = discounts[min(pairs, len(discounts)) - 1]
    return pairs * mul_gas * discount // MSM_MULTIPLIER


def pairing_gas(pairs: int) -> int:
    """The price of a pairing check over ``pairs`` (G1, G2) pairs."""
    return PAIRING_BASE_GAS + PAIRING_PER_PAIR_GAS * pairs


# --------------------------------------------------------------------------- decoding


def _fp(chunk: bytes) -> bytes:
    """A 64-byte field element as the library's 48 bytes; fails unless canonical."""
    if int.from_bytes(chunk, "big") >= FIELD_MODULUS:  # also catches nonzero top bytes
        raise PrecompileFailure("field element not below the modulus")
    return chunk[16:]


def _fps(data: bytes) -> bytes:
    """Consecutive 64-byte field elements, each checked, as the library's 48-byte form."""
    return b"".join(_fp(data[i : i + FP_LENGTH]) for i in range(0, len(data), FP_LENGTH))


def _g1(chunk: bytes, subgroup: bool) -> G1Point:
    xy = _fps(chunk)
    try:
        point = G1Point.from_xy_bytes_unchecked_be(xy)  # checks the curve, not the subgroup
    except ValueError as exc:
        raise PrecompileFailure(f"G1 point: {exc}") from exc
    if subgroup and not point.is_in_subgroup():
        raise PrecompileFailure("G1 point not in the prime-order subgroup")
    return point


def _g2(chunk: bytes, subgroup: bool) -> G2Point:
    xy = _fps(chunk)
    try:
        point = G2Point.from_xy_bytes_unchecked_be(xy)  # checks the curve, not the subgroup
    except ValueError as exc:
        raise PrecompileFailure(f"G2 point: {exc}") from exc
    if subgroup and not point.is_in_subgroup():
        raise PrecompileFailure("G2 point not in the prime-order subgroup")
    return point


def _encode(xy: bytes) -> bytes:
    """The library's 48-byte field elements, each widened to EIP-2537's 64 bytes."""
    return b"".join(bytes(16) + xy[i : i + 48] for i in range(0, len(xy), 48))


def _length(data: bytes, unit: int) -> int:
    """How many ``unit``-byte items ``data`` holds; fails unless a positive whole number."""
    if not data or len(data) % unit:
        raise PrecompileFailure(f"input length {len(data)} not a positive multiple of {unit}")
    return len(data) // unit


def _exact(data: bytes, length: int) -> None:
    if len(data) != length:
        raise PrecompileFailure(f"input length {len(data)}, expected {length}")


# --------------------------------------------------------------------------- the precompiles


def _g1add(data: bytes) -> bytes:
    _exact(data, 2 * G1_LENGTH)
    total = _g1(data[:G1_LENGTH], False) + _g1(data[G1_LENGTH:], False)
    return _encode(total.to_xy_bytes_be())


def _g2add(data: bytes) -> bytes:
    _exact(data, 2 * G2_LENGTH)
    total = _g2(data[:G2_LENGTH], False) + _g2(data[G2_LENGTH:], False)
    return _encode(total.to_xy_bytes_be())


def _scalar(chunk: bytes) -> Scalar:
    # Every point is in the prime-order subgroup, so reducing the scalar keeps the product.
    return Scalar.from_be_bytes_mod_order(chunk)


def _g1msm(data: bytes, gas: int) -> tuple[int, bytes]:
    pairs = _length(data, G1_MSM_PAIR_LENGTH)
    cost = charged(msm_gas(pairs, G1MUL_GAS, G1_MSM_DISCOUNT), gas)
    points = []
    scalars = []
    for start in range(0, len(data), G1_MSM_PAIR_LENGTH):
        points.append(_g1(data[start : start + G1_LENGTH], True))
        scalars.append(_scalar(data[start + G1_LENGTH : start + G1_MSM_PAIR_LENGTH]))
    return cost, _encode(G1Point.multiexp_unchecked(points, scalars).to_xy_bytes_be())


def _g2msm(data: bytes, gas: int) -> tuple[int, bytes]:
    pairs = _length(data, G2_MSM_PAIR_LENGTH)
    cost = charged(msm_gas(pairs, G2MUL_GAS, G2_MSM_DISCOUNT), gas)
    points = []
    scalars = []
    for start in range(0, len(data), G2_MSM_PAIR_LENGTH):
        points.append(_g2(data[start : start + G2_LENGTH], True))
        scalars.append(_scalar(data[start + G2_LENGTH : start + G2_MSM_PAIR_LENGTH]))
    return cost, _encode(G2Point.multiexp_unchecked(points, scalars).to_xy_bytes_be())


def _pairing_check(data: bytes, gas: int) -> tuple[int, bytes]:
    pairs = _length(data, PAIRING_PAIR_LENGTH)
    cost = charged(pairing_gas(pairs), gas)
    g1s = []
    g2s = []
    for start in range(0, len(data), PAIRING_PAIR_LENGTH):
        g1s.append(_g1(data[start : start + G1_LENGTH], True))
        g2s.append(_g2(data[start + G1_LENGTH : start + PAIRING_PAIR_LENGTH], True))
    return cost, (1 if GT.pairing_check(g1s, g2s) else 0).to_bytes(32, "big")


def _map_fp_to_g1(data: bytes) -> bytes:
    _exact(data, FP_LENGTH)
    return _encode(G1Point.map_from_fp_be(_fp(data)).to_xy_bytes_be())


def _map_fp2_to_g2(data: bytes) -> bytes:
    _exact(data, 2 * FP_LENGTH)
    return _encode(G2Point.map_from_fp2_be(_fps(data)).to_xy_bytes_be())


G1ADD: Handler = fixed(G1ADD_GAS, _g1add)
G1MSM: Handler = _g1msm
G2ADD: Handler = fixed(G2ADD_GAS, _g2add)
G2MSM: Handler = _g2msm
PAIRING_CHECK: Handler = _pairing_check
MAP_FP_TO_G1: Handler = fixed(MAP_FP_TO_G1_GAS, _map_fp_to_g1)
MAP_FP2_TO_G2: Handler = fixed(MAP_FP2_TO_G2_GAS, _map_fp2_to_g2)
