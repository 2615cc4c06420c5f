"""A differential fuzzer: random call-heavy programs run by framepool and by the execution spec.

Each program is a state test of one transaction: a handful of contracts made of random,
stack-balanced snippets (arithmetic, memory, storage, transient storage, logs, CALL /
CALLCODE / DELEGATECALL / STATICCALL into each other and into the fork's precompiles, CREATE
and CREATE2, return data, reverts, self-destructs, and the fork's own opcodes: CLZ under Osaka,
the BLS precompiles and EIP-7702 delegations under Prague and later, P-256 under Osaka).  The
spec fills it (state root, logs hash; the root covers gas, since the sender pays for every gas
unit at a non-zero price); framepool then runs the filled fixture exactly as ``framepool
statetest`` does, pool on and pool off.  A program on which they disagree is saved as a fixture.

``python -m framepool.evm.fuzz [--fork F] [--seed N] [--budget N] [--save DIR]`` (``scripts/fuzz``).
Exit 0: no divergence; 1: a divergence (saved); 2: bad usage, or the VM refuses the fork.
A program the spec itself crashes on is reported and counted apart, and the run goes on.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from framepool.evm.forks import Fork

__all__ = ["ForkRefused", "FuzzReport", "generate", "main", "run_fuzz"]

SENDER_KEY = "0x45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8"
SENDER = "0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b"
AUTHORITY_KEY = "0x" + "00" * 31 + "42"  # an EOA that delegates its code (EIP-7702)
CONTRACTS = [0xC0DE0000 + i for i in range(1, 6)]
EOA = 0xEEEE0001
ABSENT = 0xDEAD0001

_BINARY = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x0A, 0x0B, 0x10, 0x11, 0x12, 0x13, 0x14,
           0x16, 0x17, 0x18, 0x1A, 0x1B, 0x1C, 0x1D]  # fmt: skip
_UNARY = [0x15, 0x19]
_ENV = [0x30, 0x32, 0x33, 0x34, 0x36, 0x38, 0x3A, 0x3D, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46,
        0x47, 0x48, 0x4A, 0x58, 0x59, 0x5A]  # fmt: skip
_PRECOMPILES: dict[Fork, list[int]] = {
    Fork.CANCUN: list(range(1, 0x0B)),
    Fork.PRAGUE: list(range(1, 0x12)),
    Fork.OSAKA: [*range(1, 0x12), 0x100],
}
_INTERESTING = [0, 1, 2, 31, 32, 255, 256, 2**64 - 1, 2**128, 2**255, 2**256 - 1, 2**255 - 1]
# Init codes (each at most 32 bytes): deploy a 2-byte runtime, revert, store then stop, fail.
_INITCODES = [
    bytes.fromhex("6160016000526002601ef3"),  # PUSH2 0x6001 PUSH1 0 MSTORE PUSH1 2 PUSH1 30 RETURN
    bytes.fromhex("60006000fd"),  # REVERT(0, 0)
    bytes.fromhex("602a60015500"),  # SSTORE(1, 42) STOP
    bytes.fromhex("fe"),  # INVALID
    bytes.fromhex("5f5ff3"),  # RETURN(0, 0): empty runtime
]


def _push(value: int) -> bytes:
    if value == 0:
        return b"\x5f"
    width = (value.bit_length() + 7) // 8
    return bytes([0x5F + width]) + value.to_bytes(width, "big")


@dataclass
class _Gen:
    rng: random.Random
    fork: Fork

    def word(self) -> int:
        r = self.rng.random()
        if r < 0.4:
            return self.rng.choice(_INTERESTING)
        if r < 0.7:
            return self.rng.randrange(0, 64)
        return self.rng.getrandbits(self.rng.choice([8, 64, 160, 256]))

    def target(self) -> int:
        r = self.rng.random()
        if r < 0.55:
            return self.rng.choice(CONTRACTS)
        if r < 0.8:
            return self.rng.choice(_PRECOMPILES[self.fork])
        return self.rng.choice([EOA, ABSENT, int(SENDER, 16)])

    def offset(self) -> int:
        return self.rng.choice([0, 0, 32, 64, self.rng.randrange(0, 300)])

    def length(self) -> int:
        return self.rng.choice([0, 1, 32, 64, self.rng.randrange(0, 260)])

    def slot(self) -> int:
        return self.rng.randrange(0, 8)

    def store_top(self) -> bytes:
        return _push(self.slot()) + b"\x55"  # SSTORE(slot, top)

    # ---- snippets: each leaves the stack as it found it -----------------------------

    def s_sstore(self) -> bytes:
        return _push(self.word()) + self.store_top()

    def s_arith(self) -> bytes:
        r = self.rng.random()
        if r < 0.7:
            return _push(self.word()) + _push(self.word()) + bytes([self.rng.choice(_BINARY)]) + self.store_top()
        if r < 0.85:
            unary = _UNARY + ([0x1E] if self.fork >= Fork.OSAKA else [])  # CLZ from Osaka
            return _push(self.word()) + bytes([self.rng.choice(unary)]) + self.store_top()
        op = self.rng.choice([0x08, 0x09])  # ADDMOD, MULMOD
        return _push(self.word()) + _push(self.word()) + _push(self.word()) + bytes([op]) + self.store_top()

    def s_memory(self) -> bytes:
        r = self.rng.random()
        if r < 0.4:
            return _push(self.word()) + _push(self.offset()) + b"\x52"  # MSTORE
        if r < 0.55:
            return _push(self.word() & 0xFF) + _push(self.offset()) + b"\x53"  # MSTORE8
        if r < 0.75:
            return _push(self.length()) + _push(self.offset()) + _push(self.offset()) + b"\x5e"  # MCOPY
        if r < 0.9:
            return _push(self.length()) + _push(self.offset()) + b"\x20" + self.store_top()  # KECCAK256
        return _push(self.offset()) + b"\x51" + self.store_top()  # MLOAD

    def s_storage(self) -> bytes:
        r = self.rng.random()
        if r < 0.4:
            return _push(self.slot()) + b"\x54" + self.store_top()  # SLOAD -> SSTORE
        if r < 0.7:
            return _push(self.word()) + _push(self.slot()) + b"\x5d"  # TSTORE
        return _push(self.slot()) + b"\x5c" + self.store_top()  # TLOAD -> SSTORE

    def s_log(self) -> bytes:
        n = self.rng.randrange(0, 5)
        topics = b"".join(_push(self.word()) for _ in range(n))
        return topics + _push(self.length()) + _push(self.offset()) + bytes([0xA0 + n])

    def s_env(self) -> bytes:
        r = self.rng.random()
        if r < 0.6:
            return bytes([self.rng.choice(_ENV)]) + self.store_top()
        if r < 0.9:
            op = self.rng.choice([0x31, 0x3B, 0x3F])  # BALANCE, EXTCODESIZE, EXTCODEHASH
            return _push(self.target()) + bytes([op]) + self.store_top()
        # EXTCODECOPY(addr, memOff, codeOff, len)
        return _push(self.length()) + _push(self.rng.randrange(0, 40)) + _push(self.offset()) + _push(self.target()) + b"\x3c"

    def s_call(self) -> bytes:
        op = self.rng.choice([0xF1, 0xF1, 0xF2, 0xF4, 0xFA])  # CALL, CALLCODE, DELEGATECALL, STATICCALL
        gas = b"\x5a" if self.rng.random() < 0.3 else _push(self.rng.choice([0, 100, 3000, 20000, 100000]))
        args = _push(self.length()) + _push(self.offset()) + _push(self.length()) + _push(self.offset())
        value = _push(self.rng.choice([0, 0, 1, 1000])) if op in (0xF1, 0xF2) else b""
        # stack order for CALL: gas addr value argsOff argsLen retOff retLen (pushed in reverse)
        body = args + value + _push(self.target()) + gas + bytes([op])
        return body + (self.store_top() if self.rng.random() < 0.7 else b"\x50")

    def s_create(self) -> bytes:
        init = self.rng.choice(_INITCODES)
        word = int.from_bytes(init.rjust(32, b"\0"), "big")
        off = self.rng.choice([0, 64, 128])
        setup = _push(word) + _push(off) + b"\x52"  # MSTORE: the init code ends at off + 32
        start, size = off + 32 - len(init), len(init)
        value = _push(self.rng.choice([0, 0, 7]))
        if self.rng.random() < 0.5:
            call = _push(size) + _push(start) + value + b"\xf0"  # CREATE(value, start, size)
        else:
            call = _push(self.rng.randrange(0, 4)) + _push(size) + _push(start) + value + b"\xf5"  # CREATE2
        return setup + call + self.store_top()

    def s_returndata(self) -> bytes:
        r = self.rng.random()
        if r < 0.5:
            return b"\x3d" + self.store_top()  # RETURNDATASIZE
        if r < 0.9:  # RETURNDATACOPY(memOff, 0, RETURNDATASIZE): all of it
            return b"\x3d" + _push(0) + _push(self.offset()) + b"\x3e"
        # RETURNDATACOPY(memOff, dataOff, len) that may run past the data: an exceptional halt, on purpose
        return _push(self.rng.choice([1, 32])) + _push(self.rng.choice([0, 4])) + _push(self.offset()) + b"\x3e"

    def s_blob(self) -> bytes:
        return _push(self.rng.randrange(0, 2)) + b"\x49" + self.store_top()  # BLOBHASH

    def ending(self) -> bytes:
        r = self.rng.random()
        if r < 0.45:
            return b"\x00"
        if r < 0.7:
            return _push(self.length()) + _push(self.offset()) + b"\xf3"  # RETURN
        if r < 0.88:
            return _push(self.length()) + _push(self.offset()) + b"\xfd"  # REVERT
        if r < 0.95:
            return _push(self.target()) + b"\xff"  # SELFDESTRUCT
        return b"\xfe"  # INVALID

    def program(self) -> bytes:
        snippets: list[Callable[[], bytes]] = [
            self.s_sstore, self.s_arith, self.s_arith, self.s_memory, self.s_memory, self.s_storage,
            self.s_log, self.s_env, self.s_call, self.s_call, self.s_call, self.s_create,
            self.s_returndata, self.s_blob,
        ]  # fmt: skip
        code = b"".join(self.rng.choice(snippets)() for _ in range(self.rng.randrange(3, 18)))
        return code + self.ending()


def _hexnum(n: int) -> str:
    return hex(n)


def _addr(n: int) -> str:
    return f"0x{n:040x}"


def generate(rng: random.Random, fork: Fork) -> dict[str, Any]:
    """One random program as an unfilled state test (``post`` empty): env, pre, transaction."""
    g = _Gen(rng, fork)
    pre: dict[str, Any] = {
        SENDER: {"balance": _hexnum(10**18), "nonce": "0x0", "code": "0x", "storage": {}},
        _addr(EOA): {"balance": _hexnum(rng.randrange(0, 10**6)), "nonce": "0x1", "code": "0x", "storage": {}},
    }
    for addr in CONTRACTS:
        storage = {
            f"0x{g.slot():064x}": _hexnum(g.word() or 1) for _ in range(rng.randrange(0, 3))
        }
        pre[_addr(addr)] = {
            "balance": _hexnum(rng.choice([0, 10**6])),
            "nonce": "0x1",
            "code": "0x" + g.program().hex(),
            "storage": storage,
        }
    tx: dict[str, Any] = {
        "data": ["0x" + rng.randbytes(rng.choice([0, 4, 32, 68])).hex()],
        "gasLimit": [_hexnum(rng.choice([500_000, 1_000_000, 3_000_000]))],
        "value": [_hexnum(rng.choice([0, 0, 1, 10**6]))],
        "nonce": "0x0",
        "to": _addr(rng.choice(CONTRACTS)),
        "secretKey": SENDER_KEY,
        "sender": SENDER,
        "maxFeePerGas": "0xa",
        "maxPriorityFeePerGas": _hexnum(rng.choice([1, 2])),
    }
    if rng.random() < 0.2:
        tx["accessLists"] = [[{"address": _addr(rng.choice(CONTRACTS)), "storageKeys": [f"0x{g.slot():064x}"]}]]
    if fork >= Fork.PRAGUE:
        # An EOA delegated (EIP-7702) to one of the contracts, already in the pre-state.
        from framepool.evm.transaction import sender_from_secret

        authority = sender_from_secret(bytes.fromhex(AUTHORITY_KEY[2:]))
        designator = "0xef0100" + f"{rng.choice(CONTRACTS):040x}"
        pre[_addr(authority)] = {"balance": "0x0", "nonce": "0x1", "code": designator, "storage": {}}
        if rng.random() < 0.5:
            tx["to"] = _addr(authority)
    env = {
        "currentCoinbase": "0x2adc25665018aa1fe0e6bc666dac8fc2697ff9ba",
        "currentGasLimit": _hexnum(30_000_000),
        "currentNumber": "0x1",
        "currentTimestamp": "0x3e8",
        "currentDifficulty": "0x0",
        "currentRandom": f"0x{rng.getrandbits(256):064x}",
        "currentBaseFee": "0x7",
        "currentExcessBlobGas": _hexnum(rng.choice([0, 0, 10_000_000])),
    }
    return {"env": env, "pre": pre, "transaction": tx, "post": {}, "config": {"chainid": "0x1"}}


def _fill(test: dict[str, Any], fork: Fork) -> None:
    """Fill ``test``'s ``post[fork]`` with the spec's outcome."""
    from framepool.evm.reference import run_reference

    template = test["transaction"]
    tx = {k: v for k, v in template.items() if k not in ("data", "gasLimit", "value", "accessLists")}
    tx.update(data=template["data"][0], gasLimit=template["gasLimit"][0], value=template["value"][0])
    if "accessLists" in template:
        tx["accessList"] = template["accessLists"][0]
    outcome = run_reference(fork, test["env"], test["pre"], tx)
    entry: dict[str, Any] = {
        "hash": "0x" + outcome.state_root.hex(),
        "logs": "0x" + outcome.logs_hash.hex(),
        "txbytes": "0x" + outcome.txbytes.hex(),
        "indexes": {"data": 0, "gas": 0, "value": 0},
    }
    if outcome.rejected is not None:
        entry["expectException"] = "TransactionException." + outcome.rejected
    test["post"] = {fork.title: [entry]}
    test["_info"] = {"comment": f"spec gas used {outcome.gas_used}"}


class ForkRefused(RuntimeError):
    """framepool's VM does not run this fork (``framepool statetest`` refuses it)."""


