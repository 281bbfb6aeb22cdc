"""Packages as TAF's packer wrote them before issue 11: one py7zr session per solid block (append
mode), directories where the plan met them. Kept only to show that today's restore and
verification read such packages right, and say which of them other 7z tools cannot."""

from __future__ import annotations

import io
import stat
import struct
from pathlib import Path

import py7zr
from py7zr.py7zr import FileInfoDict

from backup.levels import Codec, filters_for
from backup.sevenzip import attributes, filetime

Member = tuple[str, bytes | None]  # (member name, bytes; None for a directory)


def write_legacy(path: Path, blocks: list[list[Member]], level: int = 1) -> None:
    """Each inner list is one append session (one solid block), members in the order given."""
    path.unlink(missing_ok=True)
    for number, block in enumerate(blocks):
        archive = py7zr.SevenZipFile(path, "w" if number == 0 else "a", filters=filters_for(Codec.LZMA2, level))
        archive.set_encoded_header_mode(number == len(blocks) - 1)
        with archive:
            for name, data in block:
                if data is not None:
                    archive._writef(io.BytesIO(data), name)
                    continue
                folder = archive.header.initialize()
                stamp = filetime(0)
                record = FileInfoDict(origin=None, filename=name, emptystream=True,
                                      attributes=attributes(stat.S_IFDIR, 0o755), creationtime=stamp,
                                      lastwritetime=stamp, lastaccesstime=stamp)
                archive.header.files_info.files.append(record)
                archive.header.files_info.emptyfiles.append(True)
                archive.files.append(record)
                archive.worker.archive(archive.fp, archive.files, folder, deref=False)
    with open(path, "r+b") as f:  # an append that wrote a shorter header left bytes behind it
        next_offset, next_size = struct.unpack_from("<QQ", f.read(32), 12)
        f.truncate(32 + next_offset + next_size)


def text(size: int, seed: int) -> bytes:
    line = f"第 {seed} 号文件的一行日志 level=INFO seq=".encode()
    out = bytearray()
    while len(out) < size:
        out += line + str(len(out)).encode() + b"\n"
    return bytes(out[:size])


# Two shapes the old packer made from ordinary trees:
# - a folder listed between files of one block (a file server's tree): py7zr misnumbers members;
# - a block of one big file followed by a block of several (a big log, then small files): the
#   header's sizes are shifted, and every 7z tool cuts the block wrong.
INTERLEAVED: list[list[Member]] = [
    [("src/a", None), ("src/a/1.txt", text(3000, 1)), ("src/b", None), ("src/b/2.txt", text(2000, 2))],
    [("src/c/3.txt", text(2500, 3)), ("src/d", None), ("src/d/4.txt", text(700, 4))],
]
SHIFTED: list[list[Member]] = [
    [("src/大日志.log", text(9000, 5))],
    [("src/小/1.txt", text(1200, 6)), ("src/小/2.txt", text(300, 7)), ("src/小/3.txt", text(50, 8))],
]


def members(blocks: list[list[Member]]) -> dict[str, bytes]:
    return {name: data for block in blocks for name, data in block if data is not None}
