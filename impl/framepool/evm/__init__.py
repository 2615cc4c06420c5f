"""framepool.evm: an Ethereum Virtual Machine (Shanghai, Cancun, Prague, Osaka; the fork is
chosen per block) whose call frames come from a FramePoolManager.

Layout:

- ``forks``       ``Fork``, the forks in activation order
- ``rules``       each fork's rules as data (``RULES[fork]``): instructions, precompiles,
                  transaction types and limits, blob parameters
- ``instructions`` one plain function per opcode, by family, and each fork's dispatch table
                  and static gas (assembled in ``instructions/__init__.py``)
- ``interpreter`` the loop: an explicit frame stack (no Python recursion per EVM call),
                  pooled frames for every call/creation/precompile run, per-code analysis
- ``state``       accounts plus a journal that undoes everything a failed frame did
- ``transaction`` validation, intrinsic gas, fees, the outermost frame
- ``vm``          ``VM``: pool control and running fixture vectors
- ``runner``      ``framepool statetest``

It needs the ``evm`` extra (``pip install 'framepool[evm]'``); without it, importing this
package raises ImportError naming the extra.

``VM``, ``State``, ``Transaction`` and ``BlockContext`` are re-exported lazily, so importing
``framepool.evm.rlp`` (say) does not load the interpreter.
"""

from __future__ import annotations

from typing import Any

from framepool.extras import evm_extra_problem

_problem = evm_extra_problem()
if _problem is not None:
    raise ImportError(_problem)

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
