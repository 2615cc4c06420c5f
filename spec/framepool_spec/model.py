"""The reference model of a call-frame pool manager.

Small, slow and meant to be read. Every operation takes the current time
``now`` (milliseconds) as an argument: the model never reads a clock, so the
same calls always give the same result.

Where a real pool may choose (which idle frame an acquisition hands out), the
operation takes the choice as an argument and checks that it is legal;
``legal_picks`` exposes the legal set. Left out, the model picks the lowest
frame id. Which idle frames a shrink destroys is *not* a free choice: the
coldest go first (see below), so a pool that throws away its warm frames is
caught.

Frames are named by integer ids. Every frame is in exactly one state:
AVAILABLE (idle in its class's pool), ACTIVE (held by a caller) or DESTROYED.

Semantics, in one place:

* A class *has a pool* when pooling is on and its maximum size is positive.
  Each class's ``current_size`` bounds how many idle frames it keeps.
* acquire: a hit takes an idle frame of the class if there is one; otherwise a
  miss creates a frame. Either way the frame's use count goes up by one. With
  auto-tuning on, a miss makes room for the demand it shows: the class's size
  grows to the number of its frames now active, this one included (up to its
  maximum), so that when they all come back each can be pooled, and the same
  demand hits next time (a 1024-deep recursion misses once per depth, once).
* A frame handed out is *fresh*: its payload is ``FRESH_PAYLOAD`` (empty stack
  and memory, no return data, no contract, gas 0, and every further per-call
  field a pool declares at its fresh value), it has no children, and its
  parent and depth are the caller's (none and 0 for a root, parent's depth + 1
  for a child). Nothing of a previous holder is visible to the next one.
* release: refused (state unchanged) if the frame is not active, unknown, or
  has active children. Otherwise the frame leaves its parent, its last access
  time becomes now (a frame's last access is its creation or its latest
  release: what cleanup's idle age counts from); it is *returned*
  to its class if there is room, it is younger than ``MAX_FRAME_AGE_MS`` and
  its memory is at most ``MAX_POOLED_MEMORY_BYTES``, else it *overflows* and is
  destroyed.
* resize(class, n): sets the class's size; growing creates no frames, shrinking
  destroys idle frames beyond ``n``, the *coldest* first: the frames idle
  longest, i.e. in the order they became idle (prefilled frames first, in
  creation order; then by release time, ties by release order).
* auto_tune: for each pooled class with acquisitions, grow by the growth factor
  if the hit rate is below ``TARGET_HIT_RATE``; otherwise shrink to
  ``SHRINK_FACTOR`` (not below the initial size) if utilization is below the
  shrink threshold.
* cleanup(now): destroys idle frames idle longer than ``MAX_IDLE_MS`` that were
  used fewer than ``CLEANUP_MAX_USES`` times.
* check_gc_pressure(now): pressure = idle frames / sum of maximum sizes; fires
  above ``FORCE_GC_PRESSURE``, or above the configured threshold when
  ``GC_INTERVAL_MS`` passed since the last firing.
* close(): destroys idle frames; afterwards only ``statistics()`` works.
* Every class keeps its peaks: the most frames it ever held active at once
  (``peak_active``) and idle at once (``peak_available``, prefilled frames
  included).

Thread caches (``thread_cache_size`` C > 0; every pooled class). Each thread has,
per class, a cache of idle frames in front of the class's *shared* idle list,
and a number of *slots*: the idle frames it may keep. Operations on a frame take
the calling thread's id (``thread``); the class's idle frames (``available``,
still in the order they became idle) are the shared ones plus every cache's.
Let B = ``cache_batch`` = max(1, C // 2) and spare = current size - all slots -
shared frames. Then all slots + shared frames never exceed the current size, a
cache never holds more frames than its slots, and its slots never exceed C.

* The shared list keeps the order frames came to it: in idle order (coldest
  first) after a drain of all caches, and a flush or a thread's drain appends.
* acquire: a thread with an empty cache first *refills* it: the last min(B,
  shared) frames of the shared list move into its cache, and its slots rise to at
  least that many. A hit hands out the warmest frame of the cache. With no frame in the
  cache or the shared list it misses (other threads' caches are not searched),
  and with auto-tuning on the class grows to the frames of the class *this
  thread* holds active, the new one included. The frame's *holder* is the
  thread that took it out.
* release: the frame goes back to its holder's cache (whichever thread calls).
  Eligible as above (young, small), it is returned if the cache has a free
  slot; else, if spare > 0, the cache takes min(B, spare, C - its slots) more
  slots, first flushing its B coldest frames (with their slots) to the end of the
  shared list when it already holds C slots; else it overflows.
* resize, auto_tune (when on), cleanup and close first *drain* every cache: its
  frames go back to the shared list, its slots to zero, and the shared list is put
  in idle order. Then they act as above, on all idle frames.
* thread_exit(thread): drains that thread's caches (a thread that ends loses
  no frame and no count).
* Peaks, per class: ``peak_active`` is the sum over threads of the most frames
  each held active at once; ``peak_available`` is the shared list's peak plus
  the sum over threads of each cache's peak. Each thread counts only its own
  frames, without a shared lock, so these bound the class's simultaneous peaks
  from above (exact with one thread for ``peak_active``).

The thresholds are strict where the sketch says "older than", "more than",
"fewer than" and "above": a value exactly on a threshold is on the lenient
side (an idle frame exactly ``MAX_IDLE_MS`` old survives cleanup; a hit rate
of exactly ``TARGET_HIT_RATE`` does not grow its class).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from framepool_spec.config import (
    CLEANUP_MAX_USES,
    FORCE_GC_PRESSURE,
    GC_INTERVAL_MS,
    MAX_FRAME_AGE_MS,
    MAX_FRAME_SIZES,
    MAX_IDLE_MS,
    MAX_POOLED_MEMORY_BYTES,
    SHRINK_FACTOR,
    TARGET_HIT_RATE,
    FrameType,
    PoolConfig,
    can_be_parent_of,
)
from framepool_spec.errors import (
    ActiveChildrenError,
    DoubleReleaseError,
    ForeignFrameError,
    InvalidParentError,
    PoolClosedError,
)
from framepool_spec.statistics import ClassCounts, PoolCounts, TypeCounts

FRESH_PAYLOAD: Mapping[str, object] = {
    "stack": [],
    "memory": b"",
    "return_data": b"",
    "gas": 0,
    "contract": None,
}
"""The payload of every frame handed out (compared by equality: an empty list,
empty bytes-like memory, ...). A pool whose frames carry more per-call fields
declares them and their fresh values (see ``framepool_spec.conformance``)."""


class FrameState(Enum):
    AVAILABLE = "available"
    ACTIVE = "active"
    DESTROYED = "destroyed"


class IllegalChoice(AssertionError):
    """The implementation made a choice the model does not allow."""


@dataclass
class ModelFrame:
    fid: int
    frame_type: FrameType
    size_class: int
    state: FrameState
    allocation_time: int
    last_access_time: int
    usage_count: int = 0
    parent: int | None = None
    children: list[int] = field(default_factory=list)
    depth: int = 0
    holder: int | None = None
    """The thread whose cache the frame returns to (thread caches only)."""


@dataclass
class ModelClass:
    size_class: int
    initial_size: int
    max_size: int
    current_size: int
    available: list[int] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)
    cached: bool = False
    """Whether the class hands out frames through thread caches."""
    caches: dict[int, list[int]] = field(default_factory=dict)
    """Per thread: its cached idle frames, in the order they became idle."""
    slots: dict[int, int] = field(default_factory=dict)
    thread_peak_active: dict[int, int] = field(default_factory=dict)
    thread_peak_cached: dict[int, int] = field(default_factory=dict)
    shared_peak: int = 0
    shared_list: list[int] = field(default_factory=list)
    """The idle frames in no thread's cache, in the order they came to the shared list
    (in idle order after every drain of all caches; a flush appends)."""

    def shared(self) -> list[int]:
        """The idle frames in no thread's cache (``shared_list``)."""
        return self.shared_list

    def cache(self, thread: int) -> list[int]:
        return self.caches.setdefault(thread, [])

    def bump(self, name: str, by: int = 1) -> None:
        self.counters[name] = self.counters.get(name, 0) + by

    def count(self, name: str) -> int:
        return self.counters.get(name, 0)

    def peak(self, name: str, value: int) -> None:
        """Raise the high-water mark ``name`` to ``value`` if it is higher."""
        self.counters[name] = max(self.counters.get(name, 0), value)


