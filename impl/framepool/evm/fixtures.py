"""Typed loader for filled Ethereum state-test fixtures (``GeneralStateTests``).

A fixture file is a JSON object ``{testName: {_info, env, pre, transaction, post}}``.
Every field is checked while loading; anything malformed raises :class:`FixtureError`
whose message names the file and the JSON path of the offending field, e.g.::

    stFoo.json: fooTest.transaction.gasLimit[1]: expected hex string, got 12

Numbers are hex strings (``"0x0a"``; ``"0x"`` reads as zero).  One filler convention is
also accepted: ``"0x:bigint 0x..."`` marks a number that may exceed 256 bits.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

__all__ = [
    "AccessList",
    "AuthorizationList",
    "BlockEnv",
    "FixtureError",
    "FixturesNotFoundError",
    "PostEntry",
    "PreAccount",
    "StateTest",
    "TxTemplate",
    "Vector",
    "fixtures_root",
    "iter_fixture_files",
    "iter_vectors",
    "load_fixture_file",
]

AccessList = list[tuple[int, list[int]]]
"""An EIP-2930 access list: ``[(address, [storage_key, ...]), ...]``."""

AuthorizationList = list[tuple[int, int, int, int, int, int]]
"""An EIP-7702 authorization list: ``[(chain_id, address, nonce, y_parity, r, s), ...]``."""

ENV_VAR = "FRAMEPOOL_ETHEREUM_TESTS"
_HEX_RE = re.compile(r"0x[0-9a-fA-F]*")
_BIGINT_PREFIX = "0x:bigint "


class FixtureError(ValueError):
    """A fixture file is unreadable or malformed.  ``str(err)`` is ``"FILE: FIELD.PATH: problem"``."""

    def __init__(self, file: str, field_path: str, problem: str) -> None:
        self.file = file
        self.field_path = field_path
        self.problem = problem
        where = f"{file}: {field_path}" if field_path else file
        super().__init__(f"{where}: {problem}")


class FixturesNotFoundError(FileNotFoundError):
    """No ethereum-tests checkout could be located."""


# --------------------------------------------------------------------------- data model


@dataclass(frozen=True)
class BlockEnv:
    """The block context of a state test (``env``)."""

    coinbase: int
    gas_limit: int
    number: int
    timestamp: int
    difficulty: int = 0
    base_fee: int = 0
    """``currentBaseFee``; 0 when absent (only pre-London fixtures omit it)."""
    prev_randao: int = 0
    """``currentRandom``; when absent, the loader uses ``currentDifficulty``."""
    excess_blob_gas: int = 0
    """``currentExcessBlobGas``; 0 when absent (pre-Cancun fixtures)."""


@dataclass(frozen=True)
class PreAccount:
    """One account of the pre-state."""

    nonce: int
    balance: int
    code: bytes
    storage: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class TxTemplate:
    """The transaction template; ``data``/``gas_limit``/``value`` are picked by a post entry's indexes.

    ``access_lists`` is ``None`` when the fixture has no ``accessLists``; otherwise it is parallel to
    ``data`` and an entry may itself be ``None``: that data index is a legacy (type 0) transaction.
    """

    nonce: int
    gas_price: int | None
    max_fee_per_gas: int | None
    max_priority_fee_per_gas: int | None
    max_fee_per_blob_gas: int | None
    blob_versioned_hashes: list[bytes] | None
    to: int | None
    """``None`` for a contract creation (``"to": ""``)."""
    sender: int | None
    secret_key: bytes
    data: list[bytes]
    gas_limit: list[int]
    value: list[int]
    access_lists: list[AccessList | None] | None = None
    authorizations: AuthorizationList | None = None
    """``authorizationList``; ``None`` when absent (a set-code transaction carries one)."""


@dataclass(frozen=True)
class PostEntry:
    """One expected outcome in ``post[fork]``."""

    data_index: int
    gas_index: int
    value_index: int
    state_root: bytes
    logs_hash: bytes
    txbytes: bytes
    expect_exception: str | None = None


@dataclass(frozen=True)
class StateTest:
    """One named test of a fixture file."""

    name: str
    path: Path
    env: BlockEnv
    pre: dict[int, PreAccount]
    tx: TxTemplate
    post: dict[str, list[PostEntry]]


@dataclass(frozen=True)
class Vector:
    """One concrete transaction to run: ``test.post[fork][index]``."""

    test: StateTest
    fork: str
    index: int
    entry: PostEntry

    @property
    def data(self) -> bytes:
        return self.test.tx.data[self.entry.data_index]

    @property
    def gas_limit(self) -> int:
        return self.test.tx.gas_limit[self.entry.gas_index]

    @property
    def value(self) -> int:
        return self.test.tx.value[self.entry.value_index]

    @property
    def access_list(self) -> AccessList | None:
        """This vector's access list, or ``None`` if the transaction carries none (legacy type)."""
        lists = self.test.tx.access_lists
        if lists is None:
            return None
        return lists[self.entry.data_index]

    @property
    def id(self) -> str:
        """A readable identifier, e.g. ``add11.json::add11[Cancun-0]``."""
        return f"{self.test.path.name}::{self.test.name}[{self.fork}-{self.index}]"


