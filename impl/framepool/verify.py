"""``framepool verify``: a CI gate that checks a pool against the reference model.

The command lives in :mod:`framepool.gate` (``runner`` runs it); this module is
its stable entry point for the CLI and for callers.
"""

from __future__ import annotations

from framepool.gate.inputs import GateError, load_factory
from framepool.gate.runner import run_verify

__all__ = ["GateError", "load_factory", "run_verify"]
