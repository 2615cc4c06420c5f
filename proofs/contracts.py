"""PEP 316 contracts on small pure pieces of the spec, for CrossHair to prove or refute.

Each function below drives the *real* spec (or implementation) code on a
minimal state and returns what it computed; its docstring states, as ``pre:``
and ``post:`` conditions, what must hold for every input satisfying the
preconditions. Check them all with::

    crosshair check proofs/contracts.py --per_condition_timeout=20

CrossHair explores the code symbolically and reports a counterexample for any
postcondition it can break. Within the timeout, a clean run means no
counterexample was found on the paths explored; the bounded functions below
(small sizes) have few enough paths that the exploration is typically
exhaustive. The properties:

* the size computations (growth after a miss, auto-tune growth and shrink,
  resize) stay within ``[initial, maximum]``, move only in the allowed
  direction, and destroy exactly the idle frames beyond the new size;
* the model refuses a parent/child pairing exactly when ``can_be_parent_of``
  says no, and that rule is the EVM's (precompiles parent nothing, static
  frames create nothing);
* hit rates, utilization and memory pressure lie in ``[0, 1]``;
* config validation accepts exactly the sizes and fractions it documents;
* the GC trigger fires exactly as documented;
* any short sequence of model operations leaves the counts conserving and
  the model's invariants intact.
"""

from __future__ import annotations

import dataclasses

from framepool.gc_trigger import GarbageCollectionTrigger
from framepool_spec.config import (
    FORCE_GC_PRESSURE,
    GC_INTERVAL_MS,
    MAX_POOL_SIZE,
    FrameType,
    PoolConfig,
    can_be_parent_of,
)
from framepool_spec.errors import FramePoolError, InvalidParentError
from framepool_spec.invariants import violations
from framepool_spec.model import FrameState, PoolModel
from framepool_spec.statistics import ClassCounts, PoolCounts, conservation_violations

__all__ = [
    # Used by the contracts' conditions, which CrossHair evaluates in this namespace:
    "FORCE_GC_PRESSURE",
    "GC_INTERVAL_MS",
    "MAX_POOL_SIZE",
    "can_be_parent_of",
    "class_rates",
    "gc_fires",
    "laws_after",
    "miss_growth",
    "pool_hit_rate",
    "refused",
    "resized",
    "tuned_size",
    "valid_sizes",
    "valid_threshold",
]

_ONE_CLASS = PoolConfig(enable_auto_tuning=True, initial_pool_sizes=(0,), max_pool_sizes=(16,))


def _one_class(current: int, initial: int, maximum: int, idle: int) -> PoolModel:
    """A model whose class 0 has the given sizes and ``idle`` idle frames."""
    model = PoolModel(_ONE_CLASS, 0)
    cls = model.classes[0]
    for _ in range(idle):
        frame = model._new_frame(FrameType.REGULAR, 0, 0)
        frame.state = FrameState.AVAILABLE
        cls.available.append(frame.fid)
    cls.initial_size, cls.max_size, cls.current_size = initial, maximum, current
    return model


def miss_growth(current: int, maximum: int, active: int) -> int:
    """The class size after a miss (auto-tuning on) while ``active`` frames of the class are
    held, from the model's ``acquire``: room for all of them and the new one, within the max.

    pre: 0 <= current <= maximum <= 16
    pre: 0 <= active <= 20
    post: current <= __return__ <= maximum
    post: __return__ == max(current, min(active + 1, maximum))
    """
    model = _one_class(current, 0, maximum, 0)
    cls = model.classes[0]
    cls.counters["active"] = active
    model.acquire(FrameType.REGULAR, 0)
    return cls.current_size


def tuned_size(
    current: int,
    initial: int,
    maximum: int,
    idle: int,
    hits: int,
    acquisitions: int,
    growth_factor: float,
    shrink_threshold: float,
) -> tuple[int, int]:
    """(size, idle frames) of a class after the model's ``auto_tune``.

    pre: 0 <= initial <= current <= maximum <= 8
    pre: 0 <= idle <= current
    pre: 0 <= hits <= acquisitions <= 1000
    pre: 1.0 <= growth_factor <= 16.0
    pre: 0.0 <= shrink_threshold <= 1.0
    post: initial <= __return__[0] <= maximum
    post: __return__[1] == min(idle, __return__[0])
    post: __return__[0] <= current or (5 * hits < 4 * acquisitions)
    post: __return__[0] >= current or (current - idle < shrink_threshold * current)
    post: acquisitions > 0 or __return__[0] == current
    """
    model = _one_class(current, initial, maximum, idle)
    cls = model.classes[0]
    cls.counters["hits"] = hits
    cls.counters["acquisitions"] = acquisitions
    model.config = dataclasses.replace(
        _ONE_CLASS, growth_factor=growth_factor, shrink_threshold=shrink_threshold
    )
    model.auto_tune()
    return cls.current_size, len(cls.available)


def resized(current: int, maximum: int, idle: int, new_size: int) -> tuple[int, int, int]:
    """(size, idle frames, frames destroyed) after the model's ``resize``.

    pre: 0 <= idle <= current <= maximum <= 8
    pre: maximum >= 1
    pre: 0 <= new_size <= maximum
    post: __return__[0] == new_size
    post: __return__[1] == min(idle, new_size)
    post: __return__[2] == max(0, idle - new_size)
    """
    model = _one_class(current, 0, maximum, idle)
    destroyed = model.classes[0].count("destroyed")
    model.resize(0, new_size)
    cls = model.classes[0]
    return cls.current_size, len(cls.available), cls.count("destroyed") - destroyed


