"""A downstream user's module, type-checked by scripts/test with `mypy --strict` in a folder
outside this repository, against the framepool installed in .venv (issue #9 item 6).

If mypy could not see the installed package, every import below would be an
``import-not-found`` error; if it saw it untyped, strict mode would reject the ``Any``s.
"""

from __future__ import annotations

from framepool import FramePoolManager, FrameType, PoolConfig, PooledFrame
from framepool.evm.state import State
from framepool.evm.vm import VM
from framepool_spec.conformance import run_conformance


def hit_rate_after(calls: int) -> float:
    with FramePoolManager(PoolConfig.high_performance()) as pool:
        for _ in range(calls):
            root: PooledFrame = pool.get_or_create(FrameType.REGULAR)
            pool.release(root)
        rate: float = pool.statistics().hit_rate
        return rate


def empty_state_root() -> bytes:
    VM(PoolConfig.disabled())
    return State({}).root()


__all__ = ["empty_state_root", "hit_rate_after", "run_conformance"]
