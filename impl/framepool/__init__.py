"""framepool: a thread-safe pool of EVM call frames, and a Cancun EVM that runs on it.

The vocabulary (FrameType, PoolConfig, the errors) is shared with the reference
model in ``framepool_spec``.
"""

from framepool.frame import PooledFrame
from framepool.gc_trigger import GarbageCollectionTrigger
from framepool.manager import FramePoolManager, monotonic_ms
from framepool.pool import FramePool
from framepool.statistics import PoolStatistics
from framepool.tracker import AllocationEvent, AllocationPattern, AllocationTracker, EventType
from framepool_spec.config import FrameType, PoolConfig, can_be_parent_of
from framepool_spec.errors import (
    ActiveChildrenError,
    DoubleReleaseError,
    ForeignFrameError,
    FramePoolError,
    InvalidParentError,
    PoolClosedError,
)
from framepool_spec.statistics import ClassCounts, PoolCounts, TypeCounts

__all__ = [
    "ActiveChildrenError",
    "AllocationEvent",
    "AllocationPattern",
    "AllocationTracker",
    "ClassCounts",
    "DoubleReleaseError",
    "EventType",
    "ForeignFrameError",
    "FramePool",
    "FramePoolError",
    "FramePoolManager",
    "FrameType",
    "GarbageCollectionTrigger",
    "InvalidParentError",
    "PoolClosedError",
    "PoolConfig",
    "PoolCounts",
    "PoolStatistics",
    "PooledFrame",
    "TypeCounts",
    "can_be_parent_of",
    "monotonic_ms",
]
