"""A synthetic call-tree workload: transactions shaped like mainnet traffic.

Each transaction is a tree of frames: a REGULAR root, then nested CALL,
DELEGATE_CALL, STATIC_CALL, CREATE, CREATE2 and PRECOMPILE frames obeying
``can_be_parent_of``. Every frame does the typical work of a real one (a few
stack pushes and some memory) so pooling is measured against honest work.
Shapes follow the mainnet profile in the design notes: about 8 calls per
transaction, stack height ~8, memory ~128 bytes, rarely 4 KiB.
"""

from __future__ import annotations

import random
import time
import tracemalloc
from dataclasses import dataclass

from framepool.frame import PooledFrame
from framepool.manager import FramePoolManager
from framepool.statistics import PoolStatistics
from framepool_spec.config import FrameType, PoolConfig, can_be_parent_of

_CHILD_TYPES = (
    (FrameType.CALL, 40),
    (FrameType.STATIC_CALL, 25),
    (FrameType.DELEGATE_CALL, 15),
    (FrameType.PRECOMPILE, 12),
    (FrameType.CREATE, 4),
    (FrameType.CREATE2, 4),
)


@dataclass(frozen=True)
class CallTree:
    frame_type: FrameType
    memory_bytes: int
    children: tuple[CallTree, ...]

    def size(self) -> int:
        return 1 + sum(child.size() for child in self.children)


@dataclass(frozen=True)
class Shape:
    """How call trees grow: child frame types by weight, children per frame by weight, a depth limit."""

    child_types: tuple[tuple[FrameType, int], ...] = _CHILD_TYPES
    fanout_weights: tuple[int, ...] = (45, 35, 12, 5, 3)
    """Weights of 0, 1, 2, ... children per frame."""
    max_depth: int = 12


MAINNET = Shape()
"""The mainnet profile of the design notes."""


def make_transactions(count: int, seed: int = 0, shape: Shape = MAINNET) -> list[CallTree]:
    """``count`` random call trees of ``shape``, reproducible from ``seed``."""
    rng = random.Random(seed)
    types = [t for t, _ in shape.child_types]
    weights = [w for _, w in shape.child_types]
    fanouts = range(len(shape.fanout_weights))

    def grow(frame_type: FrameType, depth: int) -> CallTree:
        children: list[CallTree] = []
        if frame_type is not FrameType.PRECOMPILE and depth < shape.max_depth:
            fanout = rng.choices(fanouts, weights=shape.fanout_weights)[0]
            for _ in range(fanout):
                child = rng.choices(types, weights=weights)[0]
                if can_be_parent_of(frame_type, child):
                    children.append(grow(child, depth + 1))
        memory = rng.choices((0, 128, 1024, 4096), weights=(20, 60, 15, 5))[0]
        return CallTree(frame_type, memory, tuple(children))

    return [grow(FrameType.REGULAR, 0) for _ in range(count)]


def run_transaction(manager: FramePoolManager, tree: CallTree, parent: PooledFrame | None = None) -> int:
    """Execute one call tree depth-first on frames from ``manager``; returns a checksum."""
    frame = manager.get_or_create(tree.frame_type, parent)
    try:
        stack = frame.stack
        for i in range(8):
            stack.append(i * 0x1F + len(stack))
        if tree.memory_bytes:
            frame.memory.extend(bytes(tree.memory_bytes))
        frame.gas = 100_000 - frame.depth
        checksum = sum(stack) + len(frame.memory)
        for child in tree.children:
            checksum += run_transaction(manager, child, frame)
        return checksum
    finally:
        manager.release(frame)


@dataclass(frozen=True)
class WorkloadResult:
    label: str
    transactions: int
    frames: int
    checksum: int
    seconds: float
    peak_traced_bytes: int
    statistics: PoolStatistics


def run_workload(label: str, config: PoolConfig, trees: list[CallTree], *, trace_memory: bool = False) -> WorkloadResult:
    """Run every tree on a fresh manager built from ``config``; measure time or peak memory.

    tracemalloc slows everything down, so time one run and trace another.
    """
    if trace_memory:
        tracemalloc.start()  # before the manager: a pool's preallocated frames count too
    manager = FramePoolManager(config)
    start = time.perf_counter()
    checksum = 0
    for i, tree in enumerate(trees):
        checksum += run_transaction(manager, tree)
        if i % 500 == 499:
            manager.auto_tune()
            if manager.check_gc_pressure():
                manager.cleanup()
    seconds = time.perf_counter() - start
    peak = 0
    if trace_memory:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    stats = manager.statistics()
    manager.close()
    return WorkloadResult(label, len(trees), sum(t.size() for t in trees), checksum, seconds, peak, stats)
