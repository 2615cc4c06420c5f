"""What ``framepool verify`` prints and writes: one line per check as it starts and ends,
the counterexample of a failed check at once, and the ``--json`` report.

Lines go to stdout and are flushed immediately (a CI log shows progress live)::

    START sequential:random  (budget: 400 examples x 50 steps)
    PASS  sequential:random  12.3s  examples=400
    FAIL  schedules  0.4s  programs=1 schedules=3
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, TextIO


class Verdict(Enum):
    PASS = "PASS"
    FAIL = "FAIL"
    """A counterexample: the pool disagrees with the reference model."""
    SKIPPED = "SKIPPED"
    """The check does not apply (the reason says why)."""
    ERROR = "ERROR"
    """The check could not run to a verdict (the reason says why)."""


class Counterexample(Exception):
    """Raised by a check that found a disagreement: ``summary`` is one line, ``details`` the
    failing example as the checker printed it."""

    def __init__(self, summary: str, details: str = "") -> None:
        super().__init__(summary)
        self.summary = summary
        self.details = details


class Skip(Exception):
    """Raised by a check that does not apply; ``str(err)`` is the reason."""


class NoVerdict(Exception):
    """Raised by a check that ran but cannot claim a verdict (say, nothing was exercised)."""


@dataclass
class CheckResult:
    name: str
    verdict: Verdict
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)
    detail: str | None = None
    replay: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "verdict": self.verdict.value,
            "seconds": round(self.seconds, 3),
            "counts": dict(self.counts),
            "detail": self.detail,
            "replay": self.replay,
        }


def format_counts(counts: dict[str, int]) -> str:
    return " ".join(f"{key}={value}" for key, value in counts.items())


class Reporter:
    """Prints progress to ``out`` as checks start and end, and collects the results."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out if out is not None else sys.stdout
        self.results: list[CheckResult] = []
        self._width = 0

    def line(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def plan(self, names: list[str]) -> None:
        self._width = max((len(n) for n in names), default=0)

    def started(self, name: str, budget: str) -> None:
        self.line(f"START   {name:<{self._width}}  (budget: {budget})")

    def ended(self, result: CheckResult) -> None:
        self.results.append(result)
        counts = format_counts(result.counts)
        text = f"{result.verdict.value:<7} {result.name:<{self._width}}  {result.seconds:6.1f}s"
        if counts:
            text += f"  {counts}"
        if result.detail and result.verdict is not Verdict.FAIL:
            text += f"  -- {result.detail}"
        self.line(text)

    def counterexample(self, result: CheckResult, failure: Counterexample) -> None:
        """The failing example and how to replay it, right after the FAIL line."""
        self.line(f"  {result.name}: {failure.summary}")
        if failure.details:
            for text in failure.details.rstrip().splitlines():
                self.line(f"    {text}")
        if result.replay:
            self.line(f"  replay: {result.replay}")


def exit_code(results: list[CheckResult]) -> int:
    """1 if any check failed; else 2 if any could not run or none passed; else 0."""
    verdicts = {r.verdict for r in results}
    if Verdict.FAIL in verdicts:
        return 1
    if Verdict.ERROR in verdicts or Verdict.PASS not in verdicts:
        return 2
    return 0


def write_json(
    path: Path,
    *,
    results: list[CheckResult],
    code: int,
    run: dict[str, Any],
    error: str | None = None,
) -> None:
    """The ``--json`` report (schema in README: "Checking your own pool")."""
    document: dict[str, Any] = {
        **run,
        "checks": [r.as_json() for r in results],
        "exit_code": code,
        "error": error,
    }
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
