"""Field encoding shared by the builders and parsers: big-endian integers and padded ASCII."""

from __future__ import annotations


def unsigned(value: int, size: int, field: str) -> bytes:
    """`value` as a big-endian field of `size` bytes; ValueError if it does not fit."""
    if not 0 <= value < 1 << (8 * size):
        raise ValueError(f"{field}={value} does not fit {size} byte(s)")
    return value.to_bytes(size, "big")


def signed(value: int, size: int, field: str) -> bytes:
    """`value` as a two's-complement big-endian field of `size` bytes (SPACE counts)."""
    limit = 1 << (8 * size - 1)
    if not -limit <= value < limit:
        raise ValueError(f"{field}={value} does not fit a signed {size}-byte field")
    return value.to_bytes(size, "big", signed=True)


def ascii_text(raw: bytes) -> str:
    """An ASCII field with its space or NUL padding removed (vendor, product, names, serials)."""
    return raw.decode("ascii", errors="replace").strip(" \x00")
