"""Differential: the Prague/Osaka precompiles (and Cancun's MODEXP) against the Ethereum
execution specification's own precompile functions (``ethereum-execution``, a dev
dependency), on seeded random inputs around every rule: success, gas used and output must be
identical. The spec computes BLS12-381 with py_ecc and P-256 with pycryptodome, so the
libraries differ on both sides.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, decode_dss_signature
from ethereum.exceptions import EthereumException
from ethereum.forks.cancun.vm.precompiled_contracts.modexp import modexp as cancun_modexp
from ethereum.forks.osaka.vm.precompiled_contracts.modexp import modexp as osaka_modexp
from ethereum.forks.osaka.vm.precompiled_contracts.p256verify import p256verify
from ethereum.forks.prague.vm.precompiled_contracts.bls12_381.bls12_381_g1 import (
    bls12_g1_add,
    bls12_g1_msm,
    bls12_map_fp_to_g1,
)
from ethereum.forks.prague.vm.precompiled_contracts.bls12_381.bls12_381_g2 import (
    bls12_g2_add,
    bls12_map_fp2_to_g2,
)
from ethereum_types.bytes import Bytes
from ethereum_types.numeric import Uint
from py_arkworks_bls12381 import G1Point, G2Point, Scalar

from framepool.evm.forks import Fork
from framepool.evm.precompiles import PrecompileResult, precompiles_for
from framepool.evm.precompiles.base import padded
from framepool.evm.precompiles.bls12_381 import FIELD_MODULUS
from framepool.evm.precompiles.modexp import modexp_gas_eip2565, modexp_gas_eip7883
from framepool.evm.precompiles.p256 import P256_N, P256_P

SpecFn = Callable[[Any], None]


def spec_run(fn: SpecFn, data: bytes, gas: int) -> PrecompileResult:
    """The spec's precompile on a minimal frame: any exception is an exceptional halt."""
    evm = SimpleNamespace(
        message=SimpleNamespace(data=Bytes(data)), gas_left=Uint(gas), output=Bytes(b"")
    )
    try:
        fn(evm)
    except EthereumException:
        return False, gas, b""
    return True, gas - int(evm.gas_left), bytes(evm.output)


def agree(fork: Fork, address: int, spec_fn: SpecFn, cases: Iterator[tuple[bytes, int]]) -> int:
    precompile = precompiles_for(fork)[address]
    count = 0
    for data, gas in cases:
        assert precompile(data, gas) == spec_run(spec_fn, data, gas), (data.hex(), gas)
        count += 1
    return count


def word(n: int) -> bytes:
    return n.to_bytes(32, "big")


# ----------------------------------------------------------------------------- MODEXP


def modexp_cases(rng: random.Random, n: int, fork: Fork) -> Iterator[tuple[bytes, int]]:
    lengths = [0, 1, 2, 8, 31, 32, 33, 40, 64, 65, 128, 1024, 1025]
    exp_lengths = [0, 1, 2, 31, 32, 33, 40, 64, 1025, 2**64, 2**255]
    for _ in range(n):
        b, m = rng.choice(lengths), rng.choice(lengths)
        e = rng.choice(exp_lengths)
        body_e = min(e, 64)  # longer exponents are priced far past any gas given below
        body = rng.randbytes(b) + rng.randbytes(body_e) + rng.randbytes(m)
        if rng.random() < 0.3:
            body = body[: rng.randrange(len(body) + 1)]  # truncated: zero-filled
        data = word(b) + word(e) + word(m) + body
        price = price_of(fork, b, e, m, int.from_bytes(padded(data, 96 + b, min(32, e)), "big"))
        # Half the cases at the price or one below it, when a transaction could pay it (the
        # price only picks the gas; the verdict is the spec's).
        at_price = price <= 30_000_000 and rng.random() < 0.5
        gas = rng.choice([price - 1, price] if at_price else [0, 500, 10_000_000])
        yield data, max(gas, 0)


@pytest.mark.parametrize(
    ("fork", "spec_fn"), [(Fork.CANCUN, cancun_modexp), (Fork.OSAKA, osaka_modexp)]
)
def test_modexp_matches_spec(fork: Fork, spec_fn: SpecFn) -> None:
    assert agree(fork, 0x05, spec_fn, modexp_cases(random.Random(7883), 400, fork)) == 400


def price_of(fork: Fork, b: int, e: int, m: int, head: int) -> int:
    rule = modexp_gas_eip7883 if fork >= Fork.OSAKA else modexp_gas_eip2565
    return rule(b, e, m, head)


# ----------------------------------------------------------------------------- P256VERIFY


