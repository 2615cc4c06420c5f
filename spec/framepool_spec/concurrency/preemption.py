"""Where the schedule explorer may preempt a thread: anywhere in the pool's own code.

Lock operations are yield points of the explorer whatever the granularity (the
pool's locks are the scheduler's :class:`~framepool_spec.concurrency.schedules.CoopLock`).
A pool that breaks its lock discipline has races *between* lock operations, so
the explorer also traces the controlled threads (``sys.settrace`` with
``frame.f_trace_opcodes``, in the spirit of CHESS and loom) and makes further
yield points inside the pool's own code:

* ``"locks"``: none -- only lock operations (complete for a pool whose every
  shared access is under a lock, and the cheapest).
* ``"lines"``: before every line.
* ``"opcodes"``: before every bytecode instruction that may read or write
  state outside the running frame (an attribute, an item, a global, a cell, a
  truth test or comparison that may look into a shared container, an
  iteration, a call). Instructions that only move values between the frame's
  own stack and locals (``LOAD_FAST``, ``COPY``, ``PRECALL``, jumps on
  ``None``, ...; see ``FRAME_LOCAL``) are skipped: another thread's step
  commutes with them, so preempting before them adds no behaviour, only
  schedules.

``"opcodes"`` is the sound one for realistic bugs: ``self.active -= 1`` is
``LOAD_ATTR`` ... ``STORE_ATTR`` on one line, and a lost update needs a switch
between the two. ``"lines"`` cannot split it, and saves only half the
schedules (measured on the standard programs under one preemption: 1,366 at
line granularity, 2,944 at opcode granularity), so the explorer defaults to
``"opcodes"``. (CPython 3.11 itself switches
threads at fewer places -- calls and backward jumps -- but the language does
not promise that, and free-threaded builds switch anywhere.)

*The pool's own code* is every code object whose ``co_filename`` is a source
file of the pool under test: the modules of ``type(pool)`` and of every class
in its MRO, of the classes of the objects reachable from the pool (its size
classes, its frames, its trackers ...) and of the frames it hands out, each
widened to its top-level package (a pool's helpers usually live next to it).
Never the standard library, nor the harness (``framepool_spec``, Hypothesis,
pytest): so any factory's pool is traced the same way, and the explorer's own
code runs untraced.
"""

from __future__ import annotations

import dis
import functools
import os
import sys
import sysconfig
from collections.abc import Callable, Iterable
from types import BuiltinFunctionType, CodeType, FrameType, FunctionType, MethodType, ModuleType
from typing import Any, Literal, TypeAlias

Granularity: TypeAlias = Literal["locks", "lines", "opcodes"]
GRANULARITIES: tuple[Granularity, ...] = ("locks", "lines", "opcodes")

FRAME_LOCAL = frozenset(
    dis.opmap[name]
    for name in (
        "NOP", "RESUME", "CACHE", "EXTENDED_ARG", "POP_TOP", "PUSH_NULL", "COPY", "SWAP",
        "LOAD_FAST", "STORE_FAST", "DELETE_FAST", "LOAD_CONST", "LOAD_CLOSURE", "MAKE_CELL",
        "COPY_FREE_VARS", "KW_NAMES", "PRECALL", "JUMP_FORWARD", "JUMP_BACKWARD",
        "JUMP_BACKWARD_NO_INTERRUPT", "POP_JUMP_FORWARD_IF_NONE",
        "POP_JUMP_FORWARD_IF_NOT_NONE", "POP_JUMP_BACKWARD_IF_NONE",
        "POP_JUMP_BACKWARD_IF_NOT_NONE", "IS_OP", "RETURN_VALUE", "BUILD_TUPLE", "BUILD_LIST",
        "BUILD_SLICE", "LIST_APPEND", "LIST_TO_TUPLE", "LOAD_ASSERTION_ERROR", "MAKE_FUNCTION",
        "POP_EXCEPT", "PUSH_EXC_INFO", "CHECK_EXC_MATCH", "RAISE_VARARGS", "RERAISE",
        "RETURN_GENERATOR",
    )
    if name in dis.opmap
)
"""Opcodes that touch only the running frame's stack, locals and constants (Python 3.11)."""

NOT_THE_POOL = ("framepool_spec", "hypothesis", "_pytest", "pytest", "pluggy")
"""Top-level packages whose code is never the pool's, even when the pool holds their objects
(its config, the scheduler's locks, the fake clock)."""

_WALK_DEPTH = 6
_WALK_ITEMS = 64  # per container: its first items show the element classes; trackers hold 10,000 ints
_SCALARS = (int, float, complex, str, bytes, bytearray, bool, type(None))
_NOT_DATA = (type, ModuleType, FunctionType, BuiltinFunctionType, MethodType)

TraceFunction: TypeAlias = Callable[[FrameType, str, Any], "TraceFunction | None"]


