"""Where ``framepool verify`` lets Hypothesis write: never the working directory.

Hypothesis keeps an example database (earlier failures, replayed first on the
next run) and caches under its home directory, ``./.hypothesis`` by default.
During a run the home is the user's cache directory instead
(``$XDG_CACHE_HOME/framepool/hypothesis``, else ``~/.cache/framepool/hypothesis``)
and the database is its ``examples`` folder; if that cannot be created, a
temporary directory (removed afterwards) and an in-memory database.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from hypothesis import configuration
from hypothesis.database import (
    DirectoryBasedExampleDatabase,
    ExampleDatabase,
    InMemoryExampleDatabase,
)


def cache_directory() -> Path:
    """``$XDG_CACHE_HOME/framepool/hypothesis`` (an absolute XDG path only), else ``~/.cache/...``."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "framepool" / "hypothesis"


@dataclass(frozen=True)
class Storage:
    database: ExampleDatabase
    where: str
    """For the run's header line."""


@contextmanager
def hypothesis_storage() -> Iterator[Storage]:
    """Point Hypothesis' home at the cache directory for the duration (then restore it)."""
    previous = configuration.storage_directory(intent_to_write=False).home_directory
    scratch: str | None = None
    try:
        home = cache_directory()
        home.mkdir(parents=True, exist_ok=True)
        storage = Storage(DirectoryBasedExampleDatabase(home / "examples"), str(home / "examples"))
    except (OSError, RuntimeError):  # RuntimeError: no home directory to be found
        scratch = tempfile.mkdtemp(prefix="framepool-hypothesis-")
        home = Path(scratch)
        storage = Storage(InMemoryExampleDatabase(), "in memory (the cache directory is not writable)")
    configuration.set_hypothesis_home_dir(home)
    try:
        yield storage
    finally:
        configuration.set_hypothesis_home_dir(previous)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