def p256_cases(rng: random.Random, n: int) -> Iterator[tuple[bytes, int]]:
    for _ in range(n):
        key = ec.derive_private_key(rng.randrange(1, P256_N), ec.SECP256R1())
        numbers = key.public_key().public_numbers()
        digest = rng.randbytes(32)
        r, s = decode_dss_signature(key.sign(digest, ec.ECDSA(Prehashed(hashes.SHA256()))))
        fields = [int.from_bytes(digest, "big"), r, s, numbers.x, numbers.y]
        kind = rng.randrange(6)
        if kind == 1:  # one field replaced by a boundary value
            i = rng.randrange(5)
            fields[i] = rng.choice([0, 1, P256_N - 1, P256_N, P256_N + 1, P256_P - 1, P256_P])
        elif kind == 2:  # one bit flipped
            i = rng.randrange(5)
            fields[i] ^= 1 << rng.randrange(256)
        elif kind == 3:
            fields[2] = P256_N - s  # the malleable twin
        elif kind == 4:
            fields[3] = fields[4] = 0
        data = b"".join(word(f) for f in fields)
        if kind == 5:
            data = data[: rng.randrange(160)] if rng.random() < 0.5 else data + b"\x00"
        yield data, rng.choice([6899, 6900, 10_000])


def test_p256verify_matches_spec() -> None:
    assert agree(Fork.OSAKA, 0x100, p256verify, p256_cases(random.Random(7951), 150)) == 150


# ----------------------------------------------------------------------------- BLS12-381


def g1_bytes(point: G1Point) -> bytes:
    xy = point.to_xy_bytes_be()
    return bytes(16) + xy[:48] + bytes(16) + xy[48:]


def g2_bytes(point: G2Point) -> bytes:
    xy = point.to_xy_bytes_be()
    return b"".join(bytes(16) + xy[i : i + 48] for i in range(0, 192, 48))


def random_g1(rng: random.Random, valid_share: float = 0.2) -> bytes:
    if rng.random() < valid_share:
        return g1_bytes(G1Point() * Scalar(rng.randrange(1, 2**64)))
    kind = rng.randrange(5)
    if kind == 0:
        return bytes(128)
    if kind == 1:
        return (0).to_bytes(64, "big") + (2).to_bytes(64, "big")  # on the curve, not in G1
    if kind == 2:
        return rng.randbytes(16) + rng.randbytes(112)  # garbage
    if kind == 3:  # a valid point with its y pushed past the modulus
        good = g1_bytes(G1Point() * Scalar(rng.randrange(1, 2**64)))
        return good[:64] + (int.from_bytes(good[64:], "big") + FIELD_MODULUS).to_bytes(64, "big")
    return g1_bytes(G1Point() * Scalar(rng.randrange(1, 2**64)))


def test_bls_g1add_matches_spec() -> None:
    rng = random.Random(2537)
    cases = ((random_g1(rng) + random_g1(rng), rng.choice([374, 375, 1000])) for _ in range(40))
    assert agree(Fork.PRAGUE, 0x0B, bls12_g1_add, cases) == 40


def test_bls_g2add_matches_spec() -> None:
    rng = random.Random(2538)

    def g2() -> bytes:
        if rng.random() < 0.2:
            return bytes(256)
        if rng.random() < 0.2:
            return rng.randbytes(256)
        return g2_bytes(G2Point() * Scalar(rng.randrange(1, 2**64)))

    cases = ((g2() + g2(), rng.choice([599, 600])) for _ in range(15))
    assert agree(Fork.PRAGUE, 0x0D, bls12_g2_add, cases) == 15


def test_bls_g1msm_matches_spec() -> None:
    rng = random.Random(2539)

    def pairs() -> bytes:
        k = rng.randrange(1, 3)
        return b"".join(random_g1(rng, 0.7) + rng.randbytes(32) for _ in range(k))

    cases = ((pairs(), rng.choice([11_999, 12_000, 30_000])) for _ in range(16))
    assert agree(Fork.PRAGUE, 0x0C, bls12_g1_msm, cases) == 16


def test_bls_maps_match_spec() -> None:
    rng = random.Random(2540)

    def fp() -> bytes:
        return rng.choice(
            [rng.randrange(FIELD_MODULUS), FIELD_MODULUS - 1, FIELD_MODULUS, 2**384, 0]
        ).to_bytes(64, "big")

    g1_cases = ((fp(), rng.choice([5499, 5500])) for _ in range(12))
    assert agree(Fork.PRAGUE, 0x10, bls12_map_fp_to_g1, g1_cases) == 12
    g2_cases = ((fp() + fp(), rng.choice([23_799, 23_800])) for _ in range(4))
    assert agree(Fork.PRAGUE, 0x11, bls12_map_fp2_to_g2, g2_cases) == 4
