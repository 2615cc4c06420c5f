"""The interpreter loop and message-call machinery, running every frame on a pooled frame.

Frame-stack arrangement (no Python recursion per EVM call)
----------------------------------------------------------
``execute(env, root)`` drives *all* frames of a transaction from one Python stack frame:

* ``_run(c)`` executes opcodes of frame ``c`` until it halts (STOP/RETURN/REVERT/
  SELFDESTRUCT, or an exceptional halt) or until a CALL*/CREATE* opcode takes a child frame
  from the pool (``manager.get_or_create(type, c)``), fills in its message and raises
  ``Suspend`` (after saving ``c.pc``).
* On ``Suspend`` the loop applies the child's entry effects (nonce for creations, value
  transfer; a precompile runs right there) and continues *in the child*.
* When a frame ends, ``_finish`` commits or reverts its journal slice and deposits code for
  creations; ``_resume`` hands the result to the parent (gas back, return data, output copied
  to memory, success flag pushed); then the frame goes back to the pool and the loop continues
  in the parent at its saved pc.

So depth 1024 only needs 1025 pooled frames, never 1024 nested Python calls, and
``sys.setrecursionlimit`` is never touched. If a Python exception escapes, every frame still
held is released (``release_tree`` from the outermost one, children first).
"""

from __future__ import annotations

from array import array
from itertools import compress
from typing import cast

from framepool.evm.context import (
    STATUS_ERROR,
    STATUS_SUCCESS,
    Env,
    EvmFrame,
    ExceptionalHalt,
    Halt,
    Suspend,
)
from framepool.evm.forks import Fork
from framepool.evm.hashing import keccak256
from framepool.evm.instructions import InstructionSet
from framepool.evm.instructions.common import MAX_CODE_SIZE, MAX_INITCODE_SIZE
from framepool_spec import FrameType

__all__ = ["JumpDestMap", "execute", "jump_analysis"]

G_CODE_DEPOSIT = 200
_FT_PRECOMPILE = FrameType.PRECOMPILE


# --------------------------------------------------------------------------- jump analysis


class JumpDestMap:
    """The JUMPDEST offsets of a large code, as one byte per code byte (1: a valid destination).

    A frozenset costs ~100 bytes per member (the int object and its hash slots): 1.3 GB for
    10 MB of JUMPDEST. This costs one byte per code byte, but its ``in`` is a Python call, ~4x
    slower than a set's, so only codes larger than any deployable one use it (see
    ``_SET_MAX_CODE``).
    """

    __slots__ = ("_map",)

    def __init__(self, bitmap: bytes) -> None:
        self._map = bitmap

    def __contains__(self, dest: object) -> bool:
        return isinstance(dest, int) and 0 <= dest < len(self._map) and self._map[dest] == 1


JumpDests = frozenset[int] | JumpDestMap
Analysis = tuple[bytes, JumpDests, "array[int]", "array[int]"]
# One cache per fork: static gas and block ends differ between forks' instruction sets.
_JUMP_CACHES: dict[Fork, dict[bytes, Analysis]] = {fork: {} for fork in Fork}
_JUMP_CACHE_MAX = 8192
_JUMP_CACHE_BYTES = 256 * 2**20
"""Every cache is cleared when the analyses' estimated footprint would pass this."""
_jump_cache_bytes = 0
_PAD = bytes(33)
_SET_MAX_CODE = MAX_INITCODE_SIZE
"""Codes up to this size (all that a transaction can deploy or run as initcode) keep their
jump destinations in a frozenset, the fastest ``in`` for the loop's JUMP/JUMPI; larger ones
(only a pre-state can hold them) in a ``JumpDestMap``."""
_BYTES_PER_SET_MEMBER = 100
"""A frozenset member's cost: its int object (28 bytes) and its share of the hash table."""


