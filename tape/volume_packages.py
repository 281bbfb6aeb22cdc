"""Packages on tape (format v1): write one, read its header or payload back, scan them all.

A package is one tape file: the header frame (one block), the manifest frame (n blocks), the 7z
archive cut into blocks, a filemark. `write_package` streams the payload from a file, hashing it
as it goes; early warning is noted and the package finished (the caller closes the tape after
it); VOLUME OVERFLOW before the closing filemark raises `PackageOverflow` — the package is not on
this tape and must be written whole on the next one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tape.digests import file_sha256
from tape.drive import Drive
from tape.drive_types import ReadKind
from tape.scsi.errors import VolumeOverflow
from tape.volume import (
    HEADER_MAGIC,
    FormatError,
    IndexEntry,
    PackageHeader,
    decode_manifest,
    package_records,
)
from tape.volume_blocks import BlockReader, BlockWriter
from tape.volume_errors import (
    EmptyPackage,
    NotAPackage,
    PackageOverflow,
    PackageTruncated,
    PayloadChanged,
    PayloadMismatch,
)

Progress = Callable[[int, int], None]  # bytes done, bytes in all
# Progress is reported after at least this many bytes, or a quarter of the package if that is less,
# and at the end — not after every block: at disk speed a 256 KiB block takes ~0.2 ms, and a
# progress call per block is measurable. A quarter keeps "half written" observable in small ones.
PROGRESS_STEP = 4 << 20


@dataclass(frozen=True)
class PackagePositions:
    """Where a package sits: what the catalog and the tape index store (ARCHITECTURE §6)."""

    package_id: str
    tape_file: int
    header_block: int
    payload_block: int
    payload_blocks: int
    payload_bytes: int
    payload_sha256: str
    block_size: int
    nearly_full: bool = False  # early warning was reported while writing it
    header: dict[str, Any] = field(default_factory=dict)

    def index_entry(self) -> IndexEntry:
        return IndexEntry(self.package_id, self.tape_file, self.header_block, self.payload_block,
                          self.payload_blocks, dict(self.header))

    @classmethod
    def from_index_entry(cls, entry: IndexEntry) -> PackagePositions:
        header = entry.header
        return cls(entry.package_id, entry.tape_file, entry.header_block, entry.payload_block,
                   entry.payload_blocks, int(header["payload_bytes"]), str(header["payload_sha256"]),
                   int(header["block_size"]), header=dict(header))


def write_package(
    drive: Drive,
    header_fields: dict[str, Any],
    manifest: list[dict[str, Any]],
    payload: Path | str,
    progress: Progress | None = None,
    *,
    block_size: int = 262144,
    verify_digest: bool = True,
) -> PackagePositions:
    """Write one package at the current position (the caller has prepared the append point).

    `header_fields` are PackageHeader's own fields (package_id, job_id, group, sequence,
    compression, created_at, extra …); payload size and SHA-256 are taken from the file unless
    given, and checked against what was actually streamed. `verify_digest=False` skips hashing
    the stream when the caller vouches for the given digest (a file it hashed and has watched
    since): hashing costs as much CPU as the whole write path; the size is still checked.
    """
    path = Path(payload)
    package_id = str(header_fields.get("package_id", ""))
    if "payload_sha256" in header_fields and "payload_bytes" in header_fields:
        size, digest = int(header_fields["payload_bytes"]), str(header_fields["payload_sha256"])
    else:
        size, digest = file_sha256(path)
    if size == 0:
        raise EmptyPackage(package=package_id)
    fields = {**header_fields, "payload_bytes": size, "payload_sha256": digest}
    header, records = package_records(fields, manifest, block_size)
    start = drive.read_position()
    writer = BlockWriter(drive, block_size)
    streamed = hashlib.sha256() if verify_digest else None
    done = reported = 0
    step = max(1, min(PROGRESS_STEP, size // 4))
    try:
        for record in records:
            writer.write(record)
        payload_block = (start.block or 0) + writer.blocks
        with open(path, "rb", buffering=0) as handle:
            while chunk := handle.read(block_size):
                writer.write(chunk)
                if streamed is not None:
                    streamed.update(chunk)
                done += len(chunk)
                if progress is not None and (done - reported >= step or done >= size):
                    progress(done, size)
                    reported = done
        if done != size or (streamed is not None and streamed.hexdigest() != digest):
            raise PayloadChanged(package=package_id)
        writer.filemark()
    except VolumeOverflow as overflow:
        raise PackageOverflow(package_id, writer.blocks) from overflow
    return PackagePositions(
        package_id=package_id,
        tape_file=start.file or 0,
        header_block=start.block or 0,
        payload_block=payload_block,
        payload_blocks=writer.blocks - (payload_block - (start.block or 0)),
        payload_bytes=size,
        payload_sha256=digest,
        block_size=block_size,
        nearly_full=writer.early_warning,
        header=asdict(header),
    )


def read_package_header(drive: Drive, header_block: int, *, tape_file: int | None = None) -> tuple[
        PackageHeader, list[dict[str, Any]], int]:
    """Header, manifest entries and the payload's first block of the package at `header_block`."""
    drive.locate(header_block)
    reader = BlockReader(drive, 1 << 20)
    first = reader.read()
    where = tape_file if tape_file is not None else header_block
    if first.kind is not ReadKind.DATA or first.data[:8] != HEADER_MAGIC:
        raise NotAPackage(tape_file=where, detail="开头不是数据包头")
    try:
        header = PackageHeader.decode(first.data)
        manifest_start = reader.read()
        if manifest_start.kind is not ReadKind.DATA:
            raise FormatError("清单缺失")
        manifest = decode_manifest(reader.read_frame(manifest_start.data))
    except FormatError as error:
        raise NotAPackage(tape_file=where, detail=error.message) from error
    return header, manifest, drive.read_position().block or 0


