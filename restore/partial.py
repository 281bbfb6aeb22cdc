"""Restore from the solid blocks a selection needs, not the whole package (issue 18 item 6).

A package written with its layout recorded (`backup.layout`, in `PackageWritten.extra`) is read
like this:

1. The 7z end header: from the ledger when it is small, else from the package's last tape
   blocks. Opened together with the recorded start header (`header_map`), it must describe the
   recorded layout exactly, and it says which solid block holds each wanted member. An end
   header read from tape must also match the CRC the recorded start header gives it — which is
   also how such a read knows it has the right package. Otherwise the package's header block
   (one tape block) is read and checked against the ledger (id, size, SHA-256).
2. The tape blocks holding those solid blocks: LOCATE to the first block of each run, READ the
   run, each block checked for the length the layout expects; the bytes go to a staging file.
3. py7zr opens a `SparsePayload` made of the two headers and the blocks read, and extracts the
   wanted members (`restore.unpack`, strictly): each is checked against its CRC and the
   catalog's SHA-256 (the manifest's, as the catalog keeps it) before it gets its name.

Any doubt on the way — a record that does not add up, a block of the wrong length, py7zr asking
for a byte not read, a member that does not come back — raises `LayoutInvalid`; the caller then
reads the whole package the old way (a note says so), so a wrong layout costs tape time, never
wrong bytes. Device errors propagate as in a whole-package read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import py7zr

from backup.layout import START_HEADER_BYTES, LayoutInvalid, PackageLayout, runs
from restore import messages
from restore.archive import UNPACK_ERRORS, folder_of_members, unpack_error_text
from restore.files import FileTask, Work
from restore.plan import PackageRead, PartialRead
from restore.reading import CountingDrive, read_header_block, read_payload_blocks
from restore.sparse import NotRead, Piece, SparsePayload
from restore.unpack import Unpacked, UnpackFailed, unpack_package

Tick = Callable[[], None]  # between tape blocks: stop if asked, publish progress
HEADER_BLOCK_ESTIMATE = 4096  # a package's header block on tape (docs/磁带格式.md §2.2), generously


@dataclass(frozen=True)
class HeaderMap:
    """What the end header says: the solid block of each member with data, and those without."""

    folder_of: dict[str, int]
    members: frozenset[str]


def header_map(layout: PackageLayout, end: bytes) -> HeaderMap:
    """Open the archive from its two headers alone and check they describe `layout`."""
    payload = SparsePayload(layout.payload_bytes, [Piece(0, START_HEADER_BYTES, layout.start),
                                                   Piece(layout.end_offset, len(end), end)])
    try:
        with py7zr.SevenZipFile(payload.as_binary, "r") as archive:
            _check(archive, layout)
            names = frozenset(record.get("filename", "") for record in archive.header.files_info.files)
            return HeaderMap(folder_of_members(archive), names)
    except LayoutInvalid:
        raise
    except NotRead as gap:
        raise LayoutInvalid(messages.text("layout_not_read", offset=gap.offset)) from None
    except (*UNPACK_ERRORS, AttributeError, TypeError) as error:
        raise LayoutInvalid(f"7z 头无法解析：{unpack_error_text(error)}") from None


def _check(archive: py7zr.SevenZipFile, layout: PackageLayout) -> None:
    signature = archive.sig_header
    if START_HEADER_BYTES + signature.nextheaderofs + signature.nextheadersize != layout.payload_bytes:
        raise LayoutInvalid("7z 起始头与数据包大小不符")
    streams = archive.header.main_streams
    if streams is None:
        found: tuple[tuple[int, ...], int, int] = ((), layout.data_offset, START_HEADER_BYTES)
        folders = 0
    else:
        pack = streams.packinfo
        data = START_HEADER_BYTES + pack.packpos
        found = (tuple(pack.packsizes), data, data + pack.packpositions[-1])
        folders = streams.unpackinfo.numfolders
    if found != (layout.folder_sizes, layout.data_offset, layout.end_offset) or folders != len(layout.folder_sizes):
        raise LayoutInvalid("7z 头中的固实块与布局记录不符")


def _folders_for(mapping: HeaderMap, members: list[str]) -> set[int]:
    missing = [member for member in members if member not in mapping.members]
    if missing:
        raise LayoutInvalid(messages.text("layout_member_missing", member=missing[0]))
    return {mapping.folder_of[member] for member in members if member in mapping.folder_of}


def planned_read(layout: PackageLayout, members: list[str]) -> PartialRead | None:
    """What a partial read of `members` should cost, for the plan (None: read the whole package).

    With the end header in the ledger the blocks are exact, plus the package's header block (a
    few hundred bytes of JSON: counted as `HEADER_BLOCK_ESTIMATE`). Without it, which block holds
    which member is known only once the end header is read from tape: the estimate is the end
    header's blocks and, for each member, one of the largest solid blocks — an upper bound.
    """
    if layout.end is not None:
        try:
            blocks = layout.blocks_for(_folders_for(header_map(layout, layout.end), members))
        except LayoutInvalid:
            return None
        header = min(HEADER_BLOCK_ESTIMATE, layout.block_size)
        return PartialRead(tuple(runs(blocks)), layout.tape_bytes(blocks) + header)
    largest = sorted(range(len(layout.folder_sizes)), key=lambda f: -layout.folder_sizes[f])
    blocks = sorted(set(layout.blocks_for(largest[:len(set(members))])) | set(layout.end_blocks))
    return PartialRead(tuple(runs(blocks)), layout.tape_bytes(blocks))


class _Blocks:
    """Payload blocks read so far, in the staging file: each block once, whatever asks for it."""

    def __init__(self, drive: CountingDrive, package: PackageRead, layout: PackageLayout, backing: Any,
                 tick: Tick) -> None:
        self.drive, self.package, self.layout, self.backing, self.tick = drive, package, layout, backing, tick
        self.at: dict[int, int] = {}  # payload block → offset in the staging file

    def read(self, blocks: list[int]) -> None:
        for first, count in runs([block for block in blocks if block not in self.at]):
            self.backing.seek(0, 2)
            for number, data in enumerate(read_payload_blocks(self.drive, self.package, self.layout, first, count)):
                self.at[first + number] = self.backing.tell()
                self.backing.write(data)
                self.tick()
        self.backing.flush()

    def pieces(self, start: int, end: int) -> list[Piece]:
        """Payload bytes [start, end) as pieces of the staging file (blocks must have been read)."""
        found: list[Piece] = []
        size = self.layout.block_size
        for block in self.layout.blocks_of(start, end):
            low, high = max(start, block * size), min(end, (block + 1) * size)
            where = self.at[block] + low - block * size
            last = found[-1] if found else None
            if last is not None and last.end == low and last.backing_offset + last.length == where:
                found[-1] = Piece(last.start, last.length + high - low, backing_offset=last.backing_offset)
            else:
                found.append(Piece(low, high - low, backing_offset=where))
        return found

    def bytes_of(self, start: int, end: int) -> bytes:
        parts = []
        for piece in self.pieces(start, end):
            self.backing.seek(piece.backing_offset)
            parts.append(self.backing.read(piece.length))
        return b"".join(parts)


def restore_partially(drive: CountingDrive, work: Work, barcode: str, package: PackageRead, layout: PackageLayout,
                      tasks: list[tuple[FileTask, int]], done: set[str], staging: Path, tick: Tick,
                      unpacking: Callable[[], None]) -> Unpacked:
    """Restore `tasks` from the solid blocks that hold them; `LayoutInvalid` if it cannot be done."""
    members = sorted({task.chunks[index].row["member"] for task, index in tasks if task.state == "pending"})
    entries = [_entry(task, index) for task, index in tasks if task.state == "pending"]
    pieces_path = staging / f"{package.package_id.replace('/', '_')}.blocks"
    pieces_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(pieces_path, "w+b") as backing:
            blocks = _Blocks(drive, package, layout, backing, tick)
            end = layout.end
            if end is None:
                blocks.read(list(layout.end_blocks))
                end = blocks.bytes_of(layout.end_offset, layout.payload_bytes)
            else:
                header = read_header_block(drive, barcode, package)
                if (header.payload_bytes, header.payload_sha256) != (layout.payload_bytes, layout.payload_sha256):
                    raise LayoutInvalid(messages.text("layout_header_differs"))
            folders = _folders_for(header_map(layout, end), members)
            blocks.read(layout.blocks_for(folders))
            known = [Piece(0, START_HEADER_BYTES, layout.start), Piece(layout.end_offset, len(end), end)]
            for folder in sorted(folders):
                known += blocks.pieces(*layout.folder_range(folder))
            unpacking()
            payload = SparsePayload(layout.payload_bytes, known, backing)
            return unpack_package(work, package.package_id, entries, payload.as_binary, staging / "scratch", tasks,
                                  done, strict=True)
    except NotRead as gap:
        raise LayoutInvalid(messages.text("layout_not_read", offset=gap.offset)) from None
    except UnpackFailed as failed:
        raise LayoutInvalid(failed.reason) from None
    finally:
        pieces_path.unlink(missing_ok=True)


def _entry(task: FileTask, index: int) -> dict[str, Any]:
    """The manifest entry of one chunk as the catalog keeps it (the tape's manifest is not read)."""
    row = task.chunks[index].row
    return {"member": row["member"], "kind": "file", "sha256": row["sha256"],
            "chunk_offset": int(row["chunk_offset"]), "chunk_length": int(row["chunk_length"])}
