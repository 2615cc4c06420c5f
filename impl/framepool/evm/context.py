"""Execution context objects shared by the opcodes and the interpreter loop.

``Env`` holds what is fixed for one transaction (block + transaction context, the state, the
frame pool). ``EvmFrame`` is one call frame's execution context, and it is the pooled frame
itself: the VM's manager is built with ``frame_class=EvmFrame``.
"""

from __future__ import annotations

from collections.abc import Container, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from framepool.evm.state import State
from framepool.frame import PooledFrame
from framepool_spec.config import FrameType
from framepool_spec.model import FRESH_PAYLOAD

if TYPE_CHECKING:
    from framepool.evm.trace import Tracer
    from framepool.evm.rules import ForkRules
    from framepool.pool import FramePool

__all__ = [
    "STATUS_ERROR",
    "STATUS_REVERT",
    "STATUS_SUCCESS",
    "Env",
    "EvmFrame",
    "ExceptionalHalt",
    "Halt",
    "InvalidJump",
    "InvalidOpcode",
    "OutOfGas",
    "ReturnDataOutOfBounds",
    "StackOverflow",
    "Suspend",
    "WriteInStaticContext",
]

STATUS_SUCCESS = 0
STATUS_REVERT = 1
STATUS_ERROR = 2


class Halt(Exception):
    """STOP / RETURN / REVERT / SELFDESTRUCT ended the frame normally; ``EvmFrame.status`` says which."""


class Suspend(Exception):
    """A CALL*/CREATE* opcode started a child frame (the suspended frame's only child)."""


class ExceptionalHalt(Exception):
    """The frame halts exceptionally: all its gas is consumed and its changes are undone."""


class OutOfGas(ExceptionalHalt):
    pass


class StackOverflow(ExceptionalHalt):
    pass


class StackUnderflow(ExceptionalHalt):
    pass


class InvalidJump(ExceptionalHalt):
    pass


class InvalidOpcode(ExceptionalHalt):
    pass


class WriteInStaticContext(ExceptionalHalt):
    pass


class ReturnDataOutOfBounds(ExceptionalHalt):
    pass


class InvalidContractPrefix(ExceptionalHalt):
    pass


class Env:
    """Block + transaction context for one transaction, and the rules of its block's fork."""

    __slots__ = (
        "base_fee",
        "blob_base_fee",
        "blob_hashes",
        "block_hashes",
        "chain_id",
        "coinbase",
        "gas_limit",
        "gas_price",
        "manager",
        "number",
        "origin",
        "prev_randao",
        "rules",
        "state",
        "timestamp",
        "tracer",
    )

    def __init__(
        self,
        state: State,
        *,
        coinbase: int,
        number: int,
        timestamp: int,
        gas_limit: int,
        prev_randao: int,
        base_fee: int,
        chain_id: int,
        blob_base_fee: int,
        origin: int,
        gas_price: int,
        blob_hashes: tuple[int, ...],
        manager: Any,
        rules: ForkRules,
        block_hashes: dict[int, int] | None = None,
        tracer: Tracer | None = None,
    ) -> None:
        self.state = state
        self.coinbase = coinbase
        self.number = number
        self.timestamp = timestamp
        self.gas_limit = gas_limit
        self.prev_randao = prev_randao
        self.base_fee = base_fee
        self.chain_id = chain_id
        self.blob_base_fee = blob_base_fee
        self.origin = origin
        self.gas_price = gas_price
        self.blob_hashes = blob_hashes
        self.manager = manager
        self.block_hashes: dict[int, int] = block_hashes if block_hashes is not None else {}
        self.tracer = tracer  # None: the plain loop runs (see interpreter.execute)
        self.rules = rules  # the fork's tables: instructions, precompiles, code resolution


_EVM_FIELDS: dict[str, object] = {
    "env": None,
    "caller": 0,
    "address": 0,
    "code_address": 0,
    "value": 0,
    "calldata": b"",
    "raw_code": b"",
    "code_hash": None,
    "code": b"",
    "code_size": 0,
    "jumpdests": frozenset(),
    "blockgas": (),
    "fallgas": (),
    "is_static": False,
    "is_create": False,
    "transfer": False,
    "ret_off": 0,
    "ret_size": 0,
    "pc": 0,
    "output": b"",
    "status": STATUS_SUCCESS,
    "snapshot": 0,
}


class EvmFrame(PooledFrame):
    """A pooled frame that *is* the execution context of one message call, creation or
    precompile run: the pool hands it out, ``begin`` fills in the message, the opcodes run
    on it, and the pool's ``reset`` on release makes every field fresh again. So a CALL that
    hits the pool allocates no object for its frame.

    From the pool it has ``stack``, ``memory``, ``gas``, ``return_data``, ``parent`` (the
    calling frame), ``children`` (while suspended, the one running child) and ``depth`` (the
    call depth: 0 for a transaction's outermost frame).
    """

    __slots__ = tuple(_EVM_FIELDS)

    payload_fields: ClassVar[Mapping[str, object]] = {**FRESH_PAYLOAD, **_EVM_FIELDS}

    def __init__(self, frame_type: FrameType, pool: FramePool, now: int) -> None:
        super().__init__(frame_type, pool, now)
        self._clear_message()

    def reset(self) -> None:
        # PooledFrame.reset's fields, inlined: this runs on every release.
        self.stack.clear()
        del self.memory[:]
        self.gas = 0
        self.contract = None
        self.return_data = b""
        self._clear_message()

    def _clear_message(self) -> None:
        # One assignment per field of _EVM_FIELDS (a loop over setattr costs several times
        # more, and this runs on every release).
        self.env: Env = None  # type: ignore[assignment]  # an idle frame belongs to no transaction
        self.caller = 0
        self.address = 0
        self.code_address = 0
        self.value = 0
        self.calldata = b""
        self.raw_code = b""
        self.code_hash: bytes | None = None
        self.code = b""
        self.code_size = 0
        self.jumpdests: Container[int] = frozenset()
        self.blockgas: Sequence[int] = ()
        self.fallgas: Sequence[int] = ()
        self.is_static = False
        self.is_create = False
        self.transfer = False
        self.ret_off = 0
        self.ret_size = 0
        self.pc = 0
        self.output = b""
        self.status = STATUS_SUCCESS
        self.snapshot = 0

    def begin(
        self,
        env: Env,
        caller: int,
        address: int,
        code_address: int,
        value: int,
        calldata: bytes,
        code: bytes,
        code_hash: bytes | None,
        gas: int,
        is_static: bool,
        is_create: bool,
        transfer: bool,
        ret_off: int = 0,
        ret_size: int = 0,
    ) -> None:
        """Fill in the message this frame runs (positional: called for every message)."""
        self.env = env
        self.caller = caller
        self.address = address
        self.code_address = code_address
        self.value = value
        self.calldata = calldata
        self.raw_code = code
        self.code_hash = code_hash
        self.code_size = len(code)
        self.gas = gas
        self.is_static = is_static
        self.is_create = is_create
        self.transfer = transfer
        self.ret_off = ret_off
        self.ret_size = ret_size
