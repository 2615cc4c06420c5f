"""0x05 MODEXP (EIP-198): ``base ** exp % mod`` on big-endian integers of any stated length.

Two prices: EIP-2565's (Berlin to Prague) and, from Osaka, EIP-7883's (higher minimum, no
division by 3, twice the cost per word above 32 bytes and per exponent byte past the first
32), which comes with EIP-7823's bound: a base, exponent or modulus longer than 1024 bytes
fails the call.
"""

from __future__ import annotations

from collections.abc import Callable

from framepool.evm.precompiles.base import Handler, PrecompileFailure, charged, padded, uint

__all__ = [
    "MODEXP_EIP2565",
    "MODEXP_EIP7883",
    "MODEXP_MAX_INPUT_LENGTH",
    "modexp_gas_eip2565",
    "modexp_gas_eip7883",
]

MODEXP_MAX_INPUT_LENGTH = 1024
"""EIP-7823: the longest base, exponent or modulus (bytes) from Osaka on."""

GasRule = Callable[[int, int, int, int], int]


def _iterations(exp_length: int, exp_head: int, bytes_past_32: int) -> int:
    """The exponent's iteration count; each exponent byte past the first 32 counts
    ``bytes_past_32`` (8 under EIP-2565, 16 under EIP-7883)."""
    head_bits = max(exp_head.bit_length() - 1, 0)
    if exp_length <= 32:
        return head_bits
    return bytes_past_32 * (exp_length - 32) + head_bits


def modexp_gas_eip2565(base_length: int, exp_length: int, modulus_length: int, exp_head: int) -> int:
    """EIP-2565 price; ``exp_head`` is the first min(32, exp_length) exponent bytes as an int."""
    words = (max(base_length, modulus_length) + 7) // 8
    iterations = _iterations(exp_length, exp_head, 8)
    return max(200, words * words * max(iterations, 1) // 3)


def modexp_gas_eip7883(base_length: int, exp_length: int, modulus_length: int, exp_head: int) -> int:
    """EIP-7883 price (Osaka); arguments as for ``modexp_gas_eip2565``."""
    longest = max(base_length, modulus_length)
    words = (longest + 7) // 8
    complexity = 2 * words * words if longest > 32 else 16
    iterations = _iterations(exp_length, exp_head, 16)
    return max(500, complexity * max(iterations, 1))


def _modexp(gas_rule: GasRule, max_length: int | None) -> Handler:
    def run(data: bytes, gas: int) -> tuple[int, bytes]:
        base_length = uint(padded(data, 0, 32))
        exp_length = uint(padded(data, 32, 32))
        modulus_length = uint(padded(data, 64, 32))
        if max_length is not None and max(base_length, exp_length, modulus_length) > max_length:
            raise PrecompileFailure(f"modexp input longer than {max_length} bytes")
        exp_start = 96 + base_length
        exp_head = uint(padded(data, exp_start, min(32, exp_length)))
        cost = charged(gas_rule(base_length, exp_length, modulus_length, exp_head), gas)
        # Past this point every length is bounded by the gas paid, so reading them is safe.
        if base_length == 0 and modulus_length == 0:
            return cost, b""
        base = uint(padded(data, 96, base_length))
        exponent = uint(padded(data, exp_start, exp_length))
        modulus = uint(padded(data, exp_start + exp_length, modulus_length))
        if modulus == 0:
            return cost, bytes(modulus_length)
        return cost, pow(base, exponent, modulus).to_bytes(modulus_length, "big")

    return run


MODEXP_EIP2565: Handler = _modexp(modexp_gas_eip2565, None)
MODEXP_EIP7883: Handler = _modexp(modexp_gas_eip7883, MODEXP_MAX_INPUT_LENGTH)
