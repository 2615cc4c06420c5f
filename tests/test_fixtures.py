"""Tests of the state-test fixture loader."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from framepool.evm.fixtures import (
    BlockEnv,
    FixtureError,
    FixturesNotFoundError,
    fixtures_root,
    iter_fixture_files,
    iter_vectors,
    load_fixture_file,
)

GST = fixtures_root() / "GeneralStateTests"


def test_add11_fields() -> None:
    [t] = load_fixture_file(GST / "stExample" / "add11.json")
    assert t.name == "add11"
    assert t.env == BlockEnv(
        coinbase=0x2ADC25665018AA1FE0E6BC666DAC8FC2697FF9BA,
        gas_limit=0xFF112233445566,
        number=1,
        timestamp=1000,
        difficulty=0x20000,
        base_fee=10,
        prev_randao=0x20000,
        excess_blob_gas=0,
    )
    contract = t.pre[0x095E7BAEA6A6C7C4C2DFEB977EFAC326AF552D87]
    assert contract.code == bytes.fromhex("600160010160005500")
    assert contract.balance == 10**18 and contract.nonce == 0 and contract.storage == {}
    assert t.pre[0x2ADC25665018AA1FE0E6BC666DAC8FC2697FF9BA].nonce == 1
    tx = t.tx
    assert tx.to == 0x095E7BAEA6A6C7C4C2DFEB977EFAC326AF552D87
    assert tx.sender == 0xA94F5374FCE5EDBC8E2A8697C15331677E6EBF0B
    assert tx.gas_price == 10 and tx.max_fee_per_gas is None and tx.access_lists is None
    assert tx.secret_key.hex() == "45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8"
    assert tx.data == [b""] and tx.gas_limit == [400000] and tx.value == [100000]
    [v] = list(iter_vectors(t))
    assert v.fork == "Cancun" and v.index == 0
    assert v.data == b"" and v.gas_limit == 400000 and v.value == 100000 and v.access_list is None
    assert (
        v.entry.state_root.hex()
        == "e8010ce590f401c9d61fef8ab05bea9bcec24281b795e5868809bc4e515aa530"
    )
    assert (
        v.entry.logs_hash.hex()
        == "1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347"
    )
    assert v.entry.txbytes[:3] == bytes.fromhex("f86380")
    assert v.entry.expect_exception is None
    assert v.id == "add11.json::add11[Cancun-0]"
    assert list(iter_vectors(t, "Frontier")) == []


def test_access_lists_with_legacy_entries() -> None:
    [t] = load_fixture_file(GST / "stEIP2930" / "coinbaseT01.json")
    assert t.tx.access_lists == [None, [(0xBA5E, [])], [(0xBA5A, [])]]
    by_data = {v.entry.data_index: v for v in iter_vectors(t)}
    assert by_data[0].access_list is None
    assert by_data[1].access_list == [(0xBA5E, [])]


def test_blob_transaction_fields() -> None:
    tests = load_fixture_file(
        GST / "Cancun" / "stEIP4844-blobtransactions" / "wrongBlobhashVersion.json"
    )
    blob = [t for t in tests if t.tx.blob_versioned_hashes]
    assert blob, "expected a blob transaction"
    for t in blob:
        assert t.tx.max_fee_per_blob_gas is not None
        assert all(len(h) == 32 for h in t.tx.blob_versioned_hashes or [])


def test_create_and_bigint_value() -> None:
    [t] = load_fixture_file(GST / "stTransactionTest" / "ValueOverflowParis.json")
    assert max(t.tx.value) == (1 << 256) + 1


def test_create_transaction_has_no_to() -> None:
    [t] = load_fixture_file(GST / "stTransactionTest" / "NoSrcAccountCreate.json")
    assert t.tx.to is None


def test_expect_exception() -> None:
    [t] = load_fixture_file(GST / "stExample" / "invalidTr.json")
    excs = {v.entry.expect_exception for v in iter_vectors(t)}
    assert "TransactionException.INTRINSIC_GAS_TOO_LOW" in excs


def test_one_folder_loads() -> None:
    files = list(iter_fixture_files(GST / "stExample"))
    assert len(files) == 11
    assert files == sorted(files)
    n_vectors = sum(len(list(iter_vectors(t))) for f in files for t in load_fixture_file(f))
    assert n_vectors > 11


@pytest.mark.fixtures_full
def test_all_files_load() -> None:
    files = list(iter_fixture_files(GST))
    assert len(files) == 2251
    for f in files:
        load_fixture_file(f)


def test_iter_fixture_files(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.json").write_text("{}")
    (tmp_path / "a.json").write_text("{}")
    (tmp_path / "notes.txt").write_text("")
    got = list(iter_fixture_files([tmp_path]))
    assert got == [tmp_path / "a.json", tmp_path / "b" / "z.json"]
    assert list(iter_fixture_files(tmp_path / "a.json")) == [tmp_path / "a.json"]
    with pytest.raises(FileNotFoundError):
        list(iter_fixture_files([tmp_path / "missing"]))


def test_fixtures_root_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRAMEPOOL_ETHEREUM_TESTS", str(tmp_path))
    assert fixtures_root() == tmp_path
    monkeypatch.setenv("FRAMEPOOL_ETHEREUM_TESTS", str(tmp_path / "nope"))
    with pytest.raises(FixturesNotFoundError, match="nope"):
        fixtures_root()


# ----------------------------------------------------------------------------- malformed input


def _base() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((GST / "stExample" / "add11.json").read_text())
    return doc


def _load(tmp_path: Path, doc: object, name: str = "stFoo.json") -> None:
    p = tmp_path / name
    p.write_text(json.dumps(doc))
    load_fixture_file(p)


def test_not_json(tmp_path: Path) -> None:
    p = tmp_path / "broken.json"
    p.write_text("{not json")
    with pytest.raises(FixtureError, match=r"^broken\.json: not valid JSON"):
        load_fixture_file(p)


def test_top_level_not_object(tmp_path: Path) -> None:
    with pytest.raises(FixtureError, match="expected object"):
        _load(tmp_path, [1, 2])


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FixtureError, match="cannot read file"):
        load_fixture_file(tmp_path / "absent.json")


def _mutated(path: list[str | int], value: object, delete: bool = False) -> dict[str, Any]:
    doc = copy.deepcopy(_base())
    node: Any = doc
    for key in path[:-1]:
        node = node[key]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


@pytest.mark.parametrize(
    ("path", "value", "delete", "message"),
    [
        (
            ["add11", "transaction", "gasLimit", 0],
            12,
            False,
            "stFoo.json: add11.transaction.gasLimit[0]: expected hex string, got 12",
        ),
        (
            ["add11", "transaction", "gasLimit", 0],
            "0xzz",
            False,
            "stFoo.json: add11.transaction.gasLimit[0]: expected hex string, got '0xzz'",
        ),
        (
            ["add11", "transaction", "gasLimit", 0],
            "400000",
            False,
            "stFoo.json: add11.transaction.gasLimit[0]: expected hex string, got '400000'",
        ),
        (
            ["add11", "transaction", "data", 0],
            "0xabc",
            False,
            "stFoo.json: add11.transaction.data[0]: odd number of hex digits in '0xabc'",
        ),
        (
            ["add11", "transaction", "data"],
            "0x",
            False,
            "stFoo.json: add11.transaction.data: expected list, got '0x'",
        ),
        (
            ["add11", "transaction", "value"],
            [],
            False,
            "stFoo.json: add11.transaction.value: expected a non-empty list",
        ),
        (
            ["add11", "transaction", "nonce"],
            None,
            True,
            "stFoo.json: add11.transaction: missing field 'nonce'",
        ),
        (
            ["add11", "transaction", "secretKey"],
            "0x1234",
            False,
            "stFoo.json: add11.transaction.secretKey: expected 32 bytes, got 2",
        ),
        (
            ["add11", "transaction", "to"],
            "0x" + "11" * 21,
            False,
            "stFoo.json: add11.transaction.to: address longer than 20 bytes",
        ),
        (["add11", "env"], None, True, "stFoo.json: add11: missing field 'env'"),
        (
            ["add11", "env", "currentNumber"],
            None,
            True,
            "stFoo.json: add11.env: missing field 'currentNumber'",
        ),
        (
            ["add11", "env", "currentGasLimit"],
            "0x1" + "0" * 64,
            False,
            "stFoo.json: add11.env.currentGasLimit: number exceeds 256 bits",
        ),
        (
            ["add11", "pre", "0x095e7baea6a6c7c4c2dfeb977efac326af552d87", "code"],
            5,
            False,
            "stFoo.json: add11.pre[0x095e7baea6a6c7c4c2dfeb977efac326af552d87].code: expected hex string, got 5",
        ),
        (
            ["add11", "pre", "0x095e7baea6a6c7c4c2dfeb977efac326af552d87", "storage"],
            {"0x01": 2},
            False,
            "stFoo.json: add11.pre[0x095e7baea6a6c7c4c2dfeb977efac326af552d87].storage[0x01]: expected hex string, got 2",
        ),
        (
            ["add11", "post", "Cancun", 0, "hash"],
            "0x1234",
            False,
            "stFoo.json: add11.post.Cancun[0].hash: expected 32 bytes, got 2",
        ),
        (
            ["add11", "post", "Cancun", 0, "indexes", "gas"],
            1,
            False,
            "stFoo.json: add11.post.Cancun[0].indexes.gas: index 1 out of range (transaction has 1)",
        ),
        (
            ["add11", "post", "Cancun", 0, "indexes", "data"],
            "0",
            False,
            "stFoo.json: add11.post.Cancun[0].indexes.data: expected non-negative integer, got '0'",
        ),
        (
            ["add11", "post", "Cancun", 0, "expectException"],
            3,
            False,
            "stFoo.json: add11.post.Cancun[0].expectException: expected string, got 3",
        ),
        (
            ["add11", "post", "Cancun"],
            {},
            False,
            "stFoo.json: add11.post.Cancun: expected list, got {}",
        ),
    ],
)
def test_malformed(
    tmp_path: Path, path: list[str | int], value: object, delete: bool, message: str
) -> None:
    with pytest.raises(FixtureError) as info:
        _load(tmp_path, _mutated(path, value, delete))
    assert str(info.value).startswith(message)


def test_access_list_length_mismatch(tmp_path: Path) -> None:
    doc = _base()
    doc["add11"]["transaction"]["accessLists"] = [[], []]
    with pytest.raises(FixtureError, match=r"add11\.transaction\.accessLists: expected 1 entries"):
        _load(tmp_path, doc)


def test_access_list_bad_key(tmp_path: Path) -> None:
    doc = _base()
    doc["add11"]["transaction"]["accessLists"] = [[{"address": "0x01", "storageKeys": [7]}]]
    with pytest.raises(
        FixtureError, match=r"accessLists\[0\]\[0\]\.storageKeys\[0\]: expected hex string, got 7"
    ):
        _load(tmp_path, doc)


def test_error_is_value_error() -> None:
    assert issubclass(FixtureError, ValueError)
