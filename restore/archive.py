"""Open a package with py7zr, its header corrected where py7zr (or TAF's old packer) got it wrong.

Everything the restore does past py7zr's public reading API is here (the writing side's is
`backup/sevenzip.py`; py7zr is pinned to 1.1.x). Two faults are corrected before extraction:

- **Member numbering.** py7zr numbers the members of each solid block from the block's first
  member on, as if no directory could sit between two files of one block. In a package with
  several blocks and such a directory, py7zr handed each wanted member the bytes of another
  (7-Zip reads those packages right). Every package TAF wrote before the packer put directories
  first has this shape. The numbers are recomputed from the header, as 7-Zip does.
- **Substream sizes.** TAF's old packer built blocks with py7zr's append mode, which lost the
  sizes of blocks holding one member; a later block of several members then got sizes from the
  wrong places. The bytes and CRCs in the package are right, only the cut between members is
  wrong, and every 7z tool cuts wrong. The manifest that travels with the package knows each
  member's size: where the header's sizes disagree with it and the manifest's add up to the
  block's real size, the manifest's are used. Each member is still checked against its CRC and
  against the manifest's SHA-256, so a wrong correction could not pass unnoticed.

`HeaderRepairs` says what was corrected: a package whose sizes had to be corrected is one that
other 7z tools cannot extract, which verification reports so the backup can be redone.
"""

from __future__ import annotations

import errno
import lzma
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import py7zr
from py7zr.py7zr import ArchiveFile, ArchiveFileList

# What py7zr (and liblzma under it) raise for a package it cannot decompress: damaged data, a bad
# CRC, a header that does not add up. Anything else is a fault of ours and propagates.
UNPACK_ERRORS = (py7zr.exceptions.ArchiveError, lzma.LZMAError, OSError, ValueError, EOFError, IndexError,
                 KeyError)


def unpack_error_text(error: BaseException) -> str:
    """The Chinese reason for one of UNPACK_ERRORS (py7zr's own text is English)."""
    if isinstance(error, py7zr.exceptions.CrcError):
        name = error.args[2] if len(error.args) > 2 and error.args[2] else "？"
        return f"成员 {name} 的 CRC 校验失败"
    if isinstance(error, lzma.LZMAError):
        return "压缩数据已损坏，无法解压"
    if isinstance(error, py7zr.exceptions.ArchiveError):
        return "7z 结构已损坏或不完整"
    if isinstance(error, EOFError):
        return "数据包不完整，提前结束"
    if isinstance(error, OSError):
        name = errno.errorcode.get(error.errno or 0, "")
        return f"读写文件出错（{name or type(error).__name__}）"
    return f"7z 头部数据有误（{type(error).__name__}）"


@dataclass
class HeaderRepairs:
    renumbered: bool = False  # py7zr's member numbering within a block was corrected
    resized: list[str] = field(default_factory=list)  # members whose size came from the manifest

    @property
    def other_tools_fail(self) -> bool:
        """True when 7-Zip and other tools read this package's header wrong (sizes corrected here)."""
        return bool(self.resized)


class _NumberedFiles(ArchiveFileList):
    """A block's members with their real numbers in the archive, not first number + index."""

    def __init__(self, numbers: list[int], records: list[Any]) -> None:
        super().__init__()
        self.files_list = records
        self._numbers = numbers

    def __getitem__(self, index: int) -> ArchiveFile:
        if not 0 <= index < len(self.files_list):
            raise IndexError(index)
        return ArchiveFile(self._numbers[index], self.files_list[index])


def _blocks(archive: py7zr.SevenZipFile) -> list[tuple[Any, list[int]]]:
    """(folder, numbers of its members) for every solid block, in the way 7-Zip assigns them."""
    main = archive.header.main_streams
    if main is None or main.unpackinfo is None or main.substreamsinfo is None:
        return []
    records = archive.header.files_info.files
    with_data = [number for number, record in enumerate(records) if not record["emptystream"]]
    blocks = []
    start = 0
    for folder, count in zip(main.unpackinfo.folders, main.substreamsinfo.num_unpackstreams_folders, strict=False):
        blocks.append((folder, with_data[start:start + count]))
        start += count
    return blocks


def folder_of_members(archive: py7zr.SevenZipFile) -> dict[str, int]:
    """member name → index of the solid block (folder) holding its bytes, numbered as 7-Zip does;
    members without data (folders, empty files) are not in it."""
    records = archive.header.files_info.files
    return {records[number].get("filename", ""): index
            for index, (_, numbers) in enumerate(_blocks(archive)) for number in numbers}


def _renumber(archive: py7zr.SevenZipFile, blocks: list[tuple[Any, list[int]]]) -> bool:
    """Give each block's member list the real numbers; True when py7zr's differed."""
    if len(blocks) < 2:
        return False  # py7zr extracts a single block through the archive's own list, numbered right
    records = archive.header.files_info.files
    changed = False
    for folder, numbers in blocks:
        if not numbers:
            continue
        changed = changed or numbers != list(range(numbers[0], numbers[0] + len(numbers)))
        folder.files = _NumberedFiles(numbers, [records[number] for number in numbers])
    return changed


def _resize(archive: py7zr.SevenZipFile, blocks: list[tuple[Any, list[int]]],
            sizes: Mapping[str, int]) -> list[str]:
    """Take member sizes from the manifest in blocks whose header sizes are wrong."""
    records = archive.header.files_info.files
    resized: list[str] = []
    for folder, numbers in blocks:
        members = [records[number] for number in numbers]
        wanted = [sizes.get(record.get("filename", "")) for record in members]
        if any(size is None for size in wanted):
            continue
        if [record["uncompressed"] for record in members] == wanted:
            continue
        if sum(size for size in wanted if size is not None) != folder.get_unpack_size():
            continue  # the manifest does not describe this block either: leave it to fail its CRCs
        for record, size in zip(members, wanted, strict=True):
            if record["uncompressed"] != size:
                record["uncompressed"] = size
                resized.append(record["filename"])
    return resized


@contextmanager
def open_package(path: Path | BinaryIO, sizes: Mapping[str, int] | None = None,
                 ) -> Iterator[tuple[py7zr.SevenZipFile, HeaderRepairs]]:
    """The package opened for reading, with its header corrected; `sizes` maps member → stored bytes.

    `path` may be an open file instead: a payload of which only some solid blocks were read
    (`restore.sparse`)."""
    with py7zr.SevenZipFile(path, "r") as archive:
        blocks = _blocks(archive)
        repairs = HeaderRepairs(renumbered=_renumber(archive, blocks))
        if sizes:
            repairs.resized = _resize(archive, blocks, sizes)
        yield archive, repairs


def stored_sizes(manifest: list[dict[str, Any]]) -> dict[str, int]:
    """member → bytes stored, for every manifest entry that has data (files and links)."""
    return {entry["member"]: int(entry.get("chunk_length", 0)) for entry in manifest
            if entry.get("kind") in ("file", "symlink") and entry.get("member")}
