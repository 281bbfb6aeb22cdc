"""The emulated library's management API: what an operator does with hands, not SCSI.

Create a library, list it, put cartridges in and take them out, flip write-protect tabs, inject
faults. The `vtl` CLI calls this; every call takes the library lock, so it is safe while a backup
in another process drives the same library through the emulated transport.

    lib = Library.create(root, drives=1, slots=8, capacity=64 << 20, early_warning_pct=10)
    lib.insert("TAF009L9")              # into the import/export slot (6/28/01 to the changer)
    lib.set_fault("medium_error", drive=0, at_object=5, operation="read")
    lib.close()

A library with slots = 0 and no import/export slot is a standalone drive: no changer device,
`insert` puts the cartridge straight into the drive (it loads itself, 6/28/00 once ready).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from tape.emulator import faults as fault_kinds
from tape.emulator import fileio, messages
from tape.emulator.cartridge import Cartridge as StoredCartridge
from tape.emulator.cartridge import CartridgeState, remove_cartridge
from tape.emulator.changer import CHANGER_PRODUCT, Changer
from tape.emulator.drive import Drive
from tape.emulator.drive_info import PRODUCT, VENDOR
from tape.emulator.drive_state import ColdState
from tape.emulator.faults import Fault
from tape.emulator.library_setup import build_library, media_or_error
from tape.emulator.library_state import DEFAULT_BUFFER, DEFAULT_MAX_BLOCK, LIBRARY_FILE, Element, LibraryState
from tape.emulator.library_views import (
    CartridgeInfo,
    DeviceInfo,
    DriveStatus,
    LibraryError,
    LibraryStatus,
    SlotStatus,
)
from tape.emulator.media import media_type
from tape.emulator.runtime import Runtime

BARCODE = re.compile(r"^[A-Z0-9]{6,16}$")


class Library:
    """Management access to one emulated library directory."""

    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime
        self._closed = False

    # -- lifecycle --------------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        root: Path | str,
        *,
        drives: int = 1,
        slots: int = 0,
        ie_slots: int | None = None,
        cartridges: int | None = None,
        media: str = "L9",
        capacity: int | None = None,
        early_warning_pct: float = 5.0,
        first_load_seconds: float = 0.0,
        barcode_prefix: str = "TAF",
        max_block_length: int = DEFAULT_MAX_BLOCK,
        buffer_size: int = DEFAULT_BUFFER,
        load_seconds: float = 0.0,
        long_erase_seconds: float = 2.0,
        drive_revision: str = "Q9E9",
        full_checksums: bool = False,
    ) -> Library:
        """Make a new library directory and return it opened.

        `cartridges` defaults to one per storage slot (three on the shelf for a standalone
        drive); they are named <prefix>001<media> … and fill the slots in order.
        `capacity` (bytes, default the media's native capacity) and `early_warning_pct` (the
        early-warning distance as a percentage of capacity) let tests reach EW quickly;
        `first_load_seconds` is how long the first load of a new LTO-9 cartridge calibrates it
        (real drives: 20–132 minutes; compressed for tests, real length for training).
        `buffer_size` (bytes, 0 = off) also flushes whenever that much is unflushed;
        `full_checksums` stores a CRC of whole blocks rather than of a 1-in-61 byte sample.
        """
        build_library(
            Path(root),
            drives=drives,
            slots=slots,
            ie_slots=ie_slots,
            cartridges=cartridges,
            media=media,
            capacity=capacity,
            early_warning_pct=early_warning_pct,
            first_load_seconds=first_load_seconds,
            barcode_prefix=barcode_prefix,
            max_block_length=max_block_length,
            buffer_size=buffer_size,
            load_seconds=load_seconds,
            long_erase_seconds=long_erase_seconds,
            drive_revision=drive_revision,
            full_checksums=full_checksums,
        )
        return cls.open(root)

    @classmethod
    def open(cls, root: Path | str) -> Library:
        path = Path(root)
        if not (path / LIBRARY_FILE).exists():
            raise LibraryError(messages.LIBRARY_MISSING.format(root=path))
        return cls(Runtime.attach(path))

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._rt.detach()

    def __enter__(self) -> Library:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def root(self) -> Path:
        return self._rt.root

    @contextmanager
    def _session(self) -> Iterator[LibraryState]:
        with self._rt.session() as rt:
            yield rt.library

    # -- what is there ----------------------------------------------------------------------------

    def devices(self) -> list[DeviceInfo]:
        with self._session() as lib:
            out = [
                DeviceInfo("drive", i, d.serial, VENDOR, PRODUCT, lib.drive_revision)
                for i, d in enumerate(lib.drives)
            ]
            if lib.changer:
                out.append(
                    DeviceInfo(
                        "changer", -1, lib.changer_serial, VENDOR, CHANGER_PRODUCT, lib.changer_revision
                    )
                )
            return out

    def status(self) -> LibraryStatus:
        with self._session() as lib:
            drives = []
            now = self._rt.now()
            for i, element in enumerate(lib.drives):
                state = self._rt.peek_drive_state(i)
                medium = state.cold.medium
                if medium == "loading" and now >= state.cold.ready_at:
                    medium = "ready"
                elif medium == "loading" and 0 < state.cold.optimising_from <= now:
                    medium = "optimising"
                busy = state.cold.busy if state.cold.busy and now < state.cold.busy_end else ""
                drives.append(
                    DriveStatus(
                        i,
                        element.serial,
                        element.address,
                        element.cartridge,
                        medium,
                        state.cold.prevent,
                        busy,
                        state.hot.partition,
                        state.hot.position,
                    )
                )
            inside = {e.cartridge for e in lib.elements() if e.cartridge}
            return LibraryStatus(
                root=self.root,
                changer=lib.changer,
                drives=tuple(drives),
                slots=tuple(SlotStatus(n + 1, e.address, e.cartridge) for n, e in enumerate(lib.slots)),
                ie_slots=tuple(
                    SlotStatus(n + 1, e.address, e.cartridge, e.imported) for n, e in enumerate(lib.ie_slots)
                ),
                shelf=tuple(b for b in lib.cartridges if b not in inside),
                faults=tuple(lib.faults),
                ie_locked=lib.ie_locked,
                first_load_seconds=lib.first_load_seconds,
            )

    def cartridges(self) -> list[CartridgeInfo]:
        with self._session() as lib:
            return [self._info(lib, barcode) for barcode in lib.cartridges]

    def cartridge(self, barcode: str) -> CartridgeInfo:
        with self._session() as lib:
            self._known(lib, barcode)
            return self._info(lib, barcode)

    def _info(self, lib: LibraryState, barcode: str) -> CartridgeInfo:
        directory = self._rt.cartridge_dir(barcode)
        state = CartridgeState.from_json(fileio.read_json(directory / "state.json"))
        used = sum(p.stat().st_size for p in directory.glob("data.*"))
        kind = media_type(state.media)
        return CartridgeInfo(
            barcode,
            kind.code,
            state.capacity,
            used,
            state.early_warning_pct,
            state.write_protect,
            kind.worm,
            state.load_count,
            state.optimised,
            self._where(lib, barcode),
        )

    @staticmethod
    def _where(lib: LibraryState, barcode: str) -> str:
        element = lib.where(barcode)
        if element is None:
            return messages.WHERE_SHELF
        index = lib.drive_index(element)
        if index is not None:
            return messages.WHERE_DRIVE.format(drive=index)
        if element in lib.ie_slots:
            return messages.WHERE_IE.format(slot=lib.ie_slots.index(element) + 1)
        return messages.WHERE_SLOT.format(slot=lib.slots.index(element) + 1)

    # -- cartridges in and out ----------------------------------------------------------------------

    def add_cartridge(
        self,
        barcode: str | None = None,
        *,
        media: str | None = None,
        capacity: int | None = None,
        early_warning_pct: float | None = None,
        first_load_seconds: float | None = None,
        write_protect: bool = False,
    ) -> str:
        """Make a new cartridge, outside the library (use `insert` to put it in). Returns its barcode."""
        with self._session() as lib:
            kind = media_or_error(media or lib.media)
            if barcode is None:
                barcode = self._next_barcode(lib, kind.code, "CLN" if kind.cleaning else lib.barcode_prefix)
            barcode = barcode.upper()
            if not BARCODE.match(barcode):
                raise LibraryError(messages.BAD_BARCODE.format(barcode=barcode))
            if barcode in lib.cartridges:
                raise LibraryError(messages.BARCODE_EXISTS.format(barcode=barcode))
            StoredCartridge.create(
                self._rt.cartridge_dir(barcode),
                barcode=barcode,
                media=kind.code,
                capacity=capacity if capacity is not None else lib.capacity,
                early_warning_pct=lib.early_warning_pct if early_warning_pct is None else early_warning_pct,
                first_load_seconds=lib.first_load_seconds
                if first_load_seconds is None
                else first_load_seconds,
                write_protect=write_protect,
            )
            lib.cartridges.append(barcode)
            self._rt.library_changed()
            return barcode

    @staticmethod
    def _next_barcode(lib: LibraryState, suffix: str, prefix: str) -> str:
        n = 1
        while f"{prefix}{n:03d}{suffix}" in lib.cartridges:
            n += 1
        return f"{prefix}{n:03d}{suffix}"

    def remove_cartridge(self, barcode: str) -> None:
        """Destroy a cartridge that is outside the library (its data is gone)."""
        with self._session() as lib:
            self._known(lib, barcode)
            if lib.where(barcode) is not None:
                raise LibraryError(
                    messages.ALREADY_INSIDE.format(barcode=barcode, where=self._where(lib, barcode))
                )
            self._rt.drop_cartridge(barcode)
            lib.cartridges.remove(barcode)
            lib.faults = [f for f in lib.faults if f.barcode != barcode]
            self._rt.library_changed()
        remove_cartridge(self._rt.cartridge_dir(barcode))

    def insert(self, barcode: str, *, drive: int | None = None, slot: int | None = None) -> str:
        """Put a cartridge from outside into the library and say where it went.

        Default: the first free import/export slot (the changer reports 6/28/01), or — for a
        standalone drive — the drive itself. `slot` is 1-based; `drive` loads it directly.
        """
        with self._session() as lib:
            barcode = barcode.upper()
            self._known(lib, barcode)
            if lib.where(barcode) is not None:
                raise LibraryError(
                    messages.ALREADY_INSIDE.format(barcode=barcode, where=self._where(lib, barcode))
                )
            if drive is None and slot is None and not lib.changer:
                drive = 0
            if drive is not None:
                element = self._drive(lib, drive)
                if element.cartridge is not None:
                    raise LibraryError(messages.DRIVE_OCCUPIED.format(drive=drive, barcode=element.cartridge))
                element.cartridge, element.source = barcode, None
                self._rt.library_changed()
                Drive(self._rt, drive).thread(announce=True)
            elif slot is not None:
                element = self._slot(lib, slot)
                if element.cartridge is not None:
                    raise LibraryError(messages.SLOT_FULL.format(slot=slot, barcode=element.cartridge))
                element.cartridge, element.source = barcode, None
                Changer(self._rt).queue_attention(0x28, 0x00)
            else:
                element = self._free_ie_slot(lib)
                element.cartridge, element.source, element.imported = barcode, None, True
                Changer(self._rt).queue_attention(0x28, 0x01)
            self._rt.library_changed()
            return self._where(lib, barcode)

    def eject(self, barcode: str) -> None:
        """Take a cartridge out of the library: from a drive (unloading it), a slot or the I/E slot."""
        with self._session() as lib:
            barcode = barcode.upper()
            self._known(lib, barcode)
            element = lib.where(barcode)
            if element is None:
                raise LibraryError(messages.NOT_INSIDE.format(barcode=barcode))
            index = lib.drive_index(element)
            if index is not None:
                drive = Drive(self._rt, index)
                drive.advance()
                if drive.cold.prevent:
                    raise LibraryError(messages.REMOVAL_PREVENTED.format(drive=index))
                if drive.cold.medium == "loading" or drive.cold.busy:
                    what = messages.BUSY_ERASING if drive.cold.busy else messages.BUSY_LOADING
                    raise LibraryError(messages.DRIVE_BUSY.format(drive=index, what=what))
                drive.unthread()
                drive.emptied()
            elif element in lib.ie_slots:
                if lib.ie_locked:
                    raise LibraryError(messages.IE_LOCKED)
                Changer(self._rt).queue_attention(0x28, 0x01)
            else:
                Changer(self._rt).queue_attention(0x28, 0x00)
            element.cartridge, element.source, element.imported = None, None, False
            self._rt.library_changed()

    def set_write_protect(self, barcode: str, protected: bool = True) -> None:
        with self._session() as lib:
            barcode = barcode.upper()
            self._known(lib, barcode)
            cart = self._rt.cartridge(barcode)
            cart.state.write_protect = protected
            cart.save_state()
            self._rt.library_changed()  # other processes must re-read the cartridge

    # -- faults and resets --------------------------------------------------------------------------

    def set_fault(
        self,
        kind: str,
        *,
        drive: int | None = None,
        changer: bool = False,
        barcode: str | None = None,
        at_object: int | None = None,
        partition: int = 0,
        operation: str = "both",
        seconds: float | None = None,
        limit: int | None = None,
        asc: int | None = None,
        ascq: int | None = None,
        once: bool = False,
    ) -> Fault:
        """Inject a fault (see faults.py for the kinds); it is shared with every process."""
        if kind not in fault_kinds.KINDS:
            raise LibraryError(messages.UNKNOWN_FAULT.format(kind=kind, kinds="、".join(fault_kinds.KINDS)))
        needs = {
            fault_kinds.MEDIUM_ERROR: ("at_object", at_object),
            fault_kinds.VOLUME_OVERFLOW: ("at_object", at_object),
            fault_kinds.NOT_READY: ("seconds", seconds),
            fault_kinds.TRANSFER_LIMIT: ("limit", limit),
        }.get(kind)
        if needs is not None and needs[1] is None:
            raise LibraryError(messages.FAULT_NEEDS.format(kind=kind, what=needs[0]))
        if operation not in ("read", "write", "both"):
            raise LibraryError(messages.BAD_ARGUMENT.format(detail=f"operation={operation}"))
        with self._session() as lib:
            if changer:
                drive = -1
            elif drive is not None:
                self._drive(lib, drive)
            elif kind in fault_kinds.ONE_SHOT:
                drive = 0
            fault = Fault(
                id=lib.next_fault_id,
                kind=kind,
                drive=drive,
                barcode=barcode.upper() if barcode else None,
                object=at_object,
                partition=partition,
                operation=operation,
                until=self._rt.now() + seconds if seconds is not None else None,
                limit=limit,
                asc=asc,
                ascq=ascq,
                once=once or kind in fault_kinds.ONE_SHOT,
            )
            lib.faults.append(fault)
            lib.next_fault_id += 1
            self._rt.library_changed()
            return fault

    def faults(self) -> list[Fault]:
        with self._session() as lib:
            return list(lib.faults)

    def clear_faults(self, *, drive: int | None = None, kind: str | None = None) -> int:
        """Remove injected faults (all, or those of one drive and/or kind); returns how many."""
        with self._session() as lib:
            keep = [
                f
                for f in lib.faults
                if (drive is not None and f.drive != drive) or (kind is not None and f.kind != kind)
            ]
            removed = len(lib.faults) - len(keep)
            if removed:
                lib.faults = keep
                self._rt.library_changed()
            return removed

    def power_cycle(self, drive: int | None = None) -> None:
        """Reset a drive (or all, and the changer): 6/29/00 next, prevent off, mode settings back
        to defaults, a loaded cartridge back at BOP; what was not flushed stays where it is."""
        with self._session() as lib:
            if drive is not None:
                self._drive(lib, drive)
            for i in range(len(lib.drives)) if drive is None else [drive]:
                state = self._rt.drive_state(i)
                loaded = lib.drives[i].cartridge is not None
                state.cold = ColdState(medium="ready" if loaded else "empty")
                state.hot.partition = state.hot.position = 0
                state.hot.last_sense = b""
            if drive is None and lib.changer:
                lib.changer_attentions = [[0x29, 0x00]]
                lib.ie_locked = False
                self._rt.library_changed()

    # -- lookups ------------------------------------------------------------------------------------

    @staticmethod
    def _known(lib: LibraryState, barcode: str) -> None:
        if barcode not in lib.cartridges:
            raise LibraryError(messages.UNKNOWN_BARCODE.format(barcode=barcode))

    @staticmethod
    def _drive(lib: LibraryState, index: int) -> Element:
        if not 0 <= index < len(lib.drives):
            raise LibraryError(messages.NO_SUCH_DRIVE.format(drive=index))
        return lib.drives[index]

    @staticmethod
    def _slot(lib: LibraryState, number: int) -> Element:
        if not lib.changer:
            raise LibraryError(messages.NO_CHANGER)
        if not 1 <= number <= len(lib.slots):
            raise LibraryError(messages.NO_SUCH_SLOT.format(slot=number))
        return lib.slots[number - 1]

    @staticmethod
    def _free_ie_slot(lib: LibraryState) -> Element:
        if not lib.ie_slots:
            raise LibraryError(messages.NO_IE_SLOT)
        if lib.ie_locked:
            raise LibraryError(messages.IE_LOCKED)
        for element in lib.ie_slots:
            if element.cartridge is None:
                return element
        raise LibraryError(messages.IE_FULL)
