"""``framepool verify``: a CI gate that checks a pool against the reference model.

Checks, each printed as PASS or FAIL with its time:

1. sequential agreement with the model (``run_conformance``) for every preset
   and random configurations;
2. concurrent agreement: linearizable real-thread histories and, when the pool
   takes ``lock_factory=``, exhaustive schedules (preemption bound 2);
3. for framepool's own pool, the EVM on a state-test sample with pooling on
   and off: identical results, all passing, no frame left active.

``--factory MODULE:CALLABLE`` checks another pool: ``CALLABLE(config, clock)``
must build it (see ``framepool_spec.conformance.ConformantPool``). Exit status
0 when everything passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings

from framepool.manager import FramePoolManager
from framepool_spec.config import PRESET_NAMES, PoolConfig


def _own_factory(config: PoolConfig, clock: Callable[[], int], **kwargs: Any) -> FramePoolManager:
    return FramePoolManager(config, clock=clock, **kwargs)


def load_factory(spec: str) -> Callable[..., Any]:
    """``package.module:callable`` -> a factory ``(config, clock, **kwargs) -> pool``.

    The module is imported as ``python -m`` would, with the current directory on
    the path. A FramePoolManager subclass is accepted as it is (its ``clock``
    is keyword-only, so it is wrapped).
    """
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"--factory must look like package.module:callable, got {spec!r}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    module = importlib.import_module(module_name)
    try:
        factory = getattr(module, attr)
    except AttributeError:
        raise ValueError(f"module {module_name!r} has no attribute {attr!r}") from None
    if not callable(factory):
        raise ValueError(f"{spec} is not callable")
    if isinstance(factory, type) and issubclass(factory, FramePoolManager):
        manager_class = factory

        def build(config: PoolConfig, clock: Callable[[], int], **kwargs: Any) -> FramePoolManager:
            return manager_class(config, clock=clock, **kwargs)

        build.__name__ = manager_class.__name__
        return build
    return factory  # type: ignore[no-any-return]


def _check(name: str, body: Callable[[], str | None]) -> bool:
    start = time.perf_counter()
    try:
        detail = body()
    except Exception as exc:  # a gate reports every failure, whatever its type
        print(f"FAIL {name} ({time.perf_counter() - start:.1f}s): {type(exc).__name__}: {exc}")
        traceback.print_exc()
        return False
    extra = f" -- {detail}" if detail else ""
    print(f"PASS {name} ({time.perf_counter() - start:.1f}s){extra}", flush=True)
    return True


def run_verify(args: argparse.Namespace) -> int:
    from framepool_spec.conformance import run_conformance

    factory: Callable[..., Any] = _own_factory
    if args.factory:
        factory = load_factory(args.factory)
    examples, steps = (1000, 100) if args.deep else (200, 50)
    seq_settings = settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
        database=None,
    )
    conc_settings = settings(seq_settings, max_examples=100 if args.deep else 20)
    results: list[bool] = []

    def sequential() -> str:
        from framepool_spec.conformance import pool_configs

        # Small random configs first: their pools fill, overflow and shrink within a few
        # steps, so a broken pool fails fast; the presets' large pools come after.
        presets = [PoolConfig.preset(name) for name in PRESET_NAMES]
        run_conformance(factory, settings=seq_settings, configs=[pool_configs(), *presets])
        return f"4 presets + random configs, {examples} examples x {steps} steps each"

    def concurrent() -> str:
        from framepool_spec.concurrency import run_concurrent_conformance
        from framepool_spec.conformance import pool_configs

        run_concurrent_conformance(factory, pool_configs(), threads=4 if args.deep else 3, settings=conc_settings)
        return "linearizable histories; schedules explored with preemption bound 2"

    results.append(_check("sequential agreement with the reference model", sequential))
    results.append(_check("concurrent agreement (linearizability, schedules)", concurrent))
    if not args.factory and not args.skip_evm:

        def evm_sample() -> str:
            from framepool.evm.sample import run_vectors, sample_paths
            from framepool.evm.vm import VM

            root = Path(args.fixtures) / "GeneralStateTests" if args.fixtures else None
            paths = sample_paths(root)
            if not paths:
                raise FileNotFoundError("no sample fixture files found")
            pooled, plain = VM(PoolConfig.high_performance()), VM(PoolConfig.disabled())
            on, off = run_vectors(pooled, paths), run_vectors(plain, paths)
            differ = [(a, b) for a, b in zip(on, off) if a != b]
            if differ:
                raise AssertionError(f"{len(differ)} vectors differ with pooling on/off, first: {differ[0]}")
            failed = [r for r in on if not r.passed]
            if failed:
                raise AssertionError(f"{len(failed)} of {len(on)} vectors failed, first: {failed[0]}")
            for vm in (pooled, plain):
                active = vm.get_frame_pool_statistics().counts.frames_active
                if active:
                    raise AssertionError(f"{active} frames still active after the sample")
            return f"{len(on)} vectors from {len(paths)} files, identical with pooling on and off"

        results.append(_check("EVM state-test sample, pool on vs off", evm_sample))
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if all(results) else 1
