"""The Changer API: a SCSI medium changer (library robot) and the drives it serves.

    changer = Changer(open_changer("emulated:0", vtl_root))
    inventory = changer.inventory()                  # READ ELEMENT STATUS, VOLTAG + DVCID
    changer.load("TAF003L9", drive)                  # unload first if needed, MOVE, TUR, verify
    changer.unload(drive)                            # back to its home slot, or a free one

Drives are matched to drive elements by serial (DVCID against VPD 80h), never by order
(tape-scsi.md §3, §8 point 15). Element addresses come from the reply itself, so no address is
hard-coded. Unit attentions on the changer (6/28/01 the operator opened the import/export
station, 6/29/00 power on) are consumed and the command is sent again; every call re-reads the
inventory, so nothing stale is used.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from tape.drive import Drive
from tape.drive_errors import DriveApiError
from tape.drive_exec import CommandRunner
from tape.drive_ready import StateCallback
from tape.drive_types import DrivePolicy, MediumInfo
from tape.scsi import changer as smc
from tape.scsi.errors import LoadRequired, NoMedium
from tape.transport import Direction, Transport

_ELEMENT_ALLOCATION = 0xFFFF


class ChangerError(DriveApiError):
    """A library request that cannot be carried out as asked."""


@dataclass(frozen=True)
class Inventory:
    """Every element of the library with what it holds, in address order within each kind."""

    transports: tuple[smc.Element, ...]
    slots: tuple[smc.Element, ...]
    ie_slots: tuple[smc.Element, ...]
    drives: tuple[smc.Element, ...]

    def find(self, barcode: str) -> smc.Element | None:
        wanted = barcode.strip().upper()
        for element in (*self.drives, *self.slots, *self.ie_slots, *self.transports):
            if element.full and (element.barcode or "").strip().upper() == wanted:
                return element
        return None

    def drive_for(self, serial: str | None) -> smc.Element | None:
        if not serial:
            return None
        return next((e for e in self.drives if e.device_serial == serial), None)

    def free_slot(self, preferred: int | None = None) -> smc.Element | None:
        """`preferred` (a cartridge's home slot) if it is empty, else the first empty slot."""
        empty = [e for e in self.slots if not e.full]
        return next((e for e in empty if e.address == preferred), empty[0] if empty else None)

    def place_to_return(self, home: int | None) -> smc.Element | None:
        """Where a cartridge leaving a drive goes: back where it came from (a storage slot or the
        import/export slot it was put in) if that is empty, else the first empty slot, else the
        first empty import/export slot; None when every place is taken."""
        empty = [e for e in (*self.slots, *self.ie_slots) if not e.full]
        came_from = next((e for e in empty if e.address == home), None)
        return came_from or next(iter(empty), None)

    def number(self, element: smc.Element) -> int:
        """1-based position of an element within its kind, as an operator counts (by address, so an
        element from an earlier inventory is found too)."""
        for group in (self.slots, self.ie_slots, self.drives, self.transports):
            for position, candidate in enumerate(group, start=1):
                if (candidate.element_type, candidate.address) == (element.element_type, element.address):
                    return position
        return 0

    def describe(self, element: smc.Element) -> str:
        """Where a cartridge is, in the words the ledger and the operator use: slot:3, ie:1, drive:0."""
        kind = {
            smc.ElementType.STORAGE: "slot",
            smc.ElementType.IMPORT_EXPORT: "ie",
            smc.ElementType.DATA_TRANSFER: "drive",
            smc.ElementType.TRANSPORT: "robot",
        }[element.element_type]
        number = self.number(element)
        return f"{kind}:{number - 1 if kind == 'drive' else number}"


class Changer:
    def __init__(
        self,
        transport: Transport,
        *,
        policy: DrivePolicy | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.transport = transport
        self.name = transport.name
        self.runner = CommandRunner(transport, policy=policy, sleep=sleep or time.sleep)

    def _run(self, command_block: bytes, direction: Direction = Direction.NONE, length: int = 0) -> bytes:
        return self.runner.run(command_block, direction, length=length, on_attention=lambda _: None).data

    # -- what is where ----------------------------------------------------------------------------

    def inventory(self) -> Inventory:
        data = self._run(smc.read_element_status(length=_ELEMENT_ALLOCATION), Direction.FROM_DEVICE,
                         _ELEMENT_ALLOCATION)
        elements = smc.parse_element_status(data)

        def of(kind: smc.ElementType) -> tuple[smc.Element, ...]:
            return tuple(sorted((e for e in elements if e.element_type == kind), key=lambda e: e.address))

        return Inventory(
            transports=of(smc.ElementType.TRANSPORT),
            slots=of(smc.ElementType.STORAGE),
            ie_slots=of(smc.ElementType.IMPORT_EXPORT),
            drives=of(smc.ElementType.DATA_TRANSFER),
        )

    def drive_element(self, drive: Drive, inventory: Inventory | None = None) -> smc.Element:
        inventory = inventory or self.inventory()
        serial = drive.identify().serial
        element = inventory.drive_for(serial)
        if element is None:
            raise ChangerError("drive_not_in_library", serial=serial or "未知")
        return element

    # -- moving -----------------------------------------------------------------------------------

    def move(self, source: int, destination: int) -> None:
        """MOVE MEDIUM between two element addresses (a drive must be unloaded first)."""
        self._run(smc.move_medium(source, destination))

    def load(
        self, barcode: str, drive: Drive, *, on_state: StateCallback | None = None, prevent_removal: bool = False
    ) -> MediumInfo:
        """Put cartridge `barcode` into `drive` and mount it (tape-scsi.md §8 point 15).

        The drive is emptied first if it holds another cartridge. After MOVE MEDIUM the drive is
        polled until ready (the new-medium unit attention, media optimisation), then the barcode
        is checked against the cartridge memory (MAM 0806h) where TAF wrote one.
        """
        inventory = self.inventory()
        target = self.drive_element(drive, inventory)
        source = inventory.find(barcode)
        if source is None:
            raise ChangerError("barcode_not_in_library", barcode=barcode)
        if source.address != target.address:
            if target.full:
                self.unload(drive, inventory)
            self.move(source.address, target.address)
        medium = drive.mount(on_state=on_state, prevent_removal=prevent_removal)
        written = str(medium.mam.get("barcode", "") or "").strip()
        if written and written.upper() != barcode.strip().upper():
            raise ChangerError("barcode_mismatch", expected=barcode, found=written)
        return medium

    def unload(self, drive: Drive, inventory: Inventory | None = None) -> smc.Element | None:
        """Unload the drive's cartridge and put it back where it came from, else in any free slot or
        import/export slot (a cartridge loaded from the import/export slot of a full library goes
        back there).

        Returns the element it went to, or None if the drive was empty.
        """
        inventory = inventory or self.inventory()
        element = self.drive_element(drive, inventory)
        if not element.full:
            return None
        destination = inventory.place_to_return(element.source_address)
        if destination is None:  # said before the tape is unthreaded: the drive stays as it was
            raise ChangerError("no_place_to_return")
        # Already unthreaded (2/04/02): the robot can take the cartridge as it is.
        with contextlib.suppress(LoadRequired, NoMedium):
            drive.unload()
        self.move(element.address, destination.address)
        drive.medium = None
        return destination

    def export(self, barcode: str) -> smc.Element:
        """Move a cartridge from a slot to a free import/export slot, for the operator to take."""
        inventory = self.inventory()
        source = inventory.find(barcode)
        if source is None:
            raise ChangerError("barcode_not_in_library", barcode=barcode)
        destination = next((e for e in inventory.ie_slots if not e.full), None)
        if destination is None:
            raise ChangerError("no_free_ie_slot")
        self.move(source.address, destination.address)
        return destination

    def import_cartridges(self) -> list[tuple[str, smc.Element]]:
        """Move every cartridge waiting in the import/export slots into free storage slots."""
        moved: list[tuple[str, smc.Element]] = []
        inventory = self.inventory()
        for element in inventory.ie_slots:
            if not element.full:
                continue
            destination = inventory.free_slot()
            if destination is None:
                raise ChangerError("no_free_slot")
            self.move(element.address, destination.address)
            moved.append((element.barcode or "", destination))
            inventory = self.inventory()
        return moved

    def close(self) -> None:
        self.transport.close()