def _framepool(path: Path, fork: Fork, pooled: bool) -> dict[str, Any]:
    """Run one fixture file as ``framepool statetest --json`` does; the vector's JSON result."""
    from framepool.cli import main as cli_main

    out, err = io.StringIO(), io.StringIO()
    argv = ["statetest", str(path), "--fork", fork.title, "--json"] + ([] if pooled else ["--no-pool"])
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli_main(argv)
    if code == 2:
        reason = err.getvalue().strip().removeprefix("error: ")
        raise ForkRefused(reason or f"framepool statetest exited 2 for {fork.title}")
    rows = [row for row in map(json.loads, out.getvalue().splitlines()) if "summary" not in row]
    if len(rows) != 1:
        return {"pass": False, "error": f"expected one vector, got {len(rows)}: {err.getvalue().strip()}"}
    row: dict[str, Any] = rows[0]
    return row


@dataclass
class FuzzReport:
    fork: Fork
    seed: int
    programs: int = 0
    diverged: list[str] = field(default_factory=list)
    """Paths of the saved fixtures of the programs on which framepool and the spec disagree."""
    spec_errors: list[str] = field(default_factory=list)
    """Programs the spec itself crashed on (no verdict; not counted in ``programs``)."""
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.programs / self.seconds if self.seconds else 0.0


