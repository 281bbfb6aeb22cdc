"""What the tape acts report: plain frozen records, the same for every face that shows them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DeviceEntry:
    """One drive or changer this host can use (the emulated library's, or one discovered)."""

    path: str
    kind: str  # drive or changer
    vendor: str
    product: str
    revision: str
    serial: str | None
    barcode: str | None  # the cartridge in an emulated drive
    medium: str | None  # an emulated drive's medium state: empty, loading, optimising, ready, unloaded
    problem: str | None  # why a discovered device cannot be used
    kind_text: str = ""  # the kind in words: 驱动器, 机械手（带库）
    medium_text: str | None = None  # the medium state in words: 无磁带, 介质优化中 …


@dataclass(frozen=True)
class MediumView:
    """The loaded cartridge as the drive and its cartridge memory describe it."""

    barcode: str | None
    medium_serial: str | None
    medium_type: str  # the mode header's medium type in hex, e.g. 98h (LTO-9)
    generation: int | None
    worm: bool
    write_protected: bool
    compression: bool | None
    block: int | None  # logical object number
    file: int | None  # tape file number
    beyond_early_warning: bool
    mam: dict[str, int | str]


@dataclass(frozen=True)
class DriveReport:
    """What a drive is and does, read without moving the tape."""

    device: str
    vendor: str
    product: str
    revision: str
    serial: str | None
    state: str  # empty, unloaded, loading, optimising (first-load media optimisation) or ready
    state_text: str
    medium: MediumView | None = None  # when ready
    remaining_minutes: int | None = None  # while optimising: the estimate of how long it still takes
    state_advice: str = ""  # what the operator should (not) do meanwhile


@dataclass(frozen=True)
class Loaded:
    barcode: str
    drive: str
    unloaded: str | None  # the cartridge the robot took out of the drive first
    medium: MediumView


@dataclass(frozen=True)
class Unloaded:
    barcode: str | None  # None when neither the cartridge nor the robot knows it
    location: str  # where it went, as the ledger records it: slot:N, ie:N, drive:<device>:ejected …
    location_text: str = ""  # the same in words (ledger.rules.locations): 槽位 1, 导入/导出口 1 …


@dataclass(frozen=True)
class Rewound:
    barcode: str | None
    block: int | None
    file: int | None


@dataclass(frozen=True)
class Labelled:
    barcode: str
    volume_serial: str
    label_sequence: int
    pool: str
    block_size: int
    previous: str  # what the tape held before: blank, taf or foreign
    previous_label: dict[str, Any] | None  # the TAF label it replaced


@dataclass(frozen=True)
class Erased:
    barcode: str
    mode: str  # short or long
    label_sequence: int
    progress_id: str  # where the erase published how far it was: erase-<barcode>


@dataclass(frozen=True)
class RawReply:
    """One CDB's outcome exactly as the drive gave it."""

    failed: bool  # CHECK CONDITION with an error (not a completion with flags)
    status: int
    status_name: str
    sense: str  # hex
    sense_text: str  # the sense explained in Chinese
    residue: int
    data: str  # hex
    cdb: str  # hex
