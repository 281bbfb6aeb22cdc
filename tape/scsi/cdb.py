"""CDB builders for the SPC and SSC commands a tape drive needs: one function per command.

Every builder returns the command descriptor block as `bytes`, big-endian as SCSI requires, with
CONTROL = 0. Builders check their arguments and raise `ValueError` for values that do not fit the
field (a programming error, never a device condition). Field positions follow SSC-4/SPC-4 as
summarised in tape-scsi.md §2. Medium changer (SMC) commands live in `tape.scsi.changer`.

Public API (all return bytes):
    test_unit_ready() · request_sense(length, descriptor) · inquiry(length) · inquiry_vpd(page, length)
    read_block_limits(mloi) · mode_sense6(page, subpage, length, dbd, control) · mode_sense10(…)
    mode_select6(length, save) · mode_select10(length, save) · load_unload(load, immed, hold, eot)
    rewind(immed) · erase(long, immed) · read6(length, fixed, sili) · write6(length, fixed)
    write_filemarks(count, immed) · space6(code, count) · space16(code, count)
    locate10(block, partition, immed, block_address_type) · locate16(identifier, partition, dest, immed)
    read_position(form, length) · report_density_support(media, medium_type, length)
    log_sense(page, subpage, length, control, parameter_pointer, saved_values)
    read_attribute(first_id, length, service_action, partition, volume, cache)
    write_attribute(length, partition, volume, write_through) · prevent_allow_medium_removal(prevent)
    report_supported_opcodes(length, opcode, service_action, timeouts)
Enums: SpaceCode, LocateDestination, PositionForm, PageControl, LogControl, AttributeService.
"""

from __future__ import annotations

import enum

from tape.scsi.fields import signed, unsigned
from tape.scsi.opcodes import SA_REPORT_SUPPORTED_OPCODES, Opcode


class SpaceCode(enum.IntEnum):
    """What SPACE counts (byte 1 bits 3-0)."""

    BLOCKS = 0
    FILEMARKS = 1
    SEQUENTIAL_FILEMARKS = 2
    END_OF_DATA = 3


class LocateDestination(enum.IntEnum):
    """What the LOCATE(16) logical identifier names (byte 1 bits 5-3)."""

    OBJECT = 0
    FILE = 1
    END_OF_DATA = 3


class PositionForm(enum.IntEnum):
    """READ POSITION service actions (byte 1 bits 4-0)."""

    SHORT = 0x00
    SHORT_VENDOR = 0x01
    LONG = 0x06
    EXTENDED = 0x08


class PageControl(enum.IntEnum):
    """Which values MODE SENSE returns (bits 7-6 of the page byte)."""

    CURRENT = 0
    CHANGEABLE = 1
    DEFAULT = 2
    SAVED = 3


class LogControl(enum.IntEnum):
    """Which values LOG SENSE returns (bits 7-6 of the page byte)."""

    THRESHOLD = 0
    CUMULATIVE = 1
    DEFAULT_THRESHOLD = 2
    DEFAULT_CUMULATIVE = 3


class AttributeService(enum.IntEnum):
    """READ ATTRIBUTE service actions."""

    VALUES = 0x00
    LIST = 0x01
    VOLUME_LIST = 0x02
    PARTITION_LIST = 0x03
    SUPPORTED = 0x05


def _bit(flag: bool, position: int) -> int:
    return (1 << position) if flag else 0


def _cdb6(opcode: int, byte1: int = 0, middle: bytes = b"\x00\x00\x00") -> bytes:
    """A 6-byte CDB: opcode, byte 1, bytes 2-4, CONTROL."""
    return bytes((opcode, byte1)) + middle + b"\x00"


def test_unit_ready() -> bytes:
    """TEST UNIT READY (00h): GOOD means a cartridge is loaded and ready."""
    return _cdb6(Opcode.TEST_UNIT_READY)


def request_sense(length: int = 252, descriptor: bool = False) -> bytes:
    """REQUEST SENSE (03h): fetch sense data, e.g. the progress of an IMMED erase.

    `descriptor` asks for descriptor-format sense (DESC bit); drives may ignore it.
    """
    return _cdb6(Opcode.REQUEST_SENSE, _bit(descriptor, 0), b"\x00\x00" + unsigned(length, 1, "length"))