def run_fuzz(
    fork: Fork,
    seed: int,
    budget: int,
    save_dir: Path,
    *,
    log: Callable[[str], None] = lambda line: None,
    filler: Callable[[dict[str, Any], Fork], None] = _fill,
) -> FuzzReport:
    """Run ``budget`` programs from ``seed``; each divergent one is saved under ``save_dir``.

    Program ``i`` is drawn from ``random.Random(f"{seed}:{i}")``, so any one can be replayed alone.
    Raises :class:`ForkRefused` if framepool's VM does not run ``fork``.
    """
    report = FuzzReport(fork=fork, seed=seed)
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="framepool-fuzz-") as tmp:
        for i in range(budget):
            name = f"fuzz_{fork.title}_{seed}_{i}"
            test = generate(random.Random(f"{seed}:{i}"), fork)
            try:
                filler(test, fork)
            except Exception as exc:  # noqa: BLE001 - the spec crashing on a program is a finding, not the end
                report.spec_errors.append(f"program {i}: {type(exc).__name__}: {exc}")
                log(f"SPEC ERROR program {i} (seed {seed}): the spec raised {type(exc).__name__}: {exc}")
                continue
            doc = {name: test}
            path = Path(tmp) / f"{name}.json"
            path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
            pooled = _framepool(path, fork, pooled=True)
            unpooled = _framepool(path, fork, pooled=False)
            report.programs += 1
            same = (pooled.get("stateRoot"), pooled.get("logsHash")) == (unpooled.get("stateRoot"), unpooled.get("logsHash"))
            if pooled.get("pass") and unpooled.get("pass") and same:
                continue
            save_dir.mkdir(parents=True, exist_ok=True)
            saved = save_dir / f"{name}.json"
            saved.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
            report.diverged.append(str(saved))
            why = pooled.get("error") if not pooled.get("pass") else unpooled.get("error") or "pool on and off differ"
            log(f"DIVERGED program {i} (seed {seed}): {why}; saved {saved}")
    report.seconds = time.monotonic() - start
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m framepool.evm.fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("--fork", default="Cancun", help="fork whose rules both sides run (default: Cancun)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the run (default: 0)")
    parser.add_argument("--budget", type=int, default=200, help="number of programs (default: 200)")
    parser.add_argument(
        "--save", metavar="DIR", default="fuzz-failures", help="where divergent programs go as fixtures (default: ./fuzz-failures)"
    )
    args = parser.parse_args(argv)
    try:
        fork = Fork.from_name(args.fork)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if fork < Fork.CANCUN:
        print(f"error: the fuzzer draws Cancun-and-later programs (MCOPY, TSTORE, BLOBHASH); got {fork.title}", file=sys.stderr)
        return 2
    if args.budget < 1:
        print(f"error: --budget must be at least 1, got {args.budget}", file=sys.stderr)
        return 2
    try:
        report = run_fuzz(fork, args.seed, args.budget, Path(args.save), log=print)
    except ForkRefused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"{fork.title}: {report.programs} programs, {len(report.diverged)} diverged, "
        f"{len(report.spec_errors)} the spec could not run, "
        f"{report.seconds:.1f} s ({report.rate:.1f} programs/s), seed {args.seed}"
    )
    return 1 if report.diverged else 0


if __name__ == "__main__":
    sys.exit(main())
