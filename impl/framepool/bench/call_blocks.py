"""Row 5: memory blocks held per nested CALL on a warm VM, pooled and unpooled.

Counting blocks before and after a whole transaction shows nothing: unpooled
frames are freed when their calls return, pooled ones go back to the pool, so
both deltas are about zero. What a frame costs shows while calls are nested:
in the demo's recursion every level holds its frame until the deepest call
returns. A manager subclass notes ``sys.getallocatedblocks()`` when it hands out
the frames at depths ``LOW`` and ``HIGH``; the difference over ``HIGH - LOW`` levels
is the blocks each nested CALL holds (the frame, if it is new, and whatever
else the interpreter keeps per call). The VM is warmed by one recursion first.
"""

from __future__ import annotations

import sys

from framepool.bench.rows import Direction, Row
from framepool.bench.variants import manager_like
from framepool.bench.workloads import Workload, run_jobs
from framepool.evm.vm import VM
from framepool.frame import PooledFrame
from framepool.manager import FramePoolManager
from framepool_spec.config import FrameType, PoolConfig

LOW, HIGH = 256, 768
TARGET = 0.0
"""No allocation per warm CALL with pooling on."""


class DepthSampler(FramePoolManager):
    """Notes the allocated blocks when the frames at depths LOW and HIGH are handed out."""

    blocks_at: dict[int, int]

    def get_or_create(self, frame_type: FrameType, parent: PooledFrame | None = None) -> PooledFrame:
        frame = super().get_or_create(frame_type, parent)
        if frame.depth in (LOW, HIGH):
            self.blocks_at[frame.depth] = sys.getallocatedblocks()
        return frame


def _blocks_per_call(recursion: Workload, config: PoolConfig) -> tuple[float, float]:
    """Blocks held per nested CALL on a warm VM, and that VM's hit rate in the measured run."""
    manager = manager_like(config, DepthSampler)
    manager.blocks_at = {LOW: 0, HIGH: 0}  # room for both entries before the first sample
    vm = VM(manager=manager)
    jobs = recursion.build()[:2]
    run_jobs(vm, jobs[:1])  # warm-up
    before = manager.counts()
    run_jobs(vm, jobs[1:])
    after = manager.counts()
    acquisitions = after.acquisitions - before.acquisitions
    hit_rate = (after.hits - before.hits) / acquisitions if acquisitions else 0.0
    # minus one: the int holding the LOW sample is itself a block alive at HIGH
    held = manager.blocks_at[HIGH] - manager.blocks_at[LOW] - 1
    return held / (HIGH - LOW), hit_rate


def blocks_per_call(recursion: Workload) -> Row:
    pooled, hit_rate = _blocks_per_call(recursion, PoolConfig.high_performance())
    unpooled, _ = _blocks_per_call(recursion, PoolConfig.disabled())
    return Row(
        "memory blocks held per warm nested CALL, pooled",
        pooled, TARGET, Direction.AT_MOST,
        f"unpooled {unpooled:.2f} blocks per CALL (difference {unpooled - pooled:.2f}); "
        f"depths {LOW}-{HIGH} of the demo's recursion; pool hit rate in that run {hit_rate:.3f}",
    )
