"""Concurrent test programs, the pool interface they drive, and the recorder.

A :class:`Program` is a pool configuration, a sequential *prefix* (run on the
main thread), and 2-4 per-thread operation lists run concurrently. Time is a
:class:`FakeClock` that only the driver moves, between phases: the manager is
built at time 0, the prefix runs at ``prefix_time`` and every concurrent
operation sees ``concurrent_time``. So the reference model is deterministic and
concurrent operations cannot disagree about ``now``.

Frames are named *inside a thread* by slots: the slot of an operation that
returns a frame is its index in that thread's list. ``Release(2)`` releases
the frame that operation 2 of the same thread obtained; ``GetOrCreate(t, 0)``
makes a child of operation 0's frame. ``ReleasePrefix(1)`` releases the frame
that operation 1 of the prefix obtained: a frame another thread (the main one)
took out, so with thread caches it goes back to that thread's cache. (An
operation whose slot holds no frame, because the acquisition that fills it
failed, is skipped and not recorded.)

Every executed operation is recorded with an invocation and a response stamp
from one shared counter, and its result: the frame object, a value, or the
exception's type name. :func:`tokenize` then names frame objects by small
integers (tokens), in order of first appearance, for the linearizability
checker.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from framepool_spec.config import MAX_FRAME_SIZES, FrameType, PoolConfig
from framepool_spec.statistics import PoolCounts

# ---- the pool interface ------------------------------------------------------------


class ConcurrentPool(Protocol):
    """What the concurrent checks call on a pool (FramePoolManager has all of it)."""

    def acquire(self, frame_type: FrameType) -> Any: ...

    def get_or_create(self, frame_type: FrameType, parent: Any = None) -> Any: ...

    def release(self, frame: Any) -> bool: ...

    def resize(self, size_class: int, new_size: int) -> None: ...

    def auto_tune(self) -> None: ...

    def cleanup(self) -> int: ...

    def check_gc_pressure(self) -> bool: ...

    def close(self) -> None: ...

    def counts(self) -> PoolCounts: ...


PoolFactory = Callable[..., ConcurrentPool]
"""``factory(config, clock=clock)`` or ``factory(config, clock=clock, lock_factory=f)``."""


class FakeClock:
    """A clock in milliseconds that moves only when the test sets it."""

    def __init__(self, now: int = 0) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


# ---- operations ------------------------------------------------------------------


@dataclass(frozen=True)
class Acquire:
    frame_type: FrameType

    def __repr__(self) -> str:
        return f"Acquire(FrameType.{FrameType(self.frame_type).name})"


@dataclass(frozen=True)
class GetOrCreate:
    frame_type: FrameType
    parent: int | None  # slot of an earlier operation of the same thread

    def __repr__(self) -> str:
        return f"GetOrCreate(FrameType.{FrameType(self.frame_type).name}, {self.parent})"


@dataclass(frozen=True)
class Release:
    slot: int


@dataclass(frozen=True)
class ReleasePrefix:
    slot: int  # slot of an operation of the prefix


@dataclass(frozen=True)
class Resize:
    size_class: int
    new_size: int


@dataclass(frozen=True)
class AutoTune:
    pass


@dataclass(frozen=True)
class Cleanup:
    pass


@dataclass(frozen=True)
class CheckGC:
    pass


@dataclass(frozen=True)
class Close:
    pass


@dataclass(frozen=True)
class Stats:
    pass


@dataclass(frozen=True)
class ThreadExit:
    """Not an operation of a program: the end of a worker thread, which the linearizability
    checker adds to a history (a pool with thread caches flushes them then)."""


Op = Acquire | GetOrCreate | Release | ReleasePrefix | Resize | AutoTune | Cleanup | CheckGC | Close | Stats
FRAME_OPS = (Acquire, GetOrCreate)


@dataclass(frozen=True)
class Program:
    config: PoolConfig
    prefix: tuple[Op, ...]
    threads: tuple[tuple[Op, ...], ...]
    prefix_time: int = 0
    concurrent_time: int = 0

    def size(self) -> int:
        return len(self.prefix) + sum(len(t) for t in self.threads)

    def source(self) -> str:
        """Python source that rebuilds this program (paste it to replay a failure)."""
        threads = ",\n        ".join(
            "(" + "".join(f"{op!r}, " for op in ops) + ")" for ops in self.threads
        )
        prefix = "".join(f"{op!r}, " for op in self.prefix)
        return (
            "Program(\n"
            f"    config={self.config!r},\n"
            f"    prefix=({prefix}),\n"
            f"    threads=(\n        {threads},\n    ),\n"
            f"    prefix_time={self.prefix_time},\n"
            f"    concurrent_time={self.concurrent_time},\n"
            ")"
        )


# ---- recording -------------------------------------------------------------------

PREFIX_THREAD = -1
FINAL_THREAD = -2


@dataclass
class RawEntry:
    """One executed operation, before frame objects are named."""

    thread: int
    index: int
    op: Op
    now: int
    arg: object  # the frame a Release/GetOrCreate passed (or None)
    invoke: int
    response: int
    result: object  # a frame, a value, or an Exception
    failed: bool


@dataclass(frozen=True)
class Entry:
    """One operation of a history: frames are named by tokens."""

    eid: int
    thread: int
    index: int
    op: Op | ThreadExit
    now: int
    arg: int | None  # token of the frame argument
    invoke: int
    response: int
    kind: str  # "frame" | "value" | "error"
    value: object  # token, value, or exception type name

    def describe(self) -> str:
        who = {PREFIX_THREAD: "prefix", FINAL_THREAD: "final"}.get(self.thread, f"t{self.thread}")
        arg = "" if self.arg is None else f" frame=#{self.arg}"
        if self.kind == "frame":
            res = f"#{self.value}"
        elif self.kind == "error":
            res = f"raises {self.value}"
        elif isinstance(self.value, PoolCounts):
            res = _describe_counts(self.value)
        else:
            res = repr(self.value)
        return f"[{self.invoke:>4},{self.response:>4}] {who}.{self.index} {self.op!r}{arg} -> {res}"


def _describe_counts(counts: PoolCounts) -> str:
    parts = []
    for c in counts.classes:
        if c.acquisitions or c.available or c.current_size or c.created:
            parts.append(
                f"c{c.size_class}(size={c.current_size} idle={c.available} active={c.active} "
                f"acq={c.acquisitions} hit={c.hits} rel={c.releases} ret={c.returns} "
                f"created={c.created} destroyed={c.destroyed})"
            )
    return "counts " + " ".join(parts) + (
        f" cleanups={counts.cleanups_performed} gc={counts.gc_triggers}"
    )


class Recorder:
    """Stamps invocations and responses from one counter shared by all threads.

    ``next()`` on an ``itertools.count`` is a single C call, atomic under the GIL,
    so the stamps are a total order consistent with real time.
    """

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self.entries: list[RawEntry] = []  # list.append is atomic under the GIL: no lock

    def stamp(self) -> int:
        return next(self._counter)

    def add(self, entry: RawEntry) -> None:
        self.entries.append(entry)


def run_op(
    pool: ConcurrentPool, op: Op, slots: list[object], thread: int, index: int, now: int,
    recorder: Recorder, prefix_slots: Sequence[object] = (),
) -> None:
    """Run one operation of a thread, record it, and fill its slot (``prefix_slots``: the
    prefix's, for ``ReleasePrefix``)."""
    arg: object = None
    if isinstance(op, (Release, ReleasePrefix)):
        arg = (slots if isinstance(op, Release) else prefix_slots)[op.slot]
        if arg is None:
            slots.append(None)
            return
    elif isinstance(op, GetOrCreate) and op.parent is not None:
        arg = slots[op.parent]
        if arg is None:
            slots.append(None)
            return
    invoke = recorder.stamp()
    failed = False
    result: object
    try:
        result = _call(pool, op, arg)
    except Exception as exc:  # noqa: BLE001 -- a refusal or a crash: both are results
        result, failed = exc, True
    response = recorder.stamp()
    slots.append(result if isinstance(op, FRAME_OPS) and not failed else None)
    recorder.add(RawEntry(thread, index, op, now, arg, invoke, response, result, failed))


def _call(pool: ConcurrentPool, op: Op, arg: object) -> object:
    if isinstance(op, Acquire):
        return pool.acquire(op.frame_type)
    if isinstance(op, GetOrCreate):
        return pool.get_or_create(op.frame_type, arg)
    if isinstance(op, (Release, ReleasePrefix)):
        return pool.release(arg)
    if isinstance(op, Resize):
        pool.resize(op.size_class, op.new_size)
        return None
    if isinstance(op, AutoTune):
        pool.auto_tune()
        return None
    if isinstance(op, Cleanup):
        return pool.cleanup()
    if isinstance(op, CheckGC):
        return pool.check_gc_pressure()
    if isinstance(op, Close):
        pool.close()
        return None
    return pool.counts()


def run_sequential(
    pool: ConcurrentPool, ops: Sequence[Op], thread: int, now: int, recorder: Recorder,
    prefix_slots: Sequence[object] = (),
) -> list[object]:
    """Run ``ops`` on the calling thread; returns their slots."""
    slots: list[object] = []
    for index, op in enumerate(ops):
        run_op(pool, op, slots, thread, index, now, recorder, prefix_slots)
    return slots


def tokenize(raw: Sequence[RawEntry]) -> list[Entry]:
    """Name frame objects by tokens (first appearance in invocation order) and freeze the history."""
    tokens: dict[int, int] = {}
    keep: list[object] = []  # ids are only unique while the objects live

    def token(obj: object) -> int:
        key = id(obj)
        if key not in tokens:
            tokens[key] = len(tokens)
            keep.append(obj)
        return tokens[key]

    out: list[Entry] = []
    for eid, r in enumerate(sorted(raw, key=lambda e: e.invoke)):
        arg = None if r.arg is None else token(r.arg)
        kind: str
        value: object
        if r.failed:
            kind, value = "error", type(r.result).__name__
        elif isinstance(r.op, FRAME_OPS):
            kind, value = "frame", token(r.result)
        else:
            kind, value = "value", r.result
        out.append(Entry(eid, r.thread, r.index, r.op, r.now, arg, r.invoke, r.response, kind, value))
    return out


def describe_history(history: Sequence[Entry]) -> str:
    return "\n".join(e.describe() for e in history)


# ---- generation (Hypothesis) ---------------------------------------------------------

_TYPES = (
    FrameType.REGULAR, FrameType.REGULAR, FrameType.CALL, FrameType.CALL,
    FrameType.STATIC_CALL, FrameType.CREATE, FrameType.PRECOMPILE,
)
_TIME_STEPS = (0, 0, 1, 30_001, 60_001)


@dataclass(frozen=True)
class ProgramShape:
    """How big generated programs are."""

    min_threads: int = 2
    max_threads: int = 3
    max_ops: int = 4
    max_prefix: int = 3
    ops: tuple[str, ...] = field(
        default=("acquire", "get_or_create", "release", "release_prefix", "resize", "auto_tune",
                 "cleanup", "check_gc", "close", "statistics")
    )


def programs(
    shape: ProgramShape = ProgramShape(),
    configs: Sequence[PoolConfig] | SearchStrategy[PoolConfig] | None = None,
) -> SearchStrategy[Program]:
    """A Hypothesis strategy of :class:`Program` (configs: a list, a strategy, or small random)."""
    @st.composite
    def small_config(draw: Any) -> PoolConfig:
        # Mostly one class for every type: contention is where races show.
        size_classes = draw(st.sampled_from([False, False, False, True]))
        initial = []
        maximum = []
        for c in range(5 if size_classes else 1):  # the classes of the types programs use
            # Small pools: the boundary between returning a frame and destroying it is busy.
            hi = draw(st.sampled_from([1, 1, 2, 2, 4, 0]))
            initial.append(draw(st.sampled_from([0, 1, 1, 2])) % (hi + 1))
            maximum.append(hi)
        return PoolConfig(
            enable_pooling=True,
            enable_size_classes=size_classes,
            enable_auto_tuning=draw(st.booleans()),
            enable_gc_integration=draw(st.booleans()),
            initial_pool_sizes=tuple(initial),
            max_pool_sizes=tuple(maximum),
            growth_factor=draw(st.sampled_from([1.0, 1.3, 2.0])),
            shrink_threshold=draw(st.sampled_from([0.3, 0.9])),
            gc_pressure_threshold=draw(st.sampled_from([0.1, 0.7])),
            # Thread caches (half the programs): refills, flushes and slots at a small limit.
            thread_cache_size=draw(st.sampled_from([0, 0, 1, 2])),
        )

    def op_list(
        draw: Any, config: PoolConfig, length: int, kinds: list[str], types: list[FrameType],
        prefix_held: Sequence[int] = (),
    ) -> tuple[tuple[Op, ...], list[int]]:
        """``length`` operations, and the slots of the frames they leave held."""
        ops: list[Op] = []
        held: list[int] = []
        handed = list(prefix_held)  # the prefix's frames this list may release
        pooled = [c for c in range(MAX_FRAME_SIZES) if config.has_pool(c)]
        # Resize the classes the frames use, where there are some: contention finds races.
        used = sorted({config.size_class(t) for t in types} & set(pooled)) or pooled
        for index in range(length):
            kind = draw(st.sampled_from(kinds))
            if kind == "release_prefix" and not handed:
                kind = "release"
            if kind == "release" and not held:
                kind = "acquire"
            if kind == "get_or_create" and not held:
                kind = "acquire"
            if kind == "resize" and not used:
                kind = "statistics"
            op: Op
            if kind == "acquire":
                op = Acquire(draw(st.sampled_from(types)))
                held.append(index)
            elif kind == "get_or_create":
                op = GetOrCreate(draw(st.sampled_from(types)), draw(st.sampled_from(held)))
                held.append(index)
            elif kind == "release":
                slot = draw(st.sampled_from(held))
                held.remove(slot)
                op = Release(slot)
            elif kind == "release_prefix":
                slot = draw(st.sampled_from(handed))
                handed.remove(slot)
                op = ReleasePrefix(slot)
            elif kind == "resize":
                c = draw(st.sampled_from(used))
                op = Resize(c, draw(st.integers(0, config.max_pool_sizes[c])))
            elif kind == "auto_tune":
                op = AutoTune()
            elif kind == "cleanup":
                op = Cleanup()
            elif kind == "check_gc":
                op = CheckGC()
            elif kind == "close":
                op = Close()
            else:
                op = Stats()
            ops.append(op)
        return tuple(ops), held

    config_strategy: SearchStrategy[PoolConfig]
    if configs is None:
        config_strategy = small_config()
    elif isinstance(configs, SearchStrategy):
        config_strategy = configs
    else:
        config_strategy = st.sampled_from(list(configs))

    @st.composite
    def program(draw: Any) -> Program:
        config = draw(config_strategy)
        # Swarm testing: each program uses only some operation kinds and frame types, so
        # that some programs hammer a single path (say, acquire/release on one class).
        kinds = sorted(draw(st.sets(st.sampled_from(shape.ops), min_size=1))) + ["acquire"]
        types = sorted(draw(st.sets(st.sampled_from(_TYPES), min_size=1)))
        prefix, held = op_list(draw, config, draw(st.integers(0, shape.max_prefix)), kinds, types)

        def thread_ops(handed: Sequence[int]) -> tuple[Op, ...]:
            length = draw(st.integers(1, shape.max_ops))
            return op_list(draw, config, length, kinds, types, handed)[0]

        n = draw(st.integers(shape.min_threads, shape.max_threads))
        if draw(st.booleans()):
            # Every thread runs the same list: they reach the same windows at the same time
            # (releasing none of the prefix's frames: only one thread may hand each back).
            threads = (thread_ops(()),) * n
        else:
            # Each of the prefix's frames may be handed back by one thread at most: two
            # threads releasing the frame of a third while it is taken out again and
            # parented is a misuse race the pool does not guard (a parent and its children
            # are held by one thread).
            owner = [draw(st.integers(0, n)) for _ in held]
            threads = tuple(
                thread_ops([slot for slot, o in zip(held, owner) if o == t]) for t in range(n)
            )
        prefix_time = draw(st.sampled_from(_TIME_STEPS))
        concurrent_time = prefix_time + draw(st.sampled_from(_TIME_STEPS))
        return Program(config, prefix, threads, prefix_time, concurrent_time)

    return program()
