"""TAF format v1 through the Drive API: labels, the append point, packages, the tape index.

    state = inspect(drive)                        # blank / TAF (with its label) / foreign
    write_label(drive, label, mam, force=False)   # refuses foreign or used tapes unless forced
    label = read_label(drive)                     # Label, None for a blank tape; ForeignTape else
    point = prepare_append(drive)                 # end of data, after the last complete file
    positions = write_package(drive, fields, manifest, "pkg.7z", progress, block_size=B)
    write_index(drive, TapeIndex(...))            # after a session; the last one before EOD wins
    index = read_index(drive)                     # last_index: with its tape file; read_index_at(drive, k)
    read_package_payload(drive, positions, "out.7z")   # SHA-256 checked
    packages = scan_packages(drive)               # every header, for a catalog rebuild

Layout (docs/磁带格式.md): tape file 0 = label block + filemark (objects 0 and 1); tape file k ≥ 1
= a package or an index, each closed by a filemark.
"""

from __future__ import annotations

import enum
import zlib
from dataclasses import dataclass

from tape import drive_mam
from tape.drive import Drive
from tape.drive_mam import MamIdentity
from tape.drive_types import ReadKind
from tape.volume import INDEX_MAGIC, FormatError, Label, TapeIndex, is_taf_label, split_blocks
from tape.volume_blocks import LABEL_READ_LENGTH, BlockReader, BlockWriter
from tape.volume_errors import (
    BlankTape,
    ForeignTape,
    NotLabelled,
    TapeHoldsData,
    VolumeError,
    WormNotBlank,
    WriteProtectedTape,
)
from tape.volume_packages import (
    PackagePositions,
    ScannedPackage,
    iter_packages,
    read_package_header,
    read_package_payload,
    scan_packages,
    write_package,
)

__all__ = [
    "AppendPoint", "IndexPosition", "PackagePositions", "ScannedPackage", "VolumeError", "VolumeKind",
    "VolumeState", "inspect", "iter_packages", "last_index", "prepare_append", "read_index", "read_index_at", "read_label",
    "read_package_header", "read_package_payload", "scan_packages", "write_index", "write_label", "write_package",
]

LABEL_OBJECTS = 2  # the label block and its filemark


class VolumeKind(enum.Enum):
    BLANK = "blank"  # BLANK CHECK on the first read at BOP
    TAF = "taf"  # a TAF label at BOT
    FOREIGN = "foreign"  # something else: another program's tape, never overwritten unasked


@dataclass(frozen=True)
class VolumeState:
    kind: VolumeKind
    label: Label | None = None
    end_of_data: int | None = None  # logical object number of EOD, when asked for

    @property
    def holds_data(self) -> bool:
        """Anything beyond a bare TAF label (or anything at all on a foreign tape)."""
        if self.kind is VolumeKind.BLANK:
            return False
        if self.kind is VolumeKind.FOREIGN:
            return True
        return self.end_of_data is None or self.end_of_data > LABEL_OBJECTS


def inspect(drive: Drive, *, find_end: bool = True) -> VolumeState:
    """Rewind and read the first block (tape-scsi.md §8 point 6); with `find_end`, locate EOD too.

    A read error is reported, never taken for a blank tape.
    """
    drive.rewind()
    first = BlockReader(drive, min(LABEL_READ_LENGTH, _max_block(drive))).read()
    if first.kind is ReadKind.END_OF_DATA:
        return VolumeState(VolumeKind.BLANK, end_of_data=0)
    label = Label.decode(first.data) if first.kind is ReadKind.DATA and is_taf_label(first.data) else None
    end = drive.locate_end_of_data().block if find_end else None
    return VolumeState(VolumeKind.TAF if label else VolumeKind.FOREIGN, label, end)


def _max_block(drive: Drive) -> int:
    limit = drive.block_limits().max_block_length
    return limit if limit else LABEL_READ_LENGTH


def read_label(drive: Drive) -> Label | None:
    """The TAF label at BOT; None for a blank tape; `ForeignTape` for anything else."""
    state = inspect(drive, find_end=False)
    if state.kind is VolumeKind.FOREIGN:
        raise ForeignTape()
    return state.label


