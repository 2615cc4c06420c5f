"""A conformance suite for frame pools, shipped as one function: ``run_conformance(factory)``.

Any pool that claims to implement the frame-pool semantics of
:mod:`framepool_spec.model` can be checked by handing a factory to
:func:`run_conformance`::

    from framepool import FramePoolManager
    from framepool_spec.conformance import run_conformance

    run_conformance(lambda config, clock: FramePoolManager(config, clock=clock))

The factory is called as ``factory(config, clock)`` and must return a fresh pool
configured by ``config`` that reads the time (integer milliseconds) only from
``clock()``. The suite owns the clock: it shares one fake clock between the pool
and the reference model and moves it forward itself.

What the pool must offer (:class:`ConformantPool`)
--------------------------------------------------
``acquire(frame_type)`` and ``get_or_create(frame_type, parent)`` hand out a
frame; ``release(frame) -> bool`` (True: pooled, False: destroyed);
``release_tree(frame) -> int`` (frames released); ``resize(size_class, n)``;
``auto_tune()``; ``cleanup() -> int`` (frames destroyed);
``check_gc_pressure() -> bool``; ``close()``; ``counts() -> PoolCounts``
(:mod:`framepool_spec.statistics`); ``available_frames(size_class)`` (the idle
frames of a class, a copy). Frames (:class:`ConformantFrame`) expose
``frame_type``, ``parent``, ``children``, ``depth``, ``usage_count`` and the
payload: ``stack``, ``memory`` (a ``bytearray`` the holder may grow; its length
is what the 1 MiB pooling rule measures), ``return_data``, ``gas``,
``contract``, and any per-call field the pool declares in ``payload_fields``.
Misuse raises the errors of
:mod:`framepool_spec.errors` (or ``ValueError`` for bad sizes and classes), each
with the pool left unchanged.

How it checks
-------------
A Hypothesis :class:`~hypothesis.stateful.RuleBasedStateMachine` applies every
operation to the pool and to a :class:`~framepool_spec.model.PoolModel` in
lockstep (:class:`~framepool_spec.lockstep.Lockstep`). Where the pool may
choose -- which idle frame an acquisition hands out -- the suite reads the
pool's choice (frames are mapped to model ids by object identity) and asks the
model whether it was legal; an illegal choice fails. After every step:

* both sides returned the same result, or raised the same error class;
* every frame handed out was fresh (the suite scribbles into every frame it
  releases, so a reset that forgets a field shows);
* ``pool.counts() == model.statistics()``, the counts conserve
  (:func:`~framepool_spec.statistics.conservation_violations`) and the model
  keeps its invariants (:func:`~framepool_spec.invariants.violations`);
* each class's idle frames are exactly the model's -- the same frames, by
  identity, so a shrink that destroys warm frames instead of the coldest shows
  -- with the model's use counts and no hierarchy links; every held frame has
  the model's type, parent, children, depth and use count.

Thresholds are rarely hit by chance, so the generation aims at them: the clock
can jump to exactly one below, on, or one above a frame's idle limit, its age
limit and the GC interval; memory sizes sit around the 1 MiB limit; random
configurations draw their ratios as small fractions that hit rates and
utilizations can equal. Before the random search, ``run_conformance`` runs the
deterministic boundary scenarios of :mod:`framepool_spec.boundaries`, which
enumerate every threshold at -1, 0 and +1.

``run_conformance`` runs the machine once per configuration: by default the
four presets and a strategy of small random configurations
(:func:`pool_configs`), each with ``DEFAULT_SETTINGS`` (200 examples of 50
steps). A disagreement raises :class:`ConformanceFailure`, whose message names
the configuration and how to reproduce the run; Hypothesis prints the failing
steps above it.

``threads=N`` additionally runs the concurrent checks of
``framepool_spec.concurrency`` (real-thread histories checked for
linearizability, and schedule exploration for pools that take ``lock_factory=``).
"""

from __future__ import annotations

