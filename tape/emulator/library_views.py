"""What the management API hands back (plain frozen records) and the error it raises."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kernel.errors import EXIT_STATE, TafError
from tape.emulator.faults import Fault


class LibraryError(TafError):
    """A management request the library cannot carry out; the message is for the operator."""

    exit_code = EXIT_STATE
    default_message = "模拟磁带库无法执行这个请求"


@dataclass(frozen=True)
class DeviceInfo:
    """One SCSI device of the library, as discovery would list it."""

    kind: str  # "drive" or "changer"
    index: int  # drive number, -1 for the changer
    serial: str
    vendor: str
    product: str
    revision: str


@dataclass(frozen=True)
class DriveStatus:
    index: int
    serial: str
    address: int
    barcode: str | None
    medium: str  # empty | loading | optimising (first-load media optimisation) | ready | unloaded
    prevent: bool
    busy: str
    partition: int
    position: int


@dataclass(frozen=True)
class SlotStatus:
    number: int  # 1-based, as an operator counts
    address: int
    barcode: str | None
    imported: bool = False


@dataclass(frozen=True)
class CartridgeInfo:
    barcode: str
    media: str
    capacity: int
    used: int
    early_warning_pct: float
    write_protect: bool
    worm: bool
    load_count: int
    optimised: bool
    location: str  # operator wording, e.g. 驱动器 0 / 槽位 3 / 库外


@dataclass(frozen=True)
class LibraryStatus:
    root: Path
    changer: bool
    drives: tuple[DriveStatus, ...]
    slots: tuple[SlotStatus, ...]
    ie_slots: tuple[SlotStatus, ...]
    shelf: tuple[str, ...]
    faults: tuple[Fault, ...]
    ie_locked: bool
    first_load_seconds: float = 0.0  # media optimisation of cartridges added from now on