def inquiry(length: int = 96) -> bytes:
    """INQUIRY (12h) for the standard data: device type, vendor, product, revision."""
    return bytes((Opcode.INQUIRY, 0, 0)) + unsigned(length, 2, "length") + b"\x00"


def inquiry_vpd(page: int, length: int = 255) -> bytes:
    """INQUIRY (12h) with EVPD=1 for a vital product data page (00h list, 80h serial, 83h ids, B0h)."""
    return (
        bytes((Opcode.INQUIRY, 0x01, unsigned(page, 1, "page")[0])) + unsigned(length, 2, "length") + b"\x00"
    )


def read_block_limits(mloi: bool = False) -> bytes:
    """READ BLOCK LIMITS (05h): smallest and largest block the drive accepts.

    With `mloi` the drive reports the maximum logical object identifier instead (SSC-4).
    """
    return _cdb6(Opcode.READ_BLOCK_LIMITS, _bit(mloi, 0))


def _page_byte(page: int, control: int) -> int:
    if not 0 <= page <= 0x3F:
        raise ValueError(f"page code {page:#x} is not 0..3Fh")
    return (int(control) << 6) | page


def mode_sense6(
    page: int,
    subpage: int = 0,
    length: int = 255,
    *,
    dbd: bool = False,
    control: PageControl = PageControl.CURRENT,
) -> bytes:
    """MODE SENSE(6) (1Ah); `dbd` leaves out the block descriptor. Page 3Fh returns all pages."""
    return (
        bytes(
            (
                Opcode.MODE_SENSE_6,
                _bit(dbd, 3),
                _page_byte(page, control),
                unsigned(subpage, 1, "subpage")[0],
            )
        )
        + unsigned(length, 1, "length")
        + b"\x00"
    )


def mode_sense10(
    page: int,
    subpage: int = 0,
    length: int = 1024,
    *,
    dbd: bool = False,
    control: PageControl = PageControl.CURRENT,
) -> bytes:
    """MODE SENSE(10) (5Ah): like MODE SENSE(6) with an 8-byte header and a 2-byte length."""
    return (
        bytes(
            (
                Opcode.MODE_SENSE_10,
                _bit(dbd, 3),
                _page_byte(page, control),
                unsigned(subpage, 1, "subpage")[0],
            )
        )
        + b"\x00\x00\x00"
        + unsigned(length, 2, "length")
        + b"\x00"
    )


def mode_select6(length: int, *, save: bool = False) -> bytes:
    """MODE SELECT(6) (15h) for a parameter list of `length` bytes (PF=1, SP=`save`)."""
    return _cdb6(Opcode.MODE_SELECT_6, 0x10 | _bit(save, 0), b"\x00\x00" + unsigned(length, 1, "length"))


def mode_select10(length: int, *, save: bool = False) -> bytes:
    """MODE SELECT(10) (55h) for a parameter list of `length` bytes (PF=1, SP=`save`)."""
    return (
        bytes((Opcode.MODE_SELECT_10, 0x10 | _bit(save, 0)))
        + bytes(5)
        + unsigned(length, 2, "length")
        + b"\x00"
    )


def load_unload(load: bool = True, *, immed: bool = False, hold: bool = False, eot: bool = False) -> bytes:
    """LOAD/UNLOAD (1Bh): thread the cartridge (`load`) or rewind and eject it.

    `hold` keeps the cartridge in the drive without threading or ejecting; `eot` unloads at the end
    of tape instead of rewinding. With `immed` the drive answers at once and the caller polls TUR.
    """
    return _cdb6(
        Opcode.LOAD_UNLOAD,
        _bit(immed, 0),
        b"\x00\x00" + bytes((_bit(hold, 3) | _bit(eot, 2) | _bit(load, 0),)),
    )


def rewind(*, immed: bool = False) -> bytes:
    """REWIND (01h) to the beginning of the current partition."""
    return _cdb6(Opcode.REWIND, _bit(immed, 0))


