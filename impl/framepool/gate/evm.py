"""The EVM state-test sample on the pool under test, pooling on and off.

The VM runs every message call, creation and precompile on frames from the
pool it is given (``VM(manager=pool)``): the pool is built by the factory with
the ``high_performance`` preset (on) and with pooling ``disabled`` (off), and
with ``frame_class=EvmFrame`` if the factory takes that keyword (the VM's
frames are its execution contexts). Both runs must pass every vector, agree
vector by vector, and leave no frame active. A pool the VM cannot run on (the
factory refuses ``frame_class=``, the pool lacks a method the VM calls, or the
VM refuses it) makes the check SKIPPED, with the reason.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from framepool.gate.context import Check, Context
from framepool.gate.inputs import takes_keyword
from framepool.gate.report import Counterexample, NoVerdict, Skip
from framepool_spec.config import PoolConfig

if TYPE_CHECKING:
    from framepool.evm.vm import VectorResult

VM_METHODS = ("get_or_create", "release", "maybe_cleanup")
"""What the VM calls on its pool while running transactions."""


def wall_clock_ms() -> int:
    return time.monotonic_ns() // 1_000_000


def sample_files(root: Path | None, files: int | None, cancun_files: int) -> list[Path]:
    """The profile's part of ``framepool.evm.sample``: its first ``files`` files, then Cancun ones.

    Raises ``FixturesNotFoundError`` when no ethereum/tests checkout can be found.
    """
    from framepool.evm.sample import sample_paths

    plain = sample_paths(root, cancun_files=0)
    cancun = sample_paths(root, cancun_files=cancun_files)[len(plain):]
    return (plain if files is None else plain[:files]) + cancun


def _vm_pool(ctx: Context, config: PoolConfig) -> Any:
    """A pool from the factory for the VM: with EVM frames, if the factory takes ``frame_class=``."""
    from framepool.evm.context import EvmFrame

    if not takes_keyword(ctx.factory, "frame_class"):
        return ctx.factory(config, wall_clock_ms)
    try:
        return ctx.factory(config, wall_clock_ms, frame_class=EvmFrame)
    except Exception as exc:  # noqa: BLE001 -- the factory may refuse the keyword however it likes
        raise Skip(f"the factory refused frame_class=EvmFrame: {type(exc).__name__}: {exc}") from None


def _vm_on(pool: Any) -> Any:
    from framepool.evm.vm import VM

    missing = [m for m in VM_METHODS if not callable(getattr(pool, m, None))]
    if missing:
        raise Skip(f"the VM calls {', '.join(missing)}, which {type(pool).__name__} lacks")
    try:
        return VM(manager=pool)
    except TypeError as exc:  # the VM checks its pool's type
        raise Skip(f"the VM cannot run on {type(pool).__name__}: {exc}") from None


def _run(ctx: Context, counts: dict[str, int]) -> str:
    from framepool.evm.fixtures import FixturesNotFoundError
    from framepool.evm.sample import run_vectors

    root = ctx.fixtures / "GeneralStateTests" if ctx.fixtures is not None else None
    try:
        paths = sample_files(root, ctx.profile.evm_files, ctx.profile.evm_cancun_files)
    except FixturesNotFoundError as exc:
        raise Skip(str(exc)) from None
    if not paths:
        raise NoVerdict(f"no file of the sample found under {root}")
    counts.update(files=len(paths), vectors=0)
    on_pool = _vm_pool(ctx, PoolConfig.high_performance())
    try:
        off_pool = _vm_pool(ctx, PoolConfig.disabled())
    except BaseException:
        on_pool.close()
        raise
    try:
        on = run_vectors(_vm_on(on_pool), paths)
        counts["vectors"] = len(on)
        off = run_vectors(_vm_on(off_pool), paths)
        _compare(on, off)
        for pool, side in ((on_pool, "on"), (off_pool, "off")):
            active = pool.counts().frames_active
            if active:
                raise Counterexample(f"{active} frames still active after the sample (pooling {side})")
    finally:
        on_pool.close()
        off_pool.close()
    if not on:
        raise NoVerdict("the sample holds no Cancun vector")
    return "identical with pooling on and off"


def _compare(on: list[VectorResult], off: list[VectorResult]) -> None:
    """Pooling must not change any result, and every vector must pass."""
    differ = [(a, b) for a, b in zip(on, off) if a != b]
    if differ or len(on) != len(off):
        first = f"pooling on {differ[0][0]}\n  pooling off {differ[0][1]}" if differ else ""
        raise Counterexample(
            f"{len(differ)} of {len(on)} vectors differ with pooling on and off "
            f"({len(on)} and {len(off)} results)", first,
        )
    failed = [r for r in on if not r.passed]
    if failed:
        raise Counterexample(f"{len(failed)} of {len(on)} vectors failed", f"first: {failed[0]}")


def evm_check(ctx: Context) -> Check:
    profile = ctx.profile
    files = "the sample's files" if profile.evm_files is None else f"{profile.evm_files} sample files"
    return Check(
        "evm-sample",
        f"{files} + {profile.evm_cancun_files} Cancun files, pooling on and off",
        lambda counts: _run(ctx, counts),
    )