class PoolCode:
    """Which source files are the pool's own (the only code where tracing makes yield points)."""

    def __init__(self) -> None:
        self.roots: set[str] = set()  # package directories and single-module files
        self._classes: set[type] = set()
        self._covers: dict[str, bool] = {}
        self._excluded = _excluded_dirs()

    @classmethod
    def of(cls, pool: object, *more: object) -> PoolCode:
        """The files of ``pool`` (its classes and what it holds) and of ``more`` objects."""
        code = cls()
        code.note_reachable(pool)
        for obj in more:
            code.note(obj)
        return code

    def copy(self) -> PoolCode:
        twin = PoolCode()
        twin.roots = set(self.roots)
        twin._classes = set(self._classes)
        twin._covers = dict(self._covers)
        twin._excluded = self._excluded
        return twin

    def note(self, obj: object) -> None:
        """Count the class of ``obj`` (say, a frame the pool handed out) as the pool's."""
        kind = type(obj)
        if kind in self._classes:
            return
        for c in kind.__mro__:
            if c not in self._classes:
                self._classes.add(c)
                root = self._root_of(c)
                if root is not None and root not in self.roots:
                    self.roots.add(root)
                    self._covers.clear()

    def note_reachable(self, pool: object) -> None:
        """``note`` the pool and every object reachable from it within a few references."""
        seen: set[int] = set()
        layer: list[object] = [pool]
        for _ in range(_WALK_DEPTH):
            nxt: list[object] = []
            for obj in layer:
                if id(obj) in seen or isinstance(obj, _SCALARS):
                    continue
                seen.add(id(obj))
                if isinstance(obj, _NOT_DATA):
                    continue
                self.note(obj)
                nxt.extend(_references(obj))
            layer = nxt

    def covers(self, filename: str) -> bool:
        """Whether code from ``filename`` is the pool's (cached per file name)."""
        known = self._covers.get(filename)
        if known is None:
            path = os.path.realpath(filename)
            known = any(path == r or path.startswith(r + os.sep) for r in self.roots)
            self._covers[filename] = known
        return known

    def _root_of(self, cls: type) -> str | None:
        top = cls.__module__.partition(".")[0]
        if top in NOT_THE_POOL or top == "builtins":
            return None
        module = sys.modules.get(top)
        file = getattr(module, "__file__", None)
        if module is None or not isinstance(file, str):
            return None
        path = os.path.realpath(file)
        if any(path.startswith(d + os.sep) for d in self._excluded):
            return None
        # A package: its whole directory; a top-level module: its file.
        return os.path.dirname(path) if hasattr(module, "__path__") else path


@functools.cache
def _excluded_dirs() -> list[str]:
    paths = sysconfig.get_paths()
    return sorted({os.path.realpath(paths[k]) for k in ("stdlib", "platstdlib")})


def _references(obj: object) -> Iterable[object]:
    if isinstance(obj, dict):
        return [v for i, v in enumerate(obj.values()) if i < _WALK_ITEMS]
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [v for i, v in enumerate(obj) if i < _WALK_ITEMS]
    out: list[object] = list(getattr(obj, "__dict__", {}).values())
    for c in type(obj).__mro__:
        slots = c.__dict__.get("__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            if name not in ("__dict__", "__weakref__") and hasattr(obj, name):
                out.append(getattr(obj, name))
    return out


@functools.cache  # code objects live as long as their functions: a handful per pool
def yield_offsets(code: CodeType) -> frozenset[int]:
    """The offsets of the instructions of ``code`` that ``"opcodes"`` preempts before."""
    return frozenset(
        i.offset for i in dis.get_instructions(code) if i.opcode not in FRAME_LOCAL
    )


class Preemption:
    """Makes the trace functions that turn the pool's code into yield points.

    One per exploration: it caches, per code object, whether it is the pool's and
    where its yield points are.
    """

    def __init__(self, granularity: Granularity, code: PoolCode) -> None:
        if granularity not in GRANULARITIES:
            raise ValueError(f"granularity must be one of {GRANULARITIES}, got {granularity!r}")
        self.granularity = granularity
        self.code = code
        self._offsets: dict[CodeType, frozenset[int] | None] = {}

    @property
    def traces(self) -> bool:
        return self.granularity != "locks"

    def _offsets_of(self, code: CodeType) -> frozenset[int] | None:
        try:
            return self._offsets[code]
        except KeyError:
            found = yield_offsets(code) if self.code.covers(code.co_filename) else None
            self._offsets[code] = found
            return found

    def tracer(self, yield_point: Callable[[], bool]) -> TraceFunction:
        """The ``sys.settrace`` function of one controlled thread: calls ``yield_point`` at
        each yield point of the pool's code, until it returns False (no choice can come any
        more: the thread then runs untraced). Continuing the same thread costs this call only."""
        offsets_of = self._offsets_of
        lines = self.granularity == "lines"
        tracing = True

        def stop(frame: FrameType) -> None:
            nonlocal tracing
            tracing = False
            sys.settrace(None)
            frame.f_trace_opcodes = False

        def on_line(frame: FrameType, event: str, arg: Any) -> TraceFunction | None:
            if not tracing:
                return None
            if event == "line" and not yield_point():
                stop(frame)
                return None
            return on_line

        def on_call(frame: FrameType, event: str, arg: Any) -> TraceFunction | None:
            points = offsets_of(frame.f_code)
            if points is None or not tracing:
                return None  # not the pool's code: no local tracing (its callees still get 'call')
            if lines:
                return on_line
            frame.f_trace_lines = False
            frame.f_trace_opcodes = True

            def on_opcode(frame: FrameType, event: str, arg: Any) -> TraceFunction | None:
                # Hot: runs before every instruction of the pool's code (f_lasti is the
                # offset of the instruction about to run). A frozenset lookup, no more.
                if event == "opcode" and frame.f_lasti in points:
                    if not yield_point():
                        stop(frame)
                        return None
                elif not tracing:  # a caller's frame, still traced after stop()
                    frame.f_trace_opcodes = False
                    return None
                return on_opcode

            return on_opcode

        return on_call
