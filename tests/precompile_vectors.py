"""Where the published precompile vectors are (../shared/precompile-vectors, read in place),
and reading one file of them."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ENV_VAR = "FRAMEPOOL_PRECOMPILE_VECTORS"


def vectors_dir() -> Path:
    """``$FRAMEPOOL_PRECOMPILE_VECTORS``, else ``<repo>/../shared/precompile-vectors``; a test
    skips when neither exists, and fails when the variable names no directory."""
    env = os.environ.get(ENV_VAR)
    if env:
        path = Path(env)
        if not path.is_dir():
            pytest.fail(f"${ENV_VAR} points to {path}, which is not a directory")
        return path
    path = Path(__file__).resolve().parents[1].parent / "shared" / "precompile-vectors"
    if not path.is_dir():
        pytest.skip(f"precompile vectors not found at {path}; set ${ENV_VAR}")
    return path


@cache
def load(stem: str) -> list[dict[str, Any]]:
    """The vectors of ``<stem>.json``."""
    with (vectors_dir() / f"{stem}.json").open() as f:
        vectors: list[dict[str, Any]] = json.load(f)
    return vectors
