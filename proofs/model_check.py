"""A bounded model checker: every operation sequence up to length N, model and pool in lockstep.

Over a tiny configuration (two pooled classes of at most two idle frames, a
third class with no pool; time moves to exactly a threshold or one past it), the checker
enumerates every sequence of operations from a fixed alphabet, up to ``depth``
operations long, and runs each on a fresh pool and a fresh
:class:`~framepool_spec.model.PoolModel` through the conformance suite's
:class:`~framepool_spec.conformance.Lockstep` driver: after every step the
results must agree, the counts must be equal and conserve, the model must keep
its invariants and the pool's idle frames and held frames must be the model's.

The alphabet, for handles ``h`` = the frames handed out so far (stale ones too,
so double releases and dead parents are in it)::

    acquire(REGULAR | CALL | PRECOMPILE)   child(CALL, h)    release(h)
    release_tree(h)   grow(h) (memory to exactly 1 MiB, or past it)
    release(<foreign frame>)
    resize(0, 0) resize(0, 2) resize(1, 1) resize(1, 3) (invalid)
    auto_tune  cleanup  check_gc_pressure  close
    limit(idle | age | gc)   tick(+1 ms)

``limit`` moves the clock to exactly a threshold: the idle limit of the
coldest idle frame, the age limit of the oldest frame, or the end of the GC
interval; ``tick`` then steps one past it. So every ``<`` / ``<=`` choice in
the pool is reachable, not only by luck. The tiny configuration's ratios
(shrink and GC thresholds 0.5 on classes of two) can be met exactly too.

With ``dedup`` (the default) two sequences reaching the same *state* -- the
model's whole state (every frame, every counter, the time) plus what the pool
shows (the order of its idle frames, which handle is which frame, the memory
held) -- share their continuations, so each (state, remaining depth) pair is
explored once; the number of sequences this covers is still counted exactly.
Pruning assumes the pool's future depends only on that state; ``dedup=False``
drops the assumption and runs every sequence (exponentially many).

With ``--tier`` the configuration keeps thread caches of one frame
(``TIER_CONFIG``), and the alphabet adds a second thread: its acquire(REGULAR),
its release(h) of any handle (a frame another thread took out goes back to
that thread's cache), and its end (``end_thread``, the model's ``thread_exit``).

Run: ``python -m proofs.model_check --depth 5`` (``--tier``, ``--no-dedup``, ``--pool module:Class``).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from framepool_spec.config import (
    GC_INTERVAL_MS,
    MAX_FRAME_AGE_MS,
    MAX_IDLE_MS,
    MAX_POOLED_MEMORY_BYTES,
    FrameType,
    PoolConfig,
)
from framepool_spec.conformance import ConformanceError, Lockstep, PoolFactory

TINY_CONFIG = PoolConfig(
    enable_pooling=True,
    enable_size_classes=True,
    enable_auto_tuning=True,
    enable_gc_integration=True,
    initial_pool_sizes=(1, 0),
    max_pool_sizes=(2, 2),
    growth_factor=1.5,
    shrink_threshold=0.5,
    gc_pressure_threshold=0.5,
    pool_cleanup_interval=0,
)
"""Class 0 starts with one idle frame (max 2), class 1 empty (max 2); other classes have no pool."""

TIER_CONFIG = replace(TINY_CONFIG, thread_cache_size=1)
"""The tiny configuration with thread caches of one frame (``--tier``): a second thread
acquires and releases too, and ends."""


Op = tuple[Any, ...]
"""An operation: its name, then its arguments (a handle is an index into ``Lockstep.handles``)."""

FIXED_OPS: tuple[Op, ...] = (
    ("acquire", FrameType.REGULAR),
    ("acquire", FrameType.CALL),
    ("acquire", FrameType.PRECOMPILE),
    ("release_foreign",),
    ("resize", 0, 0),
    ("resize", 0, 2),
    ("resize", 1, 1),
    ("resize", 1, 3),
    ("auto_tune",),
    ("cleanup",),
    ("check_gc_pressure",),
    ("limit", "idle"),
    ("limit", "age"),
    ("limit", "gc"),
    ("tick",),
    ("close",),
)


THREAD_OPS: tuple[Op, ...] = (("acquire", FrameType.REGULAR, 1), ("end_thread", 1))
"""With thread caches: a second thread's hand-out, and its end."""