def jump_analysis(code: bytes, instructions: InstructionSet, code_hash: bytes | None = None) -> Analysis:
    """Per-code analysis under ``instructions`` (a fork's), cached per code hash:
    ``(padded code, jumpdests, blockgas, fallgas)``.

    * padded code: ``code`` plus 33 zero bytes, so PUSH reads a truncated immediate as zeros and
      running off the end executes STOP, without bounds checks in the hot loop;
    * jumpdests: offsets of JUMPDEST opcodes that are not PUSH data (supports ``in``);
    * blockgas[p]: total static gas of the basic block starting at p (0 elsewhere);
    * fallgas[p]: the same, but 0 where p is a JUMPDEST (that block is charged by JUMPDEST).
    Blocks start at 0, at each JUMPDEST and after each of the fork's block enders.

    Memory is proportional to the code: the gas tables are arrays of the narrowest unsigned
    type that holds every block's gas (2 bytes a code byte each, usually).
    """
    global _jump_cache_bytes
    key = code_hash if code_hash is not None else keccak256(code)
    cache = _JUMP_CACHES[instructions.fork]
    hit = cache.get(key)
    if hit is not None:
        return hit
    result = _analyse_narrowest(code, instructions)
    footprint = _footprint(result)
    if len(cache) >= _JUMP_CACHE_MAX or _jump_cache_bytes + footprint > _JUMP_CACHE_BYTES:
        for each in _JUMP_CACHES.values():
            each.clear()
        _jump_cache_bytes = 0
    if footprint <= _JUMP_CACHE_BYTES:
        cache[key] = result
        _jump_cache_bytes += footprint
    return result


def _analyse_narrowest(code: bytes, instructions: InstructionSet) -> Analysis:
    for typecode in "HI":
        try:
            return _analyse(code, instructions, typecode)
        except OverflowError:  # a block's static gas does not fit this type: try a wider one
            continue
    return _analyse(code, instructions, "Q")  # n * 32000 gas fits 64 bits for any code in memory


def _analyse(code: bytes, instructions: InstructionSet, typecode: str) -> Analysis:
    n = len(code)
    isdest = bytearray(n + 33)
    blockgas = array(typecode, bytes(array(typecode).itemsize * (n + 33)))
    static_gas = instructions.static_gas
    ender = instructions.block_enders
    i = 0
    start = 0
    acc = 0
    while i < n:
        op = code[i]
        if op == 0x5B:
            isdest[i] = 1
            if acc:  # the table starts zeroed: only non-zero blocks cost a write
                blockgas[start] = acc
            start = i
            acc = 0
        acc += static_gas[op]
        if 0x60 <= op <= 0x7F:
            i += op - 0x5F
        i += 1
        if op in ender:
            if acc:
                blockgas[start] = acc
            start = i
            acc = 0
    blockgas[start] = acc  # the block that runs into the implicit STOP at the end
    fallgas = array(typecode, blockgas)
    dests = compress(range(n), isdest)
    jumpdests: JumpDests
    if n <= _SET_MAX_CODE:
        jumpdests = frozenset(dests)
        for d in jumpdests:
            fallgas[d] = 0
    else:
        for d in dests:
            fallgas[d] = 0
        jumpdests = JumpDestMap(bytes(isdest))
    return code + _PAD, jumpdests, blockgas, fallgas


def _footprint(analysis: Analysis) -> int:
    """Roughly the bytes an analysis holds (the code copy, the destinations, both gas tables)."""
    padded, dests, blockgas, _ = analysis
    n = len(padded)
    gas_tables = 2 * n * blockgas.itemsize
    dest_bytes = n if isinstance(dests, JumpDestMap) else _BYTES_PER_SET_MEMBER * len(dests)
    return n + gas_tables + dest_bytes


# --------------------------------------------------------------------------- the loop


def _run(c: EvmFrame) -> bool:
    """Run ``c`` from ``c.pc``. Returns True when suspended for a child, False when halted."""
    code = c.code
    table = c.env.rules.instructions.table
    pc = c.pc
    # Charge the static gas of the block we start (or resume) in; see instructions/common.py.
    g = c.gas - c.fallgas[pc]
    if g < 0:
        c.status = STATUS_ERROR
        return False
    c.gas = g
    try:
        while True:
            pc = table[code[pc]](c, pc + 1)
    except Halt:
        return False
    except Suspend:
        return True
    except (ExceptionalHalt, IndexError):
        # IndexError = stack underflow (see instructions/common.py).
        c.status = STATUS_ERROR
        return False


