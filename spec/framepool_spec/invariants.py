"""The pool's invariants, as one executable check.

``violations(model)`` returns every broken invariant as a sentence; an empty
list means the state is sound. The invariants:

I1  No frame is both active and available: an available frame is idle in
    exactly one class's list, once, and is in the AVAILABLE state.
I2  Every frame is in exactly one of {available in its class, active,
    destroyed}, and sits in the class its type maps to.
I3  Parent/child links are symmetric, the hierarchy is acyclic, a child's
    depth is its parent's depth + 1, only active frames have links.
I4  Statistics conserve counts (see ``statistics.conservation_violations``),
    and the class counters match the frames the model holds.
I5  Every parent/child pairing obeys ``can_be_parent_of``.
I6  Thread caches: a cached frame is idle in its class and in one cache only;
    a cache holds at most its slots, slots are at most ``thread_cache_size``,
    all slots plus the shared frames fit the class's current size, and every
    active frame of a cached class has a holder.
"""

from __future__ import annotations

from collections import Counter

from framepool_spec.config import can_be_parent_of
from framepool_spec.model import FrameState, PoolModel
from framepool_spec.statistics import conservation_violations


def violations(model: PoolModel) -> list[str]:
    problems: list[str] = []
    frames = model.frames

    # I1 / I2: membership.
    listed = Counter(fid for cls in model.classes for fid in cls.available)
    for fid, times in listed.items():
        if times > 1:
            problems.append(f"I1: frame {fid} is listed as available {times} times")
    for cls in model.classes:
        for fid in cls.available:
            frame = frames.get(fid)
            if frame is None:
                problems.append(f"I2: class {cls.size_class} lists unknown frame {fid}")
            elif frame.state is not FrameState.AVAILABLE:
                problems.append(f"I1: frame {fid} is available in class {cls.size_class} but {frame.state.value}")
            elif frame.size_class != cls.size_class:
                problems.append(f"I2: frame {fid} of class {frame.size_class} idles in class {cls.size_class}")
    for frame in frames.values():
        if frame.state is FrameState.AVAILABLE and listed[frame.fid] != 1:
            problems.append(f"I2: frame {frame.fid} is AVAILABLE but in no class list")
        if frame.state is FrameState.ACTIVE and frame.size_class != model.size_class(frame.frame_type):
            problems.append(f"I2: active frame {frame.fid} of type {frame.frame_type.name} is in class {frame.size_class}")

    # I3 / I5: hierarchy.
    for frame in frames.values():
        if frame.state is not FrameState.ACTIVE:
            if frame.parent is not None or frame.children:
                problems.append(f"I3: {frame.state.value} frame {frame.fid} keeps hierarchy links")
            continue
        if frame.parent is not None:
            parent = frames.get(frame.parent)
            if parent is None or parent.state is not FrameState.ACTIVE:
                problems.append(f"I3: frame {frame.fid}'s parent {frame.parent} is not active")
                continue
            if parent.children.count(frame.fid) != 1:
                problems.append(f"I3: frame {frame.fid} names parent {parent.fid}, which does not list it once")
            if frame.depth != parent.depth + 1:
                problems.append(f"I3: frame {frame.fid} has depth {frame.depth}, parent depth {parent.depth}")
            if not can_be_parent_of(parent.frame_type, frame.frame_type):
                problems.append(f"I5: {parent.frame_type.name} frame {parent.fid} parents {frame.frame_type.name} frame {frame.fid}")
        elif frame.depth != 0:
            problems.append(f"I3: root frame {frame.fid} has depth {frame.depth}")
        for child in frame.children:
            kid = frames.get(child)
            if kid is None or kid.parent != frame.fid:
                problems.append(f"I3: frame {frame.fid} lists child {child}, which names another parent")
        # Acyclic: walking up must end within len(frames) steps.
        seen: set[int] = set()
        node: int | None = frame.fid
        while node is not None:
            if node in seen:
                problems.append(f"I3: frame {frame.fid} is on a parent cycle")
                break
            seen.add(node)
            up = frames.get(node)
            node = up.parent if up is not None else None

    # I6: thread caches.
    limit = model.config.thread_cache_size
    for cls in model.classes:
        if not cls.cached:
            if cls.caches or cls.slots:
                problems.append(f"I6: class {cls.size_class} has no thread cache but lists some")
            continue
        in_caches = Counter(fid for kept in cls.caches.values() for fid in kept)
        idle = set(cls.available)
        for fid, times in in_caches.items():
            if times > 1:
                problems.append(f"I6: frame {fid} is in {times} thread caches")
            if fid not in idle:
                problems.append(f"I6: frame {fid} is in a thread cache but not idle in class {cls.size_class}")
        for thread, kept in cls.caches.items():
            slots = cls.slots.get(thread, 0)
            if len(kept) > slots or slots > limit:
                problems.append(
                    f"I6: thread {thread} caches {len(kept)} frames of class {cls.size_class} "
                    f"with {slots} slots (limit {limit})"
                )
        shared = len(cls.shared_list)
        if Counter(cls.shared_list) + in_caches != Counter(cls.available):
            problems.append(f"I6: class {cls.size_class}: shared and cached frames are not its idle frames")
        if sum(cls.slots.values()) + shared > cls.current_size:
            problems.append(
                f"I6: class {cls.size_class}: slots {sum(cls.slots.values())} + shared {shared} "
                f"exceed its size {cls.current_size}"
            )
    for frame in frames.values():
        if frame.state is FrameState.ACTIVE and model.classes[frame.size_class].cached and frame.holder is None:
            problems.append(f"I6: active frame {frame.fid} of a cached class has no holder")

    # I4: statistics.
    counts = model.statistics()
    problems.extend(f"I4: {p}" for p in conservation_violations(counts))
    active_in = Counter(f.size_class for f in frames.values() if f.state is FrameState.ACTIVE)
    alive_in = Counter(f.size_class for f in frames.values() if f.state is not FrameState.DESTROYED)
    for c in counts.classes:
        active = active_in[c.size_class]
        if active != c.active:
            problems.append(f"I4: class {c.size_class} counts {c.active} active frames, holds {active}")
        alive = alive_in[c.size_class]
        if alive != c.created - c.destroyed:
            problems.append(f"I4: class {c.size_class}: created - destroyed = {c.created - c.destroyed}, alive {alive}")
    return problems