def enabled_ops(ls: Lockstep) -> list[Op]:
    """The alphabet in the current state: the fixed operations plus those on each handle."""
    threads = ls.config.thread_cache_size > 0
    ops = list(FIXED_OPS) + (list(THREAD_OPS) if threads else [])
    for h, frame in enumerate(ls.handles):
        ops.append(("child", FrameType.CALL, h))
        ops.append(("release", h))
        if threads:
            ops.append(("release", h, 1))
        ops.append(("release_tree", h))
        if ls.is_active(frame) and len(frame.memory) <= MAX_POOLED_MEMORY_BYTES:
            ops.append(("grow", h, MAX_POOLED_MEMORY_BYTES + 1))
            if len(frame.memory) < MAX_POOLED_MEMORY_BYTES:
                ops.append(("grow", h, MAX_POOLED_MEMORY_BYTES))
    return ops


def apply(ls: Lockstep, op: Op) -> None:
    """Apply ``op`` to both sides (the driver raises ConformanceError on a disagreement)."""
    name = op[0]
    if name == "acquire":
        ls.acquire(op[1], *op[2:])
    elif name == "child":
        ls.get_or_create(op[1], ls.handles[op[2]])
    elif name == "release":
        ls.release(ls.handles[op[1]], *op[2:])
    elif name == "end_thread":
        ls.end_thread(op[1])
    elif name == "release_tree":
        ls.release_tree(ls.handles[op[1]])
    elif name == "grow":
        ls.grow_memory(ls.handles[op[1]], op[2])
    elif name == "release_foreign":
        ls.release(ls.foreign_frame())
    elif name == "resize":
        ls.resize(op[1], op[2])
    elif name == "auto_tune":
        ls.auto_tune()
    elif name == "cleanup":
        ls.cleanup()
    elif name == "check_gc_pressure":
        ls.check_gc_pressure()
    elif name == "limit":
        ls.advance(max(0, limit(ls, op[1]) - ls.clock.now))
    elif name == "tick":
        ls.advance(1)
    elif name == "close":
        ls.close()
    else:
        raise ValueError(f"unknown operation {op!r}")


def limit(ls: Lockstep, kind: str) -> int:
    """The time at which the next ``kind`` threshold is exactly reached (now if none is ahead)."""
    model = ls.model
    if kind == "gc":
        return model.last_gc_time + GC_INTERVAL_MS
    if kind == "idle":
        idle = [model.frames[f].last_access_time for c in model.classes for f in c.available]
        return min(idle) + MAX_IDLE_MS if idle else ls.clock.now
    alive = [f.allocation_time for f in model.frames.values() if f.state.value != "destroyed"]
    return min(alive) + MAX_FRAME_AGE_MS if alive else ls.clock.now


def describe(path: tuple[Op, ...]) -> str:
    def one(op: Op) -> str:
        handle = _HANDLE_AT.get(op[0])
        args = ", ".join(
            a.name if isinstance(a, FrameType) else f"h{a}" if i == handle else str(a)
            for i, a in enumerate(op[1:], start=1)
        )
        return f"{op[0]}({args})"

    return " -> ".join(map(one, path)) or "(empty)"


_HANDLE_AT = {"child": 2, "release": 1, "release_tree": 1, "grow": 1}
"""Where an operation names a handle."""


class ModelCheckFailure(AssertionError):
    """A sequence on which the pool and the model disagree (or an invariant breaks).

    ``path`` is the shortest failing sequence found. The driver's trace in the
    message may list more operations: refused calls that left the state
    unchanged are run on the same pool before the next operation is tried.
    """

    def __init__(self, path: tuple[Op, ...], cause: ConformanceError) -> None:
        super().__init__(f"after {describe(path)}:\n{cause}")
        self.path = path


@dataclass
class Result:
    depth: int
    sequences: int = 0
    """Operation sequences of length 1..depth covered (each checked step by step)."""
    runs: int = 0
    """Steps executed and checked (each extends a distinct state by one operation)."""
    replays: int = 0
    """Fresh pools rebuilt by replaying a path."""
    states: int = 0
    """Distinct states reached (including the initial one)."""
    per_depth: list[int] = field(default_factory=list)
    """Distinct states first reached at each depth (breadth-first)."""
    seconds: float = 0.0

    def summary(self) -> str:
        how = "distinct states" if self.states < self.sequences + 1 else "states (no merging)"
        return (
            f"depth {self.depth}: {self.sequences} sequences covered, {self.runs} steps checked "
            f"({self.replays} replays), "
            f"{self.states} {how} (new per depth: {self.per_depth}), {self.seconds:.1f}s"
        )


def default_factory(config: PoolConfig, clock: Callable[[], int]) -> Any:
    from framepool import FramePoolManager

    return FramePoolManager(config, clock=clock)


