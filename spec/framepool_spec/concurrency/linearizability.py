"""Is a recorded concurrent history linearizable with respect to the reference model?

The search is Wing & Gong's, with Lowe's memoisation: walk a list of call and
return events in real-time order; at a call, try to *linearize* that operation
now (apply it to the model and compare the result with the recorded one); if
it fits and the pair (set of linearized operations, model state) was not seen
before, take it out of the list (*lift*) and go on from the front; at a return
whose call has not been linearized, no order exists from here, so undo the
last choice (*unlift*) and try the next candidate. An empty list is a
linearization; undoing with nothing left to undo means none exists.

The model chooses where the pool may choose:

* which idle frame a hit hands out -- resolved from the result: a frame seen
  before (a token already mapped) must be that model frame and be idle; a
  frame never seen before is a new frame (a miss) or, when its class has idle
  frames, a prefilled frame nobody has observed yet. All never-observed
  prefilled frames of a class are identical (same type, times and uses), so
  the lowest-numbered one stands for all of them.

In a class with thread caches the model makes no choice: a hit hands out the
warmest frame of the calling thread's cache (after a refill), so a frame never
seen before is whatever the model hands out, and must not be a frame already
named by another token.

Which idle frames a shrink destroys (resize, auto_tune) is no choice: the
model destroys the coldest. A search state is still a *set* of candidate model
states, de-duplicated by fingerprint, so that a step with several fitting
readings can keep them all.

Threads: worker thread t is model thread t; the prefix and the final phase run on
the main thread, one model thread (``MAIN_THREAD``). A worker that ends gives
its cached frames back (the pool flushes its caches in the thread's teardown:
after its last operation, before join() returns): with thread caches the
checker adds to the history one ``ThreadExit`` per worker, from its last
response to the final phase (see ``with_thread_exits``).

A candidate is a PoolModel plus the token<->frame-id mapping. Its fingerprint
renames model frame ids to tokens (or "unobserved"), so states reached by
creating frames in different orders compare equal.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum

from framepool_spec.concurrency.programs import (
    FINAL_THREAD,
    PREFIX_THREAD,
    Acquire,
    AutoTune,
    CheckGC,
    Cleanup,
    Close,
    Entry,
    GetOrCreate,
    Release,
    ReleasePrefix,
    Resize,
    Stats,
    ThreadExit,
    describe_history,
)
from framepool_spec.config import MAX_FRAME_SIZES, PoolConfig
from framepool_spec.invariants import violations
from framepool_spec.model import FrameState, IllegalChoice, ModelClass, ModelFrame, PoolModel

# ---- copying and fingerprinting the model --------------------------------------------

_MODEL_FIELDS = frozenset(
    {"config", "frames", "classes", "by_type", "cleanups_performed", "last_cleanup_time",
     "gc_triggers", "last_gc_time", "closed"}
)
_FRAME_FIELDS = frozenset(
    {"fid", "frame_type", "size_class", "state", "allocation_time", "last_access_time",
     "usage_count", "parent", "children", "depth", "holder"}
)
_CLASS_FIELDS = frozenset(
    {"size_class", "initial_size", "max_size", "current_size", "available", "counters", "cached",
     "caches", "slots", "thread_peak_active", "thread_peak_cached", "shared_peak", "shared_list"}
)

MAIN_THREAD = PREFIX_THREAD
"""The model thread of the prefix and the final phase (both run on the main thread)."""


def model_thread(entry: Entry) -> int:
    """The model's id of the thread that ran ``entry``."""
    return MAIN_THREAD if entry.thread in (PREFIX_THREAD, FINAL_THREAD) else entry.thread


class ModelChanged(AssertionError):
    """PoolModel grew a field the checker does not copy or fingerprint: update this module."""


def check_model_shape(model: PoolModel) -> None:
    """Refuse to run on a model whose fields this module does not know (see ``clone_model``)."""
    if set(vars(model)) != _MODEL_FIELDS:
        raise ModelChanged(f"PoolModel fields {sorted(vars(model))}, expected {sorted(_MODEL_FIELDS)}")
    for frame in model.frames.values():
        if set(vars(frame)) != _FRAME_FIELDS:
            raise ModelChanged(f"ModelFrame fields {sorted(vars(frame))}")
        break
    if set(vars(model.classes[0])) != _CLASS_FIELDS:
        raise ModelChanged(f"ModelClass fields {sorted(vars(model.classes[0]))}")