def erase(long: bool = False, *, immed: bool = False) -> bytes:
    """ERASE(6) (19h) from the current position.

    A short erase only writes end of data here (seconds); a long erase also overwrites to the end
    of the partition (up to about 46 hours on an LTO-9 HH), so use `immed` and poll REQUEST SENSE.
    """
    return _cdb6(Opcode.ERASE_6, _bit(immed, 1) | _bit(long, 0))


def read6(length: int, *, fixed: bool = False, sili: bool = False) -> bytes:
    """READ(6) (08h): `length` bytes in variable mode, or `length` blocks when `fixed`.

    `sili` suppresses the incorrect-length report for a block shorter than asked; SSC forbids it
    together with `fixed`.
    """
    if fixed and sili:
        raise ValueError("SILI cannot be combined with FIXED")
    return _cdb6(Opcode.READ_6, _bit(sili, 1) | _bit(fixed, 0), unsigned(length, 3, "length"))


def write6(length: int, *, fixed: bool = False) -> bytes:
    """WRITE(6) (0Ah): one block of `length` bytes, or `length` blocks when `fixed`."""
    return _cdb6(Opcode.WRITE_6, _bit(fixed, 0), unsigned(length, 3, "length"))


def write_filemarks(count: int = 1, *, immed: bool = False) -> bytes:
    """WRITE FILEMARKS(6) (10h). A count of 0 writes no mark and only flushes the buffer to tape."""
    return _cdb6(Opcode.WRITE_FILEMARKS_6, _bit(immed, 0), unsigned(count, 3, "count"))


def space6(code: SpaceCode, count: int = 0) -> bytes:
    """SPACE(6) (11h) over `count` blocks or filemarks; a negative count moves towards BOP.

    For `SpaceCode.END_OF_DATA` the count is ignored by the drive and sent as 0.
    """
    if code == SpaceCode.END_OF_DATA:
        count = 0
    return _cdb6(Opcode.SPACE_6, int(code) & 0x0F, signed(count, 3, "count"))


def space16(code: SpaceCode, count: int = 0) -> bytes:
    """SPACE(16) (91h): as SPACE(6) with a signed 64-bit count."""
    if code == SpaceCode.END_OF_DATA:
        count = 0
    return bytes((Opcode.SPACE_16, int(code) & 0x0F, 0, 0)) + signed(count, 8, "count") + bytes(4)


def locate10(
    block: int, partition: int | None = None, *, immed: bool = False, block_address_type: bool = False
) -> bytes:
    """LOCATE(10) (2Bh) to logical object `block`; a `partition` sets CP and changes partition first.

    `block_address_type` (BT) selects a vendor-specific block address instead of the logical one.
    """
    change = partition is not None
    byte1 = _bit(block_address_type, 2) | _bit(change, 1) | _bit(immed, 0)
    part = unsigned(partition or 0, 1, "partition")
    return bytes((Opcode.LOCATE_10, byte1, 0)) + unsigned(block, 4, "block") + b"\x00" + part + b"\x00"


def locate16(
    identifier: int = 0,
    partition: int | None = None,
    *,
    destination: LocateDestination = LocateDestination.OBJECT,
    immed: bool = False,
) -> bytes:
    """LOCATE(16) (92h) to a logical object, a file (filemark count) or end of data.

    For `LocateDestination.END_OF_DATA` the identifier is ignored. A `partition` sets CP.
    """
    change = partition is not None
    byte1 = (int(destination) << 3) | _bit(change, 1) | _bit(immed, 0)
    if destination == LocateDestination.END_OF_DATA:
        identifier = 0
    part = unsigned(partition or 0, 1, "partition")
    return bytes((Opcode.LOCATE_16, byte1, 0)) + part + unsigned(identifier, 8, "identifier") + bytes(4)


def read_position(form: PositionForm = PositionForm.LONG, length: int = 0) -> bytes:
    """READ POSITION (34h). The short and long forms allow length 0; the extended form needs 32."""
    if form == PositionForm.EXTENDED and length == 0:
        length = 32
    return bytes((Opcode.READ_POSITION, int(form))) + bytes(5) + unsigned(length, 2, "length") + b"\x00"