def write_label(drive: Drive, label: Label, identity: MamIdentity, *, force: bool = False) -> VolumeState:
    """Write `label` at BOT (truncating the tape) and mirror it into cartridge memory.

    Refused, with nothing changed: a write-protected cartridge; a WORM cartridge that is not
    blank; without `force`, a foreign tape or a TAF tape holding packages. Returns what was on
    the tape before.
    """
    medium = drive.require_medium()
    if medium.write_protected:
        raise WriteProtectedTape(barcode=label.barcode)
    before = inspect(drive)
    if medium.worm and before.kind is not VolumeKind.BLANK:
        raise WormNotBlank()
    if before.kind is VolumeKind.FOREIGN and not force:
        raise ForeignTape()
    if before.kind is VolumeKind.TAF and before.holds_data and not force:
        old = before.label
        raise TapeHoldsData(barcode=label.barcode, objects=before.end_of_data,
                            volume=old.volume_serial if old else "")
    encoded = label.encode()
    if len(encoded) > label.block_size:
        raise FormatError(f"标签 {len(encoded)} 字节，超过块大小 {label.block_size}")
    drive.rewind()
    writer = BlockWriter(drive, label.block_size)
    writer.write(encoded)
    writer.filemark()
    drive.write_attributes(identity.attributes())
    return before


@dataclass(frozen=True)
class AppendPoint:
    """Where the next tape file goes. `discarded` objects of a file cut off mid-write lie beyond."""

    tape_file: int
    block: int
    discarded: int = 0
    nearly_full: bool = False


def prepare_append(drive: Drive) -> AppendPoint:
    """Position for appending: at end of data if the last file is complete, else at its start.

    A file without its closing filemark is what a killed writer leaves (its package was never
    recorded as written). The next write there truncates it — except on WORM media, which cannot
    be overwritten: there the fragment is closed with a filemark and left behind (scan_packages
    reports it as incomplete).
    """
    end = drive.locate_end_of_data()
    eod = end.block or 0
    files = end.file or 0
    if eod == 0:
        raise BlankTape()
    if files == 0:
        raise NotLabelled()
    drive.locate_file(files)
    start = drive.read_position()
    nearly_full = start.beyond_early_warning
    if (start.block or 0) == eod:
        return AppendPoint(files, eod, 0, nearly_full)
    fragment = eod - (start.block or 0)
    if drive.require_medium().worm:
        drive.locate_end_of_data()
        drive.write_filemarks(1)
        return AppendPoint(files + 1, eod + 1, fragment, drive.early_warning or nearly_full)
    return AppendPoint(files, start.block or 0, fragment, nearly_full)


@dataclass(frozen=True)
class IndexPosition:
    tape_file: int
    block: int
    blocks: int
    nearly_full: bool = False


def write_index(drive: Drive, index: TapeIndex, *, block_size: int = 262144) -> IndexPosition:
    """Write the tape index as a tape file at the current position and stamp MAM 0804h."""
    start = drive.read_position()
    writer = BlockWriter(drive, block_size)
    for block in split_blocks(index.encode(), block_size):
        writer.write(block)
    writer.filemark()
    drive.write_attributes([drive_mam.last_written()])
    return IndexPosition(start.file or 0, start.block or 0, writer.blocks, writer.early_warning)


def read_index(drive: Drive) -> TapeIndex | None:
    """The last complete tape index before end of data, or None if the tape has none."""
    found = last_index(drive)
    return found[1] if found else None


def last_index(drive: Drive) -> tuple[int, TapeIndex] | None:
    """The last complete tape index before end of data and its tape file, or None without one.

    Files are tried from the last complete one backwards; a damaged index is passed over.
    """
    end = drive.locate_end_of_data()
    reader = BlockReader(drive, LABEL_READ_LENGTH)
    for tape_file in range((end.file or 0) - 1, 0, -1):
        index = read_index_at(drive, tape_file, reader)
        if index is not None:
            return tape_file, index
    return None


def read_index_at(drive: Drive, tape_file: int, reader: BlockReader | None = None) -> TapeIndex | None:
    """The tape index in `tape_file`, or None when that file is not a complete, undamaged index."""
    drive.locate_file(tape_file)
    reader = reader or BlockReader(drive, LABEL_READ_LENGTH)
    first = reader.read()
    if first.kind is not ReadKind.DATA or first.data[:8] != INDEX_MAGIC:
        return None
    try:
        return TapeIndex.decode(reader.read_frame(first.data))
    except (FormatError, ValueError, KeyError, TypeError, zlib.error):
        return None
