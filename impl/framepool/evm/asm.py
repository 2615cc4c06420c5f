"""A small EVM assembler, so contracts in demos and tests can be read.

Source is whitespace-separated tokens:

* a mnemonic (``ADD``, ``SSTORE``, ``PUSH0`` ...);
* ``PUSHn value`` with a decimal or 0x-hex value that fits n bytes;
* ``PUSH value`` picks the smallest PUSHn for the value (PUSH0 for zero);
* ``@label`` pushes a label's code offset (always PUSH2, so sizes are known);
* ``label:`` marks a JUMPDEST there (the JUMPDEST byte is emitted);
* ``;`` starts a comment up to the end of the line.

Errors name the token and its line: unknown mnemonics, values that do not fit,
undefined or duplicate labels.
"""

from __future__ import annotations

_NAMES: dict[str, int] = {
    "STOP": 0x00, "ADD": 0x01, "MUL": 0x02, "SUB": 0x03, "DIV": 0x04, "SDIV": 0x05,
    "MOD": 0x06, "SMOD": 0x07, "ADDMOD": 0x08, "MULMOD": 0x09, "EXP": 0x0A,
    "SIGNEXTEND": 0x0B, "LT": 0x10, "GT": 0x11, "SLT": 0x12, "SGT": 0x13, "EQ": 0x14,
    "ISZERO": 0x15, "AND": 0x16, "OR": 0x17, "XOR": 0x18, "NOT": 0x19, "BYTE": 0x1A,
    "SHL": 0x1B, "SHR": 0x1C, "SAR": 0x1D, "CLZ": 0x1E, "KECCAK256": 0x20, "SHA3": 0x20,
    "ADDRESS": 0x30, "BALANCE": 0x31, "ORIGIN": 0x32, "CALLER": 0x33, "CALLVALUE": 0x34,
    "CALLDATALOAD": 0x35, "CALLDATASIZE": 0x36, "CALLDATACOPY": 0x37, "CODESIZE": 0x38,
    "CODECOPY": 0x39, "GASPRICE": 0x3A, "EXTCODESIZE": 0x3B, "EXTCODECOPY": 0x3C,
    "RETURNDATASIZE": 0x3D, "RETURNDATACOPY": 0x3E, "EXTCODEHASH": 0x3F,
    "BLOCKHASH": 0x40, "COINBASE": 0x41, "TIMESTAMP": 0x42, "NUMBER": 0x43,
    "PREVRANDAO": 0x44, "DIFFICULTY": 0x44, "GASLIMIT": 0x45, "CHAINID": 0x46,
    "SELFBALANCE": 0x47, "BASEFEE": 0x48, "BLOBHASH": 0x49, "BLOBBASEFEE": 0x4A,
    "POP": 0x50, "MLOAD": 0x51, "MSTORE": 0x52, "MSTORE8": 0x53, "SLOAD": 0x54,
    "SSTORE": 0x55, "JUMP": 0x56, "JUMPI": 0x57, "PC": 0x58, "MSIZE": 0x59, "GAS": 0x5A,
    "JUMPDEST": 0x5B, "TLOAD": 0x5C, "TSTORE": 0x5D, "MCOPY": 0x5E, "PUSH0": 0x5F,
    "CREATE": 0xF0, "CALL": 0xF1, "CALLCODE": 0xF2, "RETURN": 0xF3, "DELEGATECALL": 0xF4,
    "CREATE2": 0xF5, "STATICCALL": 0xFA, "REVERT": 0xFD, "INVALID": 0xFE,
    "SELFDESTRUCT": 0xFF,
}  # fmt: skip
for _n in range(1, 33):
    _NAMES[f"PUSH{_n}"] = 0x5F + _n
for _n in range(1, 17):
    _NAMES[f"DUP{_n}"] = 0x7F + _n
    _NAMES[f"SWAP{_n}"] = 0x8F + _n
for _n in range(5):
    _NAMES[f"LOG{_n}"] = 0xA0 + _n

