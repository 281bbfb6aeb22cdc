"""The emulated medium changer (SMC-3), an IBM 3573-TL-style library: INQUIRY (PDT 08h), READ
ELEMENT STATUS with volume tags and drive identifiers, MOVE MEDIUM, INITIALIZE ELEMENT STATUS,
PREVENT ALLOW (locks the import/export slots), MODE SENSE page 1Dh (element addresses).

Errors: 5/3B/0E source empty, 5/3B/0D destination full, 5/21/01 invalid element address,
5/53/02 removal prevented by the drive; 6/28/01 after the operator touched an import/export slot.
"""

from __future__ import annotations

from tape.emulator import faults as fault_kinds
from tape.emulator.codec import ascii_field, be, u16, u24, u32
from tape.emulator.commands import CommandTable, Reply, trim
from tape.emulator.drive import Drive
from tape.emulator.drive_info import (
    PRODUCT,
    VENDOR,
    identification_page,
    inquiry_header,
    inquiry_reply,
    report_luns_reply,
    serial_page,
)
from tape.emulator.library_state import TRANSPORT_ADDRESS, Element
from tape.emulator.runtime import Runtime
from tape.emulator.sense import (
    ILLEGAL_REQUEST,
    INVALID_OPCODE,
    NO_SENSE,
    NOT_READY,
    PARAMETER_LIST_LENGTH_ERROR,
    REMOVAL_PREVENTED,
    UNIT_ATTENTION,
    CheckCondition,
    Sense,
    invalid_field_in_cdb,
    invalid_field_in_parameters,
)

CHANGER_PRODUCT = "3573-TL"
TRANSPORT, STORAGE, IMPORT_EXPORT, DATA_TRANSFER = 1, 2, 3, 4
ATTENTION_EXEMPT = (0x12, 0xA0, 0x03)
INVALID_ELEMENT = Sense(ILLEGAL_REQUEST, 0x21, 0x01)
SOURCE_EMPTY = Sense(ILLEGAL_REQUEST, 0x3B, 0x0E)
DESTINATION_FULL = Sense(ILLEGAL_REQUEST, 0x3B, 0x0D)
DRIVE_BUSY = Sense(NOT_READY, 0x04, 0x07)
VOLTAG_LENGTH = 36
DVCID_LENGTH = 34  # vendor (8) + product (16) + serial (10), as IBM libraries report it
# The robot's commands: one family, registered below in this module.
COMMANDS = CommandTable()


class Changer:
    """The library's robot, as seen by one command."""

    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.library = runtime.library
        self.now = runtime.now()

    def execute(self, cdb: bytes, data: bytes | memoryview | None, length: int) -> Reply:
        spec = COMMANDS.lookup(cdb)
        if spec is None:
            reply = Reply(sense=INVALID_OPCODE)
        else:
            try:
                if cdb[0] not in ATTENTION_EXEMPT:
                    self._attention()
                reply = spec.handler(self, cdb, data, length)
            except CheckCondition as condition:
                reply = Reply(data=condition.data, sense=condition.sense)
        if cdb[0] != 0x03:
            self.rt.changer_sense = reply.sense.to_bytes() if reply.sense else b""
        return reply

    def _attention(self) -> None:
        for fault in list(self.library.faults):
            if fault.kind == fault_kinds.UNIT_ATTENTION and fault.drive == -1:
                self.library.faults.remove(fault)
                self.queue_attention(fault.asc or 0x29, fault.ascq or 0x00)
        if self.library.changer_attentions:
            asc, ascq = self.library.changer_attentions.pop(0)
            self.rt.library_changed()
            raise CheckCondition(Sense(UNIT_ATTENTION, asc, ascq))

    def queue_attention(self, asc: int, ascq: int) -> None:
        if [asc, ascq] not in self.library.changer_attentions:
            self.library.changer_attentions.append([asc, ascq])
        self.rt.library_changed()

    # -- element helpers ----------------------------------------------------------------------------

    def groups(self) -> list[tuple[int, list[Element]]]:
        """Element types in ascending address order: transport, import/export, drives, slots."""
        transport = Element(TRANSPORT_ADDRESS)
        return [
            (TRANSPORT, [transport]),
            (IMPORT_EXPORT, self.library.ie_slots),
            (DATA_TRANSFER, self.library.drives),
            (STORAGE, self.library.slots),
        ]

    def move(self, source: Element, destination: Element) -> None:
        """Carry a cartridge, unloading it from a drive first and loading it into a drive after."""
        barcode = source.cartridge
        assert barcode is not None
        from_drive = self.library.drive_index(source)
        if from_drive is not None:
            drive = Drive(self.rt, from_drive)
            if drive.cold.prevent:
                raise CheckCondition(REMOVAL_PREVENTED)
            if drive.cold.medium == "loading" or drive.cold.busy:
                raise CheckCondition(DRIVE_BUSY)
            drive.unthread()
            drive.emptied()
        home = source.source if from_drive is not None else source.address
        destination.cartridge, destination.source, destination.imported = barcode, home, False
        source.cartridge, source.source, source.imported = None, None, False
        self.rt.library_changed()
        to_drive = self.library.drive_index(destination)
        if to_drive is not None:
            Drive(self.rt, to_drive).thread(announce=True)