def report_density_support(*, media: bool = False, medium_type: bool = False, length: int = 1024) -> bytes:
    """REPORT DENSITY SUPPORT (44h): densities of the drive, or with `media` of the loaded cartridge."""
    byte1 = _bit(medium_type, 1) | _bit(media, 0)
    return bytes((Opcode.REPORT_DENSITY_SUPPORT, byte1)) + bytes(5) + unsigned(length, 2, "length") + b"\x00"


def log_sense(
    page: int,
    subpage: int = 0,
    length: int = 0xFFFF,
    *,
    control: LogControl = LogControl.CUMULATIVE,
    parameter_pointer: int = 0,
    saved_values: bool = False,
) -> bytes:
    """LOG SENSE (4Dh) for one log page (0Ch, 17h, 2Eh TapeAlert, 31h …), cumulative values by default."""
    return (
        bytes(
            (
                Opcode.LOG_SENSE,
                _bit(saved_values, 0),
                _page_byte(page, control),
                unsigned(subpage, 1, "subpage")[0],
                0,
            )
        )
        + unsigned(parameter_pointer, 2, "parameter_pointer")
        + unsigned(length, 2, "length")
        + b"\x00"
    )


def read_attribute(
    first_id: int = 0,
    length: int = 0x10000,
    *,
    service_action: AttributeService = AttributeService.VALUES,
    partition: int = 0,
    volume: int = 0,
    cache: bool = False,
) -> bytes:
    """READ ATTRIBUTE (8Ch): cartridge memory attributes from `first_id` onwards."""
    return (
        bytes((Opcode.READ_ATTRIBUTE, int(service_action), 0, 0, 0))
        + unsigned(volume, 1, "volume")
        + b"\x00"
        + unsigned(partition, 1, "partition")
        + unsigned(first_id, 2, "first_id")
        + unsigned(length, 4, "length")
        + bytes((_bit(cache, 0), 0))
    )


def write_attribute(length: int, *, partition: int = 0, volume: int = 0, write_through: bool = True) -> bytes:
    """WRITE ATTRIBUTE (8Dh) for a parameter list of `length` bytes (see `tape.scsi.mam.encode_attributes`).

    `write_through` (WTC) makes the drive store the values in the cartridge before answering.
    """
    return (
        bytes((Opcode.WRITE_ATTRIBUTE, _bit(write_through, 0), 0, 0, 0))
        + unsigned(volume, 1, "volume")
        + b"\x00"
        + unsigned(partition, 1, "partition")
        + b"\x00\x00"
        + unsigned(length, 4, "length")
        + b"\x00\x00"
    )


def prevent_allow_medium_removal(prevent: bool = True) -> bytes:
    """PREVENT ALLOW MEDIUM REMOVAL (1Eh): lock (`prevent`) or unlock the eject button."""
    return _cdb6(Opcode.PREVENT_ALLOW_MEDIUM_REMOVAL, 0, b"\x00\x00" + bytes((_bit(prevent, 0),)))


def report_supported_opcodes(
    length: int = 0x10000,
    *,
    opcode: int | None = None,
    service_action: int | None = None,
    timeouts: bool = True,
) -> bytes:
    """REPORT SUPPORTED OPERATION CODES (A3h/0Ch), with the drive's timeouts when `timeouts` (RCTD).

    Without `opcode` all commands are listed (reporting options 0); with it, one command
    (options 1, or 2 when a `service_action` is given).
    """
    if opcode is None:
        options = 0
    else:
        options = 1 if service_action is None else 2
    return (
        bytes((Opcode.MAINTENANCE_IN, SA_REPORT_SUPPORTED_OPCODES, _bit(timeouts, 7) | options))
        + unsigned(opcode or 0, 1, "opcode")
        + unsigned(service_action or 0, 2, "service_action")
        + unsigned(length, 4, "length")
        + b"\x00\x00"
    )


# The name starts with "test_"; keep pytest from collecting it where a test module imports it.
test_unit_ready.__test__ = False  # type: ignore[attr-defined]