def read_package_payload(
    drive: Drive, positions: PackagePositions, target: Path | str, progress: Progress | None = None
) -> str:
    """Stream a package's payload into `target`, checking its size and SHA-256; returns the digest.

    A mismatch removes the file and raises `PayloadMismatch`; a package cut short on tape raises
    `PackageTruncated`.
    """
    path = Path(target)
    drive.locate(positions.payload_block)
    reader = BlockReader(drive, max(positions.block_size, 64 * 1024))
    digest = hashlib.sha256()
    done = 0
    try:
        with open(path, "wb") as out:
            for count in range(positions.payload_blocks):
                result = reader.read()
                if result.kind is not ReadKind.DATA:
                    raise PackageTruncated(package=positions.package_id, expected=positions.payload_blocks,
                                           found=count)
                out.write(result.data)
                digest.update(result.data)
                done += len(result.data)
                if progress is not None:
                    progress(done, positions.payload_bytes)
        actual = digest.hexdigest()
        if done != positions.payload_bytes or actual != positions.payload_sha256:
            raise PayloadMismatch(package=positions.package_id, expected=positions.payload_sha256,
                                  actual=actual)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(path)  # a payload that failed its check must not be mistaken for a good one
        raise
    return actual


@dataclass(frozen=True)
class ScannedPackage:
    """A package header found by walking the tape; `complete` if its file ends in a filemark."""

    positions: PackagePositions
    manifest: list[dict[str, Any]]
    complete: bool


def scan_packages(drive: Drive) -> list[ScannedPackage]:
    """Every package on the tape, found by reading each file's header and manifest (`iter_packages`)."""
    return list(iter_packages(drive))


def iter_packages(drive: Drive) -> Iterator[ScannedPackage]:
    """Every package on the tape, one at a time, found by reading each file's header and manifest.

    This is the catalog rebuild path when the ledger is lost: it needs no index. Files that are
    not packages (label, indexes, foreign data) are skipped; a package cut off by end of data is
    reported with `complete=False`, and is the last. One package's manifest is held at a time:
    a caller that records as it goes never holds a tape's manifests at once.
    """
    drive.rewind()
    if drive.space_filemarks(1).end_of_data:
        return  # blank, or a label without its filemark
    reader = BlockReader(drive, 1 << 20)
    while True:
        start = drive.read_position()
        first = reader.read()
        if first.kind is ReadKind.END_OF_DATA:
            break
        if first.kind is ReadKind.FILEMARK:
            continue
        scanned = _scan_one(drive, reader, first.data, start.block or 0, start.file or 0)
        if scanned is not None:
            yield scanned
            if not scanned.complete:
                break
            continue
        # Not a package (label, index, foreign data, a damaged header): on to the next file,
        # unless reading already went past its filemark or reached end of data.
        if reader.last_kind is ReadKind.END_OF_DATA:
            break
        if reader.last_kind is ReadKind.FILEMARK:
            continue
        if drive.space_filemarks(1).end_of_data:
            break


def _scan_one(drive: Drive, reader: BlockReader, first: bytes, header_block: int,
              tape_file: int) -> ScannedPackage | None:
    if first[:8] != HEADER_MAGIC:
        return None
    try:
        header = PackageHeader.decode(first)
        manifest_start = reader.read()
        if manifest_start.kind is not ReadKind.DATA:
            return None
        manifest = decode_manifest(reader.read_frame(manifest_start.data))
    except FormatError:
        return None
    payload_block = drive.read_position().block or 0
    stop = drive.space_filemarks(1)
    end = drive.read_position().block or 0
    complete = not stop.end_of_data
    blocks = end - payload_block - (1 if complete else 0)
    positions = PackagePositions(
        package_id=header.package_id, tape_file=tape_file, header_block=header_block,
        payload_block=payload_block, payload_blocks=blocks, payload_bytes=header.payload_bytes,
        payload_sha256=header.payload_sha256, block_size=header.block_size, header=asdict(header),
    )
    return ScannedPackage(positions, manifest, complete)
