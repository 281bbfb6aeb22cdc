"""READ ELEMENT STATUS replies and the element address assignment page."""

from __future__ import annotations

import pytest

from tape.scsi.changer import (
    ElementStatusError,
    ElementType,
    parse_element_address_assignment,
    parse_element_status,
)
from tape.scsi.modepages import ModePage


def descriptor(
    address: int,
    flags: int,
    *,
    source: int | None = None,
    barcode: bytes | None = None,
    ident: bytes | None = None,
    ident_type: int = 1,
) -> bytes:
    out = address.to_bytes(2, "big") + bytes((flags, 0, 0, 0, 0, 0, 0))
    out += bytes((0x80 if source is not None else 0,)) + (source or 0).to_bytes(2, "big")
    if barcode is not None:
        out += barcode.ljust(36)
    if ident is not None:
        out += bytes((2, ident_type, 0, len(ident))) + ident
    return out


def page(kind: int, voltag: bool, descriptors: list[bytes]) -> bytes:
    size = len(descriptors[0])
    body = b"".join(descriptors)
    return (
        bytes((kind, 0x80 if voltag else 0))
        + size.to_bytes(2, "big")
        + b"\x00"
        + len(body).to_bytes(3, "big")
        + body
    )


def reply(*pages: bytes) -> bytes:
    body = b"".join(pages)
    return bytes.fromhex("00 01 00 05 00") + len(body).to_bytes(3, "big") + body


def test_slots_drives_and_the_robot() -> None:
    drive_id = b"IBM     ULT3580-HH9     1013002519"
    data = reply(
        page(1, False, [descriptor(1, 0x00)]),
        page(2, True, [descriptor(0x1000, 0x09, barcode=b"TAF001L9"), descriptor(0x1001, 0x08, barcode=b"")]),
        page(4, True, [descriptor(0x100, 0x09, source=0x1002, barcode=b"TAF003L9", ident=drive_id)]),
        page(3, True, [descriptor(0x10, 0x0B, barcode=b"CLN001L1")]),
    )
    robot, full, empty, drive, mailslot = parse_element_status(data)
    assert robot.element_type is ElementType.TRANSPORT and not robot.full and robot.barcode is None
    assert (full.address, full.full, full.barcode, full.accessible) == (0x1000, True, "TAF001L9", True)
    assert not empty.full and empty.barcode is None
    assert drive.element_type is ElementType.DATA_TRANSFER and drive.source_address == 0x1002
    assert drive.barcode == "TAF003L9" and drive.device_serial == "1013002519"
    assert mailslot.import_export and mailslot.barcode == "CLN001L1"


def test_serial_only_device_identifier() -> None:
    data = reply(page(4, False, [descriptor(0x100, 0x00, ident=b"10WT015978", ident_type=0)]))
    (drive,) = parse_element_status(data)
    assert drive.device_serial == "10WT015978" and drive.barcode is None


def test_exception_codes_are_reported() -> None:
    d = bytearray(descriptor(0x1000, 0x04))
    d[4], d[5] = 0x83, 0x09  # unable to read the barcode
    (slot,) = parse_element_status(reply(page(2, False, [bytes(d)])))
    assert slot.exception and (slot.asc, slot.ascq) == (0x83, 0x09)


def test_byte_count_limits_the_parse() -> None:
    data = reply(page(2, False, [descriptor(0x1000, 1), descriptor(0x1001, 1)]))
    cut = bytearray(data)
    cut[5:8] = (8 + 12).to_bytes(3, "big")  # the header claims only the first descriptor
    assert [e.address for e in parse_element_status(bytes(cut))] == [0x1000]


def test_bad_descriptor_length_is_an_error() -> None:
    bad = bytes((2, 0, 0, 4, 0, 0, 0, 4)) + bytes(4)
    with pytest.raises(ElementStatusError):
        parse_element_status(reply(bad))


def test_element_address_assignment_page() -> None:
    body = bytes.fromhex("00 01 00 01 10 00 00 17 00 10 00 01 01 00 00 01 00 00")
    addresses = parse_element_address_assignment(ModePage(0x1D, body))
    assert (addresses.transport.first, addresses.transport.count) == (1, 1)
    assert (addresses.storage.first, addresses.storage.count) == (0x1000, 23)
    assert 0x1016 in addresses.storage and 0x1017 not in addresses.storage
    assert (addresses.import_export.first, addresses.data_transfer.first) == (0x10, 0x100)
