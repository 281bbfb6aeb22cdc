"""One partition of an emulated cartridge: an append-only data file, a fixed-size index and the
list of its filemarks.

Files (n = partition number): `data.n` holds block payloads back to back (sparse, never
preallocated); `index.n` holds one 32-byte record per logical object — data block or filemark —
so record i describes logical object i and end of data is the number of records; `fm.n` holds the
object numbers of the filemarks (8 bytes each) so SPACE and READ POSITION never scan the index.

Write order — what makes a killed process harmless:
- a block: data first, then its index record;
- filemarks: their `fm` entries first, then their index records;
- a truncation (write or erase before end of data): index, then `fm`, then data.
Each step is one write()/ftruncate() handed to the kernel before the command completes, so after
a kill -9 every index record points at data that is there, and every filemark record has its
`fm` entry. On open a short or self-inconsistent trailing record is dropped, `fm` entries at or
past end of data are dropped, and data past the last record is cut off.

fsync is left to the cartridge (see cartridge.py: flush points and power-loss recovery).
"""

from __future__ import annotations

import bisect
import os
import struct
import zlib
from pathlib import Path
from typing import NamedTuple

from kernel.errors import EXIT_DEVICE, TafError
from tape.emulator import fileio

DATA = 1
FILEMARK = 2

RECORD_SIZE = 32
# kind, flags, reserved, logical length, stored length, data offset, CRC-32 of the data, pad;
# the last 4 bytes are the CRC-32 of these 28, so a torn or garbage record is recognisable.
_BODY = struct.Struct(">BBHIIQI4x")
_CHECK = struct.Struct(">I")
_FM_ENTRY = struct.Struct(">Q")
SAMPLED = 0x01  # record flag: the CRC covers every 61st byte of the block, not all of it
# A prime stride below the 64-byte cache line: every line and every 4 KiB page is sampled, and
# data with a power-of-two period (patterns, tables) cannot hide behind the sample.
SAMPLE_STRIDE = 61


class Record(NamedTuple):
    kind: int
    length: int
    offset: int
    crc: int
    flags: int = 0

    @property
    def end(self) -> int:
        return self.offset + (self.length if self.kind == DATA else 0)


class CorruptBlock(TafError):
    """The stored block does not match its CRC (or its index record is damaged); `detail` says
    which. The emulated drive reports it as a medium error."""

    exit_code = EXIT_DEVICE
    default_message = "模拟磁带上的数据块已损坏"

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail=detail)


def checksum(data: bytes | memoryview, flags: int) -> int:
    """The block CRC-32 as a record with these flags stores it.

    A full CRC of a 256 KiB block costs about as much CPU as copying the block into the page
    cache, which would halve streaming speed. The sampled form (every 61st byte: at least one per
    cache line, 67 per 4 KiB page) still catches what a power loss does to unflushed data —
    pages missing or zeroed — at a tenth of the cost; `full_checksums` on the library selects
    the full CRC instead.
    """
    if flags & SAMPLED:
        sample = data[::SAMPLE_STRIDE]
        return zlib.crc32(sample.tobytes() if isinstance(sample, memoryview) else sample)
    return zlib.crc32(data)


def _encode(kind: int, length: int, offset: int, crc: int, flags: int = 0) -> bytes:
    body = _BODY.pack(kind, flags, 0, length, length, offset, crc)
    return body + _CHECK.pack(zlib.crc32(body))


def _decode(raw: bytes) -> Record | None:
    if len(raw) != RECORD_SIZE or _CHECK.unpack_from(raw, 28)[0] != zlib.crc32(raw[:28]):
        return None
    kind, flags, _reserved, length, stored, offset, crc = _BODY.unpack_from(raw)
    if kind not in (DATA, FILEMARK) or stored != length:
        return None
    return Record(kind, length, offset, crc, flags)


