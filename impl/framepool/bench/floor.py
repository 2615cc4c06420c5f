"""The floor of any pool of the VM's frames: a bare free list per frame type, as a manager.

Rows 1b and 2b compare it with constructing frames: what no pool of these frames can beat
in this interpreter, since handing out a used frame means resetting every per-call field
and linking it to its parent. It keeps no counts, takes no lock and checks nothing, so it
is not a pool anybody should use -- it is only the lower bound of what pooling can save.
"""

from __future__ import annotations

from typing import Any

from framepool.frame import ACTIVE, PooledFrame
from framepool.manager import FramePoolManager
from framepool_spec.config import FrameType, PoolConfig


class BareFreeList(FramePoolManager):
    """Hands out frames from a plain list per frame type: pop, link; unlink, reset, push."""

    def __init__(self, config: PoolConfig | None = None, **options: Any) -> None:
        super().__init__(config, **options)
        self._idle: list[list[PooledFrame]] = [[] for _ in FrameType]

    def acquire(self, frame_type: FrameType) -> PooledFrame:
        return self.get_or_create(frame_type)

    def get_or_create(self, frame_type: FrameType, parent: PooledFrame | None = None) -> PooledFrame:
        idle = self._idle[frame_type]
        # A new frame names class 0's pool as its own: release_tree's ownership check reads it.
        frame = idle.pop() if idle else self.frame_class(frame_type, self._pools[0], 0)
        frame._state = ACTIVE
        if parent is not None:
            frame.parent = parent
            frame.depth = parent.depth + 1
            parent.children.append(frame)
        return frame

    def release(self, frame: PooledFrame) -> bool:
        parent = frame.parent
        if parent is not None:
            parent.children.remove(frame)
            frame.parent = None
        frame.reset()
        frame.depth = 0
        self._idle[frame.frame_type].append(frame)
        return True
