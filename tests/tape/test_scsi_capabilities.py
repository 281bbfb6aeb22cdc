"""Block limits, density support, supported opcodes and the timeout table."""

from __future__ import annotations

import pytest

from tape.scsi import cdb
from tape.scsi.capabilities import (
    LTO8,
    LTO9,
    CapabilityError,
    parse_block_limits,
    parse_density_support,
    parse_max_logical_object_id,
    parse_one_command,
    parse_supported_opcodes,
    recommended_timeouts,
)
from tape.scsi.opcodes import DEFAULT_TIMEOUTS, Opcode, TimeoutTable, command_name


def test_block_limits_like_mhvtl_ibm() -> None:
    limits = parse_block_limits(bytes.fromhex("00 20 00 00 00 01"))
    assert limits.max_block_length == 2097152 and limits.min_block_length == 1 and limits.granularity == 0


def test_block_limits_granularity_uses_low_five_bits() -> None:
    assert parse_block_limits(bytes.fromhex("E2 FF FF FF 00 04")).granularity == 2


def test_block_limits_too_short() -> None:
    with pytest.raises(CapabilityError):
        parse_block_limits(b"\x00\x01")


def test_mloi_reply() -> None:
    assert parse_max_logical_object_id(bytes(12) + (0xFFFFFFFF).to_bytes(8, "big")) == 0xFFFFFFFF


def density(
    primary: int, flags: int, bpmm: int, tracks: int, capacity: int, name: bytes, description: bytes
) -> bytes:
    return (
        bytes((primary, primary, flags, 0, 0x31))
        + bpmm.to_bytes(3, "big")
        + (127).to_bytes(2, "big")
        + tracks.to_bytes(2, "big")
        + capacity.to_bytes(4, "big")
        + b"LTO-CVE "
        + name.ljust(8)
        + description.ljust(20)
    )


def test_density_support_two_descriptors() -> None:
    body = density(LTO9, 0xA0, 21459, 8960, 18_000_000, b"U-932", b"Ultrium 9/48T") + density(
        LTO8, 0x80, 20670, 6656, 12_000_000, b"U-832", b"Ultrium 8/32T"
    )
    data = (len(body) + 2).to_bytes(2, "big") + b"\x00\x00" + body
    lto9, lto8 = parse_density_support(data)
    assert (lto9.primary_code, lto9.writable, lto9.default, lto9.duplicate) == (0x60, True, True, False)
    assert (lto9.bits_per_mm, lto9.media_width_tenths_mm, lto9.tracks) == (21459, 127, 8960)
    assert lto9.capacity_mb == 18_000_000
    assert (lto9.organization, lto9.name, lto9.description) == ("LTO-CVE", "U-932", "Ultrium 9/48T")
    assert lto8.primary_code == 0x5E and not lto8.default


def test_density_support_ignores_a_partial_descriptor() -> None:
    body = density(LTO9, 0x80, 1, 1, 1, b"X", b"Y")[:40]
    data = (len(body) + 2).to_bytes(2, "big") + b"\x00\x00" + body
    assert parse_density_support(data) == []


def descriptor(opcode: int, sa: int | None, length: int, timeouts: tuple[int, int] | None) -> bytes:
    flags = (0x01 if sa is not None else 0) | (0x02 if timeouts else 0)
    out = bytes((opcode, 0)) + (sa or 0).to_bytes(2, "big") + bytes((0, flags)) + length.to_bytes(2, "big")
    if timeouts:
        out += bytes.fromhex("00 0A 00 00") + timeouts[0].to_bytes(4, "big") + timeouts[1].to_bytes(4, "big")
    return out


def test_supported_opcodes_with_timeouts() -> None:
    body = (
        descriptor(0x1B, None, 6, (960, 7920))
        + descriptor(0x34, 0x06, 10, (60, 60))
        + descriptor(0x00, None, 6, None)
    )
    commands = parse_supported_opcodes(len(body).to_bytes(4, "big") + body)
    assert [(c.opcode, c.service_action, c.cdb_length) for c in commands] == [
        (0x1B, None, 6),
        (0x34, 6, 10),
        (0x00, None, 6),
    ]
    assert commands[0].timeouts is not None and commands[0].timeouts.recommended == 7920
    assert commands[2].timeouts is None
    assert recommended_timeouts(commands) == {(0x1B, None): 7920.0, (0x34, 6): 60.0}


def test_one_command_reply() -> None:
    usage = bytes.fromhex("1B 01 00 00 0F 00")
    data = (
        bytes((0, 0x83))
        + len(usage).to_bytes(2, "big")
        + usage
        + bytes.fromhex("00 0A 00 00 00 00 03 C0 00 00 1E F0")
    )
    one = parse_one_command(data)
    assert one.supported and one.cdb_usage == usage
    assert one.timeouts is not None and one.timeouts.nominal == 960 and one.timeouts.recommended == 7920
    assert not parse_one_command(bytes((0, 0x01, 0, 0))).supported


def test_timeout_table_uses_drive_recommendation_but_never_less_than_ours() -> None:
    table = TimeoutTable(
        {(Opcode.LOCATE_16, None): 5000.0, (Opcode.LOAD_UNLOAD, None): 960.0, (0x34, 6): 90.0}
    )
    assert table.for_cdb(cdb.locate16(1)) == 5000.0
    assert table.for_cdb(cdb.load_unload()) == DEFAULT_TIMEOUTS[Opcode.LOAD_UNLOAD] == 7920.0
    assert table.for_cdb(cdb.read_position()) == 90.0
    assert table.for_cdb(cdb.erase(long=True)) == 166370.0
    assert table.for_cdb(bytes((0xC0, 0, 0, 0, 0, 0))) == 60.0


def test_command_names_for_the_log() -> None:
    assert command_name(cdb.report_supported_opcodes()) == "REPORT SUPPORTED OPERATION CODES"
    assert command_name(cdb.read6(1)) == "READ(6)"
    assert command_name(cdb.locate16()) == "LOCATE(16)"
    assert command_name(cdb.read_position()) == "READ POSITION"
    assert command_name(bytes((0xC5,))) == "OPCODE 0xC5"
    assert command_name(b"") == "EMPTY CDB"
