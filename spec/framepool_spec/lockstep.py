"""One pool under test and one reference model, driven in lockstep.

:class:`Lockstep` applies every operation to a pool and to a
:class:`~framepool_spec.model.PoolModel` with the same clock reading, reads the
pool's free choices (which idle frame a hit hands out) and asks the model
whether they were legal, and fails with :class:`ConformanceError` at the first
disagreement. It is the engine under the stateful suite
(:mod:`framepool_spec.conformance`), the boundary scenarios
(:mod:`framepool_spec.boundaries`) and the bounded model checker.

What the pool must offer is :class:`ConformantPool`; its frames,
:class:`ConformantFrame`.

Frame hygiene
-------------
A frame handed out must be fresh (``framepool_spec.model.FRESH_PAYLOAD``): the
suite checks every hand-out, and before it releases a frame it holds it
*scribbles* into every payload field (pushes a word, fills memory, sets return
data, gas and contract, and sets every field the pool declares in
``payload_fields``), so a reset that forgets a field shows on the next
hand-out of that frame.

Threads
-------
A pool may treat threads differently (``thread_cache_size``: per-thread caches).
Every hand-out and release takes a ``thread``: 0 is the caller's own thread,
1, 2, ... are worker threads that the suite starts on first use and runs one
call at a time, so the run stays sequential and replayable. ``end_thread``
ends a worker (the model's ``thread_exit``); the next use of its number starts
a new thread, which the model sees as a new thread id.
"""

from __future__ import annotations

import queue
import threading
import weakref
from collections import Counter
from collections.abc import Callable, Mapping, MutableSequence, Sequence, Sized
from typing import Any, NoReturn, Protocol, TypeVar

from framepool_spec.config import MAX_FRAME_SIZES, FrameType, PoolConfig
from framepool_spec.errors import FramePoolError
from framepool_spec.invariants import violations
from framepool_spec.model import FRESH_PAYLOAD, FrameState, IllegalChoice, PoolModel
from framepool_spec.statistics import PoolCounts, conservation_violations

__all__ = [
    "FOREIGN",
    "ConformanceError",
    "ConformanceFailure",
    "ConformantFrame",
    "ConformantPool",
    "FakeClock",
    "Lockstep",
    "PoolFactory",
    "fresh_violations",
    "payload_fields",
    "scribble",
]


# ---- what a pool must offer --------------------------------------------------------


class ConformantFrame(Protocol):
    """A frame as the suite sees it.

    The hierarchy and bookkeeping are read-only to the suite. The payload is the
    holder's: it pushes onto ``stack``, grows ``memory`` (a ``bytearray``; its
    length is what the 1 MiB pooling rule measures) and sets ``return_data``,
    ``gas`` and ``contract``.
    """

    @property
    def frame_type(self) -> FrameType: ...

    @property
    def parent(self) -> ConformantFrame | None: ...

    @property
    def children(self) -> Sequence[ConformantFrame]: ...

    @property
    def depth(self) -> int: ...

    @property
    def usage_count(self) -> int: ...

    @property
    def memory(self) -> bytearray: ...

    @property
    def stack(self) -> MutableSequence[int]: ...

    return_data: bytes
    gas: int
    contract: object


F = TypeVar("F", bound=ConformantFrame)


class ConformantPool(Protocol[F]):
    """The operations the suite drives (``F`` is the pool's frame class).

    A pool whose frames carry per-call fields beyond ``FRESH_PAYLOAD`` declares
    them as an attribute ``payload_fields``: a mapping from field name to its
    fresh value. The suite then scribbles them too and checks every hand-out
    has them fresh (see :func:`fresh_violations`).
    """

    def acquire(self, frame_type: FrameType) -> F: ...

    def get_or_create(self, frame_type: FrameType, parent: F | None) -> F: ...

    def release(self, frame: F) -> bool: ...

    def release_tree(self, frame: F) -> int: ...

    def resize(self, size_class: int, new_size: int) -> None: ...

    def auto_tune(self) -> None: ...

    def cleanup(self) -> int: ...

    def check_gc_pressure(self) -> bool: ...

    def close(self) -> None: ...

    def counts(self) -> PoolCounts: ...

    def available_frames(self, size_class: int) -> list[F]: ...


