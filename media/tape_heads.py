"""Reading the tape indexes back for `audit verify` (B1): the chain heads written on the tapes.

Each tape index records the ledger's hash-chain head when it was written, on a medium the database
cannot rewrite. This use case loads each cartridge asked for that the drive can reach (the robot
in a library; in a standalone drive, the cartridge in it), reads the index in every tape file the
ledger says holds one and the last index on the tape, and returns what the tape says — judging it
against the ledger is the caller's work. A cartridge the drive was empty of is put back afterwards.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from media import operations
from media.devices import DeviceSession
from media.errors import MediaError
from tape import volume_io
from tape.scsi.errors import TapeError
from tape.volume import TapeIndex
from tape.volume_errors import VolumeError

# What a reader is told about a cartridge it could not read, one catalogue for a translator.
WHY = {
    "not_in_library": "不在带库中（可能已移出或在库外存放），未读取",
    "not_loaded": "不在驱动器中（单机驱动器只能读取已装入的磁带），未读取",
    "foreign": "不是本系统的磁带（没有 TAF 标签）",
    "blank": "磁带是空白的，没有索引",
    "unreadable": "读取失败：{error}",
}


@dataclass(frozen=True)
class IndexReading:
    """One tape index as read from a cartridge; `index` is None where none was found."""

    barcode: str
    tape_file: int
    label_sequence: int
    index: TapeIndex | None
    last: bool  # the last index before end of data


@dataclass
class TapeReadings:
    readings: list[IndexReading] = field(default_factory=list)
    read: list[str] = field(default_factory=list)  # barcodes whose tape was read
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (barcode, why in Chinese)


def read_tape_indexes(session: DeviceSession, wanted: Mapping[str, Sequence[int]]) -> TapeReadings:
    """For each barcode of `wanted`, the indexes in the tape files given and the tape's last index."""
    readings = TapeReadings()
    changer = session.changer
    if changer is None:
        try:
            loaded = (session.barcode(session.mount()) or "").strip().upper()
        except TapeError:  # an empty drive, or one that cannot read what is in it
            loaded = ""
        for barcode in wanted:
            if barcode == loaded:
                _read_cartridge(session, barcode, wanted[barcode], readings)
            else:
                readings.skipped.append((barcode, WHY["not_loaded"]))
        return readings
    inventory = changer.inventory()
    was_empty = not changer.drive_element(session.drive, inventory).full
    for barcode in wanted:
        if inventory.find(barcode) is None:
            readings.skipped.append((barcode, WHY["not_in_library"]))
            continue
        try:
            operations.load(session, barcode)
            session.mount()
        except (MediaError, TapeError) as error:
            readings.skipped.append((barcode, WHY["unreadable"].format(error=error)))
            continue
        _read_cartridge(session, barcode, wanted[barcode], readings)
    if was_empty and readings.read:
        with contextlib.suppress(MediaError, TapeError):
            operations.unload(session)
    return readings


def _read_cartridge(session: DeviceSession, barcode: str, tape_files: Sequence[int], readings: TapeReadings) -> None:
    drive = session.drive
    try:
        label = volume_io.read_label(drive)
        if label is None:
            readings.skipped.append((barcode, WHY["blank"]))
            return
        last = volume_io.last_index(drive)
        found = []
        for tape_file in sorted(set(tape_files)):
            if last is not None and tape_file == last[0]:
                continue
            try:
                found.append(IndexReading(barcode, tape_file, label.label_sequence,
                                          volume_io.read_index_at(drive, tape_file), False))
            except TapeError:  # beyond the end of data: the file the ledger names is not on the tape
                found.append(IndexReading(barcode, tape_file, label.label_sequence, None, False))
        if last is not None:
            found.append(IndexReading(barcode, last[0], label.label_sequence, last[1], True))
    except VolumeError:
        readings.skipped.append((barcode, WHY["foreign"]))
        return
    except TapeError as error:
        readings.skipped.append((barcode, WHY["unreadable"].format(error=error)))
        return
    readings.readings.extend(sorted(found, key=lambda reading: reading.tape_file))
    readings.read.append(barcode)
