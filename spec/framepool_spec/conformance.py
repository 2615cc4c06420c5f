"""A conformance suite for frame pools, shipped as one function: ``run_conformance(factory)``.

Any pool that claims to implement the frame-pool semantics of
:mod:`framepool_spec.model` can be checked by handing a factory to
:func:`run_conformance`::

    from framepool import FramePoolManager
    from framepool_spec.conformance import run_conformance

    run_conformance(lambda config, clock: FramePoolManager(config, clock=clock))

The factory is called as ``factory(config, clock)`` and must return a fresh pool
configured by ``config`` that reads the time (integer milliseconds) only from
``clock()``. The suite owns the clock: it shares one fake clock between the pool
and the reference model and moves it forward itself.

What the pool must offer (:class:`ConformantPool`)
--------------------------------------------------
``acquire(frame_type)`` and ``get_or_create(frame_type, parent)`` hand out a
frame; ``release(frame) -> bool`` (True: pooled, False: destroyed);
``release_tree(frame) -> int`` (frames released); ``resize(size_class, n)``;
``auto_tune()``; ``cleanup() -> int`` (frames destroyed);
``check_gc_pressure() -> bool``; ``close()``; ``counts() -> PoolCounts``
(:mod:`framepool_spec.statistics`); ``available_frames(size_class)`` (the idle
frames of a class, a copy). Frames (:class:`ConformantFrame`) expose
``frame_type``, ``parent``, ``children``, ``depth``, ``usage_count`` and
``memory`` (a ``bytearray`` the holder may grow; its length is what the
1 MiB pooling rule measures). Misuse raises the errors of
:mod:`framepool_spec.errors` (or ``ValueError`` for bad sizes and classes), each
with the pool left unchanged.

How it checks
-------------
A Hypothesis :class:`~hypothesis.stateful.RuleBasedStateMachine` applies every
operation to the pool and to a :class:`~framepool_spec.model.PoolModel` in
lockstep (:class:`Lockstep`). Where the pool may choose -- which idle frame an
acquisition hands out, which idle frames a shrink destroys -- the suite reads
the pool's choice (frames are mapped to model ids by object identity) and asks
the model whether it was legal; an illegal choice fails. After every step:

* both sides returned the same result, or raised the same error class;
* ``pool.counts() == model.statistics()``, the counts conserve
  (:func:`~framepool_spec.statistics.conservation_violations`) and the model
  keeps its invariants (:func:`~framepool_spec.invariants.violations`);
* each class's idle frames are exactly the model's, with the model's use
  counts and no hierarchy links; every held frame has the model's type,
  parent, children, depth and use count.

``run_conformance`` runs the machine once per configuration: by default the
four presets and a strategy of small random configurations
(:func:`pool_configs`), each with ``DEFAULT_SETTINGS`` (200 examples of 50
steps). A disagreement raises :class:`ConformanceFailure`, whose message names
the configuration and how to reproduce the run; Hypothesis prints the failing
steps above it.

``threads=N`` additionally runs the concurrent checks of
``framepool_spec.concurrency`` (real-thread histories checked for
linearizability, and schedule exploration for pools that take ``lock_factory=``).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, Protocol, TypeVar

from hypothesis import HealthCheck, seed
from hypothesis import settings as Settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    get_state_machine_test,
    initialize,
    invariant,
    precondition,
    rule,
)

from framepool_spec.config import (
    CLEANUP_MAX_USES,
    MAX_FRAME_AGE_MS,
    MAX_FRAME_SIZES,
    MAX_IDLE_MS,
    MAX_POOLED_MEMORY_BYTES,
    PRESET_NAMES,
    FrameType,
    PoolConfig,
)
from framepool_spec.errors import FramePoolError
from framepool_spec.invariants import violations
from framepool_spec.model import FrameState, IllegalChoice, PoolModel
from framepool_spec.statistics import PoolCounts, conservation_violations

__all__ = [
    "DEFAULT_SETTINGS",
    "ConformanceError",
    "ConformanceFailure",
    "ConformantFrame",
    "ConformantPool",
    "FakeClock",
    "Lockstep",
    "PoolFactory",
    "conformance_machine",
    "pool_configs",
    "run_conformance",
]


# ---- what a pool must offer --------------------------------------------------------


class ConformantFrame(Protocol):
    """A frame as the suite sees it (read-only, except ``memory``, which the holder grows)."""

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


F = TypeVar("F", bound=ConformantFrame)


class ConformantPool(Protocol[F]):
    """The operations the suite drives (``F`` is the pool's frame class)."""

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

    def acquire(self, frame_type: FrameType) -> ConformantFrame | None:
        """Acquire on both sides; the frame handed out (None if both refused)."""
        what = f"acquire({frame_type.name})"
        self._record(what)
        return self._hand_out(what, frame_type, None, lambda: self.pool.acquire(frame_type))

    def get_or_create(
        self, frame_type: FrameType, parent: ConformantFrame | None
    ) -> ConformantFrame | None:
        """get_or_create on both sides; the frame handed out (None if both refused)."""
        what = f"get_or_create({frame_type.name}, parent={self._describe(parent)})"
        self._record(what)
        return self._hand_out(
            what, frame_type, parent, lambda: self.pool.get_or_create(frame_type, parent)
        )

    def _hand_out(
        self,
        what: str,
        frame_type: FrameType,
        parent: ConformantFrame | None,
        call: Callable[[], ConformantFrame],
    ) -> ConformantFrame | None:
        now = self.clock.now
        parent_id = None if parent is None else self.model_id(parent)
        pool = _run(call)
        frame = pool[0]
        pick = None if frame is None else self.fid(frame)
        created_before = len(self.model.frames)
        idle_before = sorted(self.model.legal_picks(frame_type))
        if pick is not None and self.model.frames[pick].state is not FrameState.AVAILABLE:
            self._fail(
                f"{what}: the pool handed out frame #{pick}, which is "
                f"{self.model.frames[pick].state.value}, not idle"
            )
        model = self._model(
            what, lambda: self.model.get_or_create(frame_type, parent_id, now, pick)
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
        if all(h is not frame for h in self.handles):
            self.handles.append(frame)
        return frame  # type: ignore[no-any-return]

    def release(self, frame: ConformantFrame) -> None:
        what = f"release({self._describe(frame)})"
        self._record(what)
        fid = self.model_id(frame)
        size = len(frame.memory)
        now = self.clock.now
        pool = _run(lambda: self.pool.release(frame))
        model = self._model(what, lambda: self.model.release(fid, now, size))
        self._agree(what, pool, model)

    def release_tree(self, frame: ConformantFrame) -> None:
        what = f"release_tree({self._describe(frame)})"
        self._record(what)
        fid = self.model_id(frame)
        sizes = {self.model_id(h): len(h.memory) for h in self.active_handles()}
        now = self.clock.now
        pool = _run(lambda: self.pool.release_tree(frame))
        model = self._model(what, lambda: self.model.release_tree(fid, now, sizes))
        self._agree(what, pool, model, lambda count, order: bool(count == len(order)))

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

    def _victims(self, before: dict[int, list[int]]) -> dict[int, frozenset[int]]:
        return {c: frozenset(ids) - frozenset(self._idle_ids(c)) for c, ids in before.items()}

    def resize(self, size_class: int, new_size: Any) -> None:
        what = f"resize({size_class!r}, {new_size!r})"
        self._record(what)
        valid_class = isinstance(size_class, int) and 0 <= size_class < MAX_FRAME_SIZES
        before = {size_class: self._idle_ids(size_class)} if valid_class else {}
        pool = _run(lambda: self.pool.resize(size_class, new_size))
        victims = self._victims(before).get(size_class) if pool[1] is None else None
        model = self._model(what, lambda: self.model.resize(size_class, new_size, victims))
        self._agree(what, pool, model)

    def auto_tune(self) -> None:
        self._record("auto_tune()")
        before = {c: self._idle_ids(c) for c in range(MAX_FRAME_SIZES)}
        pool = _run(self.pool.auto_tune)
        victims = self._victims(before) if pool[1] is None else None
        model = self._model("auto_tune()", lambda: self.model.auto_tune(victims))
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
                if frame.usage_count != frames[fid].usage_count:
                    self._fail(
                        f"idle frame #{fid} has usage_count {frame.usage_count}, "
                        f"the model {frames[fid].usage_count}"
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
        return (self.clock.now, m.last_gc_time, m.statistics(), frames, idle_order, handles)


# ---- configurations -------------------------------------------------------------------


@st.composite
def pool_configs(draw: st.DrawFn, max_size: int = 8) -> PoolConfig:
    """Small valid configurations (every class's maximum at most ``max_size``), so that
    pools fill, overflow, grow and shrink within a few dozen steps."""
    n = draw(st.integers(min_value=0, max_value=MAX_FRAME_SIZES))
    maxima = draw(st.lists(st.integers(0, max_size), min_size=n, max_size=n))
    initial = [draw(st.integers(0, m)) for m in maxima]
    pooling = draw(st.sampled_from([True, True, True, False]))
    fraction = st.floats(min_value=0.0, max_value=1.0)
    return PoolConfig(
        enable_pooling=pooling,
        enable_size_classes=draw(st.booleans()),
        enable_auto_tuning=draw(st.booleans()),
        enable_gc_integration=draw(st.booleans()),
        initial_pool_sizes=tuple(initial),
        max_pool_sizes=tuple(maxima),
        growth_factor=draw(st.floats(min_value=1.0 if pooling else 0.0, max_value=4.0)),
        shrink_threshold=draw(fraction),
        gc_pressure_threshold=draw(fraction),
        pool_cleanup_interval=draw(st.integers(0, 120_000)),
    )


# ---- the state machine ---------------------------------------------------------------

_INDEX = st.integers(min_value=0, max_value=255)
_TYPES = st.sampled_from(list(FrameType))
_MEMORY = st.sampled_from([1, 4096, MAX_POOLED_MEMORY_BYTES, MAX_POOLED_MEMORY_BYTES + 1])
_TIME = st.one_of(
    st.sampled_from([0, 1, MAX_IDLE_MS, MAX_IDLE_MS + 1, MAX_FRAME_AGE_MS - 1, MAX_FRAME_AGE_MS]),
    st.integers(min_value=0, max_value=70_000),
)
_CLASSES = st.integers(min_value=0, max_value=MAX_FRAME_SIZES - 1)
_BAD_CLASSES = st.sampled_from([-1, MAX_FRAME_SIZES])
_BAD_SIZES: st.SearchStrategy[Any] = st.sampled_from([-1, "max+1", 1.5, True])
_MISUSED = st.sampled_from(["stale", "foreign"])
CLOSE_AFTER_STEPS = 30
"""``close`` is enabled only this many steps into a run (then once in four tries)."""


def conformance_machine(
    factory: PoolFactory, configs: st.SearchStrategy[PoolConfig], name: str = "PoolConformance"
) -> type[RuleBasedStateMachine]:
    """The state machine checking ``factory``'s pools against the model, configs from ``configs``.

    Rules come in two kinds: ordinary use (acquire, nest, release, churn,
    resize, maintenance, time) and misuse (stale or foreign frames, invalid
    parents, sizes and classes), which must raise the model's error and change
    nothing.
    """

    def has_active(self: PoolConformance) -> bool:
        return any(map(self.ls.is_active, self.ls.handles))

    class PoolConformance(RuleBasedStateMachine):
        ls: Lockstep
        steps = 0

        @initialize(config=configs)
        def build(self, config: PoolConfig) -> None:
            self.ls = Lockstep(factory, config)

        def _active(self, i: int) -> ConformantFrame:
            frames = self.ls.active_handles()
            return frames[i % len(frames)]

        def _misused(self, kind: str, i: int) -> ConformantFrame:
            stale = self.ls.stale_handles()
            if kind == "foreign" or not stale:
                return self.ls.foreign_frame()
            return stale[i % len(stale)]

        # ---- ordinary use ----

        @rule(frame_type=_TYPES)
        def acquire(self, frame_type: FrameType) -> None:
            self.ls.acquire(frame_type)

        @precondition(has_active)
        @rule(frame_type=_TYPES, i=_INDEX)
        def get_or_create_child(self, frame_type: FrameType, i: int) -> None:
            """A held frame spawns a child (a refused pairing must raise InvalidParentError)."""
            self.ls.get_or_create(frame_type, self._active(i))

        @rule(frame_types=st.lists(_TYPES, min_size=2, max_size=5))
        def call_stack(self, frame_types: list[FrameType]) -> None:
            """A root frame and a chain of nested calls under it (stops at a refused pairing)."""
            frame = self.ls.acquire(frame_types[0])
            for frame_type in frame_types[1:]:
                if frame is None:
                    break
                frame = self.ls.get_or_create(frame_type, frame)

        @precondition(has_active)
        @rule(i=_INDEX)
        def release(self, i: int) -> None:
            self.ls.release(self._active(i))

        @rule(frame_type=_TYPES, times=st.integers(min_value=1, max_value=2 * CLEANUP_MAX_USES))
        def churn(self, frame_type: FrameType, times: int) -> None:
            """Short-lived frames, as a transaction makes them: acquire and release, repeatedly."""
            for _ in range(times):
                frame = self.ls.acquire(frame_type)
                if frame is not None:
                    self.ls.release(frame)

        @precondition(has_active)
        @rule(i=_INDEX, size=_MEMORY)
        def grow_memory(self, i: int, size: int) -> None:
            self.ls.grow_memory(self._active(i), size)

        @precondition(has_active)
        @rule(i=_INDEX, whole_tree=st.booleans())
        def release_tree(self, i: int, whole_tree: bool) -> None:
            """Release a held frame with its descendants (``whole_tree``: one that has some)."""
            frames = self.ls.active_handles()
            if whole_tree:
                frames = [f for f in frames if f.children] or frames
            self.ls.release_tree(frames[i % len(frames)])

        @rule(size_class=_CLASSES, new_size=st.integers(min_value=0, max_value=12))
        def resize(self, size_class: int, new_size: int) -> None:
            top = self.ls.config.max_pool_sizes[size_class]
            self.ls.resize(size_class, min(new_size, top) if top else new_size)

        @rule()
        def auto_tune(self) -> None:
            self.ls.auto_tune()

        @rule(wait=st.sampled_from([0, MAX_IDLE_MS + 1]))
        def cleanup(self, wait: int) -> None:
            """Maintenance, possibly after a quiet period long enough to make idle frames stale."""
            if wait:
                self.ls.advance(wait)
            self.ls.cleanup()

        @rule()
        def check_gc_pressure(self) -> None:
            self.ls.check_gc_pressure()

        @rule(ms=_TIME)
        def advance_clock(self, ms: int) -> None:
            self.ls.advance(ms)

        @rule()
        def statistics(self) -> None:
            self.ls.statistics()

        @precondition(lambda self: self.steps >= CLOSE_AFTER_STEPS)
        @rule(roll=st.integers(min_value=0, max_value=3))
        def close(self, roll: int) -> None:
            if roll == 0:
                self.ls.close()

        # ---- misuse ----

        @rule(frame_type=_TYPES, kind=_MISUSED, i=_INDEX)
        def get_or_create_bad_parent(self, frame_type: FrameType, kind: str, i: int) -> None:
            self.ls.get_or_create(frame_type, self._misused(kind, i))

        @rule(kind=_MISUSED, i=_INDEX, tree=st.booleans())
        def release_misused(self, kind: str, i: int, tree: bool) -> None:
            """Release (or release_tree) a frame already released, or another pool's frame."""
            frame = self._misused(kind, i)
            if tree:
                self.ls.release_tree(frame)
            else:
                self.ls.release(frame)

        @rule(size_class=st.one_of(_CLASSES, _BAD_CLASSES), new_size=_BAD_SIZES)
        def resize_invalid(self, size_class: int, new_size: Any) -> None:
            if new_size == "max+1":
                pooled = 0 <= size_class < MAX_FRAME_SIZES
                new_size = self.ls.config.max_pool_sizes[size_class] + 1 if pooled else 1
            self.ls.resize(size_class, new_size)

        @invariant()
        def agrees_with_model(self) -> None:
            self.steps += 1
            self.ls.check()

    PoolConformance.__name__ = PoolConformance.__qualname__ = name
    return PoolConformance


# ---- the entry point -----------------------------------------------------------------

DEFAULT_SETTINGS = Settings(
    max_examples=200,
    stateful_step_count=50,
    deadline=None,
    derandomize=False,
    # A preset pool prefills up to 480 frames, which Hypothesis may find slow to build.
    suppress_health_check=[HealthCheck.too_slow],
)
"""Per configuration: 200 examples of 50 steps."""

ConfigSpec = PoolConfig | st.SearchStrategy[PoolConfig]


def _label(spec: ConfigSpec) -> str:
    if isinstance(spec, PoolConfig):
        for name in PRESET_NAMES:
            if spec == PoolConfig.preset(name):
                return f"PoolConfig.preset({name!r})"
        return repr(spec)
    return repr(spec)


def default_configs() -> list[ConfigSpec]:
    """Every preset, then small random configurations."""
    return [*(PoolConfig.preset(name) for name in PRESET_NAMES), pool_configs()]


def run_conformance(
    factory: PoolFactory,
    *,
    settings: Settings | None = None,
    configs: Sequence[ConfigSpec] | None = None,
    threads: int | None = None,
    seed_value: int | None = None,
) -> None:
    """Check that pools built by ``factory(config, clock)`` behave like the reference model.

    ``configs`` lists PoolConfigs and/or strategies of them (default: the four
    presets and :func:`pool_configs`); each gets its own run of ``settings``
    (default :data:`DEFAULT_SETTINGS`). ``seed_value`` fixes the random search
    (ignored with ``derandomize=True``); left out, one is drawn and reported on
    failure. ``threads=N`` also runs the concurrent checks with N threads.
    Raises :class:`ConformanceFailure` at the first configuration that fails.
    """
    chosen = settings if settings is not None else DEFAULT_SETTINGS
    specs = list(configs) if configs is not None else default_configs()
    for spec in specs:
        label = _label(spec)
        strategy = st.just(spec) if isinstance(spec, PoolConfig) else spec
        machine = conformance_machine(factory, strategy)
        test = get_state_machine_test(machine, settings=chosen)
        run_seed = seed_value if seed_value is not None else random.SystemRandom().getrandbits(64)
        if not chosen.derandomize:
            test = seed(run_seed)(test)
        try:
            test()
        except Exception as exc:
            how = (
                "derandomize=True: the same call fails the same way"
                if chosen.derandomize
                else f"run_conformance(factory, configs=[{label}], seed_value={run_seed}) "
                "with the same settings replays the search"
            )
            raise ConformanceFailure(
                f"{getattr(factory, '__name__', factory)!s} does not conform under {label}: "
                f"{type(exc).__name__}: {exc}\n"
                f"Reproduce: {how}; Hypothesis printed the failing steps above "
                "(the example database, .hypothesis/, also replays them first)."
            ) from exc
        if threads:
            _run_concurrent_checks(factory, strategy, threads=threads, settings=chosen)


def _run_concurrent_checks(
    factory: PoolFactory,
    configs: st.SearchStrategy[PoolConfig],
    *,
    threads: int,
    settings: Settings,
) -> None:
    """``threads=N``: linearizability of real-thread histories and controlled schedules.

    Imported on first use: the concurrent checks are heavier than the sequential ones.
    """
    from framepool_spec.concurrency import run_concurrent_conformance

    run_concurrent_conformance(factory, configs, threads=threads, settings=settings)
