"""PooledFrame: one EVM call frame, reusable across acquisitions."""

from __future__ import annotations

import operator
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from framepool_spec.config import FrameType
from framepool_spec.model import FRESH_PAYLOAD

if TYPE_CHECKING:
    from framepool.pool import FramePool
    from framepool.thread_cache import ThreadCache

AVAILABLE = 0
ACTIVE = 1
DESTROYED = 2
STATE_NAMES = ("available", "active", "destroyed")

IDLE_ORDER = operator.attrgetter("idle_order")
"""Sort key of idle frames, coldest first (the order they became idle)."""


class PooledFrame:
    """An EVM call frame plus its pool bookkeeping and its place in the call hierarchy.

    Ownership: while a frame is ACTIVE its holder owns every field below and
    touches them without a lock (the manager links and unlinks ``parent`` and
    ``children`` on the holder's thread, inside ``get_or_create``/``release``).
    While it is AVAILABLE the frame belongs to its class's pool and is touched
    only under that pool's lock.

    A user whose frames carry more per-call state (the EVM's execution
    context, ``framepool.evm.context.EvmFrame``) subclasses this, adds slots,
    lists them with their fresh values in ``payload_fields`` and extends
    ``reset``; the manager builds its frames from ``frame_class=``.
    """

    payload_fields: ClassVar[Mapping[str, object]] = FRESH_PAYLOAD
    """Every payload field and the value ``reset`` gives it (the conformance suite checks this)."""

    __slots__ = (
        "frame_type",
        "stack",
        "memory",
        "gas",
        "contract",
        "return_data",
        "parent",
        "children",
        "depth",
        "usage_count",
        "allocation_time",
        "last_access_time",
        "_state",
        "_pool",
        "_holder",
        "idle_order",
        "__weakref__",
    )

    def __init__(self, frame_type: FrameType, pool: FramePool, now: int) -> None:
        # EVM payload: stack and memory buffers are kept across acquisitions.
        self.frame_type = frame_type
        self.stack: list[int] = []
        self.memory = bytearray()
        self.gas = 0
        self.contract: object | None = None
        self.return_data = b""
        # Hierarchy.
        self.parent: PooledFrame | None = None
        self.children: list[PooledFrame] = []
        self.depth = 0
        # Pool bookkeeping.
        self.usage_count = 0
        self.allocation_time = now
        self.last_access_time = now
        self._state = ACTIVE
        self._pool = pool
        self._holder: ThreadCache | None = None
        """With thread caches: the thread cache this frame is out of or idles in (else None)."""
        self.idle_order = 0
        """When the frame last became idle, as a place in the manager's release order."""

    @property
    def is_active(self) -> bool:
        return self._state == ACTIVE

    @property
    def is_pooled(self) -> bool:
        """Whether the frame sits idle in a pool."""
        return self._state == AVAILABLE

    @property
    def size_class(self) -> int:
        return self._pool.size_class

    @property
    def state(self) -> str:
        return STATE_NAMES[self._state]

    def reset(self) -> None:
        """Make the payload fresh for the next holder (``payload_fields``), dropping every
        reference the last holder left. The pool calls it exactly once per release, under
        the class lock; the hierarchy links are the pool's to clear."""
        self.stack.clear()
        del self.memory[:]
        self.gas = 0
        self.contract = None
        self.return_data = b""

    def memory_usage(self) -> int:
        """Bytes this frame holds (object, buffers, child list), an estimate."""
        return (
            sys.getsizeof(self)
            + sys.getsizeof(self.stack)
            + sys.getsizeof(self.memory)
            + sys.getsizeof(self.children)
        )

    def __repr__(self) -> str:
        return (
            f"<PooledFrame {self.frame_type.name} class={self._pool.size_class} "
            f"{self.state} depth={self.depth} uses={self.usage_count}>"
        )
