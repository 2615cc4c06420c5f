"""Tests of RLP and the Merkle-Patricia trie roots."""

from __future__ import annotations

import pytest

from framepool.evm import rlp
from framepool.evm.fixtures import (
    StateTest,
    fixtures_root,
    iter_fixture_files,
    iter_vectors,
    load_fixture_file,
)
from framepool.evm.hashing import keccak256
from framepool.evm.trie import EMPTY_TRIE_ROOT, logs_hash, state_root, storage_root, trie_root

GST = fixtures_root() / "GeneralStateTests"

LOREM = b"Lorem ipsum dolor sit amet, consectetur adipisicing elit"  # 56 bytes

# ----------------------------------------------------------------------------- RLP

ENCODINGS: list[tuple[rlp.Encodable, str]] = [
    (b"", "80"),
    (b"\x00", "00"),
    (b"\x7f", "7f"),
    (b"\x80", "8180"),
    (b"dog", "83646f67"),
    (bytearray(b"dog"), "83646f67"),
    ([], "c0"),
    ((), "c0"),
    ([b"cat", b"dog"], "c88363617483646f67"),
    (0, "80"),
    (1, "01"),
    (15, "0f"),
    (127, "7f"),
    (128, "8180"),
    (1024, "820400"),
    (0x100, "820100"),
    (2**256 - 1, "a0" + "ff" * 32),
    (LOREM, "b838" + LOREM.hex()),
    (b"a" * 55, "b7" + "61" * 55),
    ([[], [[]], [[], [[]]]], "c7c0c1c0c3c0c1c0"),
    ([b"a" * 54], "f7b6" + "61" * 54),
    ([b"a" * 55], "f838b7" + "61" * 55),
    (b"x" * 256, "b90100" + "78" * 256),
]


@pytest.mark.parametrize(("item", "expected"), ENCODINGS)
def test_encode(item: rlp.Encodable, expected: str) -> None:
    assert rlp.encode(item).hex() == expected