OPCODES: dict[str, int] = dict(_NAMES)
"""Mnemonic -> opcode byte, for every Cancun opcode and Osaka's CLZ (the fillers use it)."""


class AssemblyError(ValueError):
    """The source could not be assembled; the message names the token and line."""


def _parse_int(token: str, line: int) -> int:
    try:
        value = int(token, 0)
    except ValueError:
        raise AssemblyError(f"line {line}: {token!r} is not a number") from None
    if value < 0:
        raise AssemblyError(f"line {line}: {token!r} is negative")
    return value


def assemble(source: str) -> bytes:
    """The bytecode for ``source`` (see the module docstring for the syntax)."""
    tokens: list[tuple[str, int]] = []
    for number, text in enumerate(source.splitlines(), start=1):
        code = text.split(";", 1)[0]
        tokens.extend((tok, number) for tok in code.split())

    # Pass 1: lay out sizes and label offsets; pass 2: emit.
    labels: dict[str, int] = {}
    items: list[tuple[str, int, int | str | tuple[int, int]]] = []  # (kind, line, payload)
    offset = 0
    i = 0
    while i < len(tokens):
        tok, line = tokens[i]
        upper = tok.upper()
        if tok.endswith(":"):
            name = tok[:-1]
            if not name or name in labels:
                raise AssemblyError(f"line {line}: label {name!r} is empty or defined twice")
            labels[name] = offset
            items.append(("op", line, OPCODES["JUMPDEST"]))
            offset += 1
        elif tok.startswith("@"):
            items.append(("label", line, tok[1:]))
            offset += 3
        elif upper == "PUSH" or (upper.startswith("PUSH") and upper != "PUSH0"):
            if i + 1 >= len(tokens):
                raise AssemblyError(f"line {line}: {tok} needs a value")
            value = _parse_int(tokens[i + 1][0], line)
            width = max(1, (value.bit_length() + 7) // 8)
            if upper != "PUSH":
                if upper not in OPCODES:
                    raise AssemblyError(f"line {line}: unknown mnemonic {tok!r}")
                width_wanted = OPCODES[upper] - 0x5F
                if value.bit_length() > 8 * width_wanted:
                    raise AssemblyError(f"line {line}: {value:#x} does not fit {tok}")
                width = width_wanted
            elif value == 0:
                items.append(("op", line, OPCODES["PUSH0"]))
                offset += 1
                i += 2
                continue
            elif width > 32:
                raise AssemblyError(f"line {line}: {value:#x} is wider than 32 bytes")
            items.append(("push", line, (width, value)))
            offset += 1 + width
            i += 1
        else:
            if upper not in OPCODES:
                raise AssemblyError(f"line {line}: unknown mnemonic {tok!r}")
            items.append(("op", line, OPCODES[upper]))
            offset += 1
        i += 1

    out = bytearray()
    for kind, line, payload in items:
        if kind == "op":
            assert isinstance(payload, int)
            out.append(payload)
        elif kind == "push":
            assert isinstance(payload, tuple)
            width, value = payload
            out.append(0x5F + width)
            out += value.to_bytes(width, "big")
        else:
            assert isinstance(payload, str)
            if payload not in labels:
                raise AssemblyError(f"line {line}: undefined label {payload!r}")
            out.append(OPCODES["PUSH2"])
            out += labels[payload].to_bytes(2, "big")
    return bytes(out)


def initcode_for(runtime: bytes) -> bytes:
    """Init code that deploys ``runtime`` unchanged: CODECOPY it to memory 0, RETURN it."""
    if len(runtime) > 0xFFFF:
        raise AssemblyError(f"runtime of {len(runtime)} bytes is too large to deploy")
    # The loader is 13 bytes: PUSH2 (3) PUSH2 (3) PUSH0 CODECOPY PUSH2 (3) PUSH0 RETURN.
    loader = assemble(f"PUSH2 {len(runtime)} PUSH2 13 PUSH0 CODECOPY PUSH2 {len(runtime)} PUSH0 RETURN")
    assert len(loader) == 13
    return loader + runtime
