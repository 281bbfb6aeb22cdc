"""LOG SENSE and LOG SELECT for the drive: pages 00h, 02h, 03h, 0Ch, 17h, 2Eh, 31h.

Parameter layouts follow tape-scsi.md §2.4. TapeAlert (2Eh) is read-clear, as on real drives.
Capacities in 0Ch and 17h are in MB (10^6 bytes), 31h in MiB — the units the real pages use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tape.emulator.codec import ascii_field, be, u16
from tape.emulator.commands import CommandTable, Reply, trim
from tape.emulator.library_state import DRIVE_BUFFER
from tape.emulator.sense import invalid_field_in_cdb

if TYPE_CHECKING:
    from tape.emulator.drive import Drive

# This family's commands; the drive names each family when it builds its table.
COMMANDS = CommandTable()

COUNTER, ASCII_PARAM, BINARY_LIST = 0x00, 0x01, 0x03

# TapeAlert flags (page 2Eh) the drive raises itself; names from sg3_utils.
TA_HARD_ERROR = 0x03
TA_READ_FAILURE = 0x05
TA_WRITE_FAILURE = 0x06
TA_WRITE_PROTECT = 0x09
TA_NO_REMOVAL = 0x0A
TA_CLEANING_MEDIA = 0x0B
TA_CLEANING_REQUIRED = 0x14
TA_CLEANING_REQUESTED = 0x15
TA_WORM_OVERWRITE = 0x3C
MB = 1_000_000
MIB = 1 << 20
Parameter = tuple[int, int, bytes]  # code, control byte, value


def _param(code: int, value: int, width: int) -> Parameter:
    return code, COUNTER, be(value, width)


def _partition_records(values: list[int]) -> bytes:
    """Volume-statistics partition records: length 7, reserved, partition, 4-byte value."""
    return b"".join(bytes([7, 0]) + be(i, 2) + be(v, 4) for i, v in enumerate(values))


def _write_errors(d: Drive) -> list[Parameter]:
    return [_param(c, 0, 8) for c in range(5)] + [_param(5, d.hot.host_written, 8), _param(6, 0, 8)]


def _read_errors(d: Drive) -> list[Parameter]:
    return [_param(c, 0, 8) for c in range(5)] + [_param(5, d.hot.host_read, 8), _param(6, 0, 8)]


def _sequential_access(d: Drive) -> list[Parameter]:
    hot = d.hot
    cart = d.cartridge
    part = cart.partitions[hot.partition] if cart is not None and cart.partitions else None
    used = part.data_end if part else 0
    ew = part.early_warning_at if part else 0
    here = part.offset_at(hot.position) if part else 0
    remaining_after_ew = (part.capacity - ew) if part else 0
    cleaning = 1 if d.cold.alerts & (1 << (TA_CLEANING_REQUIRED - 1)) else 0
    return [
        _param(0, hot.host_written, 8),
        _param(1, hot.medium_written, 8),
        _param(2, hot.medium_read, 8),
        _param(3, hot.host_read, 8),
        _param(4, used // MB, 4),
        _param(5, ew // MB, 4),
        _param(6, remaining_after_ew // MB, 4),
        _param(7, here // MB, 4),
        _param(8, DRIVE_BUFFER // MB, 4),
        _param(0x100, cleaning, 1),
    ]


def _volume_statistics(d: Drive) -> list[Parameter]:
    d.require_ready()
    cart = d.loaded
    state = cart.state
    hot = d.hot
    capacities = [p.capacity // MB for p in cart.partitions]
    used = [p.data_end // MB for p in cart.partitions]
    remaining = [max(p.capacity - p.data_end, 0) // MB for p in cart.partitions]
    return [
        _param(0x01, state.load_count, 4),
        _param(0x02, hot.blocks_written, 8),  # data sets written this load (blocks stand in)
        _param(0x03, 0, 4),
        _param(0x04, 0, 4),
        _param(0x07, hot.blocks_read, 8),
        _param(0x08, 0, 4),
        _param(0x09, 0, 4),
        _param(0x0C, 0, 4),
        _param(0x0D, 0, 4),
        _param(0x10, (state.bytes_written + hot.medium_written) // MB, 8),
        _param(0x11, (state.bytes_read + hot.medium_read) // MB, 8),
        _param(0x12, 100, 2),  # compression ratio ×100 of the last load: data is stored as sent
        _param(0x13, 100, 2),
        _param(0x16, state.capacity // MB, 4),
        _param(0x17, cart.used_bytes() // MB, 4),
        (0x40, ASCII_PARAM, ascii_field(state.serial, 32)),
        (0x42, ASCII_PARAM, ascii_field(state.barcode, 32)),
        (0x43, ASCII_PARAM, ascii_field("FUJIFILM", 8)),
        _param(0x80, 1 if state.write_protect else 0, 1),
        _param(0x81, 1 if cart.worm else 0, 1),
        (0x202, BINARY_LIST, _partition_records(capacities)),
        (0x203, BINARY_LIST, _partition_records(used)),
        (0x204, BINARY_LIST, _partition_records(remaining)),
    ]


def _tape_alert(d: Drive) -> list[Parameter]:
    flags = d.cold.alerts
    params = [(n, COUNTER, bytes([1 if flags & (1 << (n - 1)) else 0])) for n in range(1, 0x41)]
    if flags:
        d.cold.alerts = 0  # read-clear
    return params


def _tape_capacity(d: Drive) -> list[Parameter]:
    d.require_ready()
    parts = d.loaded.partitions
    remaining = [max(p.capacity - p.data_end, 0) // MIB for p in parts] + [0]
    maximum = [p.capacity // MIB for p in parts] + [0]
    return [
        _param(1, remaining[0], 4),
        _param(2, remaining[1], 4),
        _param(3, maximum[0], 4),
        _param(4, maximum[1], 4),
    ]


PAGES: dict[int, Callable[[Drive], list[Parameter]]] = {
    0x02: _write_errors,
    0x03: _read_errors,
    0x0C: _sequential_access,
    0x17: _volume_statistics,
    0x2E: _tape_alert,
    0x31: _tape_capacity,
}


@COMMANDS.register(0x4D, "LOG SENSE", 10)
def log_sense(d: Drive, cdb: bytes, data: object, length: int) -> Reply:
    if cdb[1] & 0x03:
        raise invalid_field_in_cdb(1, 1 if cdb[1] & 0x02 else 0)  # PPC and SP are not supported
    page, subpage, pointer = cdb[2] & 0x3F, cdb[3], u16(cdb, 5)
    if page == 0x00:
        if subpage == 0xFF:
            listed = [0x00, 0xFF] + [b for p in PAGES for b in (p, 0x00)]
            body = bytes(listed)
        elif subpage == 0:
            body = bytes([0x00, *PAGES])
        else:
            raise invalid_field_in_cdb(3)
        reply = bytes([0x40 if subpage else 0x00, subpage]) + be(len(body), 2) + body
        return Reply(data=trim(reply, u16(cdb, 7)))
    builder = PAGES.get(page)
    if builder is None or subpage != 0:
        raise invalid_field_in_cdb(2 if builder is None else 3)
    params = [p for p in builder(d) if p[0] >= pointer]
    if pointer and not params:
        raise invalid_field_in_cdb(5)
    body = b"".join(be(code, 2) + bytes([control, len(value)]) + value for code, control, value in params)
    reply = bytes([page, 0]) + be(len(body), 2) + body
    return Reply(data=trim(reply, u16(cdb, 7)))


@COMMANDS.register(0x4C, "LOG SELECT", 10)
def log_select(d: Drive, cdb: bytes, data: object, length: int) -> Reply:
    if cdb[1] & 0x01:
        raise invalid_field_in_cdb(1, 0)  # SP: no saved values
    if cdb[1] & 0x02:  # PCR: reset the counters and the TapeAlert flags
        d.hot.reset_counters()
        d.cold.alerts = 0
    return Reply()
