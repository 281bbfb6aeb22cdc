"""READ POSITION replies (short, long and extended forms) as one `Position` value.

Logical object numbers count data blocks *and* filemarks from 0 at the beginning of the partition
(tape-scsi.md §2.1). The long form is the one to use: 64-bit object numbers and the file number.

Public API:
- `Position` — partition, block (logical object number, None if the drive does not know), file
  (filemarks before the position, long form only), bop, eop (beyond early warning), bpew (beyond
  programmable early warning), buffer figures (short/extended forms), `form`.
- `parse_position(data, form)`, `parse_short`, `parse_long`, `parse_extended`.
- `encode_short`, `encode_long`, `encode_extended` — the inverse, for tests and emulators.
"""

from __future__ import annotations

from dataclasses import dataclass

from tape.scsi.cdb import PositionForm
from tape.scsi.errors import MalformedReply


class PositionError(MalformedReply):
    """The reply is too short for the form asked for."""


@dataclass(frozen=True)
class Position:
    partition: int
    block: int | None
    file: int | None = None
    bop: bool = False
    eop: bool = False
    bpew: bool = False
    last_block: int | None = None
    objects_in_buffer: int | None = None
    bytes_in_buffer: int | None = None
    overflow: bool = False  # PERR: a 32-bit short-form field could not hold the position
    form: PositionForm = PositionForm.LONG

    @property
    def beyond_early_warning(self) -> bool:
        return self.eop or self.bpew


def _need(data: bytes, size: int, form: str) -> None:
    if len(data) < size:
        raise PositionError(f"{form} READ POSITION reply needs {size} bytes, got {len(data)}")


def parse_short(data: bytes) -> Position:
    """Short form (service action 00h/01h), 20 bytes with 32-bit locations."""
    _need(data, 20, "short")
    flags = data[0]
    block_unknown = bool(flags & 0x04)  # LOLU
    buffer_unknown = bool(flags & 0x20)  # LOCU: object count in buffer unknown
    bytes_unknown = bool(flags & 0x10)  # BYCU
    return Position(
        partition=data[1],
        block=None if block_unknown else int.from_bytes(data[4:8], "big"),
        bop=bool(flags & 0x80),
        eop=bool(flags & 0x40),
        bpew=bool(flags & 0x01),
        last_block=None if block_unknown else int.from_bytes(data[8:12], "big"),
        objects_in_buffer=None if buffer_unknown else int.from_bytes(data[13:16], "big"),
        bytes_in_buffer=None if bytes_unknown else int.from_bytes(data[16:20], "big"),
        overflow=bool(flags & 0x02),
        form=PositionForm.SHORT,
    )


def parse_long(data: bytes) -> Position:
    """Long form (service action 06h), 32 bytes: 32-bit partition, 64-bit object and file numbers."""
    _need(data, 32, "long")
    flags = data[0]
    object_unknown = bool(flags & 0x04)  # LONU
    position_unknown = bool(flags & 0x08)  # MPU: even the partition is unknown
    return Position(
        partition=int.from_bytes(data[4:8], "big"),
        block=None if object_unknown or position_unknown else int.from_bytes(data[8:16], "big"),
        file=None if object_unknown or position_unknown else int.from_bytes(data[16:24], "big"),
        bop=bool(flags & 0x80),
        eop=bool(flags & 0x40),
        bpew=bool(flags & 0x01),
        form=PositionForm.LONG,
    )


def parse_extended(data: bytes) -> Position:
    """Extended form (service action 08h), 32 bytes with 64-bit locations and buffer figures."""
    _need(data, 32, "extended")
    flags = data[0]
    block_unknown = bool(flags & 0x04)
    return Position(
        partition=data[1],
        block=None if block_unknown else int.from_bytes(data[8:16], "big"),
        bop=bool(flags & 0x80),
        eop=bool(flags & 0x40),
        bpew=bool(flags & 0x01),
        last_block=None if block_unknown else int.from_bytes(data[16:24], "big"),
        objects_in_buffer=None if flags & 0x20 else int.from_bytes(data[5:8], "big"),
        bytes_in_buffer=None if flags & 0x10 else int.from_bytes(data[24:32], "big"),
        overflow=bool(flags & 0x02),
        form=PositionForm.EXTENDED,
    )


def parse_position(data: bytes, form: PositionForm = PositionForm.LONG) -> Position:
    """Decode a READ POSITION reply of the given form."""
    if form == PositionForm.LONG:
        return parse_long(data)
    if form == PositionForm.EXTENDED:
        return parse_extended(data)
    return parse_short(data)


def _flags(position: Position, *, short_like: bool) -> int:
    flags = (0x80 if position.bop else 0) | (0x40 if position.eop else 0) | (0x01 if position.bpew else 0)
    if position.block is None:
        flags |= 0x04
    if short_like:
        flags |= (0x20 if position.objects_in_buffer is None else 0) | (
            0x10 if position.bytes_in_buffer is None else 0
        )
        flags |= 0x02 if position.overflow else 0
    return flags


def encode_short(position: Position) -> bytes:
    out = bytearray(20)
    out[0] = _flags(position, short_like=True)
    out[1] = position.partition
    out[4:8] = (position.block or 0).to_bytes(4, "big")
    out[8:12] = (position.last_block if position.last_block is not None else position.block or 0).to_bytes(
        4, "big"
    )
    out[13:16] = (position.objects_in_buffer or 0).to_bytes(3, "big")
    out[16:20] = (position.bytes_in_buffer or 0).to_bytes(4, "big")
    return bytes(out)


def encode_long(position: Position) -> bytes:
    out = bytearray(32)
    out[0] = _flags(position, short_like=False)
    out[4:8] = position.partition.to_bytes(4, "big")
    out[8:16] = (position.block or 0).to_bytes(8, "big")
    out[16:24] = (position.file or 0).to_bytes(8, "big")
    return bytes(out)


def encode_extended(position: Position) -> bytes:
    out = bytearray(32)
    out[0] = _flags(position, short_like=True)
    out[1] = position.partition
    out[2:4] = (0x1C).to_bytes(2, "big")
    out[5:8] = (position.objects_in_buffer or 0).to_bytes(3, "big")
    out[8:16] = (position.block or 0).to_bytes(8, "big")
    out[16:24] = (position.last_block if position.last_block is not None else position.block or 0).to_bytes(
        8, "big"
    )
    out[24:32] = (position.bytes_in_buffer or 0).to_bytes(8, "big")
    return bytes(out)
