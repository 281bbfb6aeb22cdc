"""The Changer API over the emulated library: inventory, load by barcode, unload home, import/export."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tape.changer import Changer, ChangerError
from tape.drive import Drive
from tape.drive_types import ReadyKind, ReadyState
from tape.emulator import Library
from tape.scsi import mam as m
from tape.transports.emulated import EmulatedTransport
from tests.tape.conftest import FAST


@pytest.fixture
def robot(tmp_path: Path) -> Iterator[Library]:
    lib = Library.create(tmp_path / "vtl", drives=2, slots=4, cartridges=3, capacity=1 << 20)
    yield lib
    lib.close()


def parts(lib: Library, index: int = 1) -> tuple[Changer, Drive]:
    return (Changer(EmulatedTransport(lib.root, changer=True), policy=FAST),
            Drive(EmulatedTransport(lib.root, index), policy=FAST))


def test_inventory_lists_elements_and_maps_drives_by_serial(robot: Library) -> None:
    changer, drive = parts(robot)
    inventory = changer.inventory()
    assert [e.barcode for e in inventory.slots] == ["TAF001L9", "TAF002L9", "TAF003L9", None]
    assert len(inventory.drives) == 2 and len(inventory.ie_slots) == 1
    element = changer.drive_element(drive, inventory)
    assert element.device_serial == drive.identify().serial == robot.devices()[1].serial
    assert inventory.describe(element) == "drive:1" and inventory.describe(inventory.slots[2]) == "slot:3"


def test_load_moves_waits_and_verifies_then_unload_returns_home(robot: Library) -> None:
    changer, drive = parts(robot)
    medium = changer.load("TAF002L9", drive)
    assert medium.barcode == "TAF002L9" and drive.medium is medium
    inventory = changer.inventory()
    assert inventory.drives[1].barcode == "TAF002L9" and inventory.slots[1].barcode is None
    home = changer.unload(drive)
    assert home is not None and changer.inventory().describe(home) == "slot:2"
    assert changer.inventory().slots[1].barcode == "TAF002L9" and drive.medium is None
    assert changer.unload(drive) is None  # nothing left to unload


def test_loading_another_cartridge_unloads_the_first(robot: Library) -> None:
    changer, drive = parts(robot)
    changer.load("TAF001L9", drive)
    changer.load("TAF003L9", drive)
    inventory = changer.inventory()
    assert inventory.drives[1].barcode == "TAF003L9" and inventory.slots[0].barcode == "TAF001L9"


def test_an_unknown_barcode_is_refused_before_anything_moves(robot: Library) -> None:
    changer, drive = parts(robot)
    with pytest.raises(ChangerError) as caught:
        changer.load("NOPE01L9", drive)
    assert "找不到条码为 NOPE01L9" in caught.value.message
    assert [e.full for e in changer.inventory().drives] == [False, False]


def test_a_cartridge_whose_memory_names_another_barcode_is_reported(robot: Library) -> None:
    changer, drive = parts(robot)
    changer.load("TAF001L9", drive)
    drive.write_attributes([m.Attribute.ascii(m.BARCODE, "TAF009L9")])
    changer.unload(drive)
    with pytest.raises(ChangerError) as caught:
        changer.load("TAF001L9", drive)
    assert "TAF009L9" in caught.value.message


def test_import_and_export_through_the_ie_slot(robot: Library) -> None:
    changer, _ = parts(robot)
    robot.add_cartridge("NEW001L9")
    robot.insert("NEW001L9")  # into the I/E slot: the changer reports 6/28/01 and carries on
    moved = changer.import_cartridges()
    assert [(code, changer.inventory().describe(slot)) for code, slot in moved] == [("NEW001L9", "slot:4")]
    destination = changer.export("TAF001L9")
    assert changer.inventory().describe(destination) == "ie:1"
    with pytest.raises(ChangerError):
        changer.export("TAF002L9")  # the I/E slot is full now


def test_a_first_load_through_the_robot_reports_media_optimisation(tmp_path: Path) -> None:
    lib = Library.create(tmp_path / "vtl", drives=1, slots=2, cartridges=1, capacity=1 << 20,
                         first_load_seconds=0.5)
    try:
        changer, drive = parts(lib, 0)
        states: list[ReadyState] = []
        changer.load("TAF001L9", drive, on_state=states.append)
        assert ReadyKind.OPTIMISING in {s.kind for s in states} and states[-1].kind is ReadyKind.READY
    finally:
        lib.close()


@pytest.fixture
def full(tmp_path: Path) -> Iterator[Library]:
    """A library whose storage slots are all taken, with one import/export slot and a foreign cartridge in it."""
    lib = Library.create(tmp_path / "full", drives=1, slots=2, cartridges=2, capacity=1 << 20)
    lib.add_cartridge("FOR001L9")
    lib.insert("FOR001L9")
    yield lib
    lib.close()


def test_a_cartridge_loaded_from_the_ie_slot_of_a_full_library_goes_back_there(full: Library) -> None:
    changer, drive = parts(full, 0)
    changer.load("FOR001L9", drive)
    assert changer.inventory().ie_slots[0].barcode is None
    back = changer.unload(drive)
    assert back is not None and changer.inventory().describe(back) == "ie:1"
    assert changer.inventory().ie_slots[0].barcode == "FOR001L9"
    changer.load("FOR001L9", drive)
    changer.load("TAF002L9", drive)  # the robot makes room the same way when it swaps
    inventory = changer.inventory()
    assert inventory.drives[0].barcode == "TAF002L9" and inventory.ie_slots[0].barcode == "FOR001L9"


def test_a_cartridge_whose_place_was_taken_goes_to_any_free_place(full: Library) -> None:
    changer, drive = parts(full, 0)
    changer.load("TAF001L9", drive)
    full.eject("FOR001L9")
    full.add_cartridge("NEW001L9")
    full.insert("NEW001L9", slot=1)  # someone used the empty slot meanwhile
    back = changer.unload(drive)
    assert back is not None and changer.inventory().describe(back) == "ie:1"  # the only free place left


def test_with_every_place_taken_the_cartridge_stays_in_the_drive(full: Library) -> None:
    changer, drive = parts(full, 0)
    changer.load("TAF001L9", drive)
    full.add_cartridge("NEW001L9")
    full.insert("NEW001L9", slot=1)
    full.add_cartridge("NEW002L9")
    full.eject("FOR001L9")
    full.insert("NEW002L9")  # the import/export slot too
    with pytest.raises(ChangerError) as caught:
        changer.unload(drive)
    assert "没有空槽位，导入/导出口也已占满" in caught.value.message
    assert changer.inventory().drives[0].barcode == "TAF001L9"
    assert drive.read_position().block == 0  # still threaded: nothing was done to it
