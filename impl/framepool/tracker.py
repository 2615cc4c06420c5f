"""AllocationTracker: per-type allocation counts and a bounded event timeline.

One tracker belongs to one size class and is guarded by that class's lock
(see ``framepool.pool``). ``counts`` is a flat list indexed by
``frame_type * 4 + event``: the pool increments it inline on its hot path. The
timeline is a ring buffer in three lists: they grow with the first ``capacity``
events (a tracker that records few events, say a short-lived thread's, holds
only those), then appending an event overwrites the oldest one's three slots and
moves an index, so appending and evicting are both O(1). A pool built with
``track_events=False`` keeps the counts and appends nothing to the timeline.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass
from enum import IntEnum

from framepool_spec.config import FrameType
from framepool_spec.statistics import TypeCounts

DEFAULT_TIMELINE_CAPACITY = 10_000


class EventType(IntEnum):
    POOL_ALLOCATION = 0
    DIRECT_ALLOCATION = 1
    POOL_DEALLOCATION = 2
    DIRECT_DEALLOCATION = 3


_EVENT_KINDS = len(EventType)


@dataclass(frozen=True)
class AllocationEvent:
    sequence: int
    timestamp: int
    frame_type: FrameType
    event_type: EventType


@dataclass(frozen=True)
class AllocationPattern:
    """What the most recent allocation events looked like."""

    total_events: int
    frame_type_counts: dict[FrameType, int]
    event_type_counts: dict[EventType, int]

    @classmethod
    def of(cls, events: list[AllocationEvent]) -> AllocationPattern:
        return cls(
            total_events=len(events),
            frame_type_counts=dict(Counter(e.frame_type for e in events)),
            event_type_counts=dict(Counter(e.event_type for e in events)),
        )

    def dominant_frame_type(self) -> FrameType | None:
        """The most frequent frame type (lowest type on a tie), or None with no events."""
        if not self.frame_type_counts:
            return None
        return max(sorted(self.frame_type_counts), key=lambda t: self.frame_type_counts[t])

    def pool_usage_ratio(self) -> float:
        """Share of allocations served from a pool."""
        pooled = self.event_type_counts.get(EventType.POOL_ALLOCATION, 0)
        direct = self.event_type_counts.get(EventType.DIRECT_ALLOCATION, 0)
        return pooled / (pooled + direct) if pooled + direct else 0.0


@dataclass(frozen=True)
class EventTotals:
    """The events of some frame types, summed by kind: what a size class's counters derive from."""

    hits: int = 0
    misses: int = 0
    returns: int = 0
    overflows: int = 0

    @property
    def acquisitions(self) -> int:
        return self.hits + self.misses

    @property
    def releases(self) -> int:
        return self.returns + self.overflows


class AllocationTracker:
    """Counts and timeline of one size class. Not thread-safe: its class lock guards it."""

    __slots__ = ("counts", "_seq", "_times", "_codes", "_order", "_next", "_size", "_capacity")

    def __init__(self, sequence: itertools.count[int], capacity: int = DEFAULT_TIMELINE_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError(f"timeline capacity must be positive, got {capacity}")
        self.counts = [0] * (len(FrameType) * _EVENT_KINDS)
        """Events per ``frame_type * 4 + event``."""
        self._seq = sequence  # shared by the manager's classes: a global event order
        self._capacity = capacity
        self._times: list[int] = []
        self._codes: list[int] = []
        self._order: list[int] = []
        self._next = 0
        """Where the next event goes once the lists are full (the oldest event's slot)."""
        self._size = 0

    def record(self, frame_type: int, event: int, now: int) -> None:
        """Count one event and append it to the timeline, evicting the oldest when full."""
        self.record_code(frame_type * _EVENT_KINDS + event, now)

    def record_code(self, code: int, now: int) -> None:
        """``record`` with ``code = frame_type * 4 + event`` already computed."""
        self.counts[code] += 1
        self.append(code, now)

    def append(self, code: int, now: int) -> None:
        """Append an event already counted in ``counts`` to the timeline (the pool's hot path)."""
        if self._size < self._capacity:  # still filling: the lists grow
            self._times.append(now)
            self._codes.append(code)
            self._order.append(next(self._seq))
            self._size += 1
            return
        slot = self._next
        self._times[slot] = now
        self._codes[slot] = code
        self._order[slot] = next(self._seq)
        slot += 1
        self._next = 0 if slot == self._capacity else slot

    def absorb(self, other: AllocationTracker) -> None:
        """Take ``other``'s timeline in (a retired thread cache's), each event keeping its place
        in the global order; the most recent ``capacity`` events of both are kept."""
        merged = sorted(zip(self._order, self._times, self._codes)) if self._size else []
        start = other._next
        for i in range(other._size):
            slot = (start + i) % other._capacity
            merged.append((other._order[slot], other._times[slot], other._codes[slot]))
        merged.sort()
        kept = merged[-self._capacity :]
        self._order = [order for order, _, _ in kept]
        self._times = [now for _, now, _ in kept]
        self._codes = [code for _, _, code in kept]
        self._size = len(kept)
        self._next = 0

    def type_counts(self, frame_type: FrameType) -> TypeCounts:
        base = int(frame_type) * _EVENT_KINDS
        c = self.counts
        return TypeCounts(
            pool_allocations=c[base + EventType.POOL_ALLOCATION],
            direct_allocations=c[base + EventType.DIRECT_ALLOCATION],
            pool_deallocations=c[base + EventType.POOL_DEALLOCATION],
            direct_deallocations=c[base + EventType.DIRECT_DEALLOCATION],
        )

    def totals(self, frame_types: tuple[FrameType, ...]) -> EventTotals:
        """The events of ``frame_types``, summed by kind."""
        c = self.counts
        bases = [int(t) * _EVENT_KINDS for t in frame_types]
        return EventTotals(
            hits=sum(c[b + EventType.POOL_ALLOCATION] for b in bases),
            misses=sum(c[b + EventType.DIRECT_ALLOCATION] for b in bases),
            returns=sum(c[b + EventType.POOL_DEALLOCATION] for b in bases),
            overflows=sum(c[b + EventType.DIRECT_DEALLOCATION] for b in bases),
        )

    def events(self) -> list[AllocationEvent]:
        """The timeline, oldest first."""
        start = self._next  # the oldest event: slot 0 until the lists are full
        out = []
        for i in range(self._size):
            slot = (start + i) % self._capacity
            code = self._codes[slot]
            out.append(
                AllocationEvent(
                    sequence=self._order[slot],
                    timestamp=self._times[slot],
                    frame_type=FrameType(code // _EVENT_KINDS),
                    event_type=EventType(code % _EVENT_KINDS),
                )
            )
        return out

    def __len__(self) -> int:
        return self._size
