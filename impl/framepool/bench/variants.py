"""The VMs compared: built the way ``VM(config)`` builds its own, plus a manager option or two.

The pool and the EVM's frames are being redesigned, so nothing here names a
constructor option the VM's manager may need (such as the class of its frames):
``manager_options`` copies every keyword-only option of ``FramePoolManager`` that
the VM's own manager exposes as a public attribute.
"""

from __future__ import annotations

import inspect
from typing import Any, TypeVar

from framepool.evm.vm import VM
from framepool.manager import FramePoolManager
from framepool_spec.config import PoolConfig


def pooled_vm() -> VM:
    return VM(PoolConfig.high_performance())


def unpooled_vm() -> VM:
    return VM(PoolConfig.disabled())


def accepts_option(name: str) -> bool:
    """Whether ``FramePoolManager`` takes the keyword ``name``."""
    return name in inspect.signature(FramePoolManager).parameters


def manager_options(config: PoolConfig) -> dict[str, Any]:
    """The keyword-only options of the manager ``VM(config)`` builds, as far as it shows them."""
    reference = VM(config).manager
    parameters = inspect.signature(type(reference)).parameters.values()
    return {
        p.name: getattr(reference, p.name)
        for p in parameters
        if p.kind is inspect.Parameter.KEYWORD_ONLY and hasattr(reference, p.name)
    }


Manager = TypeVar("Manager", bound=FramePoolManager)


def manager_like(config: PoolConfig, manager_class: type[Manager], **overrides: Any) -> Manager:
    """A ``manager_class`` built like the manager of ``VM(config)``, with ``overrides``."""
    return manager_class(config, **{**manager_options(config), **overrides})


def vm_with(config: PoolConfig, **overrides: Any) -> VM:
    """A VM on a manager built like its own, with ``overrides``."""
    return VM(manager=manager_like(config, FramePoolManager, **overrides))
