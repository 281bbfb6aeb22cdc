"""The emulated library's operator side: create it, look inside, put cartridges in and take them
out, flip write-protect tabs, inject and clear faults.

These are the acts of hands, not of SCSI. When a cartridge the ledger already knows is put in or
taken out, its new place is recorded (Cartridge.Moved, as a location code of
`ledger.rules.locations`) so the inventory stays true; unknown cartridges are registered when a
drive first sees them. Every place and drive state comes back in the operator's words too.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ledger.application import Ledger
from ledger.rules import locations
from media.errors import NotFound, Refused
from media.words import medium_text
from tape.emulator import FAULT_KINDS, Library, LibraryError
from tape.emulator.faults import Fault
from tape.emulator.library_state import LIBRARY_FILE
from tape.emulator.library_views import CartridgeInfo, LibraryStatus, SlotStatus


@dataclass(frozen=True)
class VtlDrive:
    index: int
    device: str  # the device name that opens it: emulated:0
    serial: str
    barcode: str | None
    medium: str  # empty, loading, optimising, ready or unloaded
    medium_text: str  # the same in words: 无磁带, 介质优化中 …
    position: int  # logical object number


@dataclass(frozen=True)
class VtlCartridge(CartridgeInfo):
    """A cartridge of the library as the emulator describes it, with `location` as the ledger's code
    (slot:3, ie:1, drive:emulated:0, shelf) and `location_text` the same in words (槽位 3 …)."""

    location_text: str = ""


@dataclass(frozen=True)
class LibraryView:
    """Everything in the library: drives, slots, import/export slots, the shelf, cartridges, faults."""

    root: Path
    changer: bool  # False: a standalone drive
    drives: tuple[VtlDrive, ...]
    slots: tuple[SlotStatus, ...]
    ie_slots: tuple[SlotStatus, ...]
    shelf: tuple[str, ...]  # cartridges outside the library
    cartridges: tuple[VtlCartridge, ...]
    faults: tuple[Fault, ...]
    first_load_seconds: float  # media optimisation of a new LTO-9 cartridge's first load


@dataclass(frozen=True)
class Inserted:
    barcode: str
    location: str  # a location code: ie:1, slot:3, drive:emulated:0
    where: str  # in the operator's words: 导入/导出口 1, 槽位 3, 驱动器 emulated:0
    created: bool  # a barcode the library had never seen: a new cartridge


@dataclass(frozen=True)
class Ejected:
    ejected: list[str]


@dataclass(frozen=True)
class Protected:
    barcode: str
    write_protect: bool


@dataclass(frozen=True)
class FaultSet:
    fault: Fault


@dataclass(frozen=True)
class FaultsCleared:
    removed: int


@dataclass(frozen=True)
class FaultList:
    faults: list[Fault]
    kinds: list[str]  # every kind that can be injected


def library_exists(root: Path) -> bool:
    return (root / LIBRARY_FILE).exists()


def open_library(root: Path) -> Library:
    if not library_exists(root):
        raise NotFound(f"找不到模拟磁带库：{root}", "请先执行 vtl create 创建（或执行任意 drive 命令自动创建）")
    return Library.open(root)


def create(root: Path, devices: str, *, drives: int, slots: int, capacity: int, early_warning_pct: float,
           first_load_seconds: float) -> LibraryView:
    """A new library; `devices` is the device name its drives go by, less the number (`emulated`)."""
    if library_exists(root):
        raise Refused(f"模拟磁带库已存在：{root}", "如需重建请先删除该目录")
    try:
        with Library.create(root, drives=drives, slots=slots, capacity=capacity, early_warning_pct=early_warning_pct,
                            first_load_seconds=first_load_seconds) as library:
            return describe(library, devices)
    except LibraryError as error:
        raise Refused(str(error)) from error


def _places(status: LibraryStatus, devices: str) -> dict[str, str]:
    """Every cartridge inside the library and its location code."""
    places = {d.barcode: locations.drive(f"{devices}:{d.index}") for d in status.drives if d.barcode}
    places.update((s.barcode, locations.slot(s.number)) for s in status.slots if s.barcode)
    places.update((s.barcode, locations.ie_slot(s.number)) for s in status.ie_slots if s.barcode)
    return places


def describe(library: Library, devices: str) -> LibraryView:
    status = library.status()
    places = _places(status, devices)
    drives = tuple(VtlDrive(d.index, f"{devices}:{d.index}", d.serial, d.barcode, d.medium,
                            medium_text(d.medium) or d.medium, d.position) for d in status.drives)
    cartridges = []
    for info in library.cartridges():
        place = places.get(info.barcode, locations.SHELF)
        cartridges.append(VtlCartridge(**{**asdict(info), "location": place}, location_text=locations.location_text(place)))
    return LibraryView(status.root, status.changer, drives, status.slots, status.ie_slots, status.shelf,
                       tuple(cartridges), status.faults, status.first_load_seconds)


def listing(root: Path, devices: str) -> LibraryView:
    with open_library(root) as library:
        return describe(library, devices)


def insert(root: Path, devices: str, ledger: Ledger, barcode: str, *, by: str, slot: int | None = None,
           drive: int | None = None, media: str | None = None, write_protect: bool = False) -> Inserted:
    """Put a cartridge into the library; a barcode the library has never seen is a new cartridge."""
    code = barcode.strip().upper()
    with open_library(root) as library:
        try:
            created = False
            if code not in {c.barcode for c in library.cartridges()}:
                library.add_cartridge(code, media=media, write_protect=write_protect)
                created = True
            elif write_protect:
                library.set_write_protect(code, True)
            library.insert(code, slot=slot, drive=drive)
            place = _places(library.status(), devices).get(code, locations.SHELF)
        except LibraryError as error:
            raise Refused(str(error)) from error
    ledger.move_cartridge(code, place, by)
    return Inserted(code, place, locations.location_text(place), created)


def eject(root: Path, ledger: Ledger, barcode: str | None, *, by: str) -> Ejected:
    """Take a cartridge out; without a barcode, whatever waits in the import/export slots
    (or, for a standalone drive, the cartridge in the drive)."""
    with open_library(root) as library:
        status = library.status()
        if barcode:
            codes = [barcode.strip().upper()]
            if codes[0] not in {c.barcode for c in library.cartridges()}:
                raise NotFound(f"模拟库中没有条码为 {codes[0]} 的磁带", "请用 vtl list 查看")
        elif status.changer:
            codes = [s.barcode for s in status.ie_slots if s.barcode]
        else:
            codes = [d.barcode for d in status.drives if d.barcode]
        if not codes:
            raise Refused("没有可以取出的磁带", "请指定条码，或先用 drive unload / 带库导出把磁带放到导入/导出口")
        try:
            for code in codes:
                library.eject(code)
        except LibraryError as error:
            raise Refused(str(error)) from error
    for code in codes:
        ledger.move_cartridge(code, locations.SHELF, by)
    return Ejected(codes)


def protect(root: Path, barcode: str, protected: bool) -> Protected:
    code = barcode.strip().upper()
    with open_library(root) as library:
        try:
            library.set_write_protect(code, protected)
        except LibraryError as error:
            raise NotFound(str(error)) from error
    return Protected(code, protected)


def set_fault(root: Path, kind: str, **options: Any) -> FaultSet:
    if kind not in FAULT_KINDS:
        raise Refused(f"未知的故障类型：{kind}", f"可用：{'、'.join(FAULT_KINDS)}")
    with open_library(root) as library:
        try:
            fault = library.set_fault(kind, **{k: v for k, v in options.items() if v is not None})
        except LibraryError as error:
            raise Refused(str(error)) from error
    return FaultSet(fault)


def clear_faults(root: Path, *, kind: str | None = None, drive: int | None = None) -> FaultsCleared:
    if kind is not None and kind not in FAULT_KINDS:
        raise Refused(f"未知的故障类型：{kind}", f"可用：{'、'.join(FAULT_KINDS)}")
    with open_library(root) as library:
        removed = library.clear_faults(kind=kind, drive=drive)
    return FaultsCleared(removed)


def list_faults(root: Path) -> FaultList:
    with open_library(root) as library:
        return FaultList(library.faults(), list(FAULT_KINDS))
