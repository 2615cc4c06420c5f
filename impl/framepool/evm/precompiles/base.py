"""What a precompile is: a named handler that prices and runs one call, and the helpers that
read its input.

A *handler* takes ``(data, gas)`` and returns ``(gas_used, output)``, or raises
``PrecompileFailure`` (out of gas, or input the contract rejects). ``Precompile`` wraps a
handler into the call the interpreter makes: a failure consumes all the gas given and returns
no output, ``(False, gas, b"")``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "Handler",
    "Precompile",
    "PrecompileFailure",
    "PrecompileResult",
    "charged",
    "fixed",
    "padded",
    "per_word",
    "uint",
    "words",
]

PrecompileResult = tuple[bool, int, bytes]
"""``(success, gas_used, output)``."""

Handler = Callable[[bytes, int], tuple[int, bytes]]
"""``(data, gas) -> (gas_used, output)``; raises ``PrecompileFailure``."""


class PrecompileFailure(Exception):
    """The precompile fails and consumes all the gas it was given; the message says why."""


@dataclass(frozen=True, slots=True)
class Precompile:
    """One precompiled contract: ``precompile(data, gas)`` runs it."""

    name: str
    handler: Handler

    def __call__(self, data: bytes, gas: int) -> PrecompileResult:
        """``(True, gas_used, output)``, or ``(False, gas, b"")`` if the call fails."""
        try:
            used, output = self.handler(bytes(data), gas)
        except PrecompileFailure:
            return False, gas, b""
        return True, used, output


def words(length: int) -> int:
    """``length`` bytes in 32-byte words, rounded up."""
    return (length + 31) // 32


def padded(data: bytes, start: int, length: int) -> bytes:
    """``length`` bytes of ``data`` from ``start``, zero-filled past the end (like calldata)."""
    chunk = data[start : start + length] if start < len(data) else b""
    return chunk + bytes(length - len(chunk))


def uint(data: bytes) -> int:
    """``data`` as a big-endian unsigned integer."""
    return int.from_bytes(data, "big")


def charged(cost: int, gas: int) -> int:
    """``cost``, if ``gas`` covers it; else the call fails out of gas."""
    if cost > gas:
        raise PrecompileFailure(f"out of gas: needs {cost}, has {gas}")
    return cost


def fixed(cost: int, fn: Callable[[bytes], bytes]) -> Handler:
    """A handler with a price known before running: charge first, then compute."""

    def run(data: bytes, gas: int) -> tuple[int, bytes]:
        return charged(cost, gas), fn(data)

    return run


def per_word(base: int, per_word_cost: int, fn: Callable[[bytes], bytes]) -> Handler:
    """A handler priced ``base`` plus ``per_word_cost`` for each 32-byte word of input."""

    def run(data: bytes, gas: int) -> tuple[int, bytes]:
        return charged(base + per_word_cost * words(len(data)), gas), fn(data)

    return run