# --------------------------------------------------------------------------- parsing helpers


class _Reader:
    """Field readers that report errors with the file name and a JSON path."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, path: str, problem: str) -> NoReturn:
        raise FixtureError(self.file, path, problem)

    def obj(self, value: object, path: str) -> dict[str, object]:
        if not isinstance(value, dict):
            self.fail(path, f"expected object, got {_show(value)}")
        return value

    def lst(self, value: object, path: str) -> list[object]:
        if not isinstance(value, list):
            self.fail(path, f"expected list, got {_show(value)}")
        return value

    def get(self, obj: Mapping[str, object], key: str, path: str) -> object:
        if key not in obj:
            self.fail(path, f"missing field {key!r}")
        return obj[key]

    def hexstr(self, value: object, path: str) -> str:
        if not isinstance(value, str):
            self.fail(path, f"expected hex string, got {_show(value)}")
        if not _HEX_RE.fullmatch(value):
            self.fail(path, f"expected hex string, got {_show(value)}")
        return value

    def num(self, value: object, path: str) -> int:
        if isinstance(value, str) and value.startswith(_BIGINT_PREFIX):
            value = value[len(_BIGINT_PREFIX) :]
        text = self.hexstr(value, path)
        return int(text, 16) if len(text) > 2 else 0

    def u256(self, value: object, path: str) -> int:
        n = self.num(value, path)
        if n >= 1 << 256:
            self.fail(path, f"number exceeds 256 bits: {_show(value)}")
        return n

    def data(self, value: object, path: str) -> bytes:
        text = self.hexstr(value, path)
        if len(text) % 2:
            self.fail(path, f"odd number of hex digits in {_show(value)}")
        return bytes.fromhex(text[2:])

    def fixed(self, value: object, path: str, size: int) -> bytes:
        raw = self.data(value, path)
        if len(raw) != size:
            self.fail(path, f"expected {size} bytes, got {len(raw)}")
        return raw

    def address(self, value: object, path: str) -> int:
        text = self.hexstr(value, path)
        if len(text) - 2 > 40:
            self.fail(path, f"address longer than 20 bytes: {_show(value)}")
        return int(text, 16) if len(text) > 2 else 0

    def index(self, value: object, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.fail(path, f"expected non-negative integer, got {_show(value)}")
        return value


def _show(value: object) -> str:
    text = repr(value) if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _parse_env(r: _Reader, raw: object, p: str) -> BlockEnv:
    env = r.obj(raw, p)

    def req(key: str) -> int:
        return r.u256(r.get(env, key, p), f"{p}.{key}")

    def opt(key: str, default: int) -> int:
        return r.u256(env[key], f"{p}.{key}") if key in env else default

    difficulty = opt("currentDifficulty", 0)
    return BlockEnv(
        coinbase=r.address(r.get(env, "currentCoinbase", p), f"{p}.currentCoinbase"),
        gas_limit=req("currentGasLimit"),
        number=req("currentNumber"),
        timestamp=req("currentTimestamp"),
        difficulty=difficulty,
        base_fee=opt("currentBaseFee", 0),
        prev_randao=opt("currentRandom", difficulty),
        excess_blob_gas=opt("currentExcessBlobGas", 0),
    )


def _parse_pre(r: _Reader, raw: object, p: str) -> dict[int, PreAccount]:
    pre: dict[int, PreAccount] = {}
    for addr_text, acc_raw in r.obj(raw, p).items():
        ap = f"{p}[{addr_text}]"
        addr = r.address(addr_text, ap)
        if addr in pre:
            r.fail(ap, "duplicate address")
        acc = r.obj(acc_raw, ap)
        storage: dict[int, int] = {}
        sp = f"{ap}.storage"
        for key_text, val in r.obj(r.get(acc, "storage", ap), sp).items():
            kp = f"{sp}[{key_text}]"
            storage[r.u256(key_text, kp)] = r.u256(val, kp)
        pre[addr] = PreAccount(
            nonce=r.u256(r.get(acc, "nonce", ap), f"{ap}.nonce"),
            balance=r.u256(r.get(acc, "balance", ap), f"{ap}.balance"),
            code=r.data(r.get(acc, "code", ap), f"{ap}.code"),
            storage=storage,
        )
    return pre


def _parse_access_list(r: _Reader, raw: object, p: str) -> AccessList:
    result: AccessList = []
    for i, item in enumerate(r.lst(raw, p)):
        ip = f"{p}[{i}]"
        entry = r.obj(item, ip)
        address = r.address(r.get(entry, "address", ip), f"{ip}.address")
        kp = f"{ip}.storageKeys"
        keys = [
            r.u256(k, f"{kp}[{j}]")
            for j, k in enumerate(r.lst(r.get(entry, "storageKeys", ip), kp))
        ]
        result.append((address, keys))
    return result


def _parse_authorizations(r: _Reader, raw: object, p: str) -> AuthorizationList:
    result: AuthorizationList = []
    for i, item in enumerate(r.lst(raw, p)):
        ip = f"{p}[{i}]"
        entry = r.obj(item, ip)
        parity_key = "v" if "v" in entry else "yParity"
        result.append(
            (
                r.u256(r.get(entry, "chainId", ip), f"{ip}.chainId"),
                r.address(r.get(entry, "address", ip), f"{ip}.address"),
                r.u256(r.get(entry, "nonce", ip), f"{ip}.nonce"),
                r.u256(r.get(entry, parity_key, ip), f"{ip}.{parity_key}"),
                r.u256(r.get(entry, "r", ip), f"{ip}.r"),
                r.u256(r.get(entry, "s", ip), f"{ip}.s"),
            )
        )
    return result


def _parse_tx(r: _Reader, raw: object, p: str) -> TxTemplate:
    tx = r.obj(raw, p)

    def opt_num(key: str) -> int | None:
        return r.u256(tx[key], f"{p}.{key}") if key in tx else None

    def arr(key: str) -> list[object]:
        items = r.lst(r.get(tx, key, p), f"{p}.{key}")
        if not items:
            r.fail(f"{p}.{key}", "expected a non-empty list")
        return items

    data = [r.data(v, f"{p}.data[{i}]") for i, v in enumerate(arr("data"))]
    # Values may exceed 256 bits on purpose (tests of an invalid RLP value); keep them as given.
    values = [r.num(v, f"{p}.value[{i}]") for i, v in enumerate(arr("value"))]
    gas_limits = [r.u256(v, f"{p}.gasLimit[{i}]") for i, v in enumerate(arr("gasLimit"))]

    access_lists: list[AccessList | None] | None = None
    if "accessLists" in tx:
        ap = f"{p}.accessLists"
        raw_lists = r.lst(tx["accessLists"], ap)
        if len(raw_lists) != len(data):
            r.fail(ap, f"expected {len(data)} entries (one per data), got {len(raw_lists)}")
        access_lists = [
            None if item is None else _parse_access_list(r, item, f"{ap}[{i}]")
            for i, item in enumerate(raw_lists)
        ]

    blob_hashes: list[bytes] | None = None
    if "blobVersionedHashes" in tx:
        bp = f"{p}.blobVersionedHashes"
        blob_hashes = [
            r.fixed(h, f"{bp}[{i}]", 32) for i, h in enumerate(r.lst(tx["blobVersionedHashes"], bp))
        ]

    authorizations: AuthorizationList | None = None
    if "authorizationList" in tx:
        authorizations = _parse_authorizations(r, tx["authorizationList"], f"{p}.authorizationList")

    to_raw = r.get(tx, "to", p)
    to = None if to_raw == "" else r.address(to_raw, f"{p}.to")
    sender = r.address(tx["sender"], f"{p}.sender") if "sender" in tx else None

    return TxTemplate(
        nonce=r.u256(r.get(tx, "nonce", p), f"{p}.nonce"),
        gas_price=opt_num("gasPrice"),
        max_fee_per_gas=opt_num("maxFeePerGas"),
        max_priority_fee_per_gas=opt_num("maxPriorityFeePerGas"),
        max_fee_per_blob_gas=opt_num("maxFeePerBlobGas"),
        blob_versioned_hashes=blob_hashes,
        to=to,
        sender=sender,
        secret_key=r.fixed(r.get(tx, "secretKey", p), f"{p}.secretKey", 32),
        data=data,
        gas_limit=gas_limits,
        value=values,
        access_lists=access_lists,
        authorizations=authorizations,
    )


def _parse_post(r: _Reader, raw: object, p: str, tx: TxTemplate) -> dict[str, list[PostEntry]]:
    post: dict[str, list[PostEntry]] = {}
    for fork, entries_raw in r.obj(raw, p).items():
        fp = f"{p}.{fork}"
        entries: list[PostEntry] = []
        for i, item in enumerate(r.lst(entries_raw, fp)):
            ep = f"{fp}[{i}]"
            entry = r.obj(item, ep)
            ip = f"{ep}.indexes"
            idx = r.obj(r.get(entry, "indexes", ep), ip)
            indexes: dict[str, int] = {}
            for key, limit in (
                ("data", len(tx.data)),
                ("gas", len(tx.gas_limit)),
                ("value", len(tx.value)),
            ):
                n = r.index(r.get(idx, key, ip), f"{ip}.{key}")
                if n >= limit:
                    r.fail(f"{ip}.{key}", f"index {n} out of range (transaction has {limit})")
                indexes[key] = n
            exc = entry.get("expectException")
            if exc is not None and not isinstance(exc, str):
                r.fail(f"{ep}.expectException", f"expected string, got {_show(exc)}")
            entries.append(
                PostEntry(
                    data_index=indexes["data"],
                    gas_index=indexes["gas"],
                    value_index=indexes["value"],
                    state_root=r.fixed(r.get(entry, "hash", ep), f"{ep}.hash", 32),
                    logs_hash=r.fixed(r.get(entry, "logs", ep), f"{ep}.logs", 32),
                    txbytes=r.data(r.get(entry, "txbytes", ep), f"{ep}.txbytes"),
                    expect_exception=exc,
                )
            )
        post[fork] = entries
    return post


MAX_JSON_DEPTH = 256
"""Fixtures nest about 8 levels deep. The limit is checked before parsing because json's C
parser recurses once per level up to ``sys.getrecursionlimit()``, which libraries may raise
(py_ecc sets it to 100,000) past what the C stack holds: a deep file would crash the process."""
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")


def _nesting_depth(text: str) -> int:
    """How deep the brackets outside string literals nest (of malformed JSON: a guess)."""
    brackets = _NOT_A_BRACKET.sub("", _JSON_STRING.sub("", text))
    depth = deepest = 0
    for char in brackets:  # only the brackets are left: two per JSON object or array
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


# --------------------------------------------------------------------------- public API


def load_fixture_file(path: str | os.PathLike[str]) -> list[StateTest]:
    """Load every test of one fixture file, in file order.  Raises :class:`FixtureError`."""
    p = Path(path)
    r = _Reader(p.name)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        r.fail("", f"cannot read file: {exc}")
    depth = _nesting_depth(text)
    if depth > MAX_JSON_DEPTH:
        r.fail("", f"not readable: JSON nested {depth} levels deep (at most {MAX_JSON_DEPTH})")
    try:
        doc: object = json.loads(text)
    except ValueError as exc:  # JSONDecodeError, or an integer literal of over 4300 digits
        r.fail("", f"not valid JSON: {exc}")
    tests: list[StateTest] = []
    for name, raw in r.obj(doc, "<top level>").items():
        t = r.obj(raw, name)
        tx = _parse_tx(r, r.get(t, "transaction", name), f"{name}.transaction")
        tests.append(
            StateTest(
                name=name,
                path=p,
                env=_parse_env(r, r.get(t, "env", name), f"{name}.env"),
                pre=_parse_pre(r, r.get(t, "pre", name), f"{name}.pre"),
                tx=tx,
                post=_parse_post(r, r.get(t, "post", name), f"{name}.post", tx),
            )
        )
    return tests


def iter_fixture_files(
    paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
) -> Iterator[Path]:
    """Yield the ``.json`` files among ``paths`` (files, or directories searched recursively), sorted.

    A path given explicitly as a file is yielded even if it does not end in ``.json``.
    Raises :class:`FileNotFoundError` for a path that does not exist.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    for item in paths:
        p = Path(item)
        if p.is_dir():
            yield from sorted(f for f in p.rglob("*.json") if f.is_file())
        elif p.is_file():
            yield p
        else:
            raise FileNotFoundError(f"no such fixture file or directory: {p}")


