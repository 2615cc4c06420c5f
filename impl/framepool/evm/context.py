"""Execution context objects shared by the opcodes and the interpreter loop.

``Env`` holds what is fixed for one transaction (block + transaction context, the state, the
frame pool).  ``Ctx`` is one call frame's execution context: the interpreter binds the pooled
frame's ``stack`` (list of ints) and ``memory`` (bytearray) to it, and keeps ``gas`` and ``pc``
here while the frame runs (they are written back to the ``PooledFrame`` at suspension/halt).
"""

from __future__ import annotations

from typing import Any

from framepool.evm.state import State

__all__ = [
    "STATUS_ERROR",
    "STATUS_REVERT",
    "STATUS_SUCCESS",
    "Ctx",
    "Env",
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
    """STOP / RETURN / REVERT / SELFDESTRUCT ended the frame normally; ``Ctx.status`` says which."""


class Suspend(Exception):
    """A CALL*/CREATE* opcode prepared ``Ctx.child``; the loop switches to it."""


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
    """Block + transaction context for one transaction."""

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
        "state",
        "timestamp",
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
        block_hashes: dict[int, int] | None = None,
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


class Ctx:
    """One call frame's execution context (a message call, a creation or a precompile run)."""

    __slots__ = (
        "address",
        "blockgas",
        "calldata",
        "caller",
        "child",
        "code",
        "code_address",
        "code_hash",
        "code_size",
        "depth",
        "env",
        "fallgas",
        "frame",
        "frame_type",
        "gas",
        "is_create",
        "is_static",
        "jumpdests",
        "memory",
        "output",
        "parent",
        "pc",
        "raw_code",
        "ret_off",
        "ret_size",
        "return_data",
        "snapshot",
        "stack",
        "status",
        "transfer",
        "value",
    )

    def __init__(
        self,
        env: Env,
        *,
        caller: int,
        address: int,
        code_address: int,
        value: int,
        calldata: bytes,
        code: bytes,
        code_hash: bytes | None,
        gas: int,
        depth: int,
        is_static: bool,
        is_create: bool,
        transfer: bool,
        frame_type: int,
        parent: Ctx | None,
        ret_off: int = 0,
        ret_size: int = 0,
    ) -> None:
        self.env = env
        self.caller = caller
        self.address = address
        self.code_address = code_address
        self.value = value
        self.calldata = calldata
        self.raw_code = code
        self.code_hash = code_hash
        self.code = b""
        self.code_size = len(code)
        self.jumpdests: frozenset[int] = frozenset()
        self.blockgas: list[int] = []
        self.fallgas: list[int] = []
        self.gas = gas
        self.depth = depth
        self.is_static = is_static
        self.is_create = is_create
        self.transfer = transfer
        self.frame_type = frame_type
        self.parent = parent
        self.ret_off = ret_off
        self.ret_size = ret_size
        self.stack: list[int] = []
        self.memory: bytearray = bytearray()
        self.pc = 0
        self.return_data = b""
        self.output = b""
        self.status = STATUS_SUCCESS
        self.frame: Any = None
        self.snapshot = 0
        self.child: Ctx | None = None
