"""What ``framepool bench`` accepts, checked before anything runs, and how big a run is."""

from __future__ import annotations

import argparse
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path


def positive_int(text: str) -> int:
    """An argparse type: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def writable_file(text: str) -> Path:
    """An argparse type: a file path that can be created or overwritten."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a directory")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise argparse.ArgumentTypeError(f"directory {parent} does not exist")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise argparse.ArgumentTypeError(f"cannot write {text}")
    return path


def plot_file(text: str) -> Path:
    """An argparse type: a writable PNG path, only when matplotlib is installed."""
    if importlib.util.find_spec("matplotlib") is None:
        raise argparse.ArgumentTypeError(
            "needs matplotlib; install the extra: pip install 'framepool[plot]'"
        )
    return writable_file(text)


@dataclass(frozen=True)
class Settings:
    """How much each part of the bench runs."""

    repeats: int
    """Interleaved repetitions of every EVM comparison (the median ratio is reported) ..."""
    min_seconds: float
    """... or more, until each variant has run this many CPU seconds."""
    alloc_rounds: int
    """Interleaved rounds of the frame allocation loop."""
    alloc_frames: int
    """Frames per round and variant in the frame allocation loop."""
    fixture_files: int | None
    """State-test files per folder (None: the whole folder)."""
    recursions: int
    """Transactions of the 1024-deep recursion workload."""
    long_transactions: int
    """Transactions of the long mixed run."""
    phase_transactions: int
    """Transactions per phase of the auto-tuning workload."""
    quick: bool

    @classmethod
    def full(cls, repeats: int | None = None) -> Settings:
        return cls(
            repeats=repeats or 3, min_seconds=1.0, alloc_rounds=21, alloc_frames=20_000, fixture_files=None,
            recursions=6, long_transactions=10_000, phase_transactions=2_000, quick=False,
        )

    @classmethod
    def small(cls, repeats: int | None = None) -> Settings:
        """``--quick``: a few seconds, for tests; the figures are only indicative."""
        return cls(
            repeats=repeats or 1, min_seconds=0.0, alloc_rounds=3, alloc_frames=2_000, fixture_files=2,
            recursions=2, long_transactions=200, phase_transactions=150, quick=True,
        )