def clone_model(model: PoolModel) -> PoolModel:
    """An independent copy of ``model`` (the config is immutable and shared)."""
    new = PoolModel.__new__(PoolModel)
    new.config = model.config
    new.frames = {
        fid: ModelFrame(
            f.fid, f.frame_type, f.size_class, f.state, f.allocation_time, f.last_access_time,
            f.usage_count, f.parent, list(f.children), f.depth, f.holder,
        )
        for fid, f in model.frames.items()
    }
    new.classes = [
        ModelClass(c.size_class, c.initial_size, c.max_size, c.current_size, list(c.available),
                   dict(c.counters), c.cached, {t: list(kept) for t, kept in c.caches.items()},
                   dict(c.slots), dict(c.thread_peak_active), dict(c.thread_peak_cached),
                   c.shared_peak, list(c.shared_list))
        for c in model.classes
    ]
    new.by_type = {t: dict(counts) for t, counts in model.by_type.items()}
    new.cleanups_performed = model.cleanups_performed
    new.last_cleanup_time = model.last_cleanup_time
    new.gc_triggers = model.gc_triggers
    new.last_gc_time = model.last_gc_time
    new.closed = model.closed
    return new


@dataclass
class Candidate:
    """A model state the history so far may have led to, with its frame naming."""

    model: PoolModel
    fid_of: dict[int, int]  # token -> model frame id
    token_of: dict[int, int]  # model frame id -> token
    _fp: Hashable | None = field(default=None, repr=False)

    def copy(self) -> Candidate:
        return Candidate(clone_model(self.model), dict(self.fid_of), dict(self.token_of))

    def bind(self, token: int, fid: int) -> None:
        self.fid_of[token] = fid
        self.token_of[fid] = token

    def fingerprint(self) -> Hashable:
        if self._fp is None:
            self._fp = fingerprint(self)
        return self._fp


_UNOBSERVED = ("u",)
_NONE = ("n",)


def fingerprint(cand: Candidate) -> Hashable:
    """A hashable canonical form of the candidate: equal iff the states behave alike.

    Frames are named by token (never-observed frames all by "u"; they are
    interchangeable), lists whose order the model never uses are sorted (but a
    cached class's idle frames keep their order: a refill takes the warmest), and
    destroyed frames keep only their token (so a later release of one is refused).
    """
    m = cand.model
    tok = cand.token_of

    def name(fid: int | None) -> tuple[object, ...]:
        if fid is None:
            return _NONE
        t = tok.get(fid)
        return _UNOBSERVED if t is None else ("t", t)

    live = []
    dead = []
    for fid, f in m.frames.items():
        if f.state is FrameState.DESTROYED:
            if fid in tok:
                dead.append(tok[fid])
            continue
        live.append(
            (name(fid), int(f.frame_type), f.size_class, f.state.value, f.allocation_time,
             f.last_access_time, f.usage_count, name(f.parent),
             tuple(sorted(name(c) for c in f.children)), f.depth, f.holder)
        )
    live.sort()
    dead.sort()
    def names(fids: Iterable[int]) -> tuple[tuple[object, ...], ...]:
        return tuple(name(fid) for fid in fids)

    classes = tuple(
        (c.current_size, c.initial_size, c.max_size,
         tuple(sorted((k, v) for k, v in c.counters.items() if v)),
         names(c.available) if c.cached else tuple(sorted(names(c.available))),
         tuple(sorted((t, names(kept)) for t, kept in c.caches.items())),
         tuple(sorted(c.slots.items())), tuple(sorted(c.thread_peak_active.items())),
         tuple(sorted(c.thread_peak_cached.items())), c.shared_peak, names(c.shared_list))
        for c in m.classes
    )
    by_type = tuple(
        (int(t), tuple(sorted((k, v) for k, v in counts.items() if v)))
        for t, counts in sorted(m.by_type.items())
    )
    return (tuple(live), tuple(dead), classes, by_type, m.cleanups_performed,
            m.last_cleanup_time, m.gc_triggers, m.last_gc_time, m.closed)


# ---- one step of the model, with the recorded result ---------------------------------


def _same_outcome(entry: Entry, run: Callable[[], object]) -> tuple[bool, object]:
    """Run the model operation; (fits the recorded result, model's value)."""
    try:
        value = run()
    except IllegalChoice:
        return False, None
    except Exception as exc:  # noqa: BLE001 -- the model refused: the pool must refuse alike
        return entry.kind == "error" and entry.value == type(exc).__name__, None
    if entry.kind == "error":
        return False, value
    return True, value