TYPE_COUNTERS = ("pool_allocations", "direct_allocations", "pool_deallocations", "direct_deallocations")


class PoolModel:
    """The reference frame pool manager."""

    def __init__(self, config: PoolConfig, now: int) -> None:
        self.config = config
        self.frames: dict[int, ModelFrame] = {}
        self.classes: list[ModelClass] = []
        self.by_type: dict[FrameType, dict[str, int]] = {t: {} for t in FrameType}
        self.cleanups_performed = 0
        self.last_cleanup_time: int | None = None
        self.gc_triggers = 0
        self.last_gc_time = now
        self.closed = False
        for c in range(MAX_FRAME_SIZES):
            pooled = config.has_pool(c)
            initial = config.initial_pool_sizes[c] if pooled else 0
            maximum = config.max_pool_sizes[c] if pooled else 0
            cls = ModelClass(c, initial, maximum, initial, cached=config.has_thread_cache(c))
            self.classes.append(cls)
            for _ in range(initial):
                frame = self._new_frame(FrameType(c), c, now)
                frame.state = FrameState.AVAILABLE
                cls.available.append(frame.fid)
            cls.peak("peak_available", len(cls.available))
            cls.shared_peak = len(cls.available)
            if cls.cached:
                cls.shared_list = list(cls.available)

    # ---- queries ------------------------------------------------------------

    def size_class(self, frame_type: FrameType) -> int:
        return self.config.size_class(frame_type)

    def legal_picks(self, frame_type: FrameType, thread: int = 0) -> frozenset[int]:
        """The frames an acquisition of ``frame_type`` may hand out (empty: it must miss)."""
        cls = self.classes[self.size_class(frame_type)]
        if not cls.cached:
            return frozenset(cls.available)
        cache = cls.caches.get(thread) or cls.shared()
        return frozenset(cache[-1:])  # the warmest of the cache, after a refill

    def shrink_victims(self, size_class: int, new_size: int) -> list[int]:
        """The idle frames a shrink of ``size_class`` to ``new_size`` destroys: the coldest.

        ``available`` is kept in the order frames became idle, so the coldest are its head.
        """
        available = self.classes[size_class].available
        return available[: max(0, len(available) - new_size)]

    def active_frames(self) -> list[int]:
        return [f.fid for f in self.frames.values() if f.state is FrameState.ACTIVE]

    # ---- operations ---------------------------------------------------------

    def acquire(
        self, frame_type: FrameType, now: int, pick: int | None = None, thread: int = 0
    ) -> int:
        """Hand out a frame of ``frame_type``; ``pick`` is the implementation's choice on a hit."""
        self._check_open()
        frame_type = FrameType(frame_type)
        cls = self.classes[self.size_class(frame_type)]
        if cls.cached:
            return self._acquire_cached(cls, frame_type, now, pick, thread)
        if cls.available:
            if pick is None:
                pick = min(cls.available)
            if pick not in cls.available:
                raise IllegalChoice(f"frame {pick} is not idle in class {cls.size_class}")
        elif pick is not None:
            raise IllegalChoice(f"class {cls.size_class} has no idle frame to pick {pick} from")
        frame = self._take(cls, frame_type, now, pick)
        if pick is None:
            self._expand_after_miss(cls)
        self._hand_out(cls, frame, frame_type)
        cls.peak("peak_active", cls.count("active"))
        return frame.fid

    def _acquire_cached(
        self, cls: ModelClass, frame_type: FrameType, now: int, pick: int | None, thread: int
    ) -> int:
        cache = cls.cache(thread)
        if not cache:  # refill: the frames that came to the shared list last
            shared = cls.shared()
            moved = shared[-self.config.cache_batch :]
            del shared[-self.config.cache_batch :]
            cache.extend(moved)
            cls.slots[thread] = max(cls.slots.get(thread, 0), len(moved))
            cls.thread_peak_cached[thread] = max(cls.thread_peak_cached.get(thread, 0), len(cache))
        expected = cache[-1] if cache else None
        if pick != expected and (pick is not None or expected is None):
            raise IllegalChoice(
                f"thread {thread} must hand out frame {expected} of class {cls.size_class}, not {pick}"
            )
        frame = self._take(cls, frame_type, now, cache.pop() if cache else None)
        if expected is None and self.config.enable_auto_tuning:  # a miss: this thread's demand
            wanted = min(self._held(cls, thread) + 1, cls.max_size)
            if wanted > cls.current_size:
                self._set_size(cls, wanted)
        frame.holder = thread
        self._hand_out(cls, frame, frame_type)
        held = self._held(cls, thread)
        cls.thread_peak_active[thread] = max(cls.thread_peak_active.get(thread, 0), held)
        return frame.fid

    def _take(self, cls: ModelClass, frame_type: FrameType, now: int, fid: int | None) -> ModelFrame:
        """Count an acquisition: of the idle frame ``fid`` (a hit), or of a new frame (None: a miss)."""
        cls.bump("acquisitions")
        if fid is not None:
            cls.available.remove(fid)
            cls.bump("hits")
            self._bump_type(frame_type, "pool_allocations")
            return self.frames[fid]
        cls.bump("misses")
        self._bump_type(frame_type, "direct_allocations")
        return self._new_frame(frame_type, cls.size_class, now)

    def _hand_out(self, cls: ModelClass, frame: ModelFrame, frame_type: FrameType) -> None:
        frame.state = FrameState.ACTIVE
        frame.frame_type = frame_type
        frame.usage_count += 1
        frame.parent = None
        frame.children = []
        frame.depth = 0
        cls.bump("active")

    def _held(self, cls: ModelClass, thread: int) -> int:
        """The frames of ``cls`` that ``thread`` holds active."""
        return sum(
            1
            for f in self.frames.values()
            if f.state is FrameState.ACTIVE and f.size_class == cls.size_class and f.holder == thread
        )

    def get_or_create(
        self,
        frame_type: FrameType,
        parent: int | None,
        now: int,
        pick: int | None = None,
        thread: int = 0,
    ) -> int:
        """Acquire a frame of ``frame_type`` as a child of ``parent`` (or as a root)."""
        frame_type = FrameType(frame_type)
        if parent is not None:
            p = self.frames.get(parent)
            if p is None:
                raise InvalidParentError(f"parent {parent} is not a frame of this pool")
            if p.state is not FrameState.ACTIVE:
                raise InvalidParentError(f"parent {parent} is not active")
            if not can_be_parent_of(p.frame_type, frame_type):
                raise InvalidParentError(
                    f"a {p.frame_type.name} frame may not parent a {frame_type.name} frame"
                )
        fid = self.acquire(frame_type, now, pick, thread)
        if parent is not None:
            child = self.frames[fid]
            child.parent = parent
            child.depth = self.frames[parent].depth + 1
            self.frames[parent].children.append(fid)
        return fid

    def release(self, fid: int, now: int, memory_bytes: int = 0) -> bool:
        """Give back an active frame. Returns True if it went back to its pool."""
        frame = self.frames.get(fid)
        if frame is None:
            raise ForeignFrameError(f"frame {fid} was not handed out by this pool")
        self._check_open()
        if frame.state is not FrameState.ACTIVE:
            raise DoubleReleaseError(f"frame {fid} is {frame.state.value}, not active")
        if frame.children:
            raise ActiveChildrenError(f"frame {fid} still has active children {frame.children}")
        if frame.parent is not None:
            self.frames[frame.parent].children.remove(fid)
        frame.parent = None
        frame.depth = 0
        frame.last_access_time = now
        cls = self.classes[frame.size_class]
        cls.bump("releases")
        cls.bump("active", -1)
        young = now - frame.allocation_time < MAX_FRAME_AGE_MS
        small = memory_bytes <= MAX_POOLED_MEMORY_BYTES
        if cls.cached:
            return self._release_cached(cls, frame, young and small)
        if young and small and len(cls.available) < cls.current_size:
            frame.state = FrameState.AVAILABLE
            cls.available.append(fid)
            cls.peak("peak_available", len(cls.available))
            cls.bump("returns")
            self._bump_type(frame.frame_type, "pool_deallocations")
            return True
        self._destroy(frame)
        cls.bump("overflows")
        self._bump_type(frame.frame_type, "direct_deallocations")
        return False

    def _release_cached(self, cls: ModelClass, frame: ModelFrame, eligible: bool) -> bool:
        thread = frame.holder
        assert thread is not None
        cache = cls.cache(thread)
        slots = cls.slots.get(thread, 0)
        if eligible and len(cache) >= slots:  # no free slot: take some from the spare room
            spare = cls.current_size - sum(cls.slots.values()) - len(cls.shared())
            if spare > 0:
                limit, batch = self.config.thread_cache_size, self.config.cache_batch
                if slots == limit:  # full: flush the coldest to the shared list
                    cls.shared().extend(cache[:batch])
                    del cache[:batch]
                    slots -= batch
                    cls.shared_peak = max(cls.shared_peak, len(cls.shared()))
                cls.slots[thread] = slots = slots + min(batch, spare, limit - slots)
        if eligible and len(cache) < slots:
            frame.state = FrameState.AVAILABLE
            frame.holder = None
            cls.available.append(frame.fid)
            cache.append(frame.fid)
            cls.thread_peak_cached[thread] = max(cls.thread_peak_cached.get(thread, 0), len(cache))
            cls.bump("returns")
            self._bump_type(frame.frame_type, "pool_deallocations")
            return True
        frame.holder = None
        self._destroy(frame)
        cls.bump("overflows")
        self._bump_type(frame.frame_type, "direct_deallocations")
        return False

    def thread_exit(self, thread: int) -> None:
        """``thread`` ended: its cached frames go back to the shared lists (nothing is lost)."""
        for cls in self.classes:
            self._drain(cls, thread)

    def release_tree(
        self, fid: int, now: int, memory_bytes: Mapping[int, int] | None = None
    ) -> list[int]:
        """Release ``fid`` and all its descendants, children first; returns them in release order.

        ``memory_bytes`` maps a frame to the memory it holds (absent: 0), as for ``release``.
        """
        frame = self.frames.get(fid)
        if frame is None:
            raise ForeignFrameError(f"frame {fid} was not handed out by this pool")
        self._check_open()
        if frame.state is not FrameState.ACTIVE:
            raise DoubleReleaseError(f"frame {fid} is {frame.state.value}, not active")
        order: list[int] = []

        def post_order(node: int) -> None:
            for child in list(self.frames[node].children):
                post_order(child)
            order.append(node)

        post_order(fid)
        sizes = memory_bytes or {}
        for node in order:
            self.release(node, now, sizes.get(node, 0))
        return order

    def resize(self, size_class: int, new_size: int) -> None:
        """Set a class's size; a shrink destroys the coldest idle frames beyond it."""
        self._check_open()
        cls = self._pooled_class(size_class)
        if isinstance(new_size, bool) or not isinstance(new_size, int):
            raise ValueError(f"new size must be an integer, got {new_size!r}")
        if not 0 <= new_size <= cls.max_size:
            raise ValueError(
                f"new size {new_size} for class {size_class} is outside [0, {cls.max_size}]"
            )
        self._drain_all()
        self._set_size(cls, new_size)

    def auto_tune(self) -> None:
        """Grow classes that miss too often, shrink classes that sit idle."""
        self._check_open()
        if not self.config.enable_auto_tuning:
            return
        self._drain_all()
        for cls in self.classes:
            if cls.max_size == 0 or cls.count("acquisitions") == 0:
                continue
            hit_rate = cls.count("hits") / cls.count("acquisitions")
            if hit_rate < TARGET_HIT_RATE and cls.current_size < cls.max_size:
                grown = max(cls.current_size + 1, math.floor(cls.current_size * self.config.growth_factor))
                self._set_size(cls, min(grown, cls.max_size))
            elif (
                cls.current_size > cls.initial_size
                and self._utilization(cls) < self.config.shrink_threshold
            ):
                shrunk = max(math.floor(cls.current_size * SHRINK_FACTOR), cls.initial_size)
                self._set_size(cls, shrunk)

    def cleanup(self, now: int) -> int:
        """Destroy long-idle, little-used frames. Returns how many were destroyed."""
        self._check_open()
        self._drain_all()
        destroyed = 0
        for cls in self.classes:
            for fid in list(cls.available):
                frame = self.frames[fid]
                if now - frame.last_access_time > MAX_IDLE_MS and frame.usage_count < CLEANUP_MAX_USES:
                    cls.available.remove(fid)
                    self._destroy(frame)
                    destroyed += 1
            if cls.cached:
                cls.shared_list = list(cls.available)
        self.cleanups_performed += 1
        self.last_cleanup_time = now
        return destroyed

    def memory_pressure(self) -> float:
        capacity = sum(c.max_size for c in self.classes)
        if capacity == 0:
            return 0.0
        return sum(len(c.available) for c in self.classes) / capacity

    def check_gc_pressure(self, now: int) -> bool:
        """Whether the pools hold so many idle frames that a collection should run."""
        self._check_open()
        if not self.config.enable_gc_integration:
            return False
        pressure = self.memory_pressure()
        overdue = now - self.last_gc_time > GC_INTERVAL_MS
        if pressure > FORCE_GC_PRESSURE or (pressure > self.config.gc_pressure_threshold and overdue):
            self.last_gc_time = now
            self.gc_triggers += 1
            return True
        return False

    def close(self) -> None:
        """Destroy every idle frame; afterwards every operation but statistics() is refused.

        Closing a closed pool does nothing.
        """
        if self.closed:
            return
        self._drain_all()
        for cls in self.classes:
            for fid in cls.available:
                self._destroy(self.frames[fid])
            cls.available.clear()
            cls.shared_list.clear()
        self.closed = True

    def statistics(self) -> PoolCounts:
        classes = tuple(
            ClassCounts(
                size_class=c.size_class,
                current_size=c.current_size,
                max_size=c.max_size,
                available=len(c.available),
                active=c.count("active"),
                acquisitions=c.count("acquisitions"),
                hits=c.count("hits"),
                misses=c.count("misses"),
                releases=c.count("releases"),
                returns=c.count("returns"),
                overflows=c.count("overflows"),
                created=c.count("created"),
                destroyed=c.count("destroyed"),
                expansions=c.count("expansions"),
                shrinkages=c.count("shrinkages"),
                peak_active=self._peak_active(c),
                peak_available=self._peak_available(c),
            )
            for c in self.classes
        )
        by_type = tuple(
            TypeCounts(**{name: self.by_type[t].get(name, 0) for name in TYPE_COUNTERS})
            for t in FrameType
        )
        return PoolCounts(
            classes=classes,
            by_type=by_type,
            cleanups_performed=self.cleanups_performed,
            last_cleanup_time=self.last_cleanup_time,
            gc_triggers=self.gc_triggers,
            closed=self.closed,
        )

    # ---- helpers --------------------------------------------------------------

    def _drain(self, cls: ModelClass, thread: int) -> None:
        """``thread``'s cache of ``cls`` goes to the end of the shared list, its slots to zero."""
        cache = cls.caches.pop(thread, None)
        if cache is not None:
            cls.shared().extend(cache)
            cls.shared_peak = max(cls.shared_peak, len(cls.shared()))
        cls.slots.pop(thread, None)

    def _drain_all(self) -> None:
        """Every cache drained; the shared lists are then in idle order (coldest first)."""
        for cls in self.classes:
            for thread in list(cls.caches):
                self._drain(cls, thread)
            if cls.cached:
                cls.shared_list = list(cls.available)

    def _peak_active(self, cls: ModelClass) -> int:
        return sum(cls.thread_peak_active.values()) if cls.cached else cls.count("peak_active")

    def _peak_available(self, cls: ModelClass) -> int:
        if not cls.cached:
            return cls.count("peak_available")
        return cls.shared_peak + sum(cls.thread_peak_cached.values())

    def _check_open(self) -> None:
        if self.closed:
            raise PoolClosedError("the pool manager is closed")

    def _pooled_class(self, size_class: int) -> ModelClass:
        if isinstance(size_class, bool) or not isinstance(size_class, int):
            raise ValueError(f"size class must be an integer, got {size_class!r}")
        if not 0 <= size_class < MAX_FRAME_SIZES:
            raise ValueError(f"size class {size_class} is outside [0, {MAX_FRAME_SIZES - 1}]")
        cls = self.classes[size_class]
        if cls.max_size == 0:
            raise ValueError(f"size class {size_class} has no pool (pooling off or max size 0)")
        return cls

    def _new_frame(self, frame_type: FrameType, size_class: int, now: int) -> ModelFrame:
        fid = len(self.frames)
        frame = ModelFrame(fid, frame_type, size_class, FrameState.ACTIVE, now, now)
        self.frames[fid] = frame
        self.classes[size_class].bump("created")
        return frame

    def _destroy(self, frame: ModelFrame) -> None:
        frame.state = FrameState.DESTROYED
        self.classes[frame.size_class].bump("destroyed")

    def _bump_type(self, frame_type: FrameType, name: str) -> None:
        counts = self.by_type[frame_type]
        counts[name] = counts.get(name, 0) + 1

    def _utilization(self, cls: ModelClass) -> float:
        if cls.current_size == 0:
            return 0.0
        return (cls.current_size - len(cls.available)) / cls.current_size

    def _expand_after_miss(self, cls: ModelClass) -> None:
        """Room for every frame of the class in use, the one being handed out included."""
        if not self.config.enable_auto_tuning:
            return
        wanted = min(cls.count("active") + 1, cls.max_size)
        if wanted > cls.current_size:
            self._set_size(cls, wanted)

    def _set_size(self, cls: ModelClass, new_size: int) -> None:
        """Set the size; destroy the coldest idle frames beyond it."""
        if new_size > cls.current_size:
            cls.bump("expansions")
        elif new_size < cls.current_size:
            cls.bump("shrinkages")
        victims = self.shrink_victims(cls.size_class, new_size)  # the head of ``available``
        for fid in victims:
            self._destroy(self.frames[fid])
        del cls.available[: len(victims)]
        if cls.cached and victims:  # only after a drain: every idle frame is shared
            cls.shared_list = list(cls.available)
        cls.current_size = new_size
