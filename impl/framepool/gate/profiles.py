"""The budgets of ``framepool verify``: one :class:`Profile` per ``--profile`` name.

A profile fixes how much every check runs, so a gate's cost is known before it
starts: ``quick`` for a first look (and the broken-pool tests), ``ci`` for a
pipeline (a few minutes on two cores), ``deep`` for a long hunt.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI's parser reads this module: it stays free of the checkers
    from framepool_spec.concurrency.preemption import Granularity


@dataclass(frozen=True)
class Profile:
    """How much each check of ``framepool verify`` runs."""

    name: str
    random_examples: int
    """Sequential agreement on small random configurations: Hypothesis examples."""
    preset_examples: int
    """Sequential agreement on each of the four presets: Hypothesis examples."""
    steps: int
    """Steps (operations) per sequential example."""
    histories_programs: int
    """Concurrent programs drawn for the real-thread linearizability check (the
    contention programs run in addition)."""
    threads: int
    """Most threads in a drawn program."""
    repeats: int
    """Real-thread runs (histories) per program."""
    passes: tuple[tuple[Granularity, int], ...]
    """Schedule exploration: one check per pass, (yield-point granularity, preemption bound);
    see ``framepool_spec.concurrency.schedules`` (its DEFAULT_PASSES and DEEP_PASSES)."""
    max_schedules: int
    """Schedules explored per standard program and pass at most (the exploration stops there)."""
    explored_programs: int
    """Drawn programs explored schedule by schedule (the standard programs run in addition)."""
    drawn_schedules: int
    """Schedules explored per drawn program and pass at most."""
    evm_files: int | None
    """Files of the EVM state-test sample (None: all of it)."""
    evm_cancun_files: int
    """Cancun fixture files added to the sample."""
    check_timeout: int
    """Seconds a check may run before it ends with no verdict (0: no limit); ``--check-timeout``
    overrides it. About ten times the longest check of framepool's own pool here, so only a
    pool that hangs (a lock taken twice, a wait that never ends) or crawls reaches it."""

    def sequential_budget(self, examples: int) -> str:
        return f"{examples} examples x {self.steps} steps"


PROFILES: dict[str, Profile] = {
    "quick": Profile(
        name="quick",
        random_examples=150,
        preset_examples=8,
        steps=30,
        histories_programs=15,
        threads=3,
        repeats=3,
        passes=(("locks", 2), ("opcodes", 1)),
        max_schedules=2_000,
        explored_programs=2,
        drawn_schedules=100,
        evm_files=8,
        evm_cancun_files=2,
        check_timeout=300,
    ),
    "ci": Profile(
        name="ci",
        random_examples=400,
        preset_examples=40,
        steps=50,
        histories_programs=60,
        threads=3,
        repeats=5,
        passes=(("locks", 2), ("opcodes", 1)),
        max_schedules=5_000,
        explored_programs=10,
        drawn_schedules=300,
        evm_files=None,
        evm_cancun_files=6,
        check_timeout=600,
    ),
    "deep": Profile(
        name="deep",
        random_examples=3_000,
        preset_examples=300,
        steps=100,
        histories_programs=400,
        threads=4,
        repeats=10,
        passes=(("locks", 3), ("opcodes", 2)),
        max_schedules=10_000,
        explored_programs=30,
        drawn_schedules=1_000,
        evm_files=None,
        evm_cancun_files=40,
        check_timeout=0,
    ),
}
DEFAULT_PROFILE = "ci"


def check_timeout(text: str) -> int:
    """An argparse type for ``--check-timeout``: whole seconds, 0 for no limit."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected whole seconds, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 (no limit) or more, got {value}")
    return value
