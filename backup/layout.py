"""A package's 7z layout, recorded in the ledger with its tape position, so that a restore reads
only the solid blocks it needs (ARCHITECTURE.md §6, issue 18).

A 7z file is a 32-byte start header, then the packed bytes of each solid block (7z folder) one
after the other, then the end header (py7zr writes it LZMA-encoded: the packed header stream and
the small record that points at it). Knowing the start header, the end header and where each
folder's packed bytes sit, a reader can open the archive and decompress any folder without the
bytes of the others. The payload goes to tape in blocks of the session's block size B, so payload
byte `o` is in payload block `o // B`.

- `ArchiveLayout` is what the packer learns by reopening the finished archive (`backup.sevenzip`).
- `layout_record` turns it, with the tape positions, into the small dict kept in
  `Cartridge.PackageWritten.extra["layout"]`. Folder offsets are not stored: the folders are
  contiguous from `data`, so their sizes give them. An end header longer than `END_INLINE_LIMIT`
  is not copied into the ledger (it is a compressed list of every member: on a package of tens of
  thousands of files it weighs as much as a manifest, and every replay of the cartridge would
  decode it); the restore reads it from the package's last tape blocks instead.
- `PackageLayout.from_record` reads it back for the restore and checks that it adds up; a record
  that does not is refused with the reason in Chinese, and the restore reads the whole package.

A payload whose tape blocks are not all B long (the adapter refused B while it was written and
the writer fell back to smaller blocks) gets no layout: its offsets cannot be mapped to blocks.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kernel.errors import TafError

LAYOUT_VERSION = 1
START_HEADER_BYTES = 32
SEVEN_ZIP_MAGIC = b"7z\xbc\xaf\x27\x1c"
END_INLINE_LIMIT = 16 * 1024


@dataclass(frozen=True, slots=True)
class ArchiveLayout:
    """Where things are in one finished 7z file (offsets from its first byte)."""

    start: bytes  # the 32-byte start (signature) header
    data_offset: int  # where the first folder's packed bytes begin
    folder_sizes: tuple[int, ...]  # each folder's packed size, in order; folders are contiguous
    end_offset: int  # where the end header begins: everything from here to the end
    end: bytes  # the end header's bytes


def payload_block_count(payload_bytes: int, block_size: int) -> int:
    """Blocks a payload of this size takes when every block but the last is `block_size` long."""
    return -(-payload_bytes // block_size)


def layout_record(layout: ArchiveLayout, *, payload_bytes: int, payload_blocks: int, block_size: int,
                  inline_limit: int = END_INLINE_LIMIT) -> dict[str, Any] | None:
    """The dict `PackageWritten.extra["layout"]` holds, or None when no partial read could use it."""
    if block_size <= 0 or payload_blocks != payload_block_count(payload_bytes, block_size):
        return None  # blocks of mixed sizes (a block-size fallback while writing)
    if layout.end_offset + len(layout.end) != payload_bytes:
        return None
    end = layout.end if len(layout.end) <= inline_limit else None
    return {"v": LAYOUT_VERSION, "block_size": block_size, "start": _b64(layout.start),
            "data": layout.data_offset, "folders": list(layout.folder_sizes), "end_offset": layout.end_offset,
            "end_bytes": len(layout.end), "end": None if end is None else _b64(end)}


class LayoutInvalid(TafError):
    """A recorded layout that cannot be used; `reason` is the operator's Chinese sentence. The
    restore falls back to reading the whole package, so this reaches a person only as a note."""

    default_message = "数据包的布局记录不可用"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class PackageLayout:
    """A recorded layout as the restore uses it: offsets within the payload and tape blocks."""

    start: bytes
    data_offset: int
    folder_sizes: tuple[int, ...]
    end_offset: int
    end: bytes | None  # None: not in the ledger, read it from tape (`end_blocks`)
    payload_bytes: int
    block_size: int
    payload_sha256: str = ""  # the package's, as the ledger records it

    @classmethod
    def from_record(cls, record: Any, *, payload_bytes: int, payload_blocks: int,
                    payload_sha256: str = "") -> PackageLayout:
        """Check a recorded layout against itself and the package's size; `LayoutInvalid` if wrong."""
        if not isinstance(record, Mapping) or record.get("v") != LAYOUT_VERSION:
            raise LayoutInvalid("布局记录的版本不认识")
        try:
            block_size = int(record["block_size"])
            start = _unb64(record["start"])
            data_offset = int(record["data"])
            sizes = tuple(int(size) for size in record["folders"])
            end_offset = int(record["end_offset"])
            end_bytes = int(record["end_bytes"])
            end = None if record.get("end") is None else _unb64(record["end"])
        except (KeyError, TypeError, ValueError, binascii.Error) as error:
            raise LayoutInvalid(f"布局记录不完整（{type(error).__name__}）") from None
        if len(start) != START_HEADER_BYTES or not start.startswith(SEVEN_ZIP_MAGIC):
            raise LayoutInvalid("布局记录中的 7z 起始头无效")
        if block_size <= 0 or payload_blocks != payload_block_count(payload_bytes, block_size):
            raise LayoutInvalid("布局记录的块大小与数据包在磁带上的块数不符")
        if data_offset < START_HEADER_BYTES or any(size <= 0 for size in sizes):
            raise LayoutInvalid("布局记录中的固实块位置无效")
        if data_offset + sum(sizes) > end_offset or end_offset + end_bytes != payload_bytes:
            raise LayoutInvalid("布局记录中的固实块与数据包大小对不上")
        if end is not None and len(end) != end_bytes:
            raise LayoutInvalid("布局记录中的 7z 结尾头长度不符")
        return cls(start, data_offset, sizes, end_offset, end, payload_bytes, block_size, payload_sha256)

    # -- payload offsets ------------------------------------------------------------------------
    def folder_range(self, folder: int) -> tuple[int, int]:
        """[start, end) of one folder's packed bytes in the payload."""
        start = self.data_offset + sum(self.folder_sizes[:folder])
        return start, start + self.folder_sizes[folder]

    # -- tape blocks (numbered from the payload's first block) ---------------------------------
    @property
    def payload_blocks(self) -> int:
        return payload_block_count(self.payload_bytes, self.block_size)

    def blocks_of(self, start: int, end: int) -> range:
        """The payload blocks that hold bytes [start, end)."""
        if end <= start:
            return range(0)
        return range(start // self.block_size, (end - 1) // self.block_size + 1)

    def block_length(self, block: int) -> int:
        """How long payload block `block` is on tape (all are B but the last)."""
        return min(self.block_size, self.payload_bytes - block * self.block_size)

    @property
    def end_blocks(self) -> range:
        return self.blocks_of(self.end_offset, self.payload_bytes)

    def blocks_for(self, folders: set[int] | list[int]) -> list[int]:
        """Every payload block holding bytes of these folders, in order."""
        found: set[int] = set()
        for folder in folders:
            found.update(self.blocks_of(*self.folder_range(folder)))
        return sorted(found)

    def tape_bytes(self, blocks: set[int] | list[int]) -> int:
        return sum(self.block_length(block) for block in blocks)


def runs(blocks: list[int]) -> list[tuple[int, int]]:
    """Sorted block numbers as (first, count) runs of consecutive blocks: one LOCATE each."""
    found: list[tuple[int, int]] = []
    for block in blocks:
        if found and found[-1][0] + found[-1][1] == block:
            found[-1] = (found[-1][0], found[-1][1] + 1)
        else:
            found.append((block, 1))
    return found


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise TypeError("not text")
    return base64.b64decode(text.encode("ascii"), validate=True)
