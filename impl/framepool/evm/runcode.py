"""``framepool run``: run raw bytecode as one message call on an otherwise empty state.

The code sits at the address ``"receiver"`` and is called by ``"sender"`` (the ASCII bytes as
160-bit addresses, 0x...7265636569766572 and 0x...73656e646572, the accounts geth's ``evm run``
uses, so a trace diffs against geth's), which holds 1 ether plus the call's value. The call is a
bare message, not a transaction: ``--gas`` is the gas the code gets (no intrinsic gas, no fee,
no refund), as in ``evm run``. Block: coinbase 0, number 1, timestamp 1, gas limit
max(gas, 30M), base fee 0, blob base fee 1, chain id 1.

``call_code`` is the library function, ``run_command`` the command (its options are in cli.py).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from dataclasses import dataclass
from typing import Any, cast

from framepool import FramePoolManager, PoolConfig
from framepool.evm.context import STATUS_REVERT, STATUS_SUCCESS, Env, EvmFrame
from framepool.evm.forks import Fork
from framepool.evm.interpreter import execute
from framepool.evm.rules import RULES
from framepool.evm.state import Account, State
from framepool.evm.trace import Tracer
from framepool.evm.vm import evm_manager
from framepool_spec import FrameType

__all__ = ["RECEIVER", "SENDER", "CallResult", "call_code", "run_command"]

SENDER = int.from_bytes(b"sender", "big")
RECEIVER = int.from_bytes(b"receiver", "big")
DEFAULT_GAS = 10_000_000_000
MAX_GAS = 2**64 - 1
MAX_VALUE = 2**256 - 1
_ETHER = 10**18
_STATUS_NAMES = {STATUS_SUCCESS: "success", STATUS_REVERT: "revert"}


@dataclass(frozen=True)
class CallResult:
    """What one ``call_code`` run ended with."""

    status: str
    """``success``, ``revert`` or ``error`` (an exceptional halt: all gas consumed)."""
    output: bytes
    gas_used: int

    @property
    def success(self) -> bool:
        return self.status == "success"


def call_code(
    code: bytes,
    calldata: bytes = b"",
    *,
    gas: int = DEFAULT_GAS,
    value: int = 0,
    manager: FramePoolManager,
    tracer: Tracer | None = None,
    fork: Fork = Fork.CANCUN,
) -> CallResult:
    """Call ``code`` once (see the module docstring), on frames from ``manager``, under
    ``fork``'s rules."""
    if not 0 <= gas <= MAX_GAS:
        raise ValueError(f"gas must be between 0 and 2**64-1, got {gas}")
    if not 0 <= value <= MAX_VALUE:
        raise ValueError(f"value must be between 0 and 2**256-1, got {value}")
    receiver = Account(code=code)
    state = State({SENDER: Account(balance=min(value + _ETHER, MAX_VALUE)), RECEIVER: receiver})
    state.begin_transaction()
    rules = RULES[fork]
    state.warm_addrs.update(rules.precompiles)
    state.warm_addrs.update((0, SENDER, RECEIVER))  # coinbase, sender, target start warm
    env = Env(
        state,
        coinbase=0,
        number=1,
        timestamp=1,
        gas_limit=max(gas, 30_000_000),
        prev_randao=0,
        base_fee=0,
        chain_id=1,
        blob_base_fee=1,
        origin=SENDER,
        gas_price=0,
        blob_hashes=(),
        manager=manager,
        tracer=tracer,
        rules=rules,
    )
    root = cast(EvmFrame, manager.acquire(FrameType.REGULAR))  # evm_manager's frames are EvmFrames
    root.begin(
        env,
        SENDER,
        RECEIVER,
        RECEIVER,
        value,
        calldata,
        code,
        receiver.code_hash,
        gas,
        False,
        False,
        True,
    )
    status, gas_left, output = execute(env, root)
    if tracer is not None:
        tracer.summary(output, gas - gas_left, status)
    return CallResult(_STATUS_NAMES.get(status, "error"), output, gas - gas_left)


# --------------------------------------------------------------------------- the command


class UsageError(ValueError):
    """A command-line value is unusable; the message names the option and the problem."""


def _hex(option: str, text: str) -> bytes:
    digits = text.strip()
    if digits[:2] in ("0x", "0X"):
        digits = digits[2:]
    if len(digits) % 2:
        raise UsageError(f"{option}: odd number of hex digits ({len(digits)})")
    try:
        return bytes.fromhex(digits)
    except ValueError:
        bad = next(ch for ch in digits if ch not in "0123456789abcdefABCDEF")
        raise UsageError(f"{option}: not hex: {bad!r} in {text!r}") from None


def _number(option: str, text: str, maximum: int, bound: str) -> int:
    try:
        n = int(text.strip(), 16) if text.strip()[:2] in ("0x", "0X") else int(text.strip(), 10)
    except ValueError:
        raise UsageError(f"{option}: not a decimal or 0x-hex number: {text!r}") from None
    if not 0 <= n <= maximum:
        raise UsageError(f"{option}: {text} is out of range (0 to {bound})")
    return n


def run_command(args: argparse.Namespace) -> int:
    """Run ``framepool run``; returns the exit status (0 the call succeeded, 1 it reverted or
    halted exceptionally, 2 unusable options)."""
    try:
        code = _hex("--code", args.code)
        calldata = _hex("--input", args.input)
        gas = DEFAULT_GAS if args.gas is None else _number("--gas", args.gas, MAX_GAS, "2**64-1")
        value = _number("--value", args.value, MAX_VALUE, "2**256-1")
        config = PoolConfig.disabled() if args.no_pool else PoolConfig.preset(args.preset)
        fork = Fork.from_name(args.fork)
    except ValueError as exc:  # UsageError, an unknown preset or fork
        sys.stderr.write(f"error: {exc}\n")
        return 2
    tracer = Tracer(sys.stderr) if args.trace else None
    with evm_manager(config) as manager:
        result = call_code(code, calldata, gas=gas, value=value, manager=manager, tracer=tracer, fork=fork)
        stats = manager.statistics()
    out = sys.stdout
    if args.json:
        record: dict[str, Any] = {
            "output": "0x" + result.output.hex(),
            "gasUsed": result.gas_used,
            "success": result.success,
            "status": result.status,
            "pool": {
                "acquisitions": stats.counts.acquisitions,
                "hits": stats.counts.hits,
                "misses": stats.counts.misses,
                "hitRate": stats.hit_rate,
                "classes": [dataclasses.asdict(k) for k in stats.classes if k.acquisitions],
            },
        }
        out.write(json.dumps(record) + "\n")
    else:
        out.write(f"output   0x{result.output.hex()}\n")
        out.write(f"gas used {result.gas_used} (of {gas})\n")
        out.write(f"success  {str(result.success).lower()} ({result.status})\n")
        out.write(stats.summary() + "\n")
    out.flush()
    return 0 if result.success else 1