def _normalize(item: rlp.Encodable) -> rlp.Decoded:
    if isinstance(item, (bytes, bytearray)):
        return bytes(item)
    if isinstance(item, int):
        return item.to_bytes((item.bit_length() + 7) // 8, "big")
    return [_normalize(x) for x in item]


@pytest.mark.parametrize(("item", "encoded"), ENCODINGS)
def test_decode_roundtrip(item: rlp.Encodable, encoded: str) -> None:
    assert rlp.decode(bytes.fromhex(encoded)) == _normalize(item)


@pytest.mark.parametrize("bad", [-1, True, "text", None, 1.5, [1, "x"]])
def test_encode_rejects(bad: object) -> None:
    with pytest.raises(rlp.RLPEncodingError):
        rlp.encode(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("hex_input", "message"),
    [
        ("", "empty input"),
        ("8100", "single byte 0x00 < 0x80"),
        ("817f", "single byte 0x7f < 0x80"),
        ("b800", "leading zero"),
        ("b801ff", "long form used for length 1"),
        ("b90001" + "00", "leading zero"),
        ("f800", "leading zero"),
        ("f803616263", "long form used for length 3"),
        ("83646f", "input ends early"),
        ("b9ffff", "input ends early"),
        ("b9", "runs past the end"),
        ("c3646f", "input ends early"),
        ("83646f6700", "1 trailing byte"),
        ("c0c0", "1 trailing byte"),
        ("c28364", "input ends early"),
        ("c2c3c0c0c0", "runs past the end of the list"),
    ],
)
def test_decode_rejects_non_canonical(hex_input: str, message: str) -> None:
    with pytest.raises(rlp.RLPDecodingError, match=message):
        rlp.decode(bytes.fromhex(hex_input))


def test_decode_uint() -> None:
    assert rlp.decode_uint(rlp.decode(bytes.fromhex("820400"))) == 1024
    assert rlp.decode_uint(rlp.decode(bytes.fromhex("80"))) == 0
    with pytest.raises(rlp.RLPDecodingError, match="leading zero"):
        rlp.decode_uint(rlp.decode(bytes.fromhex("820004")))
    with pytest.raises(rlp.RLPDecodingError, match="got a list"):
        rlp.decode_uint(rlp.decode(bytes.fromhex("c0")))


def test_decode_legacy_txbytes() -> None:
    [t] = load_fixture_file(GST / "stExample" / "add11.json")
    tx = rlp.decode(t.post["Cancun"][0].txbytes)
    assert isinstance(tx, list) and len(tx) == 9
    assert tx[3] == bytes.fromhex("095e7baea6a6c7c4c2dfeb977efac326af552d87")
    assert rlp.decode_uint(tx[4]) == 100000
    assert rlp.encode(tx) == t.post["Cancun"][0].txbytes


# ----------------------------------------------------------------------------- trie


def test_empty_roots() -> None:
    assert (
        EMPTY_TRIE_ROOT.hex() == "56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421"
    )
    assert trie_root({}) == EMPTY_TRIE_ROOT
    assert trie_root({b"k": b""}) == EMPTY_TRIE_ROOT
    assert storage_root({}) == EMPTY_TRIE_ROOT
    assert storage_root({1: 0, 2: 0}) == EMPTY_TRIE_ROOT
    assert state_root({}) == EMPTY_TRIE_ROOT


@pytest.mark.parametrize(
    ("items", "root"),
    [
        # Known roots of the ethereum/tests trie tests ("dogs", "puppy", "foo").
        (
            {b"doe": b"reindeer", b"dog": b"puppy", b"dogglesworth": b"cat"},
            "8aad789dff2f538bca5d8ea56e8abe10f4c7ba3a5dea95fea4cd6e7c3a1168d3",
        ),
        (
            {b"do": b"verb", b"horse": b"stallion", b"doge": b"coin", b"dog": b"puppy"},
            "5991bb8c6514148a29db676a14ac506cd2cd5775ace63c30a4fe457715e9ac84",
        ),
        (
            {b"foo": b"bar", b"food": b"bass"},
            "17beaa1648bafa633cda809c90c04af50fc8aed3cb40d16efbddee6fdf63c4c3",
        ),
    ],
)
def test_trie_known_roots(items: dict[bytes, bytes], root: str) -> None:
    assert trie_root(items).hex() == root
    # Empty values are omitted.
    assert trie_root({**items, b"zzz": b""}).hex() == root


def test_storage_root_ignores_zero_values() -> None:
    assert storage_root({1: 5, 2: 0}) == storage_root({1: 5})
    assert storage_root({1: 5}) != storage_root({1: 6})


def test_logs_hash_matches_fixtures() -> None:
    assert logs_hash([]).hex() == "1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347"
    # stLogTests/log0_emptyMem: LOG0 with empty data from 0x0f57...
    address = 0x0F572E5295C57F15886F9B263E2F6D2D6C7B5EC6
    assert logs_hash([(address, [], b"")]).hex() == (
        "ea63b4dbbdbca1bd985580a0c3b6f35a4955d4d4cf0b4d903003cdfc4c40ba1c"
    )
    # stLogTests/log1_MaxTopic: LOG1 of 32 bytes of memory with topic 2**256-1.
    data = bytes.fromhex("aabb" + "ff" * 28 + "ccdd")
    assert logs_hash([(address, [2**256 - 1], data)]).hex() == (
        "390a7f435e94b10f36ab57ca7106029629ee62569ed1bc309de88acc3ddfd954"
    )


def _pre_root(test: StateTest) -> bytes:
    return state_root(
        {
            addr: (acc.nonce, acc.balance, storage_root(acc.storage), keccak256(acc.code))
            for addr, acc in test.pre.items()
        }
    )


def _invalid_tx_vectors(folders: list[str]) -> int:
    checked = 0
    for f in iter_fixture_files([GST / d for d in folders]):
        for test in load_fixture_file(f):
            vectors = [v for v in iter_vectors(test) if v.entry.expect_exception]
            if not vectors:
                continue
            root = _pre_root(test)
            for v in vectors:
                assert v.entry.state_root == root, v.id
                checked += 1
    return checked


def test_pre_state_root_equals_post_root_of_invalid_transactions() -> None:
    folders = [
        "stExample",
        "stEIP1559",
        "stEIP3607",
        "stTransactionTest",
        "stEIP2930",
        "Cancun/stEIP4844-blobtransactions",
        "stCreate2",
        "stSStoreTest",
    ]
    assert _invalid_tx_vectors(folders) >= 50


@pytest.mark.fixtures_full
def test_pre_state_root_all_fixtures() -> None:
    assert _invalid_tx_vectors(["."]) >= 1000