@COMMANDS.register(0x00, "TEST UNIT READY", 6)
def test_unit_ready(c: Changer, cdb: bytes, data: object, length: int) -> Reply:
    return Reply()


@COMMANDS.register(0x03, "REQUEST SENSE", 6)
def request_sense(c: Changer, cdb: bytes, data: object, length: int) -> Reply:
    if cdb[1] & 0x01:
        raise invalid_field_in_cdb(1, 0)
    if c.library.changer_attentions:
        asc, ascq = c.library.changer_attentions.pop(0)
        c.rt.library_changed()
        sense = Sense(UNIT_ATTENTION, asc, ascq).to_bytes()
    else:
        sense, c.rt.changer_sense = c.rt.changer_sense or Sense(NO_SENSE).to_bytes(), b""
    return Reply(data=trim(sense, cdb[4]))


@COMMANDS.register(0x12, "INQUIRY", 6)
def inquiry(c: Changer, cdb: bytes, data: object, length: int) -> Reply:
    standard = inquiry_header(0x08, VENDOR, CHANGER_PRODUCT, c.library.changer_revision)
    standard[55] = 0x01  # barcode reader present
    serial = c.library.changer_serial
    vpd = {
        0x00: bytes([0x08, 0x00, 0x00, 3, 0x00, 0x80, 0x83]),
        0x80: serial_page(0x08, serial),
        0x83: identification_page(0x08, VENDOR, CHANGER_PRODUCT, serial),
    }
    return inquiry_reply(cdb, bytes(standard), vpd)


@COMMANDS.register(0xA0, "REPORT LUNS", 12)
def report_luns(c: Changer, cdb: bytes, data: object, length: int) -> Reply:
    return report_luns_reply(cdb)


@COMMANDS.register(0xA3, "REPORT SUPPORTED OPERATION CODES", 12, service_action=0x0C)
def report_supported_opcodes(c: Changer, cdb: bytes, data: object, length: int) -> Reply:
    return Reply(data=trim(COMMANDS.report_supported(cdb), u32(cdb, 6)))


@COMMANDS.register(0x07, "INITIALIZE ELEMENT STATUS", 6, timeout=1200)
def initialize_element_status(c: Changer, cdb: bytes, data: object, length: int) -> Reply:
    return Reply()  # the inventory is always exact


@COMMANDS.register(0x37, "INITIALIZE ELEMENT STATUS WITH RANGE", 10, timeout=1200)
def initialize_element_status_range(c: Changer, cdb: bytes, data: object, length: int) -> Reply:
    return Reply()


