"""Where ``framepool verify`` lets Hypothesis write: never the working directory.

Hypothesis keeps an example database (earlier failures, replayed first on the
next run) and caches under its home directory, ``./.hypothesis`` by default.
During a run the database is the one ``run_conformance`` uses by default
(``framepool_spec.conformance.example_database_path()``:
``$XDG_CACHE_HOME/framepool/hypothesis``, else ``~/.cache/framepool/hypothesis``),
so a failure found by either is replayed by both, and Hypothesis' home is its
sibling ``hypothesis-home``. If the cache directory cannot be created: a
temporary home (removed afterwards) and an in-memory database.
"""

from __future__ import annotations

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

from framepool_spec.conformance import example_database_path


def storage_paths() -> tuple[Path, Path]:
    """(the example database, Hypothesis' home) for this user."""
    database = example_database_path()
    return database, database.parent / "hypothesis-home"


@dataclass(frozen=True)
class Storage:
    database: ExampleDatabase
    where: str
    """For the run's header line."""


@contextmanager
def hypothesis_storage() -> Iterator[Storage]:
    """Point Hypothesis' home into the cache directory for the duration (then restore it)."""
    previous = configuration.storage_directory(intent_to_write=False).home_directory
    scratch: str | None = None
    try:
        database, home = storage_paths()
        for path in (database, home):
            path.mkdir(parents=True, exist_ok=True)
        storage = Storage(DirectoryBasedExampleDatabase(database), str(database))
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