def step(cand: Candidate, entry: Entry) -> list[Candidate]:
    """Every candidate state that applying ``entry`` to ``cand`` may give (empty: it cannot fit)."""
    op = entry.op
    now = entry.now
    if isinstance(op, (Acquire, GetOrCreate)):
        new = cand.copy()
        m = new.model
        parent = None
        if isinstance(op, GetOrCreate) and entry.arg is not None:
            parent = new.fid_of.get(entry.arg)
            if parent is None:  # the thread holds its parent, so it has been seen
                return []
        pick: int | None = None
        fresh = False
        if entry.kind == "frame":
            token = entry.value
            assert isinstance(token, int)
            if token in new.fid_of:
                pick = new.fid_of[token]
            else:
                fresh = True
                cls = m.classes[m.size_class(op.frame_type)]
                if not cls.cached:  # the model's pick is left to it in a cached class
                    unseen = [f for f in cls.available if f not in new.token_of]
                    if cls.available and not unseen:
                        return []  # a hit must hand out a frame we have not seen: none left
                    pick = min(unseen) if unseen else None
        thread = model_thread(entry)
        ok, fid = _same_outcome(
            entry, lambda: m.get_or_create(op.frame_type, parent, now, pick, thread)
        )
        if not ok:
            return []
        if fresh:
            assert isinstance(fid, int) and isinstance(entry.value, int)
            if fid in new.token_of:
                return []  # the model handed out a frame named otherwise: not this one
            new.bind(entry.value, fid)
        return [new]
    if isinstance(op, (Release, ReleasePrefix)):
        new = cand.copy()
        fid = new.fid_of.get(entry.arg) if entry.arg is not None else None
        if fid is None:
            return []
        ok, value = _same_outcome(entry, lambda: new.model.release(fid, now, 0))
        return [new] if ok and (entry.kind == "error" or value == entry.value) else []
    if isinstance(op, ThreadExit):
        new = cand.copy()
        new.model.thread_exit(entry.thread)
        return [new]
    if isinstance(op, (Resize, AutoTune, Cleanup, CheckGC, Close, Stats)):
        new = cand.copy()
        m = new.model
        run: Callable[[], object]
        if isinstance(op, Resize):
            run = lambda: m.resize(op.size_class, op.new_size)
        elif isinstance(op, AutoTune):
            run = m.auto_tune
        elif isinstance(op, Cleanup):
            run = lambda: m.cleanup(now)
        elif isinstance(op, CheckGC):
            run = lambda: m.check_gc_pressure(now)
        elif isinstance(op, Close):
            run = m.close
        else:
            run = m.statistics
        ok, value = _same_outcome(entry, run)
        return [new] if ok and (entry.kind == "error" or value == entry.value) else []
    raise TypeError(f"unknown operation {op!r}")


# ---- the search ------------------------------------------------------------------------


class Outcome(Enum):
    OK = "ok"
    ILLEGAL = "illegal"
    UNKNOWN = "unknown"  # the time budget ran out


@dataclass
class CheckResult:
    outcome: Outcome
    history: list[Entry]
    longest: list[int]  # entry ids of the longest linearizable prefix found
    states_explored: int
    seconds: float
    final_violations: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK

    def report(self) -> str:
        by_id = {e.eid: e for e in self.history}
        lines = [
            (f"linearizability: {self.outcome.value} ({len(self.history)} operations, "
             f"{self.states_explored} states explored)"),
            "history (invoke, response):",
        ]
        lines.append(describe_history(self.history))
        if self.outcome is Outcome.ILLEGAL:
            lines.append("longest linearizable prefix:")
            lines.extend("  " + by_id[i].describe() for i in self.longest)
            rest = [e for e in self.history if e.eid not in set(self.longest)]
            lines.append("none of these fits next (at its turn):")
            lines.extend("  " + e.describe() for e in rest if not _blocked(e, rest))
        if self.final_violations:
            lines.append("model invariants broken: " + "; ".join(self.final_violations))
        return "\n".join(lines)


def _blocked(e: Entry, rest: Sequence[Entry]) -> bool:
    return any(o.response < e.invoke for o in rest if o is not e)


class _Node:
    __slots__ = ("entry", "is_call", "match", "next", "prev")

    def __init__(self, entry: Entry | None, is_call: bool) -> None:
        self.entry = entry
        self.is_call = is_call
        self.match: _Node | None = None
        self.prev: _Node | None = None
        self.next: _Node | None = None


def _lift(call: _Node) -> None:
    for node in (call, call.match):
        assert node is not None and node.prev is not None
        node.prev.next = node.next
        if node.next is not None:
            node.next.prev = node.prev


