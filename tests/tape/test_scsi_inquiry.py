"""INQUIRY and VPD parsing with replies shaped like a real ULTRIUM-HH9 (tape-scsi.md §1.1)."""

from __future__ import annotations

import pytest

from tape.scsi.inquiry import (
    InquiryError,
    parse_device_identification,
    parse_inquiry,
    parse_sequential_capabilities,
    parse_supported_vpd_pages,
    parse_unit_serial,
    parse_vpd,
)

# Raw standard INQUIRY from an ULTRIUM-HH9 (LTFS issue #474), padded to its 70 bytes.
REAL_HH9 = bytes.fromhex("01 80 06 12 41 01 10 02") + b"IBM     " + b"ULTRIUM-HH9     " + b"PA63" + bytes(34)


def test_standard_inquiry_of_a_real_hh9() -> None:
    inq = parse_inquiry(REAL_HH9)
    assert inq.is_tape and not inq.is_changer
    assert (inq.vendor, inq.product, inq.revision) == ("IBM", "ULTRIUM-HH9", "PA63")
    assert inq.removable and inq.version == 6 and inq.response_format == 2 and inq.hisup
    assert inq.protect and inq.multi_port and inq.command_queueing


def test_changer_inquiry() -> None:
    data = bytes.fromhex("08 80 05 02 1F 00 00 00") + b"IBM     " + b"3573-TL         " + b"F.11"
    inq = parse_inquiry(data)
    assert inq.is_changer and inq.product == "3573-TL"


def test_a_not_connected_qualifier_is_not_a_tape() -> None:
    data = bytes((0x21,)) + REAL_HH9[1:]
    assert not parse_inquiry(data).is_tape


def test_short_inquiry_is_refused() -> None:
    with pytest.raises(InquiryError):
        parse_inquiry(REAL_HH9[:35])


def test_supported_vpd_pages() -> None:
    assert parse_supported_vpd_pages(bytes.fromhex("01 00 00 05 00 80 83 B0 B2")) == [
        0x00,
        0x80,
        0x83,
        0xB0,
        0xB2,
    ]


def test_unit_serial_is_the_ten_character_drive_serial() -> None:
    assert parse_unit_serial(bytes.fromhex("01 80 00 0A") + b"10WT015978") == "10WT015978"


def test_vpd_page_mismatch_is_an_error() -> None:
    with pytest.raises(InquiryError):
        parse_unit_serial(bytes.fromhex("01 83 00 00"))


def test_vpd_payload_stops_at_the_page_length() -> None:
    page = parse_vpd(bytes.fromhex("01 80 00 02 41 42 43 44"))
    assert page.payload == b"AB" and page.device_type == 1


def test_device_identification_designators() -> None:
    t10 = bytes.fromhex("02 01 00 22") + b"IBM     ULT3580-HH9     1013002519"
    naa = bytes.fromhex("01 03 00 08 50 05 07 63 12 34 56 78")
    port = bytes.fromhex("61 93 00 08 50 05 07 63 12 34 56 79")
    payload = t10 + naa + port
    designators = parse_device_identification(
        bytes.fromhex("01 83") + len(payload).to_bytes(2, "big") + payload
    )
    assert [d.designator_type for d in designators] == [1, 3, 3]
    assert designators[0].text == "IBM     ULT3580-HH9     1013002519"
    assert designators[1].text == "5005076312345678"
    assert designators[2].association == 1 and designators[2].piv and designators[2].protocol == 6


def test_sequential_capabilities_worm_bit() -> None:
    caps = parse_sequential_capabilities(bytes.fromhex("01 B0 00 02 01 00"))
    assert caps.worm and not caps.tape_stream_mirroring
    assert parse_sequential_capabilities(bytes.fromhex("01 B0 00 02 02 00")).tape_stream_mirroring
