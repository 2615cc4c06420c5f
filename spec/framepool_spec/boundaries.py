"""Boundary scenarios: every threshold of the pool, one below, on and one above it.

A random clock or a random hit rate almost never lands exactly on a threshold,
which is the one place where ``<`` and ``<=`` differ. So these cases are
derived from the thresholds themselves (``framepool_spec.config``): each is a
short script of operations run through :class:`~framepool_spec.lockstep.Lockstep`
-- every result compared with the model as it happens, the whole observable
state compared at the end -- once for each offset in ``OFFSETS``. The
auto-tuning rules, whose inputs are small integers (sizes, hits, held frames),
are enumerated exhaustively over small domains instead.

What each family pins down:

* ``idle``: cleanup's idle limit (``MAX_IDLE_MS``), measured from the last
  release, not from creation;
* ``uses``: cleanup's use limit (``CLEANUP_MAX_USES``);
* ``age``, ``age-after-reuse``: the pooling age limit (``MAX_FRAME_AGE_MS``),
  measured from creation, not from the last release or hand-out;
* ``memory``: the pooled-memory limit (``MAX_POOLED_MEMORY_BYTES``);
* ``gc-interval``, ``gc-pressure``, ``gc-force``, ``gc-forced-resets-timer``:
  the GC trigger's interval, both pressure thresholds, and that every firing
  (forced ones too) restarts the interval;
* ``auto-tune``: the target hit rate, the expansion of a class to its demand on a
  miss, the shrink threshold and the floor at the initial size;
* ``coldest``: which idle frames a shrink destroys;
* ``peaks``: peak figures kept between snapshots;
* ``tier-...``: with thread caches (``thread_cache_size``), the release limits
  again (``tier-age``, ``tier-age-after-reuse``, ``tier-memory``), the class's
  room counted in slots (``tier-room``), the flush at the cache limit
  (``tier-flush``), the refill batch (``tier-refill``), the expansion to a
  thread's own demand (``tier-expand``), and a thread's end (``tier-exit``).

``run_boundary_scenarios(factory)`` runs them all (about a thousand cases, a
few seconds) and raises :class:`~framepool_spec.lockstep.ConformanceFailure`
naming the first case that disagrees.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

from framepool_spec.config import (
    CLEANUP_MAX_USES,
    FORCE_GC_PRESSURE,
    GC_INTERVAL_MS,
    MAX_FRAME_AGE_MS,
    MAX_IDLE_MS,
    MAX_POOLED_MEMORY_BYTES,
    TARGET_HIT_RATE,
    FrameType,
    PoolConfig,
)
from framepool_spec.lockstep import (
    ConformanceError,
    ConformanceFailure,
    ConformantFrame,
    Lockstep,
    PoolFactory,
)

__all__ = ["OFFSETS", "Case", "cases", "run_boundary_scenarios"]

OFFSETS = (-1, 0, 1)
R = FrameType.REGULAR
Script = Callable[[Lockstep], None]


@dataclass(frozen=True)
class Case:
    """One scripted run: its name (family and parameters), configuration and script."""

    name: str
    config: PoolConfig
    script: Script


def one_class(
    initial: int,
    maximum: int,
    *,
    auto_tune: bool = False,
    gc: bool = False,
    shrink_threshold: float = 0.0,
    gc_threshold: float = 0.5,
) -> PoolConfig:
    """A single size class: every frame type shares it, so scripts need not pick types."""
    return PoolConfig(
        enable_pooling=True,
        enable_size_classes=False,
        enable_auto_tuning=auto_tune,
        enable_gc_integration=gc,
        initial_pool_sizes=(initial,),
        max_pool_sizes=(maximum,),
        growth_factor=1.5,
        shrink_threshold=shrink_threshold,
        gc_pressure_threshold=gc_threshold,
        pool_cleanup_interval=0,
    )


def tiered(initial: int, maximum: int, cache: int, *, auto_tune: bool = False) -> PoolConfig:
    """``one_class`` with thread caches of ``cache`` frames."""
    return replace(one_class(initial, maximum, auto_tune=auto_tune), thread_cache_size=cache)


def _held(ls: Lockstep, count: int) -> list[ConformantFrame]:
    frames = [ls.acquire(R) for _ in range(count)]
    return [f for f in frames if f is not None]


def _churn(ls: Lockstep, times: int) -> None:
    for _ in range(times):
        frame = ls.acquire(R)
        if frame is not None:
            ls.release(frame)


# ---- cleanup -----------------------------------------------------------------------


def _idle(d: int) -> Script:
    def script(ls: Lockstep) -> None:
        ls.advance(MAX_IDLE_MS + d)  # the prefilled frame, idle since construction
        ls.cleanup()
        frame = ls.acquire(R)
        assert frame is not None
        ls.advance(7)
        ls.release(frame)  # idle again from now on, though created long ago
        ls.advance(MAX_IDLE_MS + d)
        ls.cleanup()

    return script


def _uses(d: int) -> Script:
    def script(ls: Lockstep) -> None:
        _churn(ls, CLEANUP_MAX_USES + d)  # one frame, so it is used exactly that often
        ls.advance(MAX_IDLE_MS + 1)
        ls.cleanup()

    return script


# ---- release ------------------------------------------------------------------------


def _age(d: int) -> Script:
    def script(ls: Lockstep) -> None:
        frame = ls.acquire(R)  # the frame made at construction (time 0)
        assert frame is not None
        ls.advance(MAX_FRAME_AGE_MS + d)
        ls.release(frame)

    return script


def _age_after_reuse(d: int) -> Script:
    def script(ls: Lockstep) -> None:
        frame = ls.acquire(R)  # the frame made at construction (time 0)
        assert frame is not None
        ls.advance(100)
        ls.release(frame)  # last access: 100
        ls.advance(MAX_FRAME_AGE_MS - 300)
        frame = ls.acquire(R)  # the same frame, handed out again shortly before its limit
        assert frame is not None
        ls.advance(200 + d)
        ls.release(frame)

    return script


def _memory(d: int) -> Script:
    def script(ls: Lockstep) -> None:
        frame = ls.acquire(R)
        assert frame is not None
        ls.grow_memory(frame, MAX_POOLED_MEMORY_BYTES + d)
        ls.release(frame)

    return script


# ---- the GC trigger ------------------------------------------------------------------


def _gc_interval(d: int) -> Script:
    def script(ls: Lockstep) -> None:
        for _ in range(2):  # the second round measures from the first firing
            ls.advance(GC_INTERVAL_MS + d)
            ls.check_gc_pressure()

    return script


def _gc_once(ls: Lockstep) -> None:
    ls.advance(GC_INTERVAL_MS + 1)
    ls.check_gc_pressure()


def _gc_forced_resets_timer(d: int) -> Script:
    def script(ls: Lockstep) -> None:
        ls.advance(1_000)
        ls.check_gc_pressure()  # full pool: a forced firing, long before the interval
        _held(ls, 2)  # pressure drops below forcing but stays above the threshold
        ls.advance(GC_INTERVAL_MS + d)
        ls.check_gc_pressure()

    return script


# ---- auto-tuning -----------------------------------------------------------------------


def _auto_tune(size: int, warm: int, hold: int) -> Script:
    def script(ls: Lockstep) -> None:
        if size != ls.config.initial_pool_sizes[0]:
            ls.resize(0, size)
        _churn(ls, warm)
        held = _held(ls, hold)
        ls.auto_tune()
        for frame in held:
            ls.release(frame)
        ls.auto_tune()

    return script


# ---- which frames, and peaks -------------------------------------------------------------


def _coldest(ls: Lockstep) -> None:
    ls.resize(0, 6)  # room for every frame below
    a, b, c, d = _held(ls, 4)
    ls.advance(1)
    ls.release(b)
    ls.advance(1)
    ls.release(d)
    ls.release(a)  # same millisecond as d: released later, so warmer
    ls.advance(1)
    ls.release(c)
    frame = ls.acquire(R)
    assert frame is not None
    ls.advance(1)
    ls.release(frame)
    ls.resize(0, 2)
    ls.check()
    ls.resize(0, 1)
    ls.check()
    ls.resize(0, 0)
    for stale in (a, b, c, d):  # destroyed by the shrinks: releasing one again is refused
        ls.release(stale)


def _peaks(ls: Lockstep) -> None:
    ls.resize(0, 8)
    held = _held(ls, 5)  # peak active 5 ...
    for frame in held:
        ls.release(frame)  # ... peak idle 5, both gone before anybody looks
    _churn(ls, 3)


# ---- thread caches ---------------------------------------------------------------------------


def _tier_room(held: int) -> Script:
    """Hold ``held`` frames of a class of size 3, then release them: the fourth has no room."""

    def script(ls: Lockstep) -> None:
        frames = _held(ls, held)
        for frame in frames:
            ls.release(frame)
        ls.statistics()

    return script


def _tier_flush(released: int) -> Script:
    """Release ``released`` frames into a cache of 2 (batches of 1): past 2 slots the coldest
    is flushed to the shared list."""

    def script(ls: Lockstep) -> None:
        frames = _held(ls, released)
        for frame in frames:
            ls.release(frame)
        # The flushed frames are shared: another thread's refill takes the warmest of them.
        other = ls.acquire(R, thread=1)
        if other is not None:
            ls.release(other, thread=1)

    return script


def _tier_refill(shared: int) -> Script:
    """A refill when the shared list holds ``shared`` frames (cache 4: batches of 2)."""

    def script(ls: Lockstep) -> None:
        if shared:
            ls.resize(0, shared)
        _churn(ls, 3)  # the hits walk down the refilled batch, then refill again

    return script


def _tier_expand(hold: int) -> Script:
    """Misses on two threads: each grows the class to its own demand only."""

    def script(ls: Lockstep) -> None:
        mine = _held(ls, hold)
        theirs = [ls.acquire(R, thread=1) for _ in range(hold)]
        for frame in mine:
            ls.release(frame)
        for other in theirs:
            if other is not None:
                ls.release(other, thread=1)

    return script


def _tier_exit(ls: Lockstep) -> None:
    """A thread that ends gives its cached frames back: this thread hits on them."""
    frames = [ls.acquire(R, thread=1) for _ in range(3)]
    for frame in frames:
        if frame is not None:
            ls.release(frame, thread=1)
    ls.end_thread(1)
    _churn(ls, 3)


# ---- the catalogue ------------------------------------------------------------------------


def cases() -> Iterator[Case]:
    """Every boundary case, in a fixed order."""
    for d in OFFSETS:
        yield Case(f"idle{d:+d}", one_class(1, 2), _idle(d))
        yield Case(f"uses{d:+d}", one_class(1, 1), _uses(d))
        yield Case(f"age{d:+d}", one_class(1, 2), _age(d))
        yield Case(f"age-after-reuse{d:+d}", one_class(1, 2), _age_after_reuse(d))
        yield Case(f"memory{d:+d}", one_class(1, 2), _memory(d))
        yield Case(f"gc-interval{d:+d}", one_class(6, 10, gc=True), _gc_interval(d))
        # 5 of 10 idle is exactly the threshold 0.5; 19 of 20 exactly FORCE_GC_PRESSURE.
        yield Case(f"gc-pressure{d:+d}", one_class(5 + d, 10, gc=True), _gc_once)
        forced = round(FORCE_GC_PRESSURE * 20)
        yield Case(f"gc-force{d:+d}", one_class(forced + d, 20, gc=True), _check_gc_now)
        yield Case(
            f"gc-forced-resets-timer{d:+d}", one_class(20, 20, gc=True), _gc_forced_resets_timer(d)
        )
    yield from _auto_tune_cases()
    yield Case("coldest", one_class(0, 6), _coldest)
    yield Case("peaks", one_class(1, 8), _peaks)
    for d in OFFSETS:
        yield Case(f"tier-age{d:+d}", tiered(1, 2, 2), _age(d))
        yield Case(f"tier-age-after-reuse{d:+d}", tiered(1, 2, 2), _age_after_reuse(d))
        yield Case(f"tier-memory{d:+d}", tiered(1, 2, 2), _memory(d))
        yield Case(f"tier-room{d:+d}", tiered(3, 3, 4), _tier_room(3 + d))
        yield Case(f"tier-flush{d:+d}", tiered(6, 6, 2), _tier_flush(2 + d))
        yield Case(f"tier-refill{d:+d}", tiered(4, 4, 4), _tier_refill(2 + d))
        yield Case(f"tier-expand{d:+d}", tiered(0, 6, 2, auto_tune=True), _tier_expand(2 + d))
    yield Case("tier-exit", tiered(0, 4, 2), _tier_exit)


def _check_gc_now(ls: Lockstep) -> None:
    ls.advance(1)
    ls.check_gc_pressure()


def _auto_tune_cases() -> Iterator[Case]:
    """Every small pool state auto_tune can meet, on every shrink threshold below.

    Initial size 4 reaches a hit rate of exactly ``TARGET_HIT_RATE`` (4 hits in 5); holding
    more frames than the size makes misses expand the class to the demand; 5 and 6 also
    reach a shrink whose factor would go below the initial size. Maximum sizes 0 and 1 are the
    smallest classes: no pool at all, and a pool of one.
    """
    assert TARGET_HIT_RATE == 0.8, "re-derive the domains below"
    thresholds: Sequence[float] = (0.25, 0.5, 0.75)
    shapes = [(initial, 9) for initial in (0, 1, 4, 5, 6)] + [(0, 0), (0, 1), (1, 1)]
    for (initial, maximum), threshold in itertools.product(shapes, thresholds):
        config = one_class(initial, maximum, auto_tune=True, shrink_threshold=threshold)
        for size in range(initial, min(initial + 3, maximum) + 1):
            for warm, hold in itertools.product((0, 4), range(size + 2)):
                yield Case(
                    f"auto-tune(initial={initial}, max={maximum}, threshold={threshold}, "
                    f"size={size}, warm={warm}, hold={hold})",
                    config,
                    _auto_tune(size, warm, hold),
                )


def run_boundary_scenarios(factory: PoolFactory, *, only: str | None = None) -> int:
    """Run every case (or those whose name starts with ``only``); returns how many ran.

    Raises ConformanceFailure naming the first case where the pool disagrees.
    """
    ran = 0
    for case in cases():
        if only is not None and not case.name.startswith(only):
            continue
        ls: Lockstep | None = None
        try:
            ls = Lockstep(factory, case.config)
            case.script(ls)
            ls.check()
        except ConformanceError as exc:
            raise ConformanceFailure(
                f"{getattr(factory, '__name__', factory)!s} fails the boundary case "
                f"{case.name!r} ({case.config!r}):\n{exc}\n"
                f"Reproduce: run_boundary_scenarios(factory, only={case.name!r})"
            ) from exc
        finally:
            if ls is not None:
                ls.end_threads()
        ran += 1
    if ran == 0:
        raise ValueError(f"no boundary case name starts with {only!r}")
    return ran
