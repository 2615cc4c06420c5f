"""The errors a frame pool raises. Shared by the model and every implementation.

Each error is raised before anything changes: a pool that raised one is in
exactly the state it was in before the call.
"""

from __future__ import annotations


class FramePoolError(Exception):
    """Base class of every misuse a frame pool detects."""


class DoubleReleaseError(FramePoolError):
    """The frame is not active: it was already released (or destroyed)."""


class ForeignFrameError(FramePoolError):
    """The frame was handed out by another pool manager (or by none)."""


class ActiveChildrenError(FramePoolError):
    """The frame still has active children; release them first (or use ``release_tree``)."""


class InvalidParentError(FramePoolError):
    """The requested parent is not active, belongs elsewhere, or may not parent that frame type."""


class PoolClosedError(FramePoolError):
    """The pool manager was closed; only ``statistics()`` still works."""