def _enter(env: Env, c: EvmFrame) -> bool:
    """Apply the message's entry effects to a frame just taken from the pool.

    Returns True if code must run, False if the frame already finished (precompile, empty code).
    """
    st = env.state
    c.snapshot = len(st.journal)
    if c.is_create:
        st.mark_created(c.address)
        st.increment_nonce(c.address)
    if c.transfer and c.value:
        st.transfer(c.caller, c.address, c.value)
    if c.frame_type is _FT_PRECOMPILE:
        ok, used, out = env.rules.precompiles[c.code_address](c.calldata, c.gas)
        if ok:
            c.gas -= used
            c.output = out
            c.status = STATUS_SUCCESS
        else:
            c.status = STATUS_ERROR
        return False
    if not c.raw_code:
        c.status = STATUS_SUCCESS
        c.output = b""
        return False
    c.code, c.jumpdests, c.blockgas, c.fallgas = jump_analysis(c.raw_code, env.rules.instructions, c.code_hash)
    return True


def _finish(env: Env, c: EvmFrame) -> None:
    """Commit or revert ``c``'s changes and deposit created code (the frame is still held)."""
    st = env.state
    status = c.status
    if status == STATUS_SUCCESS and c.is_create:
        code = c.output
        cost = G_CODE_DEPOSIT * len(code)
        if (code and code[0] == 0xEF) or cost > c.gas or len(code) > MAX_CODE_SIZE:
            # EIP-3541 prefix, code-deposit gas, EIP-170 size: all exceptional halts.
            status = c.status = STATUS_ERROR
        else:
            c.gas -= cost
            st.set_code(c.address, code)
    if status == STATUS_ERROR:
        c.gas = 0
        c.output = b""
    if status != STATUS_SUCCESS:
        st.revert(c.snapshot)


def _resume(parent: EvmFrame, child: EvmFrame) -> None:
    """Hand a finished child's result to its parent."""
    parent.gas += child.gas
    ok = child.status == STATUS_SUCCESS
    if child.is_create:
        if ok:
            parent.stack.append(child.address)
            parent.return_data = b""
        else:
            parent.stack.append(0)
            parent.return_data = child.output
        return
    out = child.output
    parent.return_data = out
    parent.stack.append(1 if ok else 0)
    if out and child.ret_size:
        n = min(len(out), child.ret_size)
        off = child.ret_off
        parent.memory[off : off + n] = out[:n]


def execute(env: Env, root: EvmFrame) -> tuple[int, int, bytes]:
    """Run ``root`` (a frame holding its message) and every frame it spawns, then give them
    all back to the pool. Returns the outermost frame's ``(status, gas left, output)``."""
    release = env.manager.release
    # Chosen once per transaction: the plain loop has no tracing branch (see trace.py).
    run = _run if env.tracer is None else env.tracer.start(root, env.rules.instructions.table, env.rules.instructions.static_gas)
    c = root
    held = True  # whether ``root`` (and so maybe a chain below it) is still ours
    try:
        runnable = _enter(env, c)
        while True:
            if runnable and run(c):
                c = cast(EvmFrame, c.children[-1])  # the child the CALL*/CREATE* just started
                runnable = _enter(env, c)
                continue
            _finish(env, c)
            parent = cast("EvmFrame | None", c.parent)
            if parent is None:
                result = (c.status, c.gas, c.output)
                held = False
                release(root)
                return result
            _resume(parent, c)
            release(c)
            c = parent
            runnable = True
    except BaseException:
        # Normally every frame is back in the pool already; after an escaping Python
        # exception, give back whatever is still held, innermost first.
        if held:
            env.manager.release_tree(root)
        raise
