"""The emulated library: changer commands (SMC-3) and the management API."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tape.emulator import Library, LibraryError
from tape.transport import DeviceNotFound
from tape.transports.emulated import EmulatedTransport
from tests.tape import cdbs
from tests.tape.cdbs import Tape, decode_sense

TRANSPORT, IE, DRIVE, SLOT = 0x0001, 0x0010, 0x0100, 0x1000


@pytest.fixture
def library(tmp_path) -> Iterator[Library]:
    lib = Library.create(tmp_path / "vtl", drives=2, slots=6, capacity=4 << 20)
    yield lib
    lib.close()


@pytest.fixture
def changer(library: Library) -> Iterator[Tape]:
    robot = Tape(EmulatedTransport(library.root, changer=True))
    robot.settle()
    yield robot
    robot.t.close()


@dataclass(frozen=True)
class ElementView:
    kind: int
    address: int
    full: bool
    flags: int
    source: int | None
    barcode: str
    identifier: bytes


def element_status(
    robot: Tape, *, element_type: int = 0, dvcid: bool = False, start: int = 0
) -> list[ElementView]:
    data = robot.good(cdbs.read_element_status(element_type, dvcid=dvcid, start=start), length=0xFFFF).data
    total = int.from_bytes(data[5:8], "big")
    assert len(data) == 8 + total
    out = []
    at = 8
    while at < len(data):
        kind, voltag, size = data[at], data[at + 1] & 0x80, int.from_bytes(data[at + 2 : at + 4], "big")
        count = int.from_bytes(data[at + 5 : at + 8], "big") // size
        at += 8
        for _ in range(count):
            d = data[at : at + size]
            tail = 12 + (36 if voltag else 0)
            ident = d[tail + 4 : tail + 4 + d[tail + 3]]
            out.append(
                ElementView(
                    kind,
                    int.from_bytes(d[0:2], "big"),
                    bool(d[2] & 1),
                    d[2],
                    int.from_bytes(d[10:12], "big") if d[9] & 0x80 else None,
                    d[12:44].decode().strip() if voltag else "",
                    ident,
                )
            )
            at += size
    return out


def by_address(robot: Tape) -> dict[int, ElementView]:
    return {e.address: e for e in element_status(robot)}


# -- SCSI face ----------------------------------------------------------------------------------------


def test_changer_identifies_as_a_medium_changer(changer: Tape) -> None:
    data = changer.good(cdbs.inquiry(96), length=96).data
    assert data[0] == 0x08 and data[8:16] == b"IBM     " and data[16:32] == b"3573-TL         "
    serial = changer.good(cdbs.inquiry(64, page=0x80), length=64).data
    assert len(serial[4:]) == serial[3] == 10


def test_element_status_lists_every_type_with_barcodes(changer: Tape) -> None:
    elements = element_status(changer)
    assert [e.kind for e in elements] == [1, 3, 4, 4, 2, 2, 2, 2, 2, 2]
    assert [e.address for e in elements] == [TRANSPORT, IE, DRIVE, DRIVE + 1] + [SLOT + i for i in range(6)]
    slots = [e for e in elements if e.kind == 2]
    assert [e.barcode for e in slots] == [f"TAF00{i}L9" for i in range(1, 7)]
    assert all(e.full and e.flags & 0x08 for e in slots)
    assert not any(e.full for e in elements if e.kind != 2)
    only_drives = element_status(changer, element_type=4)
    assert [e.address for e in only_drives] == [DRIVE, DRIVE + 1]


def test_dvcid_carries_the_drive_serial_of_vpd_80(library: Library, changer: Tape) -> None:
    drives = element_status(changer, element_type=4, dvcid=True)
    for index, element in enumerate(drives):
        drive = Tape(EmulatedTransport(library.root, index))
        serial = drive.good(cdbs.inquiry(64, page=0x80), length=64).data[4:]
        assert element.identifier == b"IBM     " + b"ULT3580-HH9     " + serial
        drive.t.close()


def test_move_medium_into_a_drive_loads_it(library: Library, changer: Tape) -> None:
    drive = Tape(EmulatedTransport(library.root, 0))
    drive.run(cdbs.tur())  # power-on attention
    changer.good(cdbs.move_medium(SLOT + 2, DRIVE))
    expect = decode_sense(drive.run(cdbs.tur()).sense)
    assert expect.triple == (0x6, 0x28, 0x00)
    drive.good(cdbs.tur())
    state = by_address(changer)
    assert state[DRIVE].full and state[DRIVE].barcode == "TAF003L9" and state[DRIVE].source == SLOT + 2
    assert not state[SLOT + 2].full
    drive.good(cdbs.write6(4), data=b"data")
    changer.good(cdbs.move_medium(DRIVE, SLOT + 2))  # the library unloads the drive first
    assert decode_sense(drive.run(cdbs.tur()).sense).triple == (0x2, 0x3A, 0x00)
    assert by_address(changer)[SLOT + 2].barcode == "TAF003L9"
    drive.t.close()


def test_move_medium_errors(library: Library, changer: Tape) -> None:
    changer.good(cdbs.move_medium(SLOT, DRIVE))
    cases = [
        (cdbs.move_medium(IE, SLOT), (0x5, 0x3B, 0x0E)),  # source empty
        (cdbs.move_medium(SLOT + 1, DRIVE), (0x5, 0x3B, 0x0D)),  # destination full
        (cdbs.move_medium(0x0999, SLOT), (0x5, 0x21, 0x01)),  # no such element
        (cdbs.move_medium(SLOT + 1, IE, transport=0x0777), (0x5, 0x21, 0x01)),
    ]
    for cdb, triple in cases:
        assert changer.sense(changer.run(cdb)).triple == triple


def test_drive_prevent_blocks_the_robot(library: Library, changer: Tape) -> None:
    changer.good(cdbs.move_medium(SLOT, DRIVE + 1))
    drive = Tape(EmulatedTransport(library.root, 1))
    drive.settle()
    drive.good(cdbs.prevent(True))
    assert changer.sense(changer.run(cdbs.move_medium(DRIVE + 1, SLOT))).triple == (0x5, 0x53, 0x02)
    drive.good(cdbs.prevent(False))
    changer.good(cdbs.move_medium(DRIVE + 1, SLOT))
    drive.t.close()


def test_import_export_slot_and_its_unit_attention(library: Library, changer: Tape) -> None:
    barcode = library.add_cartridge()
    assert library.insert(barcode) == "导入/导出口 1"
    assert changer.sense(changer.run(cdbs.tur())).triple == (0x6, 0x28, 0x01)
    changer.good(cdbs.tur())
    ie = by_address(changer)[IE]
    assert ie.full and ie.barcode == barcode and ie.flags & 0x02  # IMPEXP: put there by the operator
    assert changer.sense(changer.run(cdbs.move_medium(SLOT, IE))).triple == (0x5, 0x3B, 0x0D)
    library.eject(barcode)
    assert changer.sense(changer.run(cdbs.tur())).triple == (0x6, 0x28, 0x01)
    assert library.cartridge(barcode).location == "库外"
    changer.good(cdbs.move_medium(SLOT, IE))  # export by the robot: IMPEXP stays clear
    exported = by_address(changer)[IE]
    assert exported.barcode == "TAF001L9" and not exported.flags & 0x02 and exported.source == SLOT
    library.eject("TAF001L9")
    assert library.cartridge("TAF001L9").location == "库外"


def test_prevent_on_the_changer_locks_the_import_export_slot(library: Library, changer: Tape) -> None:
    library.insert(library.add_cartridge())
    changer.settle()
    changer.good(cdbs.prevent(True))
    with pytest.raises(LibraryError, match="导入/导出口已被主机锁定"):
        library.eject("TAF007L9")
    with pytest.raises(LibraryError, match="导入/导出口已被主机锁定"):
        library.insert(library.add_cartridge())
    changer.good(cdbs.prevent(False))
    library.eject("TAF007L9")


def test_initialize_element_status_and_element_address_page(changer: Tape) -> None:
    changer.good(cdbs.initialize_element_status())
    page = changer.good(cdbs.mode_sense6(0x1D, dbd=True), length=255).data[4:]
    assert page[0] == 0x1D
    fields = [int.from_bytes(page[i : i + 2], "big") for i in range(2, 18, 2)]
    assert fields == [TRANSPORT, 1, SLOT, 6, IE, 1, DRIVE, 2]


# -- management API ---------------------------------------------------------------------------------


def test_devices_and_status(library: Library) -> None:
    devices = library.devices()
    assert [(d.kind, d.index, d.product) for d in devices] == [
        ("drive", 0, "ULT3580-HH9"),
        ("drive", 1, "ULT3580-HH9"),
        ("changer", -1, "3573-TL"),
    ]
    assert len({d.serial for d in devices}) == 3 and all(len(d.serial) == 10 for d in devices)
    status = library.status()
    assert status.changer and [s.barcode for s in status.slots] == [f"TAF00{i}L9" for i in range(1, 7)]
    info = library.cartridge("TAF001L9")
    assert info.capacity == 4 << 20 and info.location == "槽位 1" and info.media == "L9"


def test_management_errors_are_explained_in_chinese(library: Library) -> None:
    with pytest.raises(LibraryError, match="未知的磁带条码：NOPE01"):
        library.insert("NOPE01")
    with pytest.raises(LibraryError, match="已在库中"):
        library.insert("TAF001L9")
    with pytest.raises(LibraryError, match="不在库中"):
        library.eject(library.add_cartridge())
    library.insert(library.add_cartridge(), drive=0)
    with pytest.raises(LibraryError, match="驱动器 0 中已有磁带 TAF008L9"):
        library.insert(library.add_cartridge(), drive=0)
    library.eject("TAF001L9")
    library.insert("TAF001L9", slot=1)
    with pytest.raises(LibraryError, match="槽位 1 中已有磁带"):
        library.insert(library.add_cartridge(), slot=1)
    with pytest.raises(LibraryError, match="没有编号为 9 的驱动器"):
        library.insert(library.add_cartridge(), drive=9)
    with pytest.raises(LibraryError, match="不支持的介质类型"):
        library.add_cartridge(media="L5")
    with pytest.raises(LibraryError, match="已存在"):
        Library.create(library.root)


def test_standalone_drive_has_no_changer(tmp_path) -> None:
    with Library.create(tmp_path / "solo", drives=1, slots=0, capacity=1 << 20) as lib:
        assert [d.kind for d in lib.devices()] == ["drive"]
        with pytest.raises(DeviceNotFound):
            EmulatedTransport(lib.root, changer=True)
        with pytest.raises(DeviceNotFound):
            EmulatedTransport(lib.root, 1)
        assert lib.status().shelf == ("TAF001L9", "TAF002L9", "TAF003L9")
        assert lib.insert("TAF002L9") == "驱动器 0"
        drive = Tape(EmulatedTransport(lib.root, 0))
        drive.settle()
        drive.good(cdbs.unload())
        lib.eject("TAF002L9")
        assert decode_sense(drive.run(cdbs.tur()).sense).triple == (0x2, 0x3A, 0x00)
        drive.t.close()


def test_write_protect_and_power_cycle(library: Library) -> None:
    library.insert(library.add_cartridge(), drive=0)
    drive = Tape(EmulatedTransport(library.root, 0))
    drive.settle()
    drive.good(cdbs.write6(3), data=b"abc")
    drive.good(cdbs.prevent(True))
    barcode = library.status().drives[0].barcode or ""
    library.set_write_protect(barcode)
    assert drive.sense(drive.write(b"x")).triple == (0x7, 0x27, 0x00)
    library.set_write_protect(barcode, False)
    library.power_cycle(0)
    assert drive.sense(drive.run(cdbs.tur())).triple == (0x6, 0x29, 0x00)
    drive.good(cdbs.tur())
    assert drive.position().bop
    drive.good(cdbs.unload())  # prevent was reset by the power cycle
    drive.t.close()


def test_changer_reports_and_mode_select(changer: Tape) -> None:
    assert changer.sense(changer.run(cdbs.move_medium(IE, SLOT))).triple == (0x5, 0x3B, 0x0E)
    last = decode_sense(changer.good(cdbs.request_sense(), length=252).data)
    assert last.triple == (0x5, 0x3B, 0x0E)
    assert decode_sense(changer.good(cdbs.request_sense(), length=252).data).triple == (0x0, 0x00, 0x00)
    opcodes = changer.good(cdbs.report_opcodes(), length=4096).data
    listed = {opcodes[4 + i] for i in range(0, int.from_bytes(opcodes[0:4], "big"), 8)}
    assert {0x07, 0xA5, 0xB8, 0x12} <= listed
    assert changer.good(cdbs.report_luns(), length=256).data[:4] == b"\x00\x00\x00\x08"
    sensed = changer.good(cdbs.mode_sense10(0x1D, dbd=True), length=255).data
    page = sensed[8:]
    echoed = bytes(8) + page
    changer.good(cdbs.mode_select10(len(echoed)), data=echoed)
    altered = bytearray(echoed)
    altered[8 + 5] ^= 0x01
    assert changer.sense(changer.run(cdbs.mode_select10(len(altered)), data=bytes(altered))).triple == (
        0x5,
        0x26,
        0x00,
    )
    assert changer.sense(changer.run(bytes([0xA6] + [0] * 11))).triple == (
        0x5,
        0x20,
        0x00,
    )  # no EXCHANGE MEDIUM
