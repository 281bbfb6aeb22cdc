"""Conformance of the emulated ULT3580-HH9 outside the data path: identity, the medium state
machine (power-on, insert, unload, prevent, first-load optimisation, foreign media), protection
(WORM, write protect), mode pages, log pages and cartridge memory.

Every CHECK CONDITION is checked exactly (cdbs.expect): key, ASC/ASCQ, bits, VALID + INFORMATION.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tape.emulator import Library
from tape.transports.emulated import EmulatedTransport
from tests.tape import cdbs
from tests.tape.cdbs import Tape, decode_sense


@pytest.fixture
def library(tmp_path) -> Iterator[Library]:
    lib = cdbs.standalone_library(tmp_path / "vtl")
    yield lib
    lib.close()


@pytest.fixture
def tape(library: Library) -> Iterator[Tape]:
    t = cdbs.mount(library)
    yield t
    t.t.close()


# -- identity and medium state ---------------------------------------------------------------------


def test_power_on_then_new_cartridge_unit_attentions_then_ready(library: Library) -> None:
    drive = Tape(EmulatedTransport(library.root, 0))
    cdbs.expect(drive, drive.run(cdbs.tur()), 0x6, 0x29, 0x00)
    cdbs.expect(drive, drive.run(cdbs.tur()), 0x2, 0x3A, 0x00)
    library.insert(library.add_cartridge())
    cdbs.expect(drive, drive.run(cdbs.tur()), 0x6, 0x28, 0x00)
    drive.good(cdbs.tur())
    assert drive.position() == cdbs.LongPosition(bop=True, eop=False, partition=0, object=0, file=0)
    drive.t.close()


def test_inquiry_identifies_an_ibm_ult3580_hh9(tape: Tape) -> None:
    data = tape.good(cdbs.inquiry(96), length=96).data
    assert data[0] == 0x01 and data[1] == 0x80 and data[2] == 0x06 and data[3] == 0x12
    assert data[4] == 0x41 and data[5] == 0x01
    assert data[8:16] == b"IBM     " and data[16:32] == b"ULT3580-HH9     " and data[32:36] == b"Q9E9"
    pages = tape.good(cdbs.inquiry(64, page=0x00), length=64).data
    assert list(pages[4 : 4 + pages[3]]) == [0x00, 0x80, 0x83, 0xB0, 0xB2]
    serial = tape.good(cdbs.inquiry(64, page=0x80), length=64).data
    assert serial[3] == 10 and len(serial[4:]) == 10 and serial[4:].isalnum()
    ident = tape.good(cdbs.inquiry(255, page=0x83), length=255).data
    assert b"IBM     ULT3580-HH9     " + serial[4:] in ident
    worm = tape.good(cdbs.inquiry(64, page=0xB0), length=64).data
    assert worm[4] & 0x01


def test_unknown_opcode_and_invalid_field(tape: Tape) -> None:
    cdbs.expect(tape, tape.run(bytes([0xC5, 0, 0, 0, 0, 0])), 0x5, 0x20, 0x00)
    result = tape.run(bytes([0x12, 0, 0x80, 0, 96, 0]), length=96)  # page code without EVPD
    cdbs.expect(tape, result, 0x5, 0x24, 0x00)
    assert decode_sense(result.sense).specific == bytes([0xC0, 0x00, 0x02])  # SKSV, C/D, byte 2


def test_read_block_limits_reports_8_mib_minus_one(tape: Tape) -> None:
    data = tape.good(cdbs.read_block_limits(), length=6).data
    assert int.from_bytes(data[1:4], "big") == 8 * 1024 * 1024 - 1 and int.from_bytes(data[4:6], "big") == 1


def test_request_sense_returns_the_last_sense_once(tape: Tape) -> None:
    tape.run(cdbs.read6(512), length=512)  # blank tape: BLANK CHECK
    sense = decode_sense(tape.good(cdbs.request_sense(), length=252).data)
    assert sense.triple == (0x8, 0x00, 0x05) and sense.valid and sense.information == 512
    again = decode_sense(tape.good(cdbs.request_sense(), length=252).data)
    assert again.triple == (0x0, 0x00, 0x00)


# -- protection ----------------------------------------------------------------------------------------


def test_worm_overwrite_is_refused_with_tapealert(library: Library) -> None:
    tape = cdbs.mount(library, media="LZ")
    tape.write(b"w" * 100)
    tape.write(b"w" * 100)
    tape.good(cdbs.rewind())
    cdbs.expect(tape, tape.write(b"new"), 0x7, 0x30, 0x0C)
    cdbs.expect(tape, tape.run(cdbs.write_filemarks(1)), 0x7, 0x30, 0x0C)
    assert tape.position().object == 0
    alerts = cdbs.log_parameters(tape.good(cdbs.log_sense(0x2E), length=4096).data)
    assert alerts[0x3C] == b"\x01"
    tape.good(cdbs.space6(cdbs.END_OF_DATA, 0))
    tape.good(cdbs.write6(3), data=b"end")  # appending at end of data is allowed
    assert tape.position().object == 3
    header = tape.good(cdbs.mode_sense6(0x3F), length=255).data
    assert header[1] == 0x9C


def test_write_protect_tab_refuses_writes(library: Library) -> None:
    tape = cdbs.mount(library, write_protect=True)
    cdbs.expect(tape, tape.write(b"x"), 0x7, 0x27, 0x00)
    cdbs.expect(tape, tape.run(cdbs.write_filemarks(1)), 0x7, 0x27, 0x00)
    cdbs.expect(tape, tape.run(cdbs.erase()), 0x7, 0x27, 0x00)
    assert tape.position().object == 0
    header = tape.good(cdbs.mode_sense6(0x3F), length=255).data
    assert header[2] & 0x80  # WP in the device-specific byte


def test_no_cartridge_is_not_ready(library: Library) -> None:
    drive = Tape(EmulatedTransport(library.root, 0))
    drive.run(cdbs.tur())  # power-on attention
    for cdb, length in (
        (cdbs.tur(), 0),
        (cdbs.read6(10), 10),
        (cdbs.read_position(), 32),
        (cdbs.rewind(), 0),
    ):
        cdbs.expect(drive, drive.run(cdb, length=length), 0x2, 0x3A, 0x00)
    drive.good(cdbs.inquiry(), length=255)  # no medium needed
    drive.t.close()


# -- loading, unloading, prevent ---------------------------------------------------------------------


def test_prevent_blocks_unload_until_allowed(library: Library, tape: Tape) -> None:
    tape.write(b"data")
    tape.good(cdbs.prevent(True))
    cdbs.expect(tape, tape.run(cdbs.unload()), 0x5, 0x53, 0x02)
    with pytest.raises(Exception, match="禁止取出"):
        library.eject(library.status().drives[0].barcode or "")
    tape.good(cdbs.prevent(False))
    tape.good(cdbs.unload())
    cdbs.expect(tape, tape.run(cdbs.tur()), 0x2, 0x04, 0x02)
    cdbs.expect(tape, tape.run(cdbs.read_position(), length=32), 0x2, 0x04, 0x02)
    tape.good(cdbs.load())
    tape.good(cdbs.tur())  # a LOAD the host sent raises no unit attention
    assert tape.position().bop
    tape.good(cdbs.unload())
    library.eject(library.status().drives[0].barcode or "")
    cdbs.expect(tape, tape.run(cdbs.tur()), 0x2, 0x3A, 0x00)
    cdbs.expect(tape, tape.run(cdbs.load()), 0x2, 0x3A, 0x00)


def test_first_load_of_a_new_lto9_cartridge_is_optimised(library: Library) -> None:
    barcode = library.add_cartridge(first_load_seconds=0.5)
    drive = Tape(EmulatedTransport(library.root, 0))
    drive.run(cdbs.tur())  # power-on attention
    library.insert(barcode)
    cdbs.expect(drive, drive.run(cdbs.tur()), 0x2, 0x04, 0x01)
    cdbs.expect(drive, drive.run(cdbs.read_position(), length=32), 0x2, 0x04, 0x01)
    cdbs.expect(drive, drive.run(cdbs.unload()), 0x2, 0x04, 0x01)  # calibration cannot be interrupted
    time.sleep(0.55)
    cdbs.expect(drive, drive.run(cdbs.tur()), 0x6, 0x28, 0x00)
    drive.good(cdbs.tur())
    drive.good(cdbs.unload())
    drive.good(cdbs.load())  # optimised once, for good
    drive.good(cdbs.tur())
    drive.t.close()


def test_the_optimisation_reports_how_far_it_is_a_plain_load_does_not(library: Library) -> None:
    slow = library.add_cartridge(first_load_seconds=3600)  # long enough that it never ends in the test
    drive = Tape(EmulatedTransport(library.root, 0))
    drive.run(cdbs.tur())
    library.insert(slow)
    first = drive.sense(drive.run(cdbs.tur()))
    assert (first.key, first.asc, first.ascq) == (0x2, 0x04, 0x01)
    assert first.specific[0] & 0x80  # SKSV: a progress indication, as SPC allows with NOT READY
    asked = decode_sense(drive.good(cdbs.request_sense(), length=252).data)
    assert (asked.key, asked.asc, asked.ascq) == (0x2, 0x04, 0x01) and asked.specific[0] & 0x80
    assert int.from_bytes(first.specific[1:3], "big") <= int.from_bytes(asked.specific[1:3], "big")  # it only grows
    assert library.status().drives[0].medium == "optimising"
    drive.t.close()


def test_load_waits_for_the_optimisation(library: Library) -> None:
    barcode = library.add_cartridge(first_load_seconds=0.4)
    drive = Tape(EmulatedTransport(library.root, 0))
    drive.run(cdbs.tur())
    library.insert(barcode)
    started = time.monotonic()
    drive.good(cdbs.load())
    assert time.monotonic() - started >= 0.3
    cdbs.expect(drive, drive.run(cdbs.tur()), 0x6, 0x28, 0x00)
    drive.good(cdbs.tur())
    drive.t.close()


def test_other_media_in_an_lto9_drive(library: Library) -> None:
    lto7 = mount_unsettled(library, "L7")
    cdbs.expect(lto7, lto7.run(cdbs.tur()), 0x3, 0x30, 0x00)
    lto7.good(cdbs.unload())
    library.eject(library.status().drives[0].barcode or "")
    cleaner = mount_unsettled(library, "CU")
    cdbs.expect(cleaner, cleaner.run(cdbs.tur()), 0x2, 0x30, 0x03)
    cleaner.good(cdbs.unload())
    library.eject(library.status().drives[0].barcode or "")
    lto8 = cdbs.mount(library, "L8")
    header = lto8.good(cdbs.mode_sense10(0x3F), length=1024).data
    assert header[2] == 0x88 and header[8] == 0x5E  # medium type, density in the block descriptor
    density = lto8.good(cdbs.report_density(media=True), length=1024).data
    assert density[4] == 0x5E


def mount_unsettled(library: Library, media: str) -> Tape:
    library.insert(library.add_cartridge(media=media))
    drive = Tape(EmulatedTransport(library.root, 0))
    while drive.run(cdbs.tur()).sense[2:3] == b"\x06":
        pass
    return drive


# -- mode pages -------------------------------------------------------------------------------------


def test_mode_sense_and_echoed_select(tape: Tape) -> None:
    data = tape.good(cdbs.mode_sense10(0x3F), length=1024).data
    assert data[2] == 0x98 and data[3] & 0x10 and int.from_bytes(data[6:8], "big") == 8
    assert data[8] == 0x60 and data[13:16] == b"\x00\x00\x00"  # LTO-9 density, variable blocks
    echoed = bytes(2) + data[2:]  # MODE DATA LENGTH is reserved in MODE SELECT
    tape.good(cdbs.mode_select10(len(echoed)), data=echoed)


def test_mode_select_compression_and_refusals(tape: Tape) -> None:
    page = tape.good(cdbs.mode_sense6(0x0F, dbd=True), length=255).data
    assert page[4] == 0x0F and page[6] & 0x80  # DCE on by default
    changed = bytearray(bytes(4) + page[4:])
    changed[6] &= 0x7F
    tape.good(cdbs.mode_select6(len(changed)), data=bytes(changed))
    assert not tape.good(cdbs.mode_sense6(0x0F, dbd=True), length=255).data[6] & 0x80
    unknown = bytes(4) + bytes([0x25, 0x02, 0, 0])
    cdbs.expect(tape, tape.run(cdbs.mode_select6(len(unknown)), data=unknown), 0x5, 0x26, 0x00)
    fixed = bytearray(changed)
    fixed[7] |= 0x01  # DDE's neighbour RED — not changeable
    cdbs.expect(tape, tape.run(cdbs.mode_select6(len(fixed)), data=bytes(fixed)), 0x5, 0x26, 0x00)
    cdbs.expect(tape, tape.run(cdbs.mode_sense6(0x2A), length=255), 0x5, 0x24, 0x00)


def test_block_descriptor_selects_fixed_and_variable_mode(tape: Tape) -> None:
    cdbs.select_block_length(tape, 1024)
    data = tape.good(cdbs.mode_sense6(0x10), length=255).data
    assert int.from_bytes(data[9:12], "big") == 1024
    tape.good(cdbs.write6(2, fixed=True), data=bytes(2048))
    cdbs.select_block_length(tape, 0)
    tape.good(cdbs.rewind())
    assert len(tape.good(cdbs.read6(1024), length=1024).data) == 1024


# -- log pages and cartridge memory ------------------------------------------------------------------


def test_log_pages(tape: Tape) -> None:
    tape.write(b"x" * 4096)
    supported = tape.good(cdbs.log_sense(0x00), length=255).data
    assert set(supported[4:]) >= {0x00, 0x0C, 0x17, 0x2E, 0x31}
    seq = cdbs.log_parameters(tape.good(cdbs.log_sense(0x0C), length=4096).data)
    assert int.from_bytes(seq[0], "big") == 4096 and int.from_bytes(seq[1], "big") == 4096
    volume = cdbs.log_parameters(tape.good(cdbs.log_sense(0x17), length=4096).data)
    assert volume[0x202][:4] == bytes([7, 0, 0, 0]) and int.from_bytes(volume[0x202][4:8], "big") == 1
    capacity = cdbs.log_parameters(tape.good(cdbs.log_sense(0x31), length=4096).data)
    assert int.from_bytes(capacity[3], "big") == 1  # 1 MiB partition 0
    cdbs.expect(tape, tape.run(cdbs.log_sense(0x3A), length=255), 0x5, 0x24, 0x00)


def test_tapealert_page_is_read_clear(library: Library) -> None:
    tape = cdbs.mount(library, write_protect=True)
    tape.write(b"x")
    first = cdbs.log_parameters(tape.good(cdbs.log_sense(0x2E), length=4096).data)
    assert first[0x09] == b"\x01" and len(first) == 64
    second = cdbs.log_parameters(tape.good(cdbs.log_sense(0x2E), length=4096).data)
    assert second[0x09] == b"\x00"


def attribute_list(*items: tuple[int, int, bytes]) -> bytes:
    body = b"".join(
        aid.to_bytes(2, "big") + bytes([fmt]) + len(v).to_bytes(2, "big") + v for aid, fmt, v in items
    )
    return len(body).to_bytes(4, "big") + body


def test_host_attributes_are_written_and_read_back(tape: Tape) -> None:
    payload = attribute_list((0x0800, 1, b"TAF     "), (0x0806, 1, b"TAF001L9".ljust(32)))
    tape.good(cdbs.write_attribute(len(payload)), data=payload)
    data = tape.good(cdbs.read_attribute(0x0806), length=4096).data
    assert data[4:6] == b"\x08\x06" and data[6] == 0x01 and data[9:17] == b"TAF001L9"
    vendor = tape.good(cdbs.read_attribute(0x0800), length=4096).data
    assert vendor[9:17] == b"TAF     "


def test_read_only_attributes_refuse_writes(tape: Tape) -> None:
    for item in ((0x0003, 0, bytes(8)), (0x0401, 1, b" " * 32)):
        payload = attribute_list(item)
        cdbs.expect(tape, tape.run(cdbs.write_attribute(len(payload)), data=payload), 0x5, 0x26, 0x00)
    bad_length = attribute_list((0x0800, 1, b"TOO LONG VENDOR"))
    cdbs.expect(tape, tape.run(cdbs.write_attribute(len(bad_length)), data=bad_length), 0x5, 0x26, 0x00)
    cdbs.expect(tape, tape.run(cdbs.read_attribute(0x0803), length=4096), 0x5, 0x24, 0x00)  # never written


def test_load_count_and_capacity_attributes(tape: Tape) -> None:
    def load_count() -> int:
        return int.from_bytes(tape.good(cdbs.read_attribute(0x0003), length=4096).data[9:17], "big")

    first = load_count()
    tape.good(cdbs.unload())
    tape.good(cdbs.load())
    assert load_count() == first + 1
    data = tape.good(cdbs.read_attribute(0x0000), length=4096).data
    assert int.from_bytes(data[9:17], "big") == 1 and data[4:6] == b"\x00\x00"  # 1 MiB remaining
    medium_type = tape.good(cdbs.read_attribute(0x0408), length=4096).data
    assert medium_type[4:6] == b"\x04\x08" and medium_type[6] & 0x80 and medium_type[9] == 0x00


def test_report_supported_opcodes_with_timeouts(tape: Tape) -> None:
    data = tape.good(cdbs.report_opcodes(rctd=True), length=8192).data
    size = int.from_bytes(data[0:4], "big")
    opcodes = {data[4 + i] for i in range(0, size, 20)}
    assert {0x00, 0x08, 0x0A, 0x10, 0x11, 0x12, 0x1B, 0x34, 0x92, 0x8C} <= opcodes
    one = tape.good(cdbs.report_opcodes(rctd=True, option=1, opcode=0x1B), length=64).data
    assert one[1] & 0x07 == 0x03 and int.from_bytes(one[4 + 6 + 8 : 4 + 6 + 12], "big") == 7920


def test_report_density_support_lists_lto9_and_lto8(tape: Tape) -> None:
    data = tape.good(cdbs.report_density(), length=1024).data
    assert int.from_bytes(data[0:2], "big") == 2 + 2 * 52
    assert (data[4], data[56]) == (0x60, 0x5E) and data[6] & 0x20  # LTO-9 is the default


def test_attribute_lists_and_other_reports(tape: Tape) -> None:
    listed = tape.good(cdbs.read_attribute(0, action=0x01), length=4096).data
    ids = [
        int.from_bytes(listed[i : i + 2], "big") for i in range(4, 4 + int.from_bytes(listed[0:4], "big"), 2)
    ]
    assert {0x0000, 0x0001, 0x0003, 0x0401, 0x0408} <= set(ids)
    supported = tape.good(cdbs.read_attribute(0, action=0x05), length=4096).data
    assert b"\x08\x06" in supported[4:]  # the barcode host attribute can be written
    types = tape.good(cdbs.report_density(medium_type=True), length=1024).data
    assert [types[4 + 56 * i] for i in range(4)] == [0x98, 0x9C, 0x88, 0x8C]
    luns = tape.good(cdbs.report_luns(), length=256).data
    assert luns[:4] == b"\x00\x00\x00\x08" and luns[8:16] == bytes(8)
    cdbs.expect(tape, tape.run(bytes([0x1B, 0, 0, 0, 0x05, 0])), 0x5, 0x24, 0x00)  # LOAD with EOT
    limits = tape.good(cdbs.read_block_limits(mloi=True), length=20).data
    assert len(limits) == 20 and limits[12:20] == (0xFFFFFFFF).to_bytes(8, "big")
