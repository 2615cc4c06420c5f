"""EIP-3155 instruction traces: one JSON line per executed instruction, one summary line per
transaction, in the field order and number formats geth's JSON logger prints.

How tracing stays free when it is off
-------------------------------------
The interpreter selects its frame-running function once per transaction: its plain ``_run``
when ``Env.tracer`` is None, else the function ``Tracer.start`` returns, a separate loop that
calls the *same* opcode functions from the *same* dispatch table it is handed. The plain loop
has no tracing branch at all.

Per-instruction gas
-------------------
The plain loop charges static gas per basic block (see ``instructions/common.py``), which is exact but
cannot say what one instruction cost. The traced loop charges each instruction's static gas
itself, just before calling it, and runs its frames with all-zero block tables
(``blockgas``/``fallgas``), so the opcode functions charge only their dynamic gas. The two
charging schemes give the same results (``instructions/common.py`` explains why); the traced loop's
``gas`` is the gas left before the instruction and ``gasCost`` what the instruction took
(for CALL*/CREATE* that start a frame, including the gas handed to it, as geth counts).

Line format (see the README's "Traces" section for the schema)::

    {"pc":0,"op":96,"gas":"0x2540be400","gasCost":"0x3","memSize":0,"stack":[],
     "returnData":"0x","depth":1,"refund":0,"opName":"PUSH1"}
    ... "error":"out of gas"}     # on the instruction that halts with an error
    {"output":"","gasUsed":"0x5","error":"out of gas"}   # the summary; no error on success
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TextIO

from framepool.evm.asm import OPCODES
from framepool.evm.context import (
    STATUS_ERROR,
    STATUS_REVERT,
    STATUS_SUCCESS,
    EvmFrame,
    ExceptionalHalt,
    Halt,
    InvalidJump,
    InvalidOpcode,
    OutOfGas,
    ReturnDataOutOfBounds,
    StackOverflow,
    Suspend,
    WriteInStaticContext,
)
from framepool.evm.instructions.common import MAX_CODE_SIZE

__all__ = ["RunFn", "Tracer", "op_names"]

RunFn = Callable[[EvmFrame], bool]
"""Runs a frame from its pc: True when suspended for a child frame, False when halted."""

OpFn = Callable[[EvmFrame, int], int]

_NAMES: dict[int, str] = {}
for _name, _op in OPCODES.items():
    # The first spelling wins: KECCAK256 over SHA3, PREVRANDAO over DIFFICULTY.
    _NAMES.setdefault(_op, _name)

# geth's wording, so error fields diff cleanly against geth's traces.
_ERRORS: dict[type[Exception], str] = {
    OutOfGas: "out of gas",
    StackOverflow: "stack limit reached 1024",
    InvalidJump: "invalid jump destination",
    WriteInStaticContext: "write protection",
    ReturnDataOutOfBounds: "return data out of bounds",
}
_REVERTED = "execution reverted"


def op_names(table: Sequence[OpFn]) -> list[str]:
    """Each opcode's mnemonic under ``table`` (a fork's dispatch table), or geth's wording for
    a byte the fork leaves undefined: one that runs the same function as INVALID (0xFE)."""
    invalid = table[0xFE]
    return [
        _NAMES[op]
        if op in _NAMES and (op == 0xFE or table[op] is not invalid)
        else f"opcode {op:#x} not defined"
        for op in range(256)
    ]


def _error_text(exc: Exception, name: str) -> str:
    if isinstance(exc, IndexError):  # the opcodes signal stack underflow this way
        return "stack underflow"
    if isinstance(exc, InvalidOpcode):
        return f"invalid opcode: {name}"
    return _ERRORS.get(type(exc), type(exc).__name__)


class Tracer:
    """Writes an EIP-3155 trace of every transaction run with it to ``stream``.

    Give it to ``VM.execute_transaction`` / ``VM.run_vector`` (or ``call_code``); each
    transaction that executes writes its instruction lines, then its summary line.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._root_error: str | None = None
        self._root_ran = False
        self._root_output = b""
        self._started = False

    # ------------------------------------------------------------------ the interpreter's side

    def start(self, root: EvmFrame, table: Sequence[OpFn], static_gas: Sequence[int]) -> RunFn:
        """Begin a transaction whose outermost frame is ``root``; return the traced loop,
        which dispatches through ``table`` and charges ``static_gas`` per instruction."""
        self._root_error = None
        self._root_ran = False
        self._root_output = b""
        self._started = True
        names = op_names(table)

        def run(c: EvmFrame) -> bool:
            return self._run(c, table, static_gas, names)

        return run

    def summary(self, output: bytes, gas_used: int, status: int) -> None:
        """Write the transaction's summary line: ``output``, the outermost frame's
        ``gas_used`` and, unless it succeeded, why it did not."""
        fields: dict[str, str] = {"output": output.hex(), "gasUsed": hex(gas_used)}
        if status != STATUS_SUCCESS:
            fields["error"] = self._why(status)
        self.stream.write(json.dumps(fields, separators=(",", ":")) + "\n")
        self._started = False

    def _why(self, status: int) -> str:
        if self._root_error is not None:
            return self._root_error
        if status == STATUS_REVERT:
            return _REVERTED
        assert status == STATUS_ERROR
        if not self._started:
            return "contract address collision"  # the only failure that runs no frame
        if not self._root_ran:
            return "precompile failed"
        # The outermost frame halted normally, so its creation's code was refused.
        code = self._root_output
        if code[:1] == b"\xef":
            return "invalid code: must not begin with 0xef"
        if len(code) > MAX_CODE_SIZE:
            return "max code size exceeded"
        return "contract creation code storage out of gas"

    # ------------------------------------------------------------------ the traced loop

    def _run(
        self, c: EvmFrame, table: Sequence[OpFn], static_gas: Sequence[int], names: list[str]
    ) -> bool:
        if type(c.fallgas) is not bytes:
            # First time this frame runs: per-instruction gas instead of per-block (see above).
            c.blockgas = c.fallgas = bytes(len(c.code))
        is_root = c.parent is None
        if is_root:
            self._root_ran = True
        code = c.code
        state = c.env.state
        write = self.stream.write
        depth = c.depth + 1
        pc = c.pc
        try:
            while True:
                # The line's fields before the instruction runs; gasCost goes in between.
                op = code[pc]
                gas = c.gas
                head = f'{{"pc":{pc},"op":{op},"gas":"{gas:#x}","gasCost":"'
                tail = (
                    f'","memSize":{len(c.memory)},"stack":[{_stack(c.stack)}],'
                    f'"returnData":"0x{c.return_data.hex()}","depth":{depth},'
                    f'"refund":{state.refund},"opName":"{names[op]}"'
                )
                cost = static_gas[op]
                if gas < cost:
                    raise OutOfGas
                c.gas = gas - cost
                next_pc = table[op](c, pc + 1)
                write(f"{head}{gas - c.gas:#x}{tail}}}\n")
                pc = next_pc
        except Halt:
            reverted = c.status == STATUS_REVERT
            error = f',"error":"{_REVERTED}"' if reverted else ""
            write(f"{head}{gas - c.gas:#x}{tail}{error}}}\n")
            if is_root:
                self._root_error = _REVERTED if reverted else None
                self._root_output = c.output
            return False
        except Suspend:
            write(f"{head}{gas - c.gas:#x}{tail}}}\n")
            return True
        except (ExceptionalHalt, IndexError) as exc:
            # gasCost: what the instruction had charged when it failed, at least its static gas.
            text = _error_text(exc, names[op])
            write(
                f'{head}{max(gas - c.gas, static_gas[op]):#x}{tail},"error":{json.dumps(text)}}}\n'
            )
            if is_root:
                self._root_error = text
            c.status = STATUS_ERROR
            return False


def _stack(stack: list[int]) -> str:
    return ",".join(f'"{v:#x}"' for v in stack)
