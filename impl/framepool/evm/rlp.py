"""Recursive Length Prefix (RLP) serialization, as in the Ethereum yellow paper, appendix B.

``encode`` takes bytes, non-negative ints (big-endian, no leading zeros; 0 is the empty string)
and (nested) lists/tuples of those.  ``decode`` is strict: it accepts only the canonical
encoding of exactly one item and raises :class:`RLPDecodingError` otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeAlias, Union

__all__ = [
    "Decoded",
    "Encodable",
    "RLPDecodingError",
    "RLPEncodingError",
    "decode",
    "decode_uint",
    "encode",
    "encode_list_of_encoded",
]

Encodable: TypeAlias = Union[bytes, bytearray, int, "Sequence[Encodable]"]
"""bytes, a non-negative int, or a list/tuple of Encodable (other sequences are rejected at run time)."""
Decoded: TypeAlias = Union[bytes, "list[Decoded]"]


class RLPEncodingError(ValueError):
    """The value cannot be RLP-encoded (unsupported type or negative integer)."""


class RLPDecodingError(ValueError):
    """The input is not the canonical RLP encoding of a single item."""


def _length_prefix(length: int, offset: int) -> bytes:
    """Header for a payload of ``length`` bytes: ``offset`` is 0x80 (string) or 0xC0 (list)."""
    if length < 56:
        return bytes([offset + length])
    size = length.to_bytes((length.bit_length() + 7) // 8, "big")
    if len(size) > 8:
        raise RLPEncodingError(f"payload of {length} bytes is too long for RLP")
    return bytes([offset + 55 + len(size)]) + size


def _encode_bytes(data: bytes) -> bytes:
    if len(data) == 1 and data[0] < 0x80:
        return data
    return _length_prefix(len(data), 0x80) + data


def encode(item: Encodable) -> bytes:
    """The RLP encoding of ``item``."""
    if isinstance(item, (bytes, bytearray)):
        return _encode_bytes(bytes(item))
    if isinstance(item, bool):
        raise RLPEncodingError("cannot RLP-encode a bool; use 0 or 1")
    if isinstance(item, int):
        if item < 0:
            raise RLPEncodingError(f"cannot RLP-encode negative integer {item}")
        return _encode_bytes(item.to_bytes((item.bit_length() + 7) // 8, "big"))
    if isinstance(item, (list, tuple)):
        return encode_list_of_encoded(encode(x) for x in item)
    raise RLPEncodingError(f"cannot RLP-encode a value of type {type(item).__name__}")


def encode_list_of_encoded(encoded_items: Iterable[bytes]) -> bytes:
    """The RLP list whose items are given already encoded (their bytes are concatenated as is)."""
    payload = b"".join(encoded_items)
    return _length_prefix(len(payload), 0xC0) + payload


def _read_length(data: bytes, pos: int, size: int, what: str) -> int:
    """Read a big-endian length of ``size`` bytes at ``pos``, rejecting non-canonical forms."""
    end = pos + size
    if end > len(data):
        raise RLPDecodingError(
            f"{what} at offset {pos - 1}: length-of-length runs past the end of input"
        )
    if data[pos] == 0:
        raise RLPDecodingError(f"{what} at offset {pos - 1}: length has a leading zero byte")
    length = int.from_bytes(data[pos:end], "big")
    if length < 56:
        raise RLPDecodingError(
            f"{what} at offset {pos - 1}: long form used for length {length} (< 56 must use short form)"
        )
    return length


def _decode_at(data: bytes, pos: int) -> tuple[Decoded, int]:
    """Decode the item starting at ``pos``; return it and the offset just after it."""
    if pos >= len(data):
        raise RLPDecodingError(f"unexpected end of input at offset {pos}")
    first = data[pos]
    if first < 0x80:
        return data[pos : pos + 1], pos + 1
    if first < 0xB8:
        length = first - 0x80
        start = pos + 1
        end = start + length
        if end > len(data):
            raise RLPDecodingError(
                f"string at offset {pos}: {length} bytes declared, input ends early"
            )
        if length == 1 and data[start] < 0x80:
            raise RLPDecodingError(
                f"string at offset {pos}: single byte 0x{data[start]:02x} < 0x80 must be encoded as itself"
            )
        return data[start:end], end
    if first < 0xC0:
        size = first - 0xB7
        length = _read_length(data, pos + 1, size, "string")
        start = pos + 1 + size
        end = start + length
        if end > len(data):
            raise RLPDecodingError(
                f"string at offset {pos}: {length} bytes declared, input ends early"
            )
        return data[start:end], end
    if first < 0xF8:
        length = first - 0xC0
        start = pos + 1
    else:
        size = first - 0xF7
        length = _read_length(data, pos + 1, size, "list")
        start = pos + 1 + size
    end = start + length
    if end > len(data):
        raise RLPDecodingError(f"list at offset {pos}: {length} bytes declared, input ends early")
    items: list[Decoded] = []
    cur = start
    while cur < end:
        item, cur = _decode_at(data, cur)
        if cur > end:
            raise RLPDecodingError(f"list at offset {pos}: an item runs past the end of the list")
        items.append(item)
    return items, end


def decode(data: bytes | bytearray | memoryview) -> Decoded:
    """Decode exactly one RLP item from ``data`` (strict; see module docstring)."""
    raw = bytes(data)
    if not raw:
        raise RLPDecodingError("empty input")
    item, end = _decode_at(raw, 0)
    if end != len(raw):
        raise RLPDecodingError(
            f"{len(raw) - end} trailing byte(s) after the item (item ends at offset {end})"
        )
    return item


def decode_uint(item: Decoded) -> int:
    """Interpret a decoded item as an unsigned integer, rejecting lists and leading zero bytes."""
    if not isinstance(item, bytes):
        raise RLPDecodingError("expected an integer (byte string), got a list")
    if item[:1] == b"\x00":
        raise RLPDecodingError(f"integer 0x{item.hex()} has a leading zero byte")
    return int.from_bytes(item, "big")
