"""Everything ``framepool verify`` checks before it runs a single example.

A problem found here means the gate could not run (exit status 2), never that
the pool disagrees (exit status 1): :class:`GateError` carries a one-line reason.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from framepool.manager import FramePoolManager
from framepool_spec.config import PoolConfig
from framepool_spec.conformance import FakeClock

PoolFactory = Callable[..., Any]
"""``factory(config, clock, **kwargs) -> pool`` (``lock_factory=`` among the kwargs, if taken)."""

POOL_METHODS = (
    "acquire", "get_or_create", "release", "release_tree", "resize", "auto_tune", "cleanup",
    "check_gc_pressure", "close", "counts", "available_frames",
)
"""What the checks call on a pool (``framepool_spec.conformance.ConformantPool``)."""


class GateError(Exception):
    """The gate cannot run; ``str(err)`` is the one-line reason."""


def own_factory(config: PoolConfig, clock: Callable[[], int], **kwargs: Any) -> FramePoolManager:
    """framepool's own pool."""
    return FramePoolManager(config, clock=clock, **kwargs)


def load_factory(spec: str) -> PoolFactory:
    """``package.module:callable`` -> a factory ``(config, clock, **kwargs) -> pool``.

    The module is imported as ``python -m`` would, with the current directory on
    the path. A FramePoolManager subclass is accepted as it is (its ``clock``
    is keyword-only, so it is wrapped). Raises :class:`GateError` naming the problem.
    """
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise GateError(f"--factory must look like package.module:callable, got {spec!r}")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise GateError(f"--factory {spec}: cannot import {module_name!r}: {exc}") from None
    except (Exception, SystemExit) as exc:  # noqa: BLE001 -- importing runs the user's code
        raise GateError(
            f"--factory {spec}: importing {module_name!r} raised {type(exc).__name__}: {exc}"
        ) from None
    factory: Any = module
    for part in attr.split("."):
        try:
            factory = getattr(factory, part)
        except AttributeError:
            raise GateError(f"--factory {spec}: module {module_name!r} has no attribute {attr!r}") from None
    if not callable(factory):
        raise GateError(f"--factory {spec} is not callable (it is a {type(factory).__name__})")
    if isinstance(factory, type) and issubclass(factory, FramePoolManager):
        manager_class = factory

        def build(config: PoolConfig, clock: Callable[[], int], **kwargs: Any) -> FramePoolManager:
            return manager_class(config, clock=clock, **kwargs)

        build.__name__ = build.__qualname__ = manager_class.__name__
        return build
    loaded: PoolFactory = factory
    return loaded


def takes_keyword(factory: PoolFactory, name: str) -> bool:
    """Whether ``factory`` accepts the keyword argument ``name`` (by name or via ``**kwargs``)."""
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == name or p.kind is inspect.Parameter.VAR_KEYWORD for p in params)


def probe_factory(factory: PoolFactory, label: str) -> None:
    """Build one pool and close it: the factory must return something with the pool's methods."""
    try:
        pool = factory(PoolConfig.minimal(), FakeClock())
    except Exception as exc:  # noqa: BLE001 -- the user's factory may raise anything
        raise GateError(
            f"{label}(PoolConfig.minimal(), clock) raised {type(exc).__name__}: {exc}"
        ) from None
    missing = [name for name in POOL_METHODS if not callable(getattr(pool, name, None))]
    if missing:
        raise GateError(
            f"{label}(config, clock) returned {type(pool).__name__}, not a pool: "
            f"it has no {', '.join(missing)}"
        )
    try:
        pool.close()
    except Exception as exc:  # noqa: BLE001
        raise GateError(f"closing a pool from {label} raised {type(exc).__name__}: {exc}") from None


def check_fixtures(path: str, given_as: str = "--fixtures") -> Path:
    """``--fixtures PATH`` (or ``$FRAMEPOOL_ETHEREUM_TESTS``): an ethereum/tests checkout,
    holding ``GeneralStateTests/``."""
    root = Path(path)
    if not root.is_dir():
        raise GateError(f"{given_as} {path}: no such directory")
    if not (root / "GeneralStateTests").is_dir():
        raise GateError(
            f"{given_as} {path}: no GeneralStateTests folder in it (give the ethereum/tests root)"
        )
    return root


def check_json_target(path: str) -> Path:
    """``--json FILE``: its folder must exist (the file is written at the end)."""
    target = Path(path)
    if target.is_dir():
        raise GateError(f"--json {path} is a directory")
    if not target.parent.is_dir():
        raise GateError(f"--json {path}: no such directory {str(target.parent)!r}")
    return target