Clock = Callable[[], int]
PoolFactory = Callable[[PoolConfig, Clock], ConformantPool[Any]]
"""``factory(config, clock)``: a fresh pool under test."""


class FakeClock:
    """The one clock the pool and the model share; only the suite moves it."""

    def __init__(self, now: int = 0) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


class ConformanceError(AssertionError):
    """The pool disagreed with the model (or broke a law) at one step."""


class ConformanceFailure(AssertionError):
    """``run_conformance`` found a disagreement; the cause is the step's ConformanceError."""


# ---- frame hygiene --------------------------------------------------------------------

SCRIBBLE_WORD = 0x5C_0BB1_ED
SCRIBBLE_BYTES = b"\xa5" * 32


class _Scribbled:
    """The value scribbled into a declared payload field: equal to nothing but itself."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<scribbled {self.name}>"


def payload_fields(pool: object) -> Mapping[str, object]:
    """Every payload field and its fresh value: ``FRESH_PAYLOAD`` and what ``pool`` declares."""
    declared: Mapping[str, object] = getattr(pool, "payload_fields", {})
    return {**FRESH_PAYLOAD, **declared}


def scribble(frame: ConformantFrame, fields: Mapping[str, object]) -> None:
    """Use ``frame`` as a careless holder would: leave something in every payload field.

    Memory keeps its length when it has one (the pooling rule reads the length).
    """
    frame.stack.append(SCRIBBLE_WORD)
    if frame.memory:
        frame.memory[0] = frame.memory[-1] = SCRIBBLE_BYTES[0]
    else:
        frame.memory.extend(SCRIBBLE_BYTES)
    frame.return_data = SCRIBBLE_BYTES
    frame.gas = SCRIBBLE_WORD
    frame.contract = _Scribbled("contract")
    for name in fields:
        if name not in FRESH_PAYLOAD:
            setattr(frame, name, _Scribbled(name))


def fresh_violations(
    frame: ConformantFrame, fields: Mapping[str, object], parent: ConformantFrame | None
) -> list[str]:
    """How ``frame``, just handed out as a child of ``parent`` (or a root), is not fresh."""
    problems = []
    for name, fresh in fields.items():
        value = getattr(frame, name, _Scribbled("missing"))
        if not _is_fresh(value, fresh):
            problems.append(f"{name} is {_short(value)}, not {fresh!r}")
    if frame.parent is not parent:
        problems.append(f"parent is {frame.parent!r}, not {parent!r}")
    if len(frame.children):
        problems.append(f"it has {len(frame.children)} children")
    depth = 0 if parent is None else parent.depth + 1
    if frame.depth != depth:
        problems.append(f"depth is {frame.depth}, not {depth}")
    return problems


def _is_fresh(value: object, fresh: object) -> bool:
    if isinstance(fresh, (list, bytes)) and not fresh:
        # An empty stack, memory or return data: any empty sequence will do.
        return isinstance(value, Sized) and len(value) == 0
    return bool(value == fresh)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# ---- one pool and one model in lockstep ------------------------------------------------

FOREIGN = -1
"""Model id of a frame from another pool: the model knows no such frame."""

_Outcome = tuple[Any, Exception | None]


def _run(call: Callable[[], Any]) -> _Outcome:
    try:
        return call(), None
    except Exception as exc:  # noqa: BLE001 -- the pool under test may raise anything; classes are compared
        return None, exc


def _name(outcome: _Outcome) -> str:
    value, exc = outcome
    return f"raised {type(exc).__name__}: {exc}" if exc is not None else f"returned {value!r}"


def _diff_counts(got: PoolCounts, want: PoolCounts) -> str:
    lines: list[str] = []
    for g, w in zip(got.classes, want.classes):
        for field in g.__dataclass_fields__:
            if getattr(g, field) != getattr(w, field):
                lines.append(
                    f"  class {g.size_class} {field}: pool {getattr(g, field)}, model {getattr(w, field)}"
                )
    for t, (g2, w2) in enumerate(zip(got.by_type, want.by_type)):
        if g2 != w2:
            lines.append(f"  {FrameType(t).name} per-type counts: pool {g2}, model {w2}")
    for field in ("cleanups_performed", "last_cleanup_time", "gc_triggers", "closed"):
        if getattr(got, field) != getattr(want, field):
            lines.append(f"  {field}: pool {getattr(got, field)}, model {getattr(want, field)}")
    if len(got.classes) != len(want.classes) or len(got.by_type) != len(want.by_type):
        lines.append("  the snapshots have different numbers of classes or types")
    return "\n".join(lines)


class _Worker:
    """A thread that runs the calls it is given one at a time, while the caller waits."""

    def __init__(self, name: str) -> None:
        self._calls: queue.SimpleQueue[Callable[[], _Outcome] | None] = queue.SimpleQueue()
        self._results: queue.SimpleQueue[_Outcome] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while (call := self._calls.get()) is not None:
            self._results.put(call())

    def run(self, call: Callable[[], Any]) -> _Outcome:
        self._calls.put(lambda: _run(call))
        return self._results.get()

    def end(self) -> None:
        """Stop the thread and wait until it has ended (its thread-local state gone)."""
        self._calls.put(None)
        self._thread.join()

    @staticmethod
    def stop_all(workers: dict[int, tuple[_Worker, int]]) -> None:
        """Let every worker of a Lockstep nobody uses any more end (without waiting)."""
        for worker, _ in workers.values():
            worker._calls.put(None)


class Lockstep:
    """Drives one pool under test and one :class:`PoolModel` through the same operations.

    Every operation method applies the call to both sides with the same clock
    reading, translates the pool's choices into model ids, and raises
    :class:`ConformanceError` on any disagreement. :meth:`check` compares the
    whole observable state; callers run it after every operation.

    ``handles`` lists every frame the pool handed out, in order of first
    hand-out; releasing or destroying a frame keeps its handle, so stale
    handles exercise the misuse paths (double release, dead parents).
    """

    def __init__(
        self, factory: PoolFactory, config: PoolConfig, *, start: int = 0, check: bool = True
    ) -> None:
        self.factory = factory
        self.config = config
        self.clock = FakeClock(start)
        self.pool: ConformantPool[Any] = factory(config, self.clock)
        self.model = PoolModel(config, self.clock.now)
        self.handles: list[ConformantFrame] = []
        self.trace: list[str] = []
        self._ids: dict[int, tuple[ConformantFrame, int]] = {}
        self._foreign: ConformantFrame | None = None
        self._foreign_pool: ConformantPool[Any] | None = None
        self._workers: dict[int, tuple[_Worker, int]] = {}  # thread number -> (worker, model id)
        self._next_thread_id = 1
        weakref.finalize(self, _Worker.stop_all, self._workers)
        self.payload = payload_fields(self.pool)
        # Prefilled idle frames are interchangeable: pair them up in list order.
        for c in range(MAX_FRAME_SIZES):
            frames = self.pool.available_frames(c)
            expected = self.model.classes[c].available
            if len(frames) != len(expected):
                self._fail(
                    f"class {c} starts with {len(frames)} idle frames, the model with {len(expected)}"
                )
            for frame, fid in zip(frames, expected):
                self._bind(frame, fid)
        if check:
            self.check()

    # ---- identity map: frame object <-> model id ---------------------------------

    def _bind(self, frame: ConformantFrame, fid: int) -> None:
        # Keyed by id() while holding a strong reference, so ids are never reused
        # and a frame class's own __eq__/__hash__ cannot interfere.
        self._ids[id(frame)] = (frame, fid)

    def fid(self, frame: ConformantFrame) -> int | None:
        """The model id of ``frame``, or None if the suite never saw it."""
        entry = self._ids.get(id(frame))
        return entry[1] if entry is not None else None

    def model_id(self, frame: ConformantFrame) -> int:
        """The model id of a frame the suite holds (FOREIGN for another pool's frame)."""
        if frame is self._foreign:
            return FOREIGN
        fid = self.fid(frame)
        if fid is None:
            self._fail(f"the suite holds a frame it cannot name: {frame!r}")
        return fid

    def is_active(self, frame: ConformantFrame) -> bool:
        fid = self.fid(frame)
        return fid is not None and self.model.frames[fid].state is FrameState.ACTIVE

    def active_handles(self) -> list[ConformantFrame]:
        return [f for f in self.handles if self.is_active(f)]

    def stale_handles(self) -> list[ConformantFrame]:
        return [f for f in self.handles if not self.is_active(f)]

    def foreign_frame(self) -> ConformantFrame:
        """A frame handed out by a second pool from the same factory."""
        if self._foreign is None:
            self._foreign_pool = self.factory(PoolConfig.disabled(), self.clock)
            self._foreign = self._foreign_pool.acquire(FrameType.REGULAR)
        return self._foreign

    def _describe(self, frame: ConformantFrame | None) -> str:
        if frame is None:
            return "None"
        if frame is self._foreign:
            return "<foreign frame>"
        fid = self.fid(frame)
        return f"#{fid}" if fid is not None else repr(frame)

    def _fail(self, message: str) -> NoReturn:
        recent = "; ".join(self.trace[-8:]) or "(none)"
        raise ConformanceError(
            f"{message}\n  at t={self.clock.now} ms after {len(self.trace)} operations; "
            f"last ones: {recent}"
        )

    def _record(self, text: str) -> None:
        self.trace.append(text)

    # ---- comparing outcomes -------------------------------------------------------------

    def _model(self, what: str, call: Callable[[], Any]) -> _Outcome:
        try:
            return call(), None
        except IllegalChoice as exc:
            self._fail(f"{what}: the pool made a choice the model forbids: {exc}")
        except (FramePoolError, ValueError) as exc:
            return None, exc

    def _agree(
        self,
        what: str,
        pool: _Outcome,
        model: _Outcome,
        same: Callable[[Any, Any], bool] = lambda a, b: bool(a == b),
    ) -> bool:
        """Fail unless both raised the same class or both returned equal values; True if they returned."""
        p_exc, m_exc = pool[1], model[1]
        if p_exc is not None or m_exc is not None:
            if p_exc is None or m_exc is None or type(p_exc) is not type(m_exc):
                self._fail(f"{what}: the pool {_name(pool)}, the model {_name(model)}")
            return False
        if not same(pool[0], model[0]):
            self._fail(f"{what}: the pool {_name(pool)}, the model {_name(model)}")
        return True

    # ---- operations -----------------------------------------------------------------

    def advance(self, ms: int) -> None:
        self._record(f"advance({ms})")
        self.clock.now += ms

    # ---- threads ----------------------------------------------------------------------

    def _on(self, thread: int, call: Callable[[], Any]) -> tuple[_Outcome, int]:
        """Run ``call`` on thread number ``thread``; its outcome and the thread's model id."""
        if thread == 0:
            return _run(call), 0
        if thread not in self._workers:
            self._workers[thread] = (_Worker(f"lockstep-{thread}"), self._next_thread_id)
            self._next_thread_id += 1
        worker, model_id = self._workers[thread]
        return worker.run(call), model_id

    def end_thread(self, thread: int) -> None:
        """End worker thread ``thread`` (if it runs): the model's ``thread_exit``."""
        if thread not in self._workers:
            return
        worker, model_id = self._workers.pop(thread)
        self._record(f"end_thread({thread})")
        worker.end()
        self.model.thread_exit(model_id)

    def end_threads(self) -> None:
        """End every worker thread (a run's teardown)."""
        for thread in list(self._workers):
            self.end_thread(thread)

    @staticmethod
    def _on_text(thread: int) -> str:
        return f" on thread {thread}" if thread else ""

    # ---- hand-outs and releases ---------------------------------------------------------

    def acquire(self, frame_type: FrameType, thread: int = 0) -> ConformantFrame | None:
        """Acquire on both sides; the frame handed out (None if both refused)."""
        what = f"acquire({frame_type.name}){self._on_text(thread)}"
        self._record(what)
        return self._hand_out(what, frame_type, None, lambda: self.pool.acquire(frame_type), thread)

    def get_or_create(
        self, frame_type: FrameType, parent: ConformantFrame | None, thread: int = 0
    ) -> ConformantFrame | None:
        """get_or_create on both sides; the frame handed out (None if both refused)."""
        what = f"get_or_create({frame_type.name}, parent={self._describe(parent)}){self._on_text(thread)}"
        self._record(what)
        return self._hand_out(
            what, frame_type, parent, lambda: self.pool.get_or_create(frame_type, parent), thread
        )

    def _hand_out(
        self,
        what: str,
        frame_type: FrameType,
        parent: ConformantFrame | None,
        call: Callable[[], ConformantFrame],
        thread: int,
    ) -> ConformantFrame | None:
        now = self.clock.now
        parent_id = None if parent is None else self.model_id(parent)
        pool, model_thread = self._on(thread, call)
        frame = pool[0]
        pick = None if frame is None else self.fid(frame)
        created_before = len(self.model.frames)
        idle_before = sorted(self.model.legal_picks(frame_type, model_thread))
        if pick is not None and self.model.frames[pick].state is not FrameState.AVAILABLE:
            self._fail(
                f"{what}: the pool handed out frame #{pick}, which is "
                f"{self.model.frames[pick].state.value}, not idle"
            )
        model = self._model(
            what, lambda: self.model.get_or_create(frame_type, parent_id, now, pick, model_thread)
        )
        if not self._agree(what, pool, model, lambda a, b: True):
            return None
        fid = model[0]
        assert isinstance(fid, int)
        if pick is None and fid < created_before:
            self._fail(
                f"{what}: the pool missed (made a new frame) while the model's class had "
                f"idle frames {idle_before}"
            )
        if pick is None:
            self._bind(frame, fid)
        stale = fresh_violations(frame, self.payload, parent)
        if stale:
            self._fail(
                f"{what}: frame #{fid} was handed out unclean (previous holder's data or links "
                "visible): " + "; ".join(stale)
            )
        if all(h is not frame for h in self.handles):
            self.handles.append(frame)
        return frame  # type: ignore[no-any-return]

    def release(self, frame: ConformantFrame, thread: int = 0) -> None:
        what = f"release({self._describe(frame)}){self._on_text(thread)}"
        self._record(what)
        fid = self.model_id(frame)
        if self.is_active(frame):
            scribble(frame, self.payload)
        size = len(frame.memory)
        now = self.clock.now
        pool, _ = self._on(thread, lambda: self.pool.release(frame))
        model = self._model(what, lambda: self.model.release(fid, now, size))
        self._agree(what, pool, model)

    def release_tree(self, frame: ConformantFrame, thread: int = 0) -> None:
        what = f"release_tree({self._describe(frame)}){self._on_text(thread)}"
        self._record(what)
        fid = self.model_id(frame)
        held = self.active_handles()
        for h in held:
            if self._in_subtree(self.model_id(h), fid):
                scribble(h, self.payload)
        sizes = {self.model_id(h): len(h.memory) for h in held}
        now = self.clock.now
        pool, _ = self._on(thread, lambda: self.pool.release_tree(frame))
        model = self._model(what, lambda: self.model.release_tree(fid, now, sizes))
        self._agree(what, pool, model, lambda count, order: bool(count == len(order)))

    def _in_subtree(self, fid: int, root: int) -> bool:
        node: int | None = fid
        while node is not None:
            if node == root:
                return True
            node = self.model.frames[node].parent
        return False

    def grow_memory(self, frame: ConformantFrame, size: int) -> None:
        """The holder grows a held frame's memory to ``size`` bytes (no pool call)."""
        self._record(f"grow_memory({self._describe(frame)}, {size})")
        if size > len(frame.memory):
            frame.memory.extend(bytes(size - len(frame.memory)))

    def _idle_ids(self, size_class: int) -> list[int]:
        ids = []
        for frame in self.pool.available_frames(size_class):
            fid = self.fid(frame)
            if fid is None:
                self._fail(f"class {size_class} holds an idle frame the suite never saw: {frame!r}")
            ids.append(fid)
        return ids

    def resize(self, size_class: int, new_size: Any) -> None:
        """Resize on both sides; the idle frames left must be the model's (coldest destroyed)."""
        what = f"resize({size_class!r}, {new_size!r})"
        self._record(what)
        pool = _run(lambda: self.pool.resize(size_class, new_size))
        model = self._model(what, lambda: self.model.resize(size_class, new_size))
        self._agree(what, pool, model)

    def auto_tune(self) -> None:
        self._record("auto_tune()")
        pool = _run(self.pool.auto_tune)
        model = self._model("auto_tune()", self.model.auto_tune)
        self._agree("auto_tune()", pool, model)

    def cleanup(self) -> None:
        self._record("cleanup()")
        now = self.clock.now
        pool = _run(self.pool.cleanup)
        model = self._model("cleanup()", lambda: self.model.cleanup(now))
        self._agree("cleanup()", pool, model)

    def check_gc_pressure(self) -> None:
        self._record("check_gc_pressure()")
        now = self.clock.now
        pool = _run(self.pool.check_gc_pressure)
        model = self._model("check_gc_pressure()", lambda: self.model.check_gc_pressure(now))
        self._agree("check_gc_pressure()", pool, model)

    def statistics(self) -> None:
        """Two snapshots in a row are equal: taking one changes nothing."""
        self._record("counts()")
        first, second = self.pool.counts(), self.pool.counts()
        if first != second:
            self._fail(f"counts() changed the pool:\n{_diff_counts(second, first)}")

    def close(self) -> None:
        self._record("close()")
        pool = _run(self.pool.close)
        model = self._model("close()", self.model.close)
        self._agree("close()", pool, model)

    # ---- the whole observable state ---------------------------------------------------

    def check(self) -> None:
        """Fail unless the pool's observable state is the model's and every law holds."""
        counts = self.pool.counts()
        expected = self.model.statistics()
        if counts != expected:
            self._fail(f"counts() differ from the model:\n{_diff_counts(counts, expected)}")
        broken = conservation_violations(counts)
        if broken:
            self._fail("the pool's counts break conservation: " + "; ".join(broken))
        broken = violations(self.model)
        if broken:
            self._fail("the model breaks its invariants (a model bug): " + "; ".join(broken))
        frames = self.model.frames
        for c in range(MAX_FRAME_SIZES):
            idle = self.pool.available_frames(c)
            ids = []
            for frame in idle:
                fid = self.fid(frame)
                if fid is None:
                    self._fail(f"class {c} holds an idle frame the suite never saw: {frame!r}")
                ids.append(fid)
                if frame.parent is not None or frame.children or frame.depth:
                    self._fail(f"idle frame #{fid} keeps hierarchy links or depth {frame.depth}")
                if (frame.frame_type, frame.usage_count) != (
                    frames[fid].frame_type, frames[fid].usage_count
                ):
                    self._fail(
                        f"idle frame #{fid} has type and usage_count "
                        f"{(frame.frame_type, frame.usage_count)}, the model "
                        f"{(frames[fid].frame_type, frames[fid].usage_count)}"
                    )
            if Counter(ids) != Counter(self.model.classes[c].available):
                self._fail(
                    f"class {c} idles frames {sorted(ids)}, "
                    f"the model {sorted(self.model.classes[c].available)}"
                )
        for frame in self.handles:
            fid = self.model_id(frame)
            mf = frames[fid]
            if mf.state is not FrameState.ACTIVE:
                continue
            parent = None if frame.parent is None else self.fid(frame.parent)
            children = sorted(
                -2 if (k := self.fid(child)) is None else k for child in frame.children
            )
            got = (frame.frame_type, parent, children, frame.depth, frame.usage_count)
            want = (mf.frame_type, mf.parent, sorted(mf.children), mf.depth, mf.usage_count)
            if got != want:
                self._fail(
                    f"held frame #{fid}: (type, parent, children, depth, uses) is {got}, "
                    f"the model {want}"
                )

    def state_key(self) -> tuple[Any, ...]:
        """Everything that decides future behaviour, canonically (for the bounded model checker)."""
        m = self.model
        frames = tuple(
            (
                f.fid,
                f.frame_type,
                f.state.value,
                f.allocation_time,
                f.last_access_time,
                f.usage_count,
                f.parent,
                tuple(f.children),
                f.depth,
            )
            for f in m.frames.values()
        )
        idle_order = tuple(tuple(self._idle_ids(c)) for c in range(MAX_FRAME_SIZES))
        handles = tuple((self.model_id(h), len(h.memory)) for h in self.handles)
        caches = tuple(
            (tuple(sorted((t, tuple(k)) for t, k in c.caches.items())), tuple(sorted(c.slots.items())),
             tuple(sorted(c.thread_peak_active.items())), tuple(sorted(c.thread_peak_cached.items())),
             c.shared_peak, tuple(c.shared_list))
            for c in m.classes
        )
        holders = tuple(f.holder for f in m.frames.values())
        workers = tuple(sorted((t, model_id) for t, (_, model_id) in self._workers.items()))
        return (
            self.clock.now, m.last_gc_time, m.statistics(), frames, idle_order, handles, caches, holders,
            workers, self._next_thread_id,
        )


