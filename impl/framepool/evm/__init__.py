"""framepool.evm: a Cancun Ethereum Virtual Machine whose call frames come from a FramePoolManager.

Layout:

- ``opcodes``     one plain function per opcode, the 256-entry dispatch table, static gas
- ``interpreter`` the loop: an explicit frame stack (no Python recursion per EVM call),
                  pooled frames for every call/creation/precompile run, per-code analysis
- ``state``       accounts plus a journal that undoes everything a failed frame did
- ``transaction`` validation, intrinsic gas, fees, the outermost frame
- ``vm``          ``VM``: pool control and running fixture vectors
- ``runner``      ``framepool statetest``

``VM``, ``State``, ``Transaction`` and ``BlockContext`` are re-exported lazily, so importing
``framepool.evm.rlp`` (say) does not load the interpreter.
"""

from __future__ import annotations

from typing import Any

__all__ = ["VM", "BlockContext", "State", "Transaction"]


def __getattr__(name: str) -> Any:
    if name == "VM":
        from framepool.evm.vm import VM

        return VM
    if name == "State":
        from framepool.evm.state import State

        return State
    if name in ("Transaction", "BlockContext"):
        from framepool.evm import transaction

        return getattr(transaction, name)
    raise AttributeError(f"module 'framepool.evm' has no attribute {name!r}")