import os
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, seed
from hypothesis import settings as Settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.stateful import (
    RuleBasedStateMachine,
    get_state_machine_test,
    initialize,
    invariant,
    precondition,
    rule,
)

from framepool_spec.boundaries import run_boundary_scenarios
from framepool_spec.config import (
    CLEANUP_MAX_USES,
    GC_INTERVAL_MS,
    MAX_FRAME_AGE_MS,
    MAX_FRAME_SIZES,
    MAX_IDLE_MS,
    MAX_POOLED_MEMORY_BYTES,
    PRESET_NAMES,
    FrameType,
    PoolConfig,
)
from framepool_spec.lockstep import (
    ConformanceError,
    ConformanceFailure,
    ConformantFrame,
    ConformantPool,
    FakeClock,
    Lockstep,
    PoolFactory,
)
from framepool_spec.model import FrameState

__all__ = [
    "DEFAULT_SETTINGS",
    "ConformanceError",
    "ConformanceFailure",
    "ConformantFrame",
    "ConformantPool",
    "FakeClock",
    "Lockstep",
    "PoolFactory",
    "conformance_machine",
    "pool_configs",
    "run_conformance",
]


# ---- configurations -------------------------------------------------------------------


_FRACTIONS = st.one_of(
    # Small fractions: a hit rate, utilization or pressure of a small pool can equal them.
    st.integers(1, 8).flatmap(lambda d: st.integers(0, d).map(lambda n: n / d)),
    st.sampled_from([0.3, 0.6, 0.7, 0.9]),
    st.floats(min_value=0.0, max_value=1.0),
)


@st.composite
def pool_configs(draw: st.DrawFn, max_size: int = 8) -> PoolConfig:
    """Small valid configurations (every class's maximum at most ``max_size``), so that
    pools fill, overflow, grow and shrink within a few dozen steps. Ratios are mostly
    small fractions, so that utilizations and pressures can land exactly on them."""
    n = draw(st.integers(min_value=0, max_value=MAX_FRAME_SIZES))
    maxima = draw(st.lists(st.integers(0, max_size), min_size=n, max_size=n))
    initial = [draw(st.integers(0, m)) for m in maxima]
    pooling = draw(st.sampled_from([True, True, True, False]))
    return PoolConfig(
        enable_pooling=pooling,
        enable_size_classes=draw(st.booleans()),
        enable_auto_tuning=draw(st.booleans()),
        enable_gc_integration=draw(st.booleans()),
        initial_pool_sizes=tuple(initial),
        max_pool_sizes=tuple(maxima),
        growth_factor=draw(st.floats(min_value=1.0 if pooling else 0.0, max_value=4.0)),
        shrink_threshold=draw(_FRACTIONS),
        gc_pressure_threshold=draw(_FRACTIONS),
        pool_cleanup_interval=draw(st.integers(0, 120_000)),
        thread_cache_size=draw(st.sampled_from([0, 0, 1, 2, 3, 4])),
    )


# ---- the state machine ---------------------------------------------------------------

_INDEX = st.integers(min_value=0, max_value=255)
_TYPES = st.sampled_from(list(FrameType))
_MEMORY = st.sampled_from(
    [1, 4096, MAX_POOLED_MEMORY_BYTES - 1, MAX_POOLED_MEMORY_BYTES, MAX_POOLED_MEMORY_BYTES + 1]
)
_TIME = st.one_of(
    st.sampled_from([0, 1, MAX_IDLE_MS, MAX_IDLE_MS + 1, MAX_FRAME_AGE_MS - 1, MAX_FRAME_AGE_MS]),
    st.integers(min_value=0, max_value=70_000),
)
_THREADS = st.sampled_from([0, 0, 0, 1, 2])
"""Which thread a hand-out or release runs on: mostly the caller's, sometimes a worker."""
_CLASSES = st.integers(min_value=0, max_value=MAX_FRAME_SIZES - 1)
_BAD_CLASSES = st.sampled_from([-1, MAX_FRAME_SIZES])
_BAD_SIZES: st.SearchStrategy[Any] = st.sampled_from([-1, "max+1", 1.5, True])
_MISUSED = st.sampled_from(["stale", "foreign"])
_LIMITS = st.sampled_from(["idle", "age", "gc"])
_OFFSETS = st.sampled_from([-1, 0, 1])
CLOSE_AFTER_STEPS = 30
"""``close`` is enabled only this many steps into a run (then once in four tries)."""


