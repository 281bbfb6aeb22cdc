"""The shared, persistent description of an emulated library: elements, cartridges, settings,
faults and the changer's own attention conditions (library.json).

Element addresses follow the IBM TS3100/TS3200 SCSI reference as mhvtl models it (3573-TL):
medium transport 0001h, import/export 0010h…, drives 0100h…, storage slots 1000h…. Hosts must
read them from MODE SENSE page 1Dh anyway.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from tape.emulator import fileio
from tape.emulator.faults import Fault

LIBRARY_FILE = "library.json"
TRANSPORT_ADDRESS = 0x0001
IE_BASE = 0x0010
DRIVE_BASE = 0x0100
SLOT_BASE = 0x1000
DEFAULT_MAX_BLOCK = 8 * 1024 * 1024 - 1  # UNVERIFIED for IBM LTO-9 (tape-scsi.md §1.3)
DRIVE_BUFFER = 1 << 30  # the HH9's data buffer, as LOG SENSE 0Ch reports it
DEFAULT_BUFFER = 0  # flush threshold: 0 = only at the drive's flush points (see cartridge.py)


@dataclass
class Element:
    """A place a cartridge can be: storage slot, import/export slot or drive."""

    address: int
    cartridge: str | None = None
    source: int | None = None  # where it was before (SVALID + source element address)
    imported: bool = False  # IE slot: put there by the operator, not by the robot
    serial: str = ""  # drives only

    @classmethod
    def from_json(cls, content: dict[str, Any]) -> Element:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in content.items() if k in known})


@dataclass
class LibraryState:
    """Everything about the library that outlives a process."""

    changer: bool
    changer_serial: str
    drives: list[Element]
    slots: list[Element] = field(default_factory=list)
    ie_slots: list[Element] = field(default_factory=list)
    cartridges: list[str] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    next_fault_id: int = 1
    changer_attentions: list[list[int]] = field(default_factory=list)
    ie_locked: bool = False
    drive_revision: str = "Q9E9"
    changer_revision: str = "E.70"
    max_block_length: int = DEFAULT_MAX_BLOCK
    buffer_size: int = DEFAULT_BUFFER
    load_seconds: float = 0.0
    long_erase_seconds: float = 2.0
    full_checksums: bool = False  # CRC-32 of whole blocks instead of a 1-in-61 byte sample
    # Defaults for cartridges added later (add_cartridge without explicit values).
    barcode_prefix: str = "TAF"
    media: str = "L9"
    capacity: int | None = None
    early_warning_pct: float = 5.0
    first_load_seconds: float = 0.0
    generation: int = 0
    version: int = 1

    # -- persistence ------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        content = asdict(self)
        content["faults"] = [f.to_json() for f in self.faults]
        return content

    @classmethod
    def from_json(cls, content: dict[str, Any]) -> LibraryState:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in content.items() if k in known}
        for key in ("drives", "slots", "ie_slots"):
            values[key] = [Element.from_json(e) for e in values.get(key, [])]
        values["faults"] = [Fault.from_json(f) for f in values.get("faults", [])]
        return cls(**values)

    @classmethod
    def load(cls, root: Path) -> LibraryState:
        return cls.from_json(fileio.read_json(root / LIBRARY_FILE))

    def save(self, root: Path) -> None:
        self.generation += 1
        fileio.write_json_atomic(root / LIBRARY_FILE, self.to_json())

    # -- queries ----------------------------------------------------------------------------

    def elements(self) -> list[Element]:
        return [*self.ie_slots, *self.drives, *self.slots]

    def element(self, address: int) -> Element | None:
        for e in self.elements():
            if e.address == address:
                return e
        return None

    def where(self, barcode: str) -> Element | None:
        """The element holding `barcode`, or None if it is outside the library (on the shelf)."""
        for e in self.elements():
            if e.cartridge == barcode:
                return e
        return None

    def drive_index(self, element: Element) -> int | None:
        for i, d in enumerate(self.drives):
            if d is element:
                return i
        return None
