"""Medium changer (SMC-3) commands and replies: READ ELEMENT STATUS, MOVE MEDIUM, element addresses.

A library's changer is a LUN of its own (peripheral type 08h), usually behind a control-path
drive. Map drive elements to drives by serial (DVCID versus VPD 80h), never by order.

Public API:
- CDBs: `read_element_status(element_type, start, count, length, voltag, dvcid)`,
  `move_medium(source, destination, transport, invert)`, `initialize_element_status()`.
- `ElementType` — ALL, TRANSPORT, STORAGE, IMPORT_EXPORT, DATA_TRANSFER.
- `parse_element_status(data) -> list[Element]` — every element with full flag, barcode
  (primary volume tag), source address, exception ASC/ASCQ and, for drives, the device identifier.
- `parse_element_address_assignment(page) -> ElementAddresses` — mode page 1Dh.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from tape.scsi.errors import MalformedReply
from tape.scsi.fields import ascii_text, unsigned
from tape.scsi.modepages import ELEMENT_ADDRESS_ASSIGNMENT, ModeDataError, ModePage
from tape.scsi.opcodes import Opcode


class ElementType(enum.IntEnum):
    ALL = 0
    TRANSPORT = 1
    STORAGE = 2
    IMPORT_EXPORT = 3
    DATA_TRANSFER = 4


class ElementStatusError(MalformedReply):
    """The reply is too short or inconsistent."""


def read_element_status(
    element_type: ElementType = ElementType.ALL,
    start: int = 0,
    count: int = 0xFFFF,
    length: int = 0xFFFFFF,
    *,
    voltag: bool = True,
    dvcid: bool = True,
    current_data: bool = False,
) -> bytes:
    """READ ELEMENT STATUS (B8h). `voltag` returns barcodes, `dvcid` drive serials.

    `current_data` (CURDATA) forbids the library from moving to check the elements.
    """
    byte1 = (0x10 if voltag else 0) | (int(element_type) & 0x0F)
    byte6 = (0x02 if current_data else 0) | (0x01 if dvcid else 0)
    return (
        bytes((Opcode.READ_ELEMENT_STATUS, byte1))
        + unsigned(start, 2, "start")
        + unsigned(count, 2, "count")
        + bytes((byte6,))
        + unsigned(length, 3, "length")
        + b"\x00\x00"
    )


def move_medium(source: int, destination: int, transport: int = 0, *, invert: bool = False) -> bytes:
    """MOVE MEDIUM (A5h). Unload the drive first when the source is a drive; transport 0 = default."""
    return (
        bytes((Opcode.MOVE_MEDIUM, 0))
        + unsigned(transport, 2, "transport")
        + unsigned(source, 2, "source")
        + unsigned(destination, 2, "destination")
        + b"\x00\x00"
        + bytes((0x01 if invert else 0x00, 0))
    )


def initialize_element_status() -> bytes:
    """INITIALIZE ELEMENT STATUS (07h): a full inventory scan; can take minutes."""
    return bytes((Opcode.INITIALIZE_ELEMENT_STATUS, 0, 0, 0, 0, 0))


@dataclass(frozen=True)
class Element:
    element_type: ElementType
    address: int
    full: bool
    exception: bool
    accessible: bool
    import_export: bool  # for I/E elements: the cartridge was placed by the operator
    asc: int
    ascq: int
    source_address: int | None
    barcode: str | None
    identifier_type: int | None
    identifier: bytes | None

    @property
    def device_serial(self) -> str | None:
        """The drive serial from the device identifier.

        IBM libraries send vendor (8) + product (16) + serial (10) with type 1 (T10 vendor id);
        some send the serial alone with type 0.
        """
        if self.identifier is None:
            return None
        text = self.identifier.decode("ascii", errors="replace")
        if self.identifier_type == 1 and len(self.identifier) > 24:
            text = text[24:]
        return text.strip(" \x00") or None


_VOLTAG = 36


def _descriptor(kind: ElementType, d: bytes, pvoltag: bool, avoltag: bool) -> Element:
    offset = 12
    barcode = None
    if pvoltag and len(d) >= offset + _VOLTAG:
        barcode = ascii_text(d[offset : offset + 32]) or None
        offset += _VOLTAG
    if avoltag and len(d) >= offset + _VOLTAG:
        offset += _VOLTAG
    identifier_type = identifier = None
    if len(d) >= offset + 4 and d[offset + 3]:
        size = d[offset + 3]
        identifier_type = d[offset + 1] & 0x0F
        identifier = bytes(d[offset + 4 : offset + 4 + size])
    flags = d[2]
    return Element(
        element_type=kind,
        address=int.from_bytes(d[0:2], "big"),
        full=bool(flags & 0x01),
        import_export=bool(flags & 0x02),
        exception=bool(flags & 0x04),
        accessible=bool(flags & 0x08),
        asc=d[4],
        ascq=d[5],
        source_address=int.from_bytes(d[10:12], "big") if d[9] & 0x80 else None,
        barcode=barcode,
        identifier_type=identifier_type,
        identifier=identifier,
    )


def _element_type(code: int) -> ElementType:
    try:
        return ElementType(code)
    except ValueError:
        raise ElementStatusError(f"unknown element type code {code}") from None


def parse_element_status(data: bytes) -> list[Element]:
    """Decode a READ ELEMENT STATUS reply: 8-byte header, then one page per element type."""
    if len(data) < 8:
        raise ElementStatusError("element status reply is shorter than its header")
    end = min(len(data), 8 + int.from_bytes(data[5:8], "big"))
    elements: list[Element] = []
    offset = 8
    while offset + 8 <= end:
        page = data[offset : offset + 8]
        kind = _element_type(page[0] & 0x0F)
        descriptor_size = int.from_bytes(page[2:4], "big")
        page_end = min(end, offset + 8 + int.from_bytes(page[5:8], "big"))
        if descriptor_size < 12:
            raise ElementStatusError(f"element descriptor length {descriptor_size} is below 12")
        for d in range(offset + 8, page_end - descriptor_size + 1, descriptor_size):
            elements.append(
                _descriptor(kind, data[d : d + descriptor_size], bool(page[1] & 0x80), bool(page[1] & 0x40))
            )
        offset = page_end
    return elements


@dataclass(frozen=True)
class ElementRange:
    first: int
    count: int

    def __contains__(self, address: object) -> bool:
        return isinstance(address, int) and self.first <= address < self.first + self.count


@dataclass(frozen=True)
class ElementAddresses:
    transport: ElementRange
    storage: ElementRange
    import_export: ElementRange
    data_transfer: ElementRange


def parse_element_address_assignment(page: ModePage) -> ElementAddresses:
    """Mode page 1Dh: first address and count of each element type (read it, don't hard-code)."""
    if page.code != ELEMENT_ADDRESS_ASSIGNMENT or len(page.body) < 16:
        raise ModeDataError("not an element address assignment page")
    b = page.body

    def pair(at: int) -> ElementRange:
        return ElementRange(int.from_bytes(b[at : at + 2], "big"), int.from_bytes(b[at + 2 : at + 4], "big"))

    return ElementAddresses(transport=pair(0), storage=pair(4), import_export=pair(8), data_transfer=pair(12))
