"""What the drive can do: block limits, densities, and the commands it supports with their timeouts.

Public API:
- `parse_block_limits(data) -> BlockLimits` (READ BLOCK LIMITS; read at run time, never hard-code)
- `parse_max_logical_object_id(data) -> int` (READ BLOCK LIMITS with MLOI)
- `parse_density_support(data) -> list[DensityDescriptor]` (REPORT DENSITY SUPPORT, 52-byte descriptors)
- `parse_supported_opcodes(data) -> list[SupportedCommand]` (REPORT SUPPORTED OPERATION CODES, all commands)
- `parse_one_command(data) -> OneCommand` (the same command, one opcode asked for)
- `recommended_timeouts(commands) -> dict[(opcode, sa|None), seconds]` for `opcodes.TimeoutTable`
- Density codes: LTO9 = 60h, LTO8 = 5Eh, LTO8_TYPE_M = 5Dh, LTO7 = 5Ch, LTO10 = 62h.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tape.scsi.errors import MalformedReply
from tape.scsi.fields import ascii_text

LTO7 = 0x5C
LTO8_TYPE_M = 0x5D
LTO8 = 0x5E
LTO9 = 0x60
LTO10 = 0x62


class CapabilityError(MalformedReply):
    """A reply too short to decode."""


@dataclass(frozen=True)
class BlockLimits:
    granularity: int  # block lengths must be multiples of 2**granularity in fixed mode
    max_block_length: int  # 0 means "not specified"
    min_block_length: int


def parse_block_limits(data: bytes) -> BlockLimits:
    """READ BLOCK LIMITS: granularity (byte 0 bits 4-0), maximum (bytes 1-3), minimum (bytes 4-5)."""
    if len(data) < 6:
        raise CapabilityError(f"block limits need 6 bytes, got {len(data)}")
    return BlockLimits(
        granularity=data[0] & 0x1F,
        max_block_length=int.from_bytes(data[1:4], "big"),
        min_block_length=int.from_bytes(data[4:6], "big"),
    )


def parse_max_logical_object_id(data: bytes) -> int:
    """READ BLOCK LIMITS with MLOI: the largest logical object identifier (bytes 12-19)."""
    if len(data) < 20:
        raise CapabilityError(f"MLOI reply needs 20 bytes, got {len(data)}")
    return int.from_bytes(data[12:20], "big")


@dataclass(frozen=True)
class DensityDescriptor:
    primary_code: int
    secondary_code: int
    writable: bool
    duplicate: bool
    default: bool
    bits_per_mm: int
    media_width_tenths_mm: int
    tracks: int
    capacity_mb: int  # decimal megabytes, native
    organization: str
    name: str
    description: str


_DENSITY_DESCRIPTOR = 52


def parse_density_support(data: bytes) -> list[DensityDescriptor]:
    """REPORT DENSITY SUPPORT (MEDIUM TYPE=0): one 52-byte descriptor per density after a 4-byte header."""
    if len(data) < 4:
        raise CapabilityError("density support reply is shorter than its header")
    end = min(len(data), 2 + int.from_bytes(data[0:2], "big"))
    result = []
    for offset in range(4, end - _DENSITY_DESCRIPTOR + 1, _DENSITY_DESCRIPTOR):
        d = data[offset : offset + _DENSITY_DESCRIPTOR]
        result.append(
            DensityDescriptor(
                primary_code=d[0],
                secondary_code=d[1],
                writable=bool(d[2] & 0x80),
                duplicate=bool(d[2] & 0x40),
                default=bool(d[2] & 0x20),
                bits_per_mm=int.from_bytes(d[5:8], "big"),
                media_width_tenths_mm=int.from_bytes(d[8:10], "big"),
                tracks=int.from_bytes(d[10:12], "big"),
                capacity_mb=int.from_bytes(d[12:16], "big"),
                organization=ascii_text(d[16:24]),
                name=ascii_text(d[24:32]),
                description=ascii_text(d[32:52]),
            )
        )
    return result


@dataclass(frozen=True)
class CommandTimeouts:
    nominal: int  # seconds; 0 = not reported
    recommended: int


@dataclass(frozen=True)
class SupportedCommand:
    opcode: int
    service_action: int | None
    cdb_length: int
    timeouts: CommandTimeouts | None


def _timeouts(raw: bytes) -> CommandTimeouts | None:
    """The 12-byte command timeouts descriptor (length field 0Ah)."""
    if len(raw) < 12 or int.from_bytes(raw[0:2], "big") < 0x0A:
        return None
    return CommandTimeouts(
        nominal=int.from_bytes(raw[4:8], "big"), recommended=int.from_bytes(raw[8:12], "big")
    )


def parse_supported_opcodes(data: bytes) -> list[SupportedCommand]:
    """REPORT SUPPORTED OPERATION CODES, reporting options 0: 8-byte descriptors (+12 with CTDP)."""
    if len(data) < 4:
        raise CapabilityError("supported opcodes reply is shorter than its header")
    end = min(len(data), 4 + int.from_bytes(data[0:4], "big"))
    result: list[SupportedCommand] = []
    offset = 4
    while offset + 8 <= end:
        d = data[offset : offset + 8]
        has_timeouts = bool(d[5] & 0x02)
        size = 8 + (12 if has_timeouts else 0)
        if offset + size > end:
            break
        result.append(
            SupportedCommand(
                opcode=d[0],
                service_action=int.from_bytes(d[2:4], "big") if d[5] & 0x01 else None,
                cdb_length=int.from_bytes(d[6:8], "big"),
                timeouts=_timeouts(data[offset + 8 : offset + 20]) if has_timeouts else None,
            )
        )
        offset += size
    return result


@dataclass(frozen=True)
class OneCommand:
    """REPORT SUPPORTED OPERATION CODES for one command (reporting options 1 or 2)."""

    supported: bool
    cdb_usage: bytes  # the bits the drive honours in each CDB byte
    timeouts: CommandTimeouts | None


def parse_one_command(data: bytes) -> OneCommand:
    """Support code 3 (standard) or 5 (vendor-specific) means supported."""
    if len(data) < 4:
        raise CapabilityError("one-command reply is shorter than its header")
    size = int.from_bytes(data[2:4], "big")
    usage = bytes(data[4 : 4 + size])
    timeouts = _timeouts(data[4 + size : 16 + size]) if data[1] & 0x80 else None
    return OneCommand(supported=(data[1] & 0x07) in (3, 5), cdb_usage=usage, timeouts=timeouts)


def recommended_timeouts(commands: Iterable[SupportedCommand]) -> dict[tuple[int, int | None], float]:
    """{(opcode, service action or None): recommended seconds} for commands that report one."""
    return {
        (c.opcode, c.service_action): float(c.timeouts.recommended)
        for c in commands
        if c.timeouts is not None and c.timeouts.recommended > 0
    }