def refused(parent: int, child: int) -> bool:
    """Whether the model refuses a ``child``-typed frame under a ``parent``-typed one.

    pre: 0 <= parent < 8
    pre: 0 <= child < 8
    post: __return__ == (not can_be_parent_of(FrameType(parent), FrameType(child)))
    post: __return__ == (parent == FrameType.PRECOMPILE or (parent == FrameType.STATIC_CALL and child in (FrameType.CREATE, FrameType.CREATE2)))
    """
    model = PoolModel(PoolConfig.disabled(), 0)
    p = model.acquire(FrameType(parent), 0)
    try:
        model.get_or_create(FrameType(child), p, 0)
    except InvalidParentError:
        return True
    return False


def class_rates(hits: int, misses: int, current_size: int, available: int) -> tuple[float, float]:
    """(hit rate, utilization) of a class snapshot.

    pre: hits >= 0 and misses >= 0
    pre: 0 <= available <= current_size
    post: 0.0 <= __return__[0] <= 1.0
    post: 0.0 <= __return__[1] <= 1.0
    post: (__return__[0] == 1.0) == (misses == 0 and hits > 0)
    """
    counts = ClassCounts(
        size_class=0,
        current_size=current_size,
        max_size=current_size,
        available=available,
        active=0,
        acquisitions=hits + misses,
        hits=hits,
        misses=misses,
        releases=0,
        returns=0,
        overflows=0,
        created=0,
        destroyed=0,
        expansions=0,
        shrinkages=0,
    )
    return counts.hit_rate, counts.utilization


def pool_hit_rate(hits_a: int, misses_a: int, hits_b: int, misses_b: int) -> float:
    """The whole pool's hit rate over two classes.

    pre: min(hits_a, misses_a, hits_b, misses_b) >= 0
    post: 0.0 <= __return__ <= 1.0
    post: __return__ >= min(class_rates(hits_a, misses_a, 0, 0)[0], class_rates(hits_b, misses_b, 0, 0)[0]) or hits_a + misses_a == 0 or hits_b + misses_b == 0
    """
    classes = tuple(
        ClassCounts(c, 0, 0, 0, 0, h + m, h, m, 0, 0, 0, 0, 0, 0, 0)
        for c, (h, m) in enumerate(((hits_a, misses_a), (hits_b, misses_b)))
    )
    return PoolCounts(classes, (), 0, None, 0, False).hit_rate


def valid_sizes(initial: int, maximum: int) -> bool:
    """Whether PoolConfig accepts one class of these sizes.

    post: __return__ == (0 <= initial <= maximum <= MAX_POOL_SIZE)
    """
    try:
        PoolConfig(initial_pool_sizes=(initial,), max_pool_sizes=(maximum,))
    except ValueError:
        return False
    return True


def valid_threshold(value: float) -> bool:
    """Whether PoolConfig accepts ``value`` as a threshold.

    post: __return__ == (0.0 <= value <= 1.0)
    """
    try:
        PoolConfig(shrink_threshold=value, gc_pressure_threshold=value)
    except ValueError:
        return False
    return True


def gc_fires(pressure: float, threshold: float, elapsed: int) -> bool:
    """The implementation's GC trigger, ``elapsed`` ms after it was created.

    pre: 0.0 <= pressure <= 1.0
    pre: 0.0 <= threshold <= 1.0
    pre: elapsed >= 0
    post: __return__ == (pressure > FORCE_GC_PRESSURE or (pressure > threshold and elapsed > GC_INTERVAL_MS))
    """
    return GarbageCollectionTrigger(threshold, 0).should_trigger_gc(pressure, elapsed)


_TINY = PoolConfig(
    enable_auto_tuning=True,
    enable_gc_integration=True,
    initial_pool_sizes=(1, 0),
    max_pool_sizes=(2, 1),
    gc_pressure_threshold=0.5,
)


def laws_after(ops: list[int]) -> list[str]:
    """Broken laws after running the encoded operations on a tiny model (must be none).

    Each op is decoded as ``op % 8`` (acquire class 0 or 1, child, release
    newest / oldest held, resize, auto_tune, cleanup) and ``op // 8`` picks a
    time step; refused calls are skipped.

    pre: len(ops) <= 5
    pre: all(0 <= op < 32 for op in ops)
    post: __return__ == []
    """
    model = PoolModel(_TINY, 0)
    now = 0
    held: list[int] = []
    for op in ops:
        now += (0, 1, 30_001, 60_000)[op // 8]
        kind = op % 8
        try:
            if kind in (0, 1):
                held.append(model.acquire(FrameType(kind), now))
            elif kind == 2 and held:
                held.append(model.get_or_create(FrameType.CALL, held[-1], now))
            elif kind in (3, 4) and held:
                fid = held[-1] if kind == 3 else held[0]
                model.release(fid, now, memory_bytes=op)
                held.remove(fid)
            elif kind == 5:
                model.resize(0, op % 3)
            elif kind == 6:
                model.auto_tune()
            elif kind == 7:
                model.cleanup(now)
                model.check_gc_pressure(now)
        except FramePoolError:
            pass
    pressure = model.memory_pressure()
    problems = conservation_violations(model.statistics()) + violations(model)
    if not 0.0 <= pressure <= 1.0:
        problems.append(f"memory pressure {pressure} outside [0, 1]")
    return problems