@COMMANDS.register(0x1E, "PREVENT ALLOW MEDIUM REMOVAL", 6)
def prevent_allow(c: Changer, cdb: bytes, data: object, length: int) -> Reply:
    mode = cdb[4] & 0x03
    if mode > 1:
        raise invalid_field_in_cdb(4, 1)
    c.library.ie_locked = mode == 1
    c.rt.library_changed()
    return Reply()


@COMMANDS.register(0x2B, "POSITION TO ELEMENT", 10)
def position_to_element(c: Changer, cdb: bytes, data: object, length: int) -> Reply:
    if c.library.element(u16(cdb, 4)) is None:
        raise CheckCondition(INVALID_ELEMENT)
    return Reply()


@COMMANDS.register(0xA5, "MOVE MEDIUM", 12, timeout=600)
def move_medium(c: Changer, cdb: bytes, data: object, length: int) -> Reply:
    if u16(cdb, 2) not in (0, TRANSPORT_ADDRESS):
        raise CheckCondition(INVALID_ELEMENT)
    if cdb[10] & 0x01:
        raise invalid_field_in_cdb(10, 0)  # LTO cartridges cannot be turned over
    source, destination = c.library.element(u16(cdb, 4)), c.library.element(u16(cdb, 6))
    if source is None or destination is None:
        raise CheckCondition(INVALID_ELEMENT)
    if source.cartridge is None:
        raise CheckCondition(SOURCE_EMPTY)
    if source is destination:
        return Reply()
    if destination.cartridge is not None:
        raise CheckCondition(DESTINATION_FULL)
    c.move(source, destination)
    return Reply()


@COMMANDS.register(0xB8, "READ ELEMENT STATUS", 12, timeout=600)
def read_element_status(c: Changer, cdb: bytes, data: object, length: int) -> Reply:
    voltag, kind = bool(cdb[1] & 0x10), cdb[1] & 0x0F
    start, wanted, dvcid = u16(cdb, 2), u16(cdb, 4), bool(cdb[6] & 0x01)
    if kind > DATA_TRANSFER:
        raise invalid_field_in_cdb(1, 3)
    pages = []
    first: int | None = None
    reported = 0
    for code, elements in c.groups():
        if kind not in (0, code):
            continue
        chosen = [e for e in elements if e.address >= start][: max(wanted - reported, 0)]
        if not chosen:
            continue
        first = chosen[0].address if first is None else first
        reported += len(chosen)
        descriptors = [_descriptor(c, code, e, voltag, dvcid) for e in chosen]
        size = len(descriptors[0])
        header = bytes([code, 0x80 if voltag else 0]) + be(size, 2) + bytes([0]) + be(size * len(chosen), 3)
        pages.append(header + b"".join(descriptors))
    if not pages and wanted:
        raise CheckCondition(INVALID_ELEMENT)
    body = b"".join(pages)
    header = be(first or 0, 2) + be(reported, 2) + bytes([0]) + be(len(body), 3)
    return Reply(data=trim(header + body, u24(cdb, 7)))


def _descriptor(c: Changer, code: int, element: Element, voltag: bool, dvcid: bool) -> bytes:
    out = bytearray(12)
    out[0:2] = be(element.address, 2)
    full = element.cartridge is not None
    flags = 0x01 if full else 0x00
    if code in (STORAGE, DATA_TRANSFER):
        flags |= 0x08  # ACCESS
    elif code == IMPORT_EXPORT:
        flags |= 0x30 | 0x08 | (0x02 if element.imported and full else 0)  # INENAB, EXENAB, ACCESS, IMPEXP
    out[2] = flags
    if full:
        media = c.rt.media_of(element.cartridge or "")
        out[9] = media.smc_medium_type | (0x80 if element.source is not None else 0)
        if element.source is not None:
            out[10:12] = be(element.source, 2)
    if voltag:
        out += ascii_field(element.cartridge or "", 32) + bytes(4) if full else bytes(VOLTAG_LENGTH)
    if dvcid and code == DATA_TRANSFER:
        out += bytes([0x02, 0x01, 0x00, DVCID_LENGTH])
        out += ascii_field(VENDOR, 8) + ascii_field(PRODUCT, 16) + ascii_field(element.serial, 10)
    else:
        out += bytes(4)
    return bytes(out)


