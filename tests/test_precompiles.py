"""Tests of the Cancun precompiles, with vectors from the EIPs, client test suites and state tests."""

from __future__ import annotations

import hashlib
import json
from functools import cache

import ckzg
import pytest

from framepool.evm.fixtures import fixtures_root
from framepool.evm.forks import Fork
from framepool.evm.precompiles import PrecompileResult, precompiles_for
from framepool.evm.precompiles.kzg import BLS_MODULUS, load_trusted_setup
from framepool.evm.precompiles.modexp import modexp_gas_eip2565 as modexp_gas

CANCUN = precompiles_for(Fork.CANCUN)

FAIL_GAS = 100_000


def word(n: int) -> bytes:
    return n.to_bytes(32, "big")


def h(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


def run_precompile(address: int, data: bytes, gas: int) -> PrecompileResult:
    return CANCUN[address](data, gas)


def assert_fails(address: int, data: bytes, gas: int = FAIL_GAS) -> None:
    assert run_precompile(address, data, gas) == (False, gas, b"")


def test_addresses() -> None:
    assert list(CANCUN) == list(range(1, 11))
    assert list(precompiles_for(Fork.SHANGHAI)) == list(range(1, 10))


# ----------------------------------------------------------------------------- 0x01 ecrecover

# The signature used by the state tests' CallEcrecover0: signer is the usual test sender.
ECRECOVER_HASH = h("18c547e4f7b0f325ad1e56f57e26c745b09a3e503d86e00e5255ff7f715d3d1c")
ECRECOVER_R = 0x73B1693892219D736CABA55BDB67216E485557EA6B6AF75F37096C9AA6A5A75F
ECRECOVER_S = 0xEEB940B1D03B21E36B0E47E79769F095FE2AB855BD91E3A38756B7D75A9C4549
SECP256K1N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def ecrecover_input(v: int = 28, r: int = ECRECOVER_R, s: int = ECRECOVER_S) -> bytes:
    return ECRECOVER_HASH + word(v) + word(r) + word(s)


def test_ecrecover_valid() -> None:
    expected = bytes(12) + h("a94f5374fce5edbc8e2a8697c15331677e6ebf0b")
    assert run_precompile(1, ecrecover_input(), 3000) == (True, 3000, expected)
    # Extra input beyond 128 bytes is ignored.
    assert run_precompile(1, ecrecover_input() + b"\xff" * 10, 5000) == (True, 3000, expected)


def test_ecrecover_geth_vector() -> None:
    data = (
        h("456e9aea5e197a1f1af7a3e85a3212fa4049a3ba34c2289b4c860fc0b0c64ef3")
        + word(28)
        + h("9242685bf161793cc25603c231bc2f568eb630ea16aa137d2664ac8038825608")
        + h("4f8ae3bd7535248d0bd448298cc2e2071e56992d0774dc340c368ae950852ada")
    )
    assert run_precompile(1, data, 3000)[2] == bytes(12) + h(
        "7156526fbd7a3c72969b54f64e42c10fbb768c8a"
    )


@pytest.mark.parametrize(
    "data",
    [
        b"",  # v = 0
        ecrecover_input(v=27 + 256),
        ecrecover_input(v=29),
        ecrecover_input(v=0),
        ecrecover_input(r=0),
        ecrecover_input(s=0),
        ecrecover_input(r=SECP256K1N),
        ecrecover_input(s=SECP256K1N),
        ecrecover_input(r=5),  # 5 is not the x coordinate of a curve point: no key recovers
    ],
)
def test_ecrecover_invalid_input_succeeds_empty(data: bytes) -> None:
    assert run_precompile(1, data, 3000) == (True, 3000, b"")


def test_ecrecover_other_v_gives_other_key() -> None:
    out = run_precompile(1, ecrecover_input(v=27), 3000)
    assert out[0] and out[2] not in (b"", bytes(12) + h("a94f5374fce5edbc8e2a8697c15331677e6ebf0b"))


def test_ecrecover_out_of_gas() -> None:
    assert_fails(1, ecrecover_input(), 2999)


# ----------------------------------------------------------------------------- 0x02-0x04 hashes


def test_sha256() -> None:
    assert run_precompile(2, b"", 60) == (
        True,
        60,
        h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    )
    ok, used, out = run_precompile(2, b"abc", 72)
    assert (ok, used) == (True, 72)
    assert out == h("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    assert run_precompile(2, bytes(33), 84)[:2] == (True, 84)
    assert_fails(2, bytes(33), 83)


def test_ripemd160() -> None:
    assert run_precompile(3, b"", 600) == (
        True,
        600,
        bytes(12) + h("9c1185a5c5e9fc54612808977ee8f548b2258d31"),
    )
    assert run_precompile(3, b"abc", 720) == (
        True,
        720,
        bytes(12) + h("8eb208f7e05d987a9b044a8e98c6b087f15a0bfc"),
    )
    assert run_precompile(3, bytes(65), 960)[:2] == (True, 960)
    assert_fails(3, b"abc", 719)


def test_identity() -> None:
    assert run_precompile(4, b"", 15) == (True, 15, b"")
    data = bytes(range(100))
    assert run_precompile(4, data, 1000) == (True, 15 + 3 * 4, data)
    assert_fails(4, data, 26)


# ----------------------------------------------------------------------------- 0x05 modexp

SECP_P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F


def modexp_input(base: bytes, exp: bytes, mod: bytes) -> bytes:
    return word(len(base)) + word(len(exp)) + word(len(mod)) + base + exp + mod


def test_modexp_eip198_example1() -> None:
    # Fermat: 3^(p-2) * 3 = 1, here just 3^(p-1) mod p = 1.
    data = modexp_input(b"\x03", word(SECP_P - 1), word(SECP_P))
    assert run_precompile(5, data, 10_000) == (True, 1360, word(1))


def test_modexp_eip198_example2() -> None:
    data = word(0) + word(32) + word(32) + word(SECP_P - 1) + word(SECP_P)
    assert run_precompile(5, data, 10_000) == (True, 1360, word(0))


def test_modexp_values() -> None:
    assert run_precompile(5, modexp_input(b"\x02", b"\x0a", b"\x03\xe8"), 10_000) == (
        True,
        200,
        h("0018"),
    )
    # Zero modulus: output is modulus-length zeros.
    assert run_precompile(5, modexp_input(b"\x05", b"\x02", bytes(3)), 10_000) == (
        True,
        200,
        bytes(3),
    )
    # 0^0 mod 7 = 1.
    assert run_precompile(5, modexp_input(b"", b"", b"\x07"), 10_000) == (True, 200, b"\x01")
    # Truncated input: missing bytes read as zero (modulus 0x0700 -> 2^1 mod 0x0700).
    data = word(1) + word(1) + word(2) + b"\x02\x01\x07"
    assert run_precompile(5, data, 10_000) == (True, 200, h("0002"))
    # Empty input: all lengths zero.
    assert run_precompile(5, b"", 200) == (True, 200, b"")
    assert_fails(5, b"", 199)


def test_modexp_gas_formula() -> None:
    # EIP-2565 prices of the geth test vectors (nagydani-1-square, nagydani-5-pow0x10001).
    assert modexp_gas(64, 1, 64, 2) == 200
    assert modexp_gas(512, 3, 512, 0x10001) == 21845
    # Exponent longer than 32 bytes: 8 * (len - 32) + bit length of the head - 1.
    assert modexp_gas(32, 40, 32, 1 << 255) == 16 * (8 * 8 + 255) // 3
    assert modexp_gas(32, 40, 32, 0) == 16 * 64 // 3
    assert modexp_gas(32, 32, 32, 0) == 200


def test_modexp_huge_lengths_do_not_allocate() -> None:
    huge = 2**256 - 1
    # Huge base length: priced astronomically, fails before reading anything.
    assert_fails(5, word(huge) + word(1) + word(1))
    # Huge exponent length with a 1-byte modulus: likewise.
    assert_fails(5, word(0) + word(huge) + word(1), 10**12)
    # Huge exponent but zero base and modulus lengths: complexity 0, minimum price, empty output.
    assert run_precompile(5, word(0) + word(huge) + word(0), 300) == (True, 200, b"")


def test_modexp_exp_head_after_base() -> None:
    # The exponent head is read after the base: base 32 bytes, exponent 0x80 (bit length 8).
    data = modexp_input(word(3), b"\x80", word(SECP_P))
    assert run_precompile(5, data, 10_000) == (True, 200, word(pow(3, 0x80, SECP_P)))
    data = modexp_input(word(3), word(1 << 255), word(SECP_P))
    assert run_precompile(5, data, 10_000) == (True, 16 * 255 // 3, word(pow(3, 1 << 255, SECP_P)))


# ----------------------------------------------------------------------------- 0x06-0x08 alt_bn128

BN_P = 0x30644E72E131A029B85045B68181585D97816A916871CA8D3C208C16D87CFD47
BN_N = 0x30644E72E131A029B85045B68181585D2833E84879B9709143E1F593F0000001
G1_DOUBLE = h(
    "030644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd3"
    "15ed738c0e0a7c92e7845f96b2ae9c0a68a6a449e3538fc7ff3ebf7a5a18a2c4"
)


def test_ecadd() -> None:
    g = word(1) + word(2)
    assert run_precompile(6, g + g, 150) == (True, 150, G1_DOUBLE)
    # geth "chfast1".
    data = h(
        "18b18acfb4c2c30276db5411368e7185b311dd124691610c5d3b74034e093dc9"
        "063c909c4720840cb5134cb9f59fa749755796819658d32efc0d288198f37266"
        "07c2b7f58a84bd6145f00c9c2bc0bb1a187f20ff2c92963a88019e7c6a014eed"
        "06614e20c147e940f2d70da3f74c9a17df361706a4485c742bd6788478fa17d7"
    )
    assert run_precompile(6, data, 150)[2] == h(
        "2243525c5efd4b9c3d3c45ac0ca3fe4dd85e830a4ce6b65fa1eeaee202839703"
        "301d1d33be6da8e509df21cc35964723180eed7532537db9ae5e7d48f195c915"
    )
    # Infinity is the identity; short input is zero-padded.
    assert run_precompile(6, g, 150) == (True, 150, g)
    assert run_precompile(6, b"", 150) == (True, 150, bytes(64))
    # P + (-P) = infinity.
    assert run_precompile(6, g + word(1) + word(BN_P - 2), 150) == (True, 150, bytes(64))


@pytest.mark.parametrize(
    "data",
    [
        word(1) + word(3),  # not on the curve
        word(1) + word(2) + word(1) + word(3),
        word(1) + word(2 + BN_P),  # coordinate not reduced
        word(BN_P) + word(0),
    ],
)
def test_ecadd_invalid(data: bytes) -> None:
    assert_fails(6, data)


def test_ecadd_out_of_gas() -> None:
    assert_fails(6, b"", 149)


def test_ecmul() -> None:
    g = word(1) + word(2)
    assert run_precompile(7, g + word(2), 6000) == (True, 6000, G1_DOUBLE)
    assert run_precompile(7, g + word(1), 6000)[2] == g
    assert run_precompile(7, g + word(0), 6000)[2] == bytes(64)
    assert run_precompile(7, g, 6000)[2] == bytes(64)  # scalar missing: zero
    assert run_precompile(7, g + word(BN_N), 6000)[2] == bytes(64)
    assert run_precompile(7, g + word(BN_N + 2), 6000)[2] == G1_DOUBLE
    assert run_precompile(7, g + word(2**256 - 1), 6000)[0]
    assert run_precompile(7, bytes(64) + word(5), 6000) == (True, 6000, bytes(64))
    assert_fails(7, word(1) + word(3) + word(0))
    assert_fails(7, g + word(2), 5999)


@cache
def zk_payloads(name: str) -> list[bytes]:
    """Precompile inputs of a stZeroKnowledge test: tx data is call(bytes) ABI-encoded."""
    path = fixtures_root() / "GeneralStateTests" / "stZeroKnowledge" / f"{name}.json"
    test = next(iter(json.loads(path.read_text()).values()))
    payloads = []
    for raw in test["transaction"]["data"]:
        data = bytes.fromhex(raw[2:])
        length = int.from_bytes(data[36:68], "big")
        payloads.append(data[68 : 68 + length])
    return payloads


def test_ecpairing_empty_input_is_true() -> None:
    assert run_precompile(8, b"", 45000) == (True, 45000, word(1))
    assert_fails(8, b"", 44999)


@pytest.mark.parametrize(
    ("name", "pairs", "result"),
    [
        ("ecpairing_two_point_match_2", 2, 1),
        ("ecpairing_three_point_match_1", 3, 1),
        ("ecpairing_two_point_fail_1", 2, 0),
        ("ecpairing_one_point_fail", 1, 0),
        ("ecpairing_one_point_with_g1_zero", 1, 1),
        ("ecpairing_one_point_with_g2_zero", 1, 1),
    ],
)
def test_ecpairing_state_test_inputs(name: str, pairs: int, result: int) -> None:
    data = zk_payloads(name)[0]
    assert len(data) == 192 * pairs
    cost = 45000 + 34000 * pairs
    assert run_precompile(8, data, cost) == (True, cost, word(result))
    assert_fails(8, data, cost - 1)


@pytest.mark.parametrize(
    "name",
    [
        "ecpairing_one_point_not_in_subgroup",
        "ecpairing_perturb_g2_by_one",
        "ecpairing_perturb_g2_by_field_modulus",
        "ecpairing_perturb_g2_by_curve_order",
        "ecpairing_perturb_zeropoint_by_one",
        "ecpairing_perturb_zeropoint_by_field_modulus",
        "ecpairing_bad_length_191",
        "ecpairing_bad_length_193",
    ],
)
def test_ecpairing_invalid(name: str) -> None:
    data = zk_payloads(name)[0]
    assert_fails(8, data, 10**6)


# ----------------------------------------------------------------------------- 0x09 blake2f

# EIP-152 test vector 5: 12 rounds, the "abc" block, final flag set.
BLAKE_ABC = h(
    "0000000c"
    "48c9bdf267e6096a3ba7ca8485ae67bb2bf894fe72f36e3cf1361d5f3af54fa5"
    "d182e6ad7f520e511f6c3e2b8c68059b6bbd41fbabd9831f79217e1319cde05b"
    + "616263"
    + "00" * 125
    + "0300000000000000"
    + "0000000000000000"
    + "01"
)


def test_blake2f_eip152_vectors() -> None:
    assert len(BLAKE_ABC) == 213
    out = run_precompile(9, BLAKE_ABC, 12)
    assert out == (
        True,
        12,
        h(
            "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
            "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923"
        ),
    )
    # Independent check: 12 rounds over this single block is BLAKE2b-512("abc").
    assert out[2] == hashlib.blake2b(b"abc").digest()
    not_final = BLAKE_ABC[:212] + b"\x00"
    assert run_precompile(9, not_final, 12)[2] == h(
        "75ab69d3190a562c51aef8d88f1c2775876944407270c42c9844252c26d28752"
        "98743e7f6d5ea2f2d3e8d226039cd31b4e426ac4f2d3d666a610c2116fde4735"
    )
    zero_rounds = bytes(4) + BLAKE_ABC[4:]
    assert run_precompile(9, zero_rounds, 0) == (
        True,
        0,
        h(
            "08c9bcf367e6096a3ba7ca8485ae67bb2bf894fe72f36e3cf1361d5f3af54fa5"
            "d282e6ad7f520e511f6c3e2b8c68059b9442be0454267ce079217e1319cde05b"
        ),
    )
    one_round = h("00000001") + BLAKE_ABC[4:]
    assert run_precompile(9, one_round, 1)[2] == h(
        "b63a380cb2897d521994a85234ee2c181b5f844d2c624c002677e9703449d2fb"
        "a551b3a8333bcdf5f2f7e08993d53923de3d64fcc68c034e717b9293fed7a421"
    )


def test_blake2f_invalid() -> None:
    assert_fails(9, b"")
    assert_fails(9, BLAKE_ABC[:212])
    assert_fails(9, BLAKE_ABC + b"\x00")
    assert_fails(9, BLAKE_ABC[:212] + b"\x02")
    assert_fails(9, BLAKE_ABC, 11)
    # 2^32 - 1 rounds: priced before running, so it fails at once.
    assert_fails(9, b"\xff\xff\xff\xff" + BLAKE_ABC[4:], 10**6)


# ----------------------------------------------------------------------------- 0x0a point evaluation

POINT_EVAL_OUTPUT = word(4096) + word(BLS_MODULUS)


def versioned_hash(commitment: bytes, version: int = 1) -> bytes:
    return bytes([version]) + hashlib.sha256(commitment).digest()[1:]


def test_point_evaluation_zero_polynomial() -> None:
    infinity = b"\xc0" + bytes(47)
    vh = versioned_hash(infinity)
    assert vh.hex() == "010657f37554c781402a22917dee2f75def7ab966d7b770905398eba3c444014"
    data = vh + word(0) + word(0) + infinity + infinity
    assert run_precompile(10, data, 50000) == (True, 50000, POINT_EVAL_OUTPUT)
    assert POINT_EVAL_OUTPUT.hex() == (
        "0000000000000000000000000000000000000000000000000000000000001000"
        "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001"
    )
    assert_fails(10, data, 49999)
    assert_fails(10, vh + word(0) + word(1) + infinity + infinity)  # wrong y


@cache
def real_proof() -> tuple[bytes, bytes, bytes, bytes]:
    """(commitment, z, y, proof) for a blob of small distinct field elements."""
    setup = load_trusted_setup()
    blob = b"".join(word(i * 7 + 3) for i in range(4096))
    commitment: bytes = ckzg.blob_to_kzg_commitment(blob, setup)
    z = word(0x1234567)
    proof, y = ckzg.compute_kzg_proof(blob, z, setup)
    return commitment, z, bytes(y), bytes(proof)


def test_point_evaluation_real_proof() -> None:
    commitment, z, y, proof = real_proof()
    data = versioned_hash(commitment) + z + y + commitment + proof
    assert run_precompile(10, data, 60000) == (True, 50000, POINT_EVAL_OUTPUT)


def test_point_evaluation_failures() -> None:
    commitment, z, y, proof = real_proof()
    good = versioned_hash(commitment) + z + y + commitment + proof
    assert_fails(10, good[:191])
    assert_fails(10, good + b"\x00")
    assert_fails(10, versioned_hash(commitment, version=2) + good[32:])  # wrong version byte
    assert_fails(
        10,
        versioned_hash(commitment)
        + z
        + word((int.from_bytes(y, "big") + 1) % BLS_MODULUS)
        + commitment
        + proof,
    )
    assert_fails(
        10, versioned_hash(commitment) + word(BLS_MODULUS) + y + commitment + proof
    )  # z not canonical
    assert_fails(10, versioned_hash(commitment) + z + word(BLS_MODULUS + 1) + commitment + proof)
    bad_commitment = b"\x01" * 48  # not a valid compressed G1 point
    assert_fails(10, versioned_hash(bad_commitment) + z + y + bad_commitment + proof)
    assert_fails(10, good[:144] + b"\x01" * 48)  # bad proof encoding


def test_trusted_setup_loads_once() -> None:
    assert load_trusted_setup() is load_trusted_setup()
