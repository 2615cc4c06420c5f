"""Row 1c: warm hand-outs from several threads at once, with thread caches against without.

Each thread of a round takes a root frame and then, ``alloc_frames`` times, a child
frame of it and gives the child back (what a nested CALL costs the pool), on one
manager shared by all threads. The threads start together behind a barrier; the
time is wall time from the barrier to the last thread's end, per hand-out and
release. The variants are the VM's manager (``evm_manager``) on the
high-performance preset as it is (every hand-out through the class lock) and with
``thread_cache_size`` 16, interleaved round by round.
"""

from __future__ import annotations

import dataclasses
import statistics
import threading
import time

from framepool.bench.options import Settings
from framepool.bench.rows import Direction, Row
from framepool.evm.vm import evm_manager
from framepool.manager import FramePoolManager
from framepool_spec.config import FrameType, PoolConfig

THREADS = (1, 4)
THREAD_CACHE = 16
"""Idle frames per thread and class in the thread-cache variant."""
SINGLE_TARGET = 1.02
"""With one thread the tier may cost at most 2% more than the class lock alone ..."""
MANY_TARGET = 1.0
"""... and with several it must cost less."""


def _pairs(manager: FramePoolManager, count: int, start: threading.Barrier) -> None:
    get_or_create, release, call = manager.get_or_create, manager.release, FrameType.CALL
    root = manager.acquire(FrameType.REGULAR)
    start.wait()
    for _ in range(count):
        release(get_or_create(call, root))
    manager.release(root)


def _round(manager: FramePoolManager, threads: int, count: int) -> float:
    """Seconds per hand-out and release with ``threads`` threads doing ``count`` each."""
    start = threading.Barrier(threads + 1)
    workers = [threading.Thread(target=_pairs, args=(manager, count, start)) for _ in range(threads)]
    for worker in workers:
        worker.start()
    start.wait()
    began = time.perf_counter()
    for worker in workers:
        worker.join()
    return (time.perf_counter() - began) / (threads * count)


def contention(settings: Settings) -> list[Row]:
    locked = PoolConfig.high_performance()
    tiered = dataclasses.replace(locked, thread_cache_size=THREAD_CACHE)
    rows = []
    for threads in THREADS:
        managers = {"tier": evm_manager(tiered), "locked": evm_manager(locked)}
        for manager in managers.values():  # warm: idle frames in every thread's reach
            _round(manager, threads, settings.alloc_frames // 4)
        seconds: dict[str, list[float]] = {name: [] for name in managers}
        order = list(managers)
        for _ in range(settings.alloc_rounds):
            order.reverse()
            for name in order:
                seconds[name].append(_round(managers[name], threads, settings.alloc_frames // threads))
        ratio = statistics.median(t / c for t, c in zip(seconds["tier"], seconds["locked"]))
        per_pair = {name: statistics.median(s) * 1e9 for name, s in seconds.items()}
        rows.append(
            Row(
                f"warm hand-out, {threads} thread{'s' if threads > 1 else ''}: thread caches/class lock",
                ratio,
                SINGLE_TARGET if threads == 1 else MANY_TARGET,
                Direction.AT_MOST,
                f"median of {settings.alloc_rounds} interleaved rounds, wall time per get_or_create + "
                f"release: thread caches {per_pair['tier']:.0f} ns, class lock {per_pair['locked']:.0f} ns",
            )
        )
    return rows
