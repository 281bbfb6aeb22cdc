"""The emulated library's operator side: create it, look inside, put cartridges in and take them
out, flip write-protect tabs, inject and clear faults.

These are the acts of hands, not of SCSI. When a cartridge the ledger already knows is put in or
taken out, its new place is recorded (Cartridge.Moved) so the inventory stays true; unknown
cartridges are registered when a drive first sees them.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from ledger.application import Ledger
from ledger.domain import Cartridge
from media.errors import NotFound, Refused
from tape.emulator import FAULT_KINDS, Library, LibraryError
from tape.emulator.library_state import LIBRARY_FILE


def library_exists(root: Path) -> bool:
    return (root / LIBRARY_FILE).exists()


def open_library(root: Path) -> Library:
    if not library_exists(root):
        raise NotFound(f"找不到模拟磁带库：{root}", "请先执行 vtl create 创建（或执行任意 drive 命令自动创建）")
    return Library.open(root)


def create(root: Path, *, drives: int, slots: int, capacity: int, early_warning_pct: float) -> dict[str, Any]:
    if library_exists(root):
        raise Refused(f"模拟磁带库已存在：{root}", "如需重建请先删除该目录")
    try:
        with Library.create(root, drives=drives, slots=slots, capacity=capacity,
                            early_warning_pct=early_warning_pct) as library:
            return {"ok": True, **describe(library)}
    except LibraryError as error:
        raise Refused(str(error)) from error


def describe(library: Library) -> dict[str, Any]:
    status = library.status()
    cartridges = {c.barcode: c for c in library.cartridges()}
    return {
        "root": str(status.root),
        "changer": status.changer,
        "drives": [asdict(d) for d in status.drives],
        "slots": [asdict(s) for s in status.slots],
        "ie_slots": [asdict(s) for s in status.ie_slots],
        "shelf": list(status.shelf),
        "cartridges": [asdict(c) for c in cartridges.values()],
        "faults": [f.to_json() for f in status.faults],
    }


def listing(root: Path) -> dict[str, Any]:
    with open_library(root) as library:
        return describe(library)


def _moved(ledger: Ledger, barcode: str, location: str, by: str) -> None:
    cartridge = ledger.find(Cartridge, Cartridge.create_id(barcode))
    if cartridge is not None:
        cartridge.move(location=location, by=by)
        ledger.save(cartridge)


def insert(root: Path, ledger: Ledger, barcode: str, *, by: str, slot: int | None = None,
           drive: int | None = None, media: str | None = None, write_protect: bool = False) -> dict[str, Any]:
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
            where = library.insert(code, slot=slot, drive=drive)
        except LibraryError as error:
            raise Refused(str(error)) from error
    _moved(ledger, code, f"vtl:{where}", by)
    return {"ok": True, "barcode": code, "where": where, "created": created}


def eject(root: Path, ledger: Ledger, barcode: str | None, *, by: str) -> dict[str, Any]:
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
        _moved(ledger, code, "shelf", by)
    return {"ok": True, "ejected": codes}


def protect(root: Path, barcode: str, protected: bool) -> dict[str, Any]:
    code = barcode.strip().upper()
    with open_library(root) as library:
        try:
            library.set_write_protect(code, protected)
        except LibraryError as error:
            raise NotFound(str(error)) from error
    return {"ok": True, "barcode": code, "write_protect": protected}


def set_fault(root: Path, kind: str, **options: Any) -> dict[str, Any]:
    if kind not in FAULT_KINDS:
        raise Refused(f"未知的故障类型：{kind}", f"可用：{'、'.join(FAULT_KINDS)}")
    with open_library(root) as library:
        try:
            fault = library.set_fault(kind, **{k: v for k, v in options.items() if v is not None})
        except LibraryError as error:
            raise Refused(str(error)) from error
    return {"ok": True, "fault": fault.to_json()}


def clear_faults(root: Path, *, kind: str | None = None, drive: int | None = None) -> dict[str, Any]:
    if kind is not None and kind not in FAULT_KINDS:
        raise Refused(f"未知的故障类型：{kind}", f"可用：{'、'.join(FAULT_KINDS)}")
    with open_library(root) as library:
        removed = library.clear_faults(kind=kind, drive=drive)
    return {"ok": True, "removed": removed}


def list_faults(root: Path) -> dict[str, Any]:
    with open_library(root) as library:
        return {"faults": [f.to_json() for f in library.faults()], "kinds": list(FAULT_KINDS)}