class Partition:
    """Storage and logical-object bookkeeping for one partition of one cartridge."""

    def __init__(self, directory: Path, number: int, capacity: int, early_warning: int) -> None:
        self.number = number
        self.block_flags = SAMPLED  # the cartridge sets 0 for full CRCs
        self.capacity = capacity
        self.early_warning = early_warning
        self._data = fileio.open_append(directory / f"data.{number}")
        self._index = fileio.open_append(directory / f"index.{number}")
        self._fm = fileio.open_append(directory / f"fm.{number}")
        self.count = 0
        self.data_end = 0
        self.filemarks: list[int] = []
        self.unsynced_bytes = 0
        self.dirty = False

    # -- opening and recovery ---------------------------------------------------------------

    @classmethod
    def open(
        cls,
        directory: Path,
        number: int,
        capacity: int,
        early_warning: int,
        *,
        verify_from: int | None = None,
    ) -> Partition:
        """Open a partition, repairing what a killed process or a power loss left behind.

        `verify_from` (a record count) asks for the blocks from that record on to be checked
        against their CRC — the part of the index that was never flushed before a power loss.
        """
        part = cls(directory, number, capacity, early_warning)
        part._recover(verify_from)
        return part

    def _recover(self, verify_from: int | None) -> None:
        data_size = os.fstat(self._data).st_size
        count = os.fstat(self._index).st_size // RECORD_SIZE
        # A killed writer can only damage the tail: drop records that do not decode or whose
        # data is not (all) there.
        while count:
            rec = _decode(fileio.pread(self._index, RECORD_SIZE, (count - 1) * RECORD_SIZE))
            if rec is not None and rec.end <= data_size:
                break
            count -= 1
        rebuild_from = count
        if verify_from is not None and verify_from < count:
            count = self._verified_count(verify_from, count)
            rebuild_from = verify_from
        self.count = count
        if os.fstat(self._index).st_size != count * RECORD_SIZE:
            os.ftruncate(self._index, count * RECORD_SIZE)
        self.data_end = self.record(count - 1).end if count else 0
        if data_size > self.data_end:
            os.ftruncate(self._data, self.data_end)
        self._load_filemarks(rebuild_from)

    def _verified_count(self, start: int, count: int) -> int:
        """The first record at or after `start` whose data does not match, or `count`."""
        expected = self.record(start - 1).end if start else 0
        for n in range(start, count):
            rec = _decode(fileio.pread(self._index, RECORD_SIZE, n * RECORD_SIZE))
            if rec is None or rec.offset != expected:
                return n
            if rec.kind == DATA:
                data = fileio.pread(self._data, rec.length, rec.offset)
                if len(data) != rec.length or checksum(data, rec.flags) != rec.crc:
                    return n
            expected = rec.end
        return count

    def _load_filemarks(self, rebuild_from: int) -> None:
        size = os.fstat(self._fm).st_size // _FM_ENTRY.size
        raw = fileio.pread(self._fm, size * _FM_ENTRY.size, 0)
        marks = [entry for (entry,) in _FM_ENTRY.iter_unpack(raw)]
        keep = bisect.bisect_left(marks, min(rebuild_from, self.count))
        marks = marks[:keep]
        if any(b <= a for a, b in zip(marks, marks[1:], strict=False)) or (
            marks and self.record(marks[-1]).kind != FILEMARK
        ):
            marks, rebuild_from = [], 0  # damaged list: rebuild it from the index
        for n in range(max(rebuild_from, marks[-1] + 1 if marks else 0), self.count):
            if self.record(n).kind == FILEMARK:
                marks.append(n)
        self.filemarks = marks
        if size != len(marks) or keep != len(marks):
            os.ftruncate(self._fm, 0)
            fileio.write_all(self._fm, b"".join(_FM_ENTRY.pack(m) for m in marks))

    # -- reading ----------------------------------------------------------------------------

    def record(self, n: int) -> Record:
        rec = _decode(fileio.pread(self._index, RECORD_SIZE, n * RECORD_SIZE))
        if rec is None:
            raise CorruptBlock(f"index record {n}")
        return rec

    def read(self, rec: Record, length: int) -> bytes:
        """Up to `length` bytes of a data block; a whole-block read is checked against its CRC."""
        size = min(length, rec.length)
        data = fileio.pread(self._data, size, rec.offset)
        if len(data) != size or (size == rec.length and checksum(data, rec.flags) != rec.crc):
            raise CorruptBlock(f"block at offset {rec.offset}")
        return data

    def offset_at(self, position: int) -> int:
        """Bytes of data before logical object `position` (its place along the tape)."""
        return self.record(position).offset if position < self.count else self.data_end

    @property
    def early_warning_at(self) -> int:
        return self.capacity - self.early_warning

    def file_number(self, position: int) -> int:
        """Filemarks between BOP and `position` (the logical file identifier)."""
        return bisect.bisect_left(self.filemarks, position)

    def next_filemark(self, position: int) -> int | None:
        i = bisect.bisect_left(self.filemarks, position)
        return self.filemarks[i] if i < len(self.filemarks) else None

    def previous_filemark(self, position: int) -> int | None:
        i = bisect.bisect_left(self.filemarks, position)
        return self.filemarks[i - 1] if i else None

    # -- writing ----------------------------------------------------------------------------

    def append_block(self, data: bytes | memoryview) -> None:
        length = len(data)
        flags = self.block_flags
        crc = checksum(data, flags)
        fileio.write_all(self._data, data)
        fileio.write_all(self._index, _encode(DATA, length, self.data_end, crc, flags))
        self.count += 1
        self.data_end += length
        self.unsynced_bytes += length
        self.dirty = True

    def append_filemarks(self, n: int) -> None:
        first = self.count
        fileio.write_all(self._fm, b"".join(_FM_ENTRY.pack(first + i) for i in range(n)))
        record = _encode(FILEMARK, 0, self.data_end, 0)
        fileio.write_all(self._index, record * n)
        self.filemarks.extend(range(first, first + n))
        self.count += n
        self.dirty = True

    def truncate(self, position: int) -> None:
        """Make `position` the end of data: everything from it on is gone."""
        if position >= self.count:
            return
        data_end = self.record(position).offset
        os.ftruncate(self._index, position * RECORD_SIZE)
        keep = bisect.bisect_left(self.filemarks, position)
        del self.filemarks[keep:]
        os.ftruncate(self._fm, keep * _FM_ENTRY.size)
        os.ftruncate(self._data, data_end)
        self.count = position
        self.data_end = data_end
        self.dirty = True

    def sync(self) -> bool:
        """fsync data, then filemarks, then index; True if there was anything to flush."""
        if not self.dirty:
            return False
        os.fsync(self._data)
        os.fsync(self._fm)
        os.fsync(self._index)
        self.dirty = False
        self.unsynced_bytes = 0
        return True

    def close(self) -> None:
        for fd in (self._data, self._index, self._fm):
            os.close(fd)