def _unlift(call: _Node) -> None:
    for node in (call.match, call):
        assert node is not None and node.prev is not None
        node.prev.next = node
        if node.next is not None:
            node.next.prev = node


State = tuple[Candidate, ...]


def _advance(state: State, entry: Entry) -> State:
    seen: dict[Hashable, Candidate] = {}
    for cand in state:
        for nxt in step(cand, entry):
            seen.setdefault(nxt.fingerprint(), nxt)
    return tuple(seen.values())


def _state_key(state: State) -> Hashable:
    return frozenset(c.fingerprint() for c in state)


def check_history(
    config: PoolConfig, history: Sequence[Entry], *, init_time: int = 0, time_budget: float = 10.0
) -> CheckResult:
    """Whether ``history`` is linearizable w.r.t. a PoolModel built with ``config`` at ``init_time``."""
    started = time.monotonic()
    entries = sorted(history, key=lambda e: e.invoke)
    model = PoolModel(config, init_time)
    check_model_shape(model)
    state: State = (Candidate(model, {}, {}),)
    exits = with_thread_exits(config, entries)
    events: list[tuple[tuple[int, int], _Node]] = []
    for e in entries + exits:
        call, ret = _Node(e, True), _Node(e, False)
        call.match = ret
        # A thread's exit begins after its last response and ends before the final phase
        # begins (on a tie of stamps, see with_thread_exits).
        synthetic = isinstance(e.op, ThreadExit)
        events.append(((e.invoke, synthetic), call))
        events.append(((e.response, -synthetic), ret))
    events.sort(key=lambda x: x[0])
    entries += exits
    head = _Node(None, False)
    prev = head
    for _, event in events:
        prev.next = event
        event.prev = prev
        prev = event

    cache: set[tuple[int, Hashable]] = set()
    stack: list[tuple[_Node, State]] = []
    linearized = 0
    longest: list[int] = []
    explored = 0
    node: _Node | None = head.next
    while head.next is not None:
        explored += 1
        if explored % 64 == 1 and time.monotonic() - started > time_budget:
            return CheckResult(Outcome.UNKNOWN, list(entries), longest, explored,
                               time.monotonic() - started)
        assert node is not None
        if node.is_call:
            assert node.entry is not None
            nxt = _advance(state, node.entry)
            if nxt:
                bits = linearized | (1 << node.entry.eid)
                key = (bits, _state_key(nxt))
                if key not in cache:
                    cache.add(key)
                    stack.append((node, state))
                    state = nxt
                    linearized = bits
                    _lift(node)
                    if len(stack) > len(longest):
                        longest = [n.entry.eid for n, _ in stack if n.entry is not None]
                    node = head.next
                    continue
            node = node.next
        else:
            if not stack:
                return CheckResult(Outcome.ILLEGAL, list(entries), longest, explored,
                                   time.monotonic() - started)
            top, state = stack.pop()
            assert top.entry is not None
            linearized &= ~(1 << top.entry.eid)
            _unlift(top)
            node = top.next
    problems = sorted({p for cand in state for p in violations(cand.model)})
    outcome = Outcome.ILLEGAL if problems else Outcome.OK
    return CheckResult(outcome, list(entries), longest, explored, time.monotonic() - started,
                       problems)


def with_thread_exits(config: PoolConfig, history: Sequence[Entry]) -> list[Entry]:
    """The ``ThreadExit`` of every worker thread of ``history`` (none without thread caches).

    The exit of thread t is stamped from t's last response to the first invocation of the
    final phase (or past the end): the pool flushes t's caches some time after t's last
    operation and before join() returns. Its stamps equal those of the two real events
    around it; the search orders it after the one and before the other."""
    if not any(config.has_thread_cache(c) for c in range(MAX_FRAME_SIZES)):
        return []
    last: dict[int, Entry] = {}
    for e in history:
        if e.thread >= 0 and (e.thread not in last or e.response > last[e.thread].response):
            last[e.thread] = e
    finals = [e.invoke for e in history if e.thread == FINAL_THREAD]
    end = min(finals) if finals else max((e.response for e in history), default=0) + 1
    eid = max((e.eid for e in history), default=-1) + 1
    return [
        Entry(eid + k, t, e.index + 1, ThreadExit(), e.now, None, e.response, end, "value", None)
        for k, (t, e) in enumerate(sorted(last.items()))
    ]


def final_entries(history: Iterable[Entry]) -> list[Entry]:
    return [e for e in history if e.thread == FINAL_THREAD]
