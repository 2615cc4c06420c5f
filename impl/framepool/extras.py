"""Which of framepool's optional parts are installed.

``pip install framepool`` gives the pool, the reference model and the conformance suite; the
EVM's libraries (hashing, curves, KZG) come with the ``evm`` extra. What that extra holds is
read from framepool's installed metadata, so ``pyproject.toml`` is the only list of them.
"""

from __future__ import annotations

import re
from importlib import metadata

__all__ = ["evm_extra_problem", "missing_extra"]

_EXTRA_MARKER = re.compile(r"""extra\s*==\s*["']([\w.-]+)["']""")
_DIST_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def _is_installed(dist: str) -> bool:
    try:
        metadata.version(dist)
    except metadata.PackageNotFoundError:
        return False
    return True


def missing_extra(extra: str) -> list[str]:
    """The distributions of framepool's extra ``extra`` that are not installed.

    Empty when framepool itself has no installed metadata (run from a source tree on
    ``sys.path``): then nothing says what the extra holds.
    """
    try:
        requirements = metadata.requires("framepool") or []
    except metadata.PackageNotFoundError:
        return []
    missing = []
    for requirement in requirements:
        marker = _EXTRA_MARKER.search(requirement)
        name = _DIST_NAME.match(requirement)
        if marker and marker.group(1) == extra and name and not _is_installed(name.group()):
            missing.append(name.group())
    return missing


def evm_extra_problem() -> str | None:
    """A one-line reason the EVM cannot run (its extra is not installed), or None."""
    missing = missing_extra("evm")
    if not missing:
        return None
    return (
        f"framepool's EVM needs the 'evm' extra (not installed: {', '.join(missing)}); "
        "install it with: pip install 'framepool[evm]'"
    )