class Checker:
    """Explores every sequence up to ``depth`` from a fresh ``factory`` pool on ``config``."""

    def __init__(
        self,
        factory: PoolFactory = default_factory,
        config: PoolConfig = TINY_CONFIG,
        *,
        dedup: bool = True,
    ) -> None:
        self.factory = factory
        self.config = config
        self.dedup = dedup

    def replay(self, path: tuple[Op, ...]) -> Lockstep:
        """A fresh lockstep pair after ``path`` (which was checked step by step when first run)."""
        ls = Lockstep(self.factory, self.config, check=not path)
        for i, op in enumerate(path):
            try:
                apply(ls, op)
            except ConformanceError as exc:
                raise ModelCheckFailure(path[: i + 1], exc) from exc
        return ls

    def step(self, ls: Lockstep, path: tuple[Op, ...]) -> None:
        """Apply the last operation of ``path`` to ``ls`` and check the whole state."""
        try:
            apply(ls, path[-1])
            ls.check()
        except ConformanceError as exc:
            raise ModelCheckFailure(path, exc) from exc

    def run(self, depth: int) -> Result:
        """Breadth-first: expand each distinct state once, at the depth it is first reached."""
        result = Result(depth)
        start = time.perf_counter()
        root = self.replay(())
        root_key: Any = root.state_key() if self.dedup else ()
        # For each expanded state: the states its operations lead to (with multiplicity).
        edges: dict[Any, list[Any]] = {}
        level: dict[Any, tuple[tuple[Op, ...], Lockstep | None]] = {root_key: ((), root)}
        seen: set[Any] = {root_key}
        result.per_depth.append(1)
        for _ in range(depth):
            following: dict[Any, tuple[tuple[Op, ...], Lockstep | None]] = {}
            for key, (path, ls) in level.items():
                state: Lockstep | None = ls if ls is not None else self.replay(path)
                result.replays += ls is None
                assert state is not None
                children = []
                for op in enabled_ops(state):
                    # An operation that left the state as it was (a refused call, a no-op)
                    # leaves ``state`` usable for the next one; otherwise replay the path.
                    if state is None:
                        state = self.replay(path)
                        result.replays += 1
                    child_path = (*path, op)
                    result.runs += 1
                    self.step(state, child_path)
                    child_key = state.state_key() if self.dedup else child_path
                    if child_key != key or not self.dedup:
                        state = None
                    children.append(child_key)
                    if child_key not in seen:
                        seen.add(child_key)
                        following[child_key] = (child_path, None)
                edges[key] = children
            result.per_depth.append(len(following))
            level = following
        memo: dict[tuple[Any, int], int] = {}

        def count(key: Any, remaining: int) -> int:
            """Sequences of 1..remaining steps from the state ``key``."""
            if remaining == 0:
                return 0
            if (key, remaining) not in memo:
                memo[(key, remaining)] = sum(1 + count(c, remaining - 1) for c in edges[key])
            return memo[(key, remaining)]

        result.sequences = count(root_key, depth)
        result.states = len(seen)
        result.seconds = time.perf_counter() - start
        return result


def iter_depths(checker: Checker, depth: int) -> Iterator[Result]:
    for d in range(1, depth + 1):
        yield checker.run(d)


def _load_pool(spec: str) -> PoolFactory:
    module_name, _, attr = spec.partition(":")
    cls = getattr(importlib.import_module(module_name), attr)

    def factory(config: PoolConfig, clock: Callable[[], int]) -> Any:
        return cls(config, clock=clock)

    return factory


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m proofs.model_check", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--depth", type=int, default=5, help="longest sequence (default 5)")
    parser.add_argument(
        "--no-dedup", action="store_true", help="run every sequence, no state merging"
    )
    parser.add_argument(
        "--pool",
        default="framepool:FramePoolManager",
        help="module:Class of the pool (default %(default)s)",
    )
    parser.add_argument("--all-depths", action="store_true", help="report every depth from 1 up")
    parser.add_argument(
        "--tier", action="store_true", help="thread caches of one frame, and a second thread"
    )
    args = parser.parse_args(argv)
    config = TIER_CONFIG if args.tier else TINY_CONFIG
    checker = Checker(_load_pool(args.pool), config, dedup=not args.no_dedup)
    try:
        results = (
            list(iter_depths(checker, args.depth)) if args.all_depths else [checker.run(args.depth)]
        )
    except ModelCheckFailure as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    for r in results:
        print(r.summary())
    print(f"OK: {args.pool} agrees with the model on every sequence up to length {args.depth}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