def _page_1d(c: Changer) -> bytes:
    lib = c.library
    fields = [
        (TRANSPORT_ADDRESS, 1),
        (lib.slots[0].address if lib.slots else 0, len(lib.slots)),
        (lib.ie_slots[0].address if lib.ie_slots else 0, len(lib.ie_slots)),
        (lib.drives[0].address if lib.drives else 0, len(lib.drives)),
    ]
    body = b"".join(be(a, 2) + be(n, 2) for a, n in fields)
    return bytes([0x1D, 0x12]) + body + bytes(2)


CHANGER_PAGES = {
    0x1D: _page_1d,
    0x1E: lambda c: bytes([0x1E, 0x02, 0x00, 0x00]),
    0x1F: lambda c: (
        bytes([0x1F, 0x12, 0x0E, 0x00, 0x0E, 0x0E, 0x0E, 0x0E]) + bytes(4) + bytes([0x0E] * 4) + bytes(4)
    ),
}


def _mode_sense(c: Changer, cdb: bytes, ten: bool) -> Reply:
    page = cdb[2] & 0x3F
    if cdb[2] >> 6 == 3:
        raise CheckCondition(Sense(ILLEGAL_REQUEST, 0x39, 0x00))
    if page == 0x3F:
        body = b"".join(build(c) for build in CHANGER_PAGES.values())
    elif page in CHANGER_PAGES:
        body = CHANGER_PAGES[page](c)
    else:
        raise invalid_field_in_cdb(2, 5)
    if ten:
        reply = be(len(body) + 6, 2) + bytes(6) + body
        return Reply(data=trim(reply, u16(cdb, 7)))
    return Reply(data=trim(bytes([len(body) + 3, 0, 0, 0]) + body, cdb[4]))


@COMMANDS.register(0x1A, "MODE SENSE(6)", 6)
def mode_sense6(c: Changer, cdb: bytes, data: object, length: int) -> Reply:
    return _mode_sense(c, cdb, ten=False)


@COMMANDS.register(0x5A, "MODE SENSE(10)", 10)
def mode_sense10(c: Changer, cdb: bytes, data: object, length: int) -> Reply:
    return _mode_sense(c, cdb, ten=True)


def _mode_select(c: Changer, buf: bytes, header: int) -> Reply:
    """Pages echoed back are accepted; nothing in them is changeable."""
    if not buf:
        return Reply()
    if len(buf) < header:
        raise CheckCondition(PARAMETER_LIST_LENGTH_ERROR)
    at = header
    while at < len(buf):
        page = buf[at] & 0x3F
        builder = CHANGER_PAGES.get(page)
        if builder is None or at + 2 > len(buf):
            raise invalid_field_in_parameters(at)
        current = builder(c)
        sent = buf[at : at + 2 + buf[at + 1]]
        if sent[2:] != current[2:]:
            raise invalid_field_in_parameters(at + 2)
        at += len(sent)
    return Reply()


@COMMANDS.register(0x15, "MODE SELECT(6)", 6)
def mode_select6(c: Changer, cdb: bytes, data: bytes | None, length: int) -> Reply:
    return _mode_select(c, bytes((data or b"")[: cdb[4]]), 4)


@COMMANDS.register(0x55, "MODE SELECT(10)", 10)
def mode_select10(c: Changer, cdb: bytes, data: bytes | None, length: int) -> Reply:
    return _mode_select(c, bytes((data or b"")[: u16(cdb, 7)]), 8)
