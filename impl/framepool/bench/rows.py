"""A measured figure next to its target: the unit of ``framepool bench``'s report."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path


class Direction(Enum):
    """Which side of the target meets it."""

    AT_MOST = "<="
    AT_LEAST = ">="


@dataclass(frozen=True)
class Row:
    """One figure. ``value`` is None when it could not be measured (then it is not met)."""

    name: str
    value: float | None
    target: float
    direction: Direction
    detail: str = ""

    @property
    def met(self) -> bool:
        if self.value is None:
            return False
        if self.direction is Direction.AT_MOST:
            return self.value <= self.target
        return self.value >= self.target

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "value": self.value,
            "target": self.target,
            "direction": self.direction.value,
            "met": self.met,
            "detail": self.detail,
        }


def format_table(rows: Sequence[Row]) -> str:
    """The rows as a plain-text table, details indented under each row."""
    width = max(len(row.name) for row in rows)
    lines = [f"{'figure':<{width}}  {'value':>9}  {'target':>9}  met"]
    for row in rows:
        value = "n/a" if row.value is None else f"{row.value:.3f}"
        target = f"{row.direction.value} {row.target:g}"
        lines.append(f"{row.name:<{width}}  {value:>9}  {target:>9}  {'yes' if row.met else 'NO'}")
        if row.detail:
            lines.append(f"    {row.detail}")
    met = sum(row.met for row in rows)
    lines.append(f"{met} of {len(rows)} targets met")
    return "\n".join(lines)


def write_json(path: Path, rows: Sequence[Row]) -> None:
    path.write_text(json.dumps({"rows": [row.as_json() for row in rows]}, indent=2) + "\n")
