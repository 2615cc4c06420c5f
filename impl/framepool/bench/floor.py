"""Bare frame sources as managers: the floor of what pooling the VM's frames can save.

``BareFreeList`` reuses frames from a plain list per frame type; ``BareConstruction``
builds a new frame for every call and drops it on release. Neither keeps a count, takes a
lock or checks anything, so the ratio of the two is what reuse alone saves in the VM --
no pool of these frames, which must also do those things, can save more. Row 2b compares
them; row 1b is the same floor for one hand-out.

They are not pools anybody should use: only the bounds of what pooling can save.
"""

from __future__ import annotations

from typing import Any

from framepool.frame import ACTIVE, PooledFrame
from framepool.manager import FramePoolManager
from framepool_spec.config import FrameType, PoolConfig


class BareConstruction(FramePoolManager):
    """Builds a frame for every hand-out and lets it go on release: link, unlink, nothing else."""

    def acquire(self, frame_type: FrameType) -> PooledFrame:
        return self.get_or_create(frame_type)

    def get_or_create(self, frame_type: FrameType, parent: PooledFrame | None = None) -> PooledFrame:
        # A frame names class 0's pool as its own: release_tree's ownership check reads it.
        frame = self.frame_class(frame_type, self._pools[0], 0)
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
        return False


class BareFreeList(BareConstruction):
    """Hands out frames from a plain list per frame type: pop, link; unlink, reset, push."""

    def __init__(self, config: PoolConfig | None = None, **options: Any) -> None:
        super().__init__(config, **options)
        self._idle: list[list[PooledFrame]] = [[] for _ in FrameType]

    def get_or_create(self, frame_type: FrameType, parent: PooledFrame | None = None) -> PooledFrame:
        idle = self._idle[frame_type]
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