def iter_vectors(test: StateTest, fork: str = "Cancun") -> Iterator[Vector]:
    """Yield the vectors of ``test`` for ``fork`` (none if the test has no entry for that fork)."""
    for i, entry in enumerate(test.post.get(fork, [])):
        yield Vector(test=test, fork=fork, index=i, entry=entry)


def _repo_dir() -> Path | None:
    for parent in Path(__file__).resolve().parents:
        if (parent / "pyproject.toml").is_file():
            return parent
    return None


def fixtures_root() -> Path:
    """The ethereum-tests checkout (the folder holding ``GeneralStateTests``).

    Order: ``$FRAMEPOOL_ETHEREUM_TESTS``; ``<repo>/../shared/ethereum-tests``;
    ``/work/shared/ethereum-tests``.  Raises :class:`FixturesNotFoundError` if none exists.
    """
    env = os.environ.get(ENV_VAR)
    if env:
        root = Path(env)
        if not root.is_dir():
            raise FixturesNotFoundError(f"${ENV_VAR} points to {root}, which is not a directory")
        return root
    candidates: list[Path] = []
    repo = _repo_dir()
    if repo is not None:
        candidates.append(repo.parent / "shared" / "ethereum-tests")
    candidates.append(Path("/work/shared/ethereum-tests"))
    for c in candidates:
        if c.is_dir():
            return c
    tried = ", ".join(str(c) for c in candidates)
    raise FixturesNotFoundError(
        f"ethereum-tests fixtures not found (tried {tried}); set ${ENV_VAR}"
    )