def conformance_machine(
    factory: PoolFactory, configs: st.SearchStrategy[PoolConfig], name: str = "PoolConformance"
) -> type[RuleBasedStateMachine]:
    """The state machine checking ``factory``'s pools against the model, configs from ``configs``.

    Rules come in two kinds: ordinary use (acquire, nest, release, churn,
    resize, maintenance, time) and misuse (stale or foreign frames, invalid
    parents, sizes and classes), which must raise the model's error and change
    nothing.
    """

    def has_active(self: PoolConformance) -> bool:
        return any(map(self.ls.is_active, self.ls.handles))

    class PoolConformance(RuleBasedStateMachine):
        ls: Lockstep
        steps = 0

        @initialize(config=configs)
        def build(self, config: PoolConfig) -> None:
            self.ls = Lockstep(factory, config)

        def _active(self, i: int) -> ConformantFrame:
            frames = self.ls.active_handles()
            return frames[i % len(frames)]

        def _misused(self, kind: str, i: int) -> ConformantFrame:
            stale = self.ls.stale_handles()
            if kind == "foreign" or not stale:
                return self.ls.foreign_frame()
            return stale[i % len(stale)]

        # ---- ordinary use ----

        @rule(frame_type=_TYPES, thread=_THREADS)
        def acquire(self, frame_type: FrameType, thread: int) -> None:
            self.ls.acquire(frame_type, thread)

        @precondition(has_active)
        @rule(frame_type=_TYPES, i=_INDEX, thread=_THREADS)
        def get_or_create_child(self, frame_type: FrameType, i: int, thread: int) -> None:
            """A held frame spawns a child (a refused pairing must raise InvalidParentError)."""
            self.ls.get_or_create(frame_type, self._active(i), thread)

        @rule(frame_types=st.lists(_TYPES, min_size=2, max_size=5), thread=_THREADS)
        def call_stack(self, frame_types: list[FrameType], thread: int) -> None:
            """A root frame and a chain of nested calls under it (stops at a refused pairing)."""
            frame = self.ls.acquire(frame_types[0], thread)
            for frame_type in frame_types[1:]:
                if frame is None:
                    break
                frame = self.ls.get_or_create(frame_type, frame, thread)

        @precondition(has_active)
        @rule(i=_INDEX, thread=_THREADS)
        def release(self, i: int, thread: int) -> None:
            """Release a held frame, usually on the thread that took it out, sometimes on another."""
            self.ls.release(self._active(i), thread)

        @rule(
            frame_type=_TYPES,
            times=st.integers(min_value=1, max_value=2 * CLEANUP_MAX_USES),
            thread=_THREADS,
        )
        def churn(self, frame_type: FrameType, times: int, thread: int) -> None:
            """Short-lived frames, as a transaction makes them: acquire and release, repeatedly."""
            for _ in range(times):
                frame = self.ls.acquire(frame_type, thread)
                if frame is not None:
                    self.ls.release(frame, thread)

        @rule(thread=st.sampled_from([1, 2]))
        def end_thread(self, thread: int) -> None:
            """A worker thread ends: what it cached goes back to the shared pools."""
            self.ls.end_thread(thread)

        @precondition(has_active)
        @rule(i=_INDEX, size=_MEMORY)
        def grow_memory(self, i: int, size: int) -> None:
            self.ls.grow_memory(self._active(i), size)

        @precondition(has_active)
        @rule(i=_INDEX, whole_tree=st.booleans(), thread=_THREADS)
        def release_tree(self, i: int, whole_tree: bool, thread: int) -> None:
            """Release a held frame with its descendants (``whole_tree``: one that has some)."""
            frames = self.ls.active_handles()
            if whole_tree:
                frames = [f for f in frames if f.children] or frames
            self.ls.release_tree(frames[i % len(frames)], thread)

        @rule(size_class=_CLASSES, new_size=st.integers(min_value=0, max_value=12))
        def resize(self, size_class: int, new_size: int) -> None:
            top = self.ls.config.max_pool_sizes[size_class]
            self.ls.resize(size_class, min(new_size, top) if top else new_size)

        @rule()
        def auto_tune(self) -> None:
            self.ls.auto_tune()

        @rule(wait=st.sampled_from([0, MAX_IDLE_MS + 1]))
        def cleanup(self, wait: int) -> None:
            """Maintenance, possibly after a quiet period long enough to make idle frames stale."""
            if wait:
                self.ls.advance(wait)
            self.ls.cleanup()

        @rule()
        def check_gc_pressure(self) -> None:
            self.ls.check_gc_pressure()

        @rule(ms=_TIME)
        def advance_clock(self, ms: int) -> None:
            self.ls.advance(ms)

        @rule(limit=_LIMITS, offset=_OFFSETS, i=_INDEX)
        def advance_to_limit(self, limit: str, offset: int, i: int) -> None:
            """Move the clock to one below, exactly on, or one above a threshold of some frame
            (its idle time or age) or of the GC interval -- where ``<`` and ``<=`` differ."""
            model = self.ls.model
            if limit == "gc":
                target = model.last_gc_time + GC_INTERVAL_MS
            else:
                # Idle limits matter to idle frames; age limits to every frame still alive.
                wanted = (FrameState.AVAILABLE,) if limit == "idle" else (
                    FrameState.AVAILABLE, FrameState.ACTIVE)
                frames = [f for f in model.frames.values() if f.state in wanted]
                if not frames:
                    return
                frame = frames[i % len(frames)]
                if limit == "idle":
                    target = frame.last_access_time + MAX_IDLE_MS
                else:
                    target = frame.allocation_time + MAX_FRAME_AGE_MS
            self.ls.advance(max(0, target + offset - self.ls.clock.now))

        @rule()
        def statistics(self) -> None:
            self.ls.statistics()

        @precondition(lambda self: self.steps >= CLOSE_AFTER_STEPS)
        @rule(roll=st.integers(min_value=0, max_value=3))
        def close(self, roll: int) -> None:
            if roll == 0:
                self.ls.close()

        # ---- misuse ----

        @rule(frame_type=_TYPES, kind=_MISUSED, i=_INDEX)
        def get_or_create_bad_parent(self, frame_type: FrameType, kind: str, i: int) -> None:
            self.ls.get_or_create(frame_type, self._misused(kind, i))

        @rule(kind=_MISUSED, i=_INDEX, tree=st.booleans())
        def release_misused(self, kind: str, i: int, tree: bool) -> None:
            """Release (or release_tree) a frame already released, or another pool's frame."""
            frame = self._misused(kind, i)
            if tree:
                self.ls.release_tree(frame)
            else:
                self.ls.release(frame)

        @rule(size_class=st.one_of(_CLASSES, _BAD_CLASSES), new_size=_BAD_SIZES)
        def resize_invalid(self, size_class: int, new_size: Any) -> None:
            if new_size == "max+1":
                pooled = 0 <= size_class < MAX_FRAME_SIZES
                new_size = self.ls.config.max_pool_sizes[size_class] + 1 if pooled else 1
            self.ls.resize(size_class, new_size)

        @invariant()
        def agrees_with_model(self) -> None:
            self.steps += 1
            self.ls.check()

        def teardown(self) -> None:
            if hasattr(self, "ls"):
                self.ls.end_threads()

    PoolConformance.__name__ = PoolConformance.__qualname__ = name
    return PoolConformance


