"""Fill state-test *fillers* with the execution spec into state-test fixtures.

A filler (``tests/fixtures/fillers/*Filler.yml``) is written the way ethereum/tests writes
them: per test a pre-state, a transaction template (``data``, ``gasLimit`` and ``value`` lists),
the forks to fill for, and ``expect`` sections saying what must come out::

    clzEdges:
      _info: {comment: "..."}
      forks: [Osaka]
      env: {...}                 # optional; DEFAULT_ENV fills the gaps
      pre:
        "0x1000...": {balance: 0, code: ":asm PUSH0 CALLDATALOAD CLZ PUSH0 SSTORE", storage: {}}
      transaction:
        data: [":label zero 0x", ":label one 0x...01"]
        gasLimit: [100000]
        value: [0]
        to: "0x1000..."
        secretKey: "0x45a9..."
        maxFeePerGas: 10
        maxPriorityFeePerGas: 1
        authorizationList:       # optional (type 4); each entry signed by `signer` unless v/r/s given
          - {chainId: 1, address: "0x...", nonce: 0, signer: "0x<secret key>"}
      expect:
        - indexes: {data: ":label zero", gas: -1, value: -1}
          network: [Osaka]         # optional: the filler's forks
          result:
            "0x1000...": {storage: {"0x00": 256}}
        - indexes: {data: [1], gas: -1, value: -1}
          expectException: TransactionException.INTRINSIC_GAS_TOO_LOW

An ``env`` with ``parentExcessBlobGas`` (and ``parentBlobGasUsed``, ``parentBaseFee``) and no
``currentExcessBlobGas`` has the latter computed by the spec and written into the fixture.
Numbers may be YAML integers or hex strings.  Code is ``":asm ..."`` (``framepool.evm.asm``),
``":raw 0x..."`` or plain hex.  Every vector (each fork x data x gas x value) must be covered by
at least one ``expect`` section, and every section that covers it must hold on the spec's
result: a filler's expectations are checked, not copied from the spec.  ``result`` checks only
what it names (``storage`` keys, ``balance``, ``nonce``, ``code``, ``shouldnotexist``).

``python -m framepool.evm.fill [FILLER...] [--out DIR] [--check]`` fills every filler (default:
all of ``tests/fixtures/fillers``) into ``tests/fixtures/state/<name>.json``; ``--check`` only
compares with the files there.  Exit 1 if an expectation fails or (``--check``) a fixture is
stale, 2 for bad usage or a malformed filler (the others are still filled).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import yaml

from framepool.evm.asm import AssemblyError, assemble
from framepool.evm.forks import Fork
from framepool.evm.hashing import keccak256
from framepool.evm.rlp import encode as rlp_encode
from framepool.evm.transaction import sender_from_secret

__all__ = [
    "DEFAULT_ENV",
    "FillError",
    "fill_filler",
    "fill_test",
    "fillers_dir",
    "main",
    "state_dir",
]

DEFAULT_ENV: dict[str, Any] = {
    "currentCoinbase": "0x2adc25665018aa1fe0e6bc666dac8fc2697ff9ba",
    "currentGasLimit": 0x05F5E100,  # 100,000,000
    "currentNumber": 1,
    "currentTimestamp": 1000,
    "currentDifficulty": 0,
    "currentRandom": "0x" + "00" * 31 + "01",
    "currentBaseFee": 7,
    "currentExcessBlobGas": 0,
}
CHAIN_ID = 1
_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


class FillError(ValueError):
    """A filler is malformed; the message names file, test and place."""


class ExpectationFailed(FillError):
    """The spec's outcome contradicts one of the filler's ``expect`` sections."""


# --------------------------------------------------------------------------- value readers


def _num(value: object, where: str) -> int:
    if isinstance(value, bool):
        raise FillError(f"{where}: expected a number, got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise FillError(f"{where}: negative number {value}")
        return value
    if isinstance(value, str):
        try:
            return int(value, 16) if value.lower().startswith("0x") else int(value)
        except ValueError:
            pass
    raise FillError(f"{where}: expected a number, got {value!r}")


def _hex(n: int) -> str:
    return hex(n)


def _bytes(value: object, where: str) -> bytes:
    """Code or data: ``:asm ...``, ``:raw 0x...`` or ``0x...``."""
    if not isinstance(value, str):
        raise FillError(f"{where}: expected a string, got {value!r}")
    text = value.strip()
    if text.startswith(":asm"):
        try:
            return assemble(text[4:])
        except AssemblyError as exc:
            raise FillError(f"{where}: {exc}") from None
    if text.startswith(":raw"):
        text = text[4:].strip()
    if not text.startswith("0x"):
        raise FillError(f"{where}: expected :asm, :raw or 0x-hex, got {value!r}")
    try:
        return bytes.fromhex(text[2:].replace(" ", "").replace("\n", ""))
    except ValueError:
        raise FillError(f"{where}: bad hex in {value!r}") from None


def _address(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.startswith("0x") or len(value) != 42:
        raise FillError(f"{where}: expected a 20-byte 0x address, got {value!r}")
    return value.lower()


def _obj(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FillError(f"{where}: expected a mapping, got {type(value).__name__}")
    return value


def _lst(value: object, where: str) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise FillError(f"{where}: expected a non-empty list")
    return value


def _label_split(value: object, where: str) -> tuple[str | None, object]:
    """``":label NAME rest"`` -> (NAME, rest); anything else -> (None, value)."""
    if isinstance(value, str) and value.startswith(":label"):
        parts = value.split(None, 2)
        if len(parts) < 2:
            raise FillError(f"{where}: :label needs a name")
        return parts[1], (parts[2] if len(parts) > 2 else "0x")
    return None, value


# --------------------------------------------------------------------------- the filler's parts


def _pre(raw: object, where: str) -> dict[str, Any]:
    pre: dict[str, Any] = {}
    for addr_raw, acc_raw in _obj(raw, where).items():
        addr = _address(addr_raw, f"{where}[{addr_raw}]")
        ap = f"{where}[{addr}]"
        acc = _obj(acc_raw, ap)
        unknown = set(acc) - {"balance", "nonce", "code", "storage"}
        if unknown:
            raise FillError(f"{ap}: unknown field(s) {sorted(unknown)}")
        storage = {
            "0x{:064x}".format(_num(k, f"{ap}.storage")): _hex(_num(v, f"{ap}.storage[{k}]"))
            for k, v in _obj(acc.get("storage", {}), f"{ap}.storage").items()
        }
        pre[addr] = {
            "balance": _hex(_num(acc.get("balance", 0), f"{ap}.balance")),
            "code": "0x" + _bytes(acc.get("code", "0x"), f"{ap}.code").hex(),
            "nonce": _hex(_num(acc.get("nonce", 0), f"{ap}.nonce")),
            "storage": storage,
        }
    return pre


def _sign_authorization(entry: Mapping[str, Any], where: str) -> dict[str, str]:
    """An EIP-7702 authorization tuple, signed by ``signer`` unless ``v``/``r``/``s`` are given."""
    from coincurve import PrivateKey

    chain_id = _num(entry.get("chainId", CHAIN_ID), f"{where}.chainId")
    address = _address(entry.get("address"), f"{where}.address")
    nonce = _num(entry.get("nonce", 0), f"{where}.nonce")
    out = {"chainId": _hex(chain_id), "address": address, "nonce": _hex(nonce)}
    if "signer" in entry:
        key = _bytes(entry["signer"], f"{where}.signer")
        message = keccak256(b"\x05" + rlp_encode([chain_id, bytes.fromhex(address[2:]), nonce]))
        sig = PrivateKey(key).sign_recoverable(message, hasher=None)
        r, s, v = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:64], "big"), sig[64]
        out["signer"] = f"0x{sender_from_secret(key):040x}"
    else:
        r = s = v = -1
    # Explicit v/r/s override the signature (the invalid-signature cases).
    if "v" in entry:
        v = _num(entry["v"], f"{where}.v")
    if "r" in entry:
        r = _num(entry["r"], f"{where}.r")
    if "s" in entry:
        s = _num(entry["s"], f"{where}.s")
    if min(v, r, s) < 0:
        raise FillError(f"{where}: give signer, or all of v, r and s")
    out.update({"v": _hex(v), "r": _hex(r), "s": _hex(s)})
    return out


@dataclass
class _Template:
    json: dict[str, Any]
    labels: dict[str, dict[str, list[int]]]


def _transaction(raw: object, where: str) -> _Template:
    tx = _obj(raw, where)
    out: dict[str, Any] = {}
    labels: dict[str, dict[str, list[int]]] = {"data": {}, "gas": {}, "value": {}}
    data: list[str] = []
    for i, item in enumerate(_lst(tx.get("data"), f"{where}.data")):
        label, rest = _label_split(item, f"{where}.data[{i}]")
        if label is not None:
            labels["data"].setdefault(label, []).append(i)
        data.append("0x" + _bytes(rest, f"{where}.data[{i}]").hex())
    out["data"] = data
    for key, kind in (("gasLimit", "gas"), ("value", "value")):
        numbers: list[str] = []
        for i, item in enumerate(_lst(tx.get(key), f"{where}.{key}")):
            label, rest = _label_split(item, f"{where}.{key}[{i}]")
            if label is not None:
                labels[kind].setdefault(label, []).append(i)
            numbers.append(_hex(_num(rest, f"{where}.{key}[{i}]")))
        out[key] = numbers
    out["nonce"] = _hex(_num(tx.get("nonce", 0), f"{where}.nonce"))
    to = tx.get("to", "")
    out["to"] = "" if to == "" else _address(to, f"{where}.to")
    secret = _bytes(tx.get("secretKey"), f"{where}.secretKey")
    if len(secret) != 32:
        raise FillError(f"{where}.secretKey: expected 32 bytes")
    out["secretKey"] = "0x" + secret.hex()
    out["sender"] = f"0x{sender_from_secret(secret):040x}"
    for field in ("gasPrice", "maxFeePerGas", "maxPriorityFeePerGas", "maxFeePerBlobGas"):
        if field in tx:
            out[field] = _hex(_num(tx[field], f"{where}.{field}"))
    if "blobVersionedHashes" in tx:
        out["blobVersionedHashes"] = [
            "0x" + _bytes(h, f"{where}.blobVersionedHashes[{i}]").hex()
            for i, h in enumerate(_lst(tx["blobVersionedHashes"], f"{where}.blobVersionedHashes"))
        ]
    if "accessLists" in tx:
        out["accessLists"] = tx["accessLists"]
    if "authorizationList" in tx:
        raw_list = tx["authorizationList"]
        if not isinstance(raw_list, list):
            raise FillError(f"{where}.authorizationList: expected a list")
        out["authorizationList"] = [
            _sign_authorization(_obj(e, f"{where}.authorizationList[{i}]"), f"{where}.authorizationList[{i}]")
            for i, e in enumerate(raw_list)
        ]
    unknown = set(tx) - set(out) - {"gasLimit", "data", "value", "secretKey"}
    if unknown:
        raise FillError(f"{where}: unknown field(s) {sorted(unknown)}")
    return _Template(out, labels)


def _env(raw: object, where: str) -> dict[str, Any]:
    given = _obj(raw if raw is not None else {}, where)
    env = dict(DEFAULT_ENV)
    if "parentExcessBlobGas" in given:
        del env["currentExcessBlobGas"]  # the spec computes it from the parent's fields
    env.update(given)
    out: dict[str, Any] = {}
    for key, value in env.items():
        if key == "currentCoinbase":
            out[key] = _address(value, f"{where}.{key}")
        elif key == "currentRandom":
            out[key] = "0x{:064x}".format(_num(value, f"{where}.{key}"))
        else:
            out[key] = _hex(_num(value, f"{where}.{key}"))
    return out


def _forks(raw: object, where: str) -> list[Fork]:
    try:
        return [Fork.from_name(str(f)) for f in _lst(raw, where)]
    except ValueError as exc:
        raise FillError(f"{where}: {exc}") from None


def _index_set(raw: object, kind: str, template: _Template, count: int, where: str) -> set[int]:
    """An ``indexes`` entry: -1 (all), an index, a ``:label NAME``, or a list of those."""
    items = raw if isinstance(raw, list) else [raw]
    chosen: set[int] = set()
    for item in items:
        if item == -1:
            chosen.update(range(count))
        elif isinstance(item, str) and item.startswith(":label"):
            name = item.split(None, 1)[1].strip() if len(item.split(None, 1)) > 1 else ""
            if name not in template.labels[kind]:
                raise FillError(f"{where}: no {kind} entry has label {name!r}")
            chosen.update(template.labels[kind][name])
        else:
            n = _num(item, where)
            if n >= count:
                raise FillError(f"{where}: index {n} out of range ({count} {kind} entries)")
            chosen.add(n)
    return chosen


@dataclass
class _Expect:
    where: str
    data: set[int]
    gas: set[int]
    value: set[int]
    forks: set[Fork]
    exception: str | None
    result: dict[str, dict[str, Any]]


def _expects(raw: object, template: _Template, forks: list[Fork], where: str) -> list[_Expect]:
    tx = template.json
    out: list[_Expect] = []
    for i, item in enumerate(_lst(raw, where)):
        ep = f"{where}[{i}]"
        e = _obj(item, ep)
        idx = _obj(e.get("indexes", {"data": -1, "gas": -1, "value": -1}), f"{ep}.indexes")
        exc = e.get("expectException")
        if exc is not None and not (isinstance(exc, str) and exc.startswith("TransactionException.")):
            raise FillError(f"{ep}.expectException: expected 'TransactionException.NAME', got {exc!r}")
        out.append(
            _Expect(
                where=f"expect[{i}]",
                data=_index_set(idx.get("data", -1), "data", template, len(tx["data"]), f"{ep}.indexes.data"),
                gas=_index_set(idx.get("gas", -1), "gas", template, len(tx["gasLimit"]), f"{ep}.indexes.gas"),
                value=_index_set(idx.get("value", -1), "value", template, len(tx["value"]), f"{ep}.indexes.value"),
                forks=set(_forks(e["network"], f"{ep}.network")) if "network" in e else set(forks),
                exception=exc,
                result={
                    _address(a, f"{ep}.result"): _obj(r, f"{ep}.result[{a}]")
                    for a, r in _obj(e.get("result", {}), f"{ep}.result").items()
                },
            )
        )
    return out


def _check_result(expect: _Expect, alloc: Mapping[str, Any], where: str) -> list[str]:
    problems: list[str] = []
    for addr, want in expect.result.items():
        have = alloc.get(addr)
        if want.get("shouldnotexist"):
            if have is not None:
                problems.append(f"{addr} should not exist")
            continue
        have = have or {}
        for field in ("balance", "nonce"):
            if field in want:
                got = int(have.get(field, "0x0"), 16)
                exp = _num(want[field], f"{where}.{addr}.{field}")
                if got != exp:
                    problems.append(f"{addr}.{field} is {got:#x}, expected {exp:#x}")
        if "code" in want:
            got_code = bytes.fromhex(have.get("code", "0x")[2:])
            exp_code = _bytes(want["code"], f"{where}.{addr}.code")
            if got_code != exp_code:
                problems.append(f"{addr}.code is 0x{got_code.hex()}, expected 0x{exp_code.hex()}")
        have_storage = {int(k, 16): int(v, 16) for k, v in have.get("storage", {}).items()}
        for key, value in _obj(want.get("storage", {}), f"{where}.{addr}.storage").items():
            k = _num(key, f"{where}.{addr}.storage")
            exp = _num(value, f"{where}.{addr}.storage[{key}]")
            got = have_storage.get(k, 0)
            if got != exp:
                problems.append(f"{addr}.storage[{k:#x}] is {got:#x}, expected {exp:#x}")
    return problems


# --------------------------------------------------------------------------- filling


def _vectors(tx: Mapping[str, Any]) -> Iterator[tuple[int, int, int]]:
    for d in range(len(tx["data"])):
        for g in range(len(tx["gasLimit"])):
            for v in range(len(tx["value"])):
                yield d, g, v


def _concrete(tx: Mapping[str, Any], d: int, g: int, v: int) -> dict[str, Any]:
    out = {k: val for k, val in tx.items() if k not in ("data", "gasLimit", "value", "accessLists")}
    out["data"] = tx["data"][d]
    out["gasLimit"] = tx["gasLimit"][g]
    out["value"] = tx["value"][v]
    if "accessLists" in tx and tx["accessLists"][d] is not None:
        out["accessList"] = tx["accessLists"][d]
    return out


def fill_test(name: str, raw: object, source: str) -> dict[str, Any]:
    """Fill one test of a filler (``raw`` its parsed YAML) into a state-test fixture object."""
    from framepool.evm.reference import TX_EXCEPTIONS, run_reference

    where = f"{source}: {name}"
    t = _obj(raw, where)
    unknown = set(t) - {"_info", "forks", "env", "pre", "transaction", "expect"}
    if unknown:
        raise FillError(f"{where}: unknown field(s) {sorted(unknown)}")
    forks = _forks(t.get("forks"), f"{where}.forks")
    env = _env(t.get("env"), f"{where}.env")
    pre = _pre(t.get("pre"), f"{where}.pre")
    template = _transaction(t.get("transaction"), f"{where}.transaction")
    expects = _expects(t.get("expect"), template, forks, f"{where}.expect")
    tx = template.json
    spec_env = dict(env)
    post: dict[str, list[dict[str, Any]]] = {}
    for fork in forks:
        entries: list[dict[str, Any]] = []
        for d, g, v in _vectors(tx):
            vw = f"{where} [{fork.title} data={d} gas={g} value={v}]"
            matching = [e for e in expects if fork in e.forks and d in e.data and g in e.gas and v in e.value]
            if not matching:
                raise FillError(f"{vw}: no expect section covers this vector")
            outcome = run_reference(fork, spec_env, pre, _concrete(tx, d, g, v))
            computed = _hex(outcome.excess_blob_gas)
            if env.setdefault("currentExcessBlobGas", computed) != computed:
                raise FillError(f"{vw}: the excess blob gas computed from the parent differs between forks; fill one fork per test")
            problems: list[str] = []
            for e in matching:
                if e.exception is not None:
                    wanted = e.exception.split(".", 1)[1]
                    if outcome.rejected is None:
                        problems.append(f"{e.where}: expected {e.exception}, but the spec accepted the transaction")
                    elif wanted not in TX_EXCEPTIONS.get(outcome.rejected, ()):
                        problems.append(f"{e.where}: expected {e.exception}, the spec raised {outcome.rejected}")
                elif outcome.rejected is not None:
                    problems.append(f"{e.where}: the spec rejected the transaction ({outcome.rejected})")
                problems.extend(f"{e.where}: {p}" for p in _check_result(e, outcome.alloc, e.where))
            if problems:
                raise ExpectationFailed(f"{vw}: " + "; ".join(problems))
            entry: dict[str, Any] = {
                "hash": "0x" + outcome.state_root.hex(),
                "logs": "0x" + outcome.logs_hash.hex(),
                "txbytes": "0x" + outcome.txbytes.hex(),
                "indexes": {"data": d, "gas": g, "value": v},
            }
            if outcome.rejected is not None:
                entry["expectException"] = next(e.exception for e in matching if e.exception is not None)
            entries.append(entry)
        post[fork.title] = entries
    info = _obj(t.get("_info", {}), f"{where}._info")
    return {
        "_info": {
            "comment": str(info.get("comment", "")),
            "source": source,
            "filling-tool": f"ethereum-execution {version('ethereum-execution')}",
        },
        "config": {"chainid": _hex(CHAIN_ID)},
        "env": env,
        "pre": pre,
        "transaction": tx,
        "post": post,
    }


def fill_filler(path: Path, source: str | None = None) -> dict[str, Any]:
    """Fill every test of one filler file; ``source`` names it in the fixture (default: its name)."""
    source = source or path.name
    try:
        text = path.read_text(encoding="utf-8")
        doc = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise FillError(f"{source}: cannot read filler: {exc}") from None
    tests = _obj(doc, source)
    filled = {name: fill_test(name, raw, source) for name, raw in tests.items()}
    for test in filled.values():
        test["_info"]["sourceHash"] = hashlib.sha256(text.encode()).hexdigest()
    return filled


# --------------------------------------------------------------------------- command line


def _repo() -> Path:
    for parent in Path(__file__).resolve().parents:
        if (parent / "pyproject.toml").is_file():
            return parent
    raise FillError("the fillers live in framepool's source tree; run from a checkout")


def fillers_dir() -> Path:
    return _repo() / "tests" / "fixtures" / "fillers"


def state_dir() -> Path:
    return _repo() / "tests" / "fixtures" / "state"


def _fixture_name(filler: Path) -> str:
    stem = filler.name.split(".")[0]
    return (stem.removesuffix("Filler")) + ".json"


def _source_name(filler: Path) -> str:
    """The filler's path inside the repository (its name alone if it lives elsewhere)."""
    try:
        return filler.resolve().relative_to(_repo()).as_posix()
    except ValueError:
        return filler.name


