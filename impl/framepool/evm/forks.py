"""The forks this EVM implements, in activation order.

A fork is data: everything that differs between forks (opcode tables, static gas, the
precompile set, transaction rules) is looked up by a ``Fork`` once per run, never checked
per opcode. ``Fork`` values compare in activation order, so ``fork >= Fork.PRAGUE`` reads
"Prague rules or later".
"""

from __future__ import annotations

from enum import IntEnum


class Fork(IntEnum):
    SHANGHAI = 0
    CANCUN = 1
    PRAGUE = 2
    OSAKA = 3

    @property
    def title(self) -> str:
        """The name state-test fixtures use as the ``post`` key, e.g. ``"Cancun"``."""
        return self.name.capitalize()

    @classmethod
    def from_name(cls, name: str) -> Fork:
        """The fork a fixture's ``post`` key or ``--fork`` names (case-insensitive)."""
        try:
            return cls[name.upper()]
        except KeyError:
            known = ", ".join(f.title for f in cls)
            raise ValueError(f"unknown fork {name!r}; known forks: {known}") from None