# ---- the entry point -----------------------------------------------------------------

def example_database_path() -> Path:
    """Where failing examples are kept for replay: the user's cache, never the working directory."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "framepool" / "hypothesis"


DEFAULT_SETTINGS = Settings(
    max_examples=200,
    stateful_step_count=50,
    deadline=None,
    derandomize=False,
    # A preset pool prefills up to 480 frames, which Hypothesis may find slow to build.
    suppress_health_check=[HealthCheck.too_slow],
    database=DirectoryBasedExampleDatabase(example_database_path()),
)
"""Per configuration: 200 examples of 50 steps."""

ConfigSpec = PoolConfig | st.SearchStrategy[PoolConfig]


def _label(spec: ConfigSpec) -> str:
    if isinstance(spec, PoolConfig):
        for name in PRESET_NAMES:
            if spec == PoolConfig.preset(name):
                return f"PoolConfig.preset({name!r})"
        return repr(spec)
    return repr(spec)


def default_configs() -> list[ConfigSpec]:
    """Every preset, then small random configurations."""
    return [*(PoolConfig.preset(name) for name in PRESET_NAMES), pool_configs()]


def run_conformance(
    factory: PoolFactory,
    *,
    settings: Settings | None = None,
    configs: Sequence[ConfigSpec] | None = None,
    threads: int | None = None,
    seed_value: int | None = None,
    boundaries: bool = True,
) -> None:
    """Check that pools built by ``factory(config, clock)`` behave like the reference model.

    First the deterministic boundary cases (:mod:`framepool_spec.boundaries`;
    ``boundaries=False`` skips them), then the random search. ``configs`` lists PoolConfigs and/or strategies of them (default: the four
    presets and :func:`pool_configs`); each gets its own run of ``settings``
    (default :data:`DEFAULT_SETTINGS`). ``seed_value`` fixes the random search
    (ignored with ``derandomize=True``); left out, one is drawn and reported on
    failure. ``threads=N`` also runs the concurrent checks with N threads.
    Raises :class:`ConformanceFailure` at the first configuration that fails.
    """
    chosen = settings if settings is not None else DEFAULT_SETTINGS
    specs = list(configs) if configs is not None else default_configs()
    if boundaries:
        run_boundary_scenarios(factory)
    for spec in specs:
        label = _label(spec)
        strategy = st.just(spec) if isinstance(spec, PoolConfig) else spec
        machine = conformance_machine(factory, strategy)
        test = get_state_machine_test(machine, settings=chosen)
        run_seed = seed_value if seed_value is not None else random.SystemRandom().getrandbits(64)
        if not chosen.derandomize:
            test = seed(run_seed)(test)
        try:
            test()
        except Exception as exc:
            how = (
                "derandomize=True: the same call fails the same way"
                if chosen.derandomize
                else f"run_conformance(factory, configs=[{label}], seed_value={run_seed}) "
                "with the same settings replays the search"
            )
            raise ConformanceFailure(
                f"{getattr(factory, '__name__', factory)!s} does not conform under {label}: "
                f"{type(exc).__name__}: {exc}\n"
                f"Reproduce: {how}; Hypothesis printed the failing steps above "
                f"(the example database in {example_database_path()} also replays them first)."
            ) from exc
        if threads:
            _run_concurrent_checks(factory, strategy, threads=threads, settings=chosen)


def _run_concurrent_checks(
    factory: PoolFactory,
    configs: st.SearchStrategy[PoolConfig],
    *,
    threads: int,
    settings: Settings,
) -> None:
    """``threads=N``: linearizability of real-thread histories and controlled schedules.

    Imported on first use: the concurrent checks are heavier than the sequential ones.
    """
    from framepool_spec.concurrency import run_concurrent_conformance

    run_concurrent_conformance(factory, configs, threads=threads, settings=settings)