def dump_fixture(doc: Mapping[str, Any]) -> str:
    """The committed form of a fixture: indented, keys sorted, newline-terminated."""
    return json.dumps(doc, indent=1, sort_keys=True) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m framepool.evm.fill", description=__doc__.split("\n\n")[0])
    parser.add_argument("fillers", metavar="FILLER", nargs="*", help="filler files (default: tests/fixtures/fillers/*Filler.yml)")
    parser.add_argument("--out", metavar="DIR", help="where the fixtures go (default: tests/fixtures/state)")
    parser.add_argument("--check", action="store_true", help="compare with the fixtures there instead of writing")
    args = parser.parse_args(argv)
    try:
        files = [Path(f) for f in args.fillers] or sorted(fillers_dir().glob("*Filler.yml"))
        out_dir = Path(args.out) if args.out else state_dir()
    except FillError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not files:
        print("error: no fillers found", file=sys.stderr)
        return 2
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        print(f"error: no such filler: {', '.join(missing)}", file=sys.stderr)
        return 2
    stale = broken = failed = vectors = 0
    for filler in files:
        target = out_dir / _fixture_name(filler)
        try:
            text = dump_fixture(fill_filler(filler, _source_name(filler)))
        except ExpectationFailed as exc:
            failed += 1
            print(f"FAIL {exc}", file=sys.stderr)
            continue
        except FillError as exc:
            broken += 1
            print(f"BROKEN {exc}", file=sys.stderr)
            continue
        vectors += text.count('"indexes"')
        if args.check:
            if not target.is_file() or target.read_text(encoding="utf-8") != text:
                stale += 1
                print(f"STALE {target}: differs from what {filler.name} fills")
        else:
            out_dir.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            print(f"filled {target} from {filler.name}")
    print(
        f"{len(files) - broken - failed} fillers filled ({vectors} vectors), "
        f"{failed} failed their expectations, {broken} broken, {stale} stale"
    )
    if broken:
        return 2
    return 1 if failed or stale else 0


if __name__ == "__main__":
    sys.exit(main())
