"""Big-endian field access for CDBs and parameter data, and the padded ASCII SCSI uses."""

from __future__ import annotations


def u16(buf: bytes | memoryview, at: int) -> int:
    return int.from_bytes(buf[at : at + 2], "big")


def u24(buf: bytes | memoryview, at: int) -> int:
    return int.from_bytes(buf[at : at + 3], "big")


def s24(buf: bytes | memoryview, at: int) -> int:
    return int.from_bytes(buf[at : at + 3], "big", signed=True)


def u32(buf: bytes | memoryview, at: int) -> int:
    return int.from_bytes(buf[at : at + 4], "big")


def u64(buf: bytes | memoryview, at: int) -> int:
    return int.from_bytes(buf[at : at + 8], "big")


def s64(buf: bytes | memoryview, at: int) -> int:
    return int.from_bytes(buf[at : at + 8], "big", signed=True)


def be(value: int, width: int) -> bytes:
    """`value` as `width` big-endian bytes; values that do not fit saturate, as counters do."""
    limit = (1 << (8 * width)) - 1
    return min(max(value, 0), limit).to_bytes(width, "big")


def ascii_field(text: str, width: int) -> bytes:
    """Left-aligned, space-padded ASCII, cut to `width` (INQUIRY, MAM and volume tags)."""
    return text.encode("ascii", "replace")[:width].ljust(width, b" ")
