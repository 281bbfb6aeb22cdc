"""Everything that reaches past py7zr's public API, in one place (py7zr is pinned to 1.1.x).

py7zr's public writers either stat a real path (`write`) or stamp members with the current time
and default attributes (`writef`). A backup wants the scanned time and mode on every member, so
that extracting a package with any 7z tool gives back the same tree, and wants directory and
link members built from the scan rather than from a second look at a file system that may have
changed. The helpers here add members the way `SevenZipFile.write` does internally and then set
the header record fields; `tests/backup/test_pack.py` checks the result with py7zr and with 7zz.

Solid blocks: each write session (open, add, close) is one 7z folder, i.e. one solid block, and
a session opened with mode "a" appends a new folder after the existing ones (verified with
py7zr 1.1.4: `archiveinfo().blocks` counts the sessions, 7zz 26.02 tests and extracts them).
"""

from __future__ import annotations

import io
import os
import stat
import struct
from typing import IO, Any, cast

import py7zr
from py7zr.helpers import ArchiveTimestamp
from py7zr.py7zr import FileInfoDict

from backup.names import is_safe_member

_FILETIME_EPOCH_OFFSET = 116444736000000000  # 100 ns intervals from 1601-01-01 to 1970-01-01
_UNIX_EXTENSION = 0x8000
_ATTR_READONLY = 0x01
_ATTR_DIRECTORY = 0x10
_ATTR_ARCHIVE = 0x20
_ATTR_REPARSE_POINT = 0x400

# py7zr compresses every archive's end header with LZMA2 preset 7, whose 16 MiB dictionary and
# BT4 tables take about 16 ms to set up: a tenth of packing a 4 MiB package at level 1, for a header
# of a few hundred KiB at most. A 1 MiB dictionary compresses such a header as well and sets up in
# 0.3 ms. py7zr reads the filter from this class attribute each time it writes a header.
HEADER_FILTERS = [{"id": py7zr.FILTER_LZMA2, "preset": 6, "dict_size": 1 << 20}]
py7zr.properties.DefaultFilters.ENCODED_HEADER_FILTER = HEADER_FILTERS  # the instance ignores setattr


def filetime(mtime_ns: int) -> ArchiveTimestamp:
    """A 7z (Windows FILETIME) timestamp from nanoseconds since the Unix epoch."""
    return ArchiveTimestamp(mtime_ns // 100 + _FILETIME_EPOCH_OFFSET)


def attributes(file_type: int, mode: int) -> int:
    """7z attributes: Windows bits in the low half, Unix type and permissions in the high half."""
    windows = {stat.S_IFDIR: _ATTR_DIRECTORY, stat.S_IFLNK: _ATTR_ARCHIVE | _ATTR_REPARSE_POINT}.get(
        file_type, _ATTR_ARCHIVE
    )
    if not mode & stat.S_IWUSR:
        windows |= _ATTR_READONLY
    return windows | _UNIX_EXTENSION | ((file_type | stat.S_IMODE(mode)) << 16)


def open_session(path: str, filters: list[dict[str, Any]], *, first: bool, last: bool) -> py7zr.SevenZipFile:
    """A write session: the first creates the archive, later ones append a new solid block.

    Every close writes the whole header, LZMA2-compressed by default, and py7zr starts a preset-7
    encoder for it (about 20 ms here, nearly what packing 8 MiB with COPY takes). Only the last session's
    header stays in the file, so the others write theirs uncompressed.
    """
    archive = py7zr.SevenZipFile(path, "w" if first else "a", filters=filters)
    archive.set_encoded_header_mode(last)
    return archive


def _checked(member: str) -> str:
    """The member name, refused unless it is one `backup.names` could have made.

    py7zr's own check (`writef` → `check_archive_path`) resolves the name under a made-up
    absolute folder with os.path.realpath, about 18 lstat calls per member: 0.37 ms each, a
    quarter of the CPU of packing Python source files (1,047 files, 16 MiB, level 0). The names
    here are built from plain components only, so the same guarantee is a string check.
    """
    if not is_safe_member(member):
        raise ValueError(f"unsafe member name: {member!r}")
    return member


def _stamp(archive: py7zr.SevenZipFile, mtime_ns: int, attrs: int) -> None:
    record = archive.header.files_info.files[-1]
    stamp = filetime(mtime_ns)
    record["creationtime"] = stamp
    record["lastwritetime"] = stamp
    record["lastaccesstime"] = stamp
    record["attributes"] = attrs
    record.pop("data", None)  # drop the reader (and its file) now rather than at close


def add_stream(
    archive: py7zr.SevenZipFile, reader: io.BufferedIOBase, member: str, mtime_ns: int, mode: int
) -> None:
    """A regular file member whose bytes come from `reader`, read to its end."""
    archive._writef(cast("IO[bytes]", reader), _checked(member))
    _stamp(archive, mtime_ns, attributes(stat.S_IFREG, mode))


def add_symlink(archive: py7zr.SevenZipFile, member: str, target: bytes, mtime_ns: int, mode: int) -> None:
    """A link member: the target is its content and the Unix type bits say link, as 7-Zip stores it."""
    archive._writef(io.BytesIO(target), _checked(member))
    _stamp(archive, mtime_ns, attributes(stat.S_IFLNK, mode))


def add_directory(archive: py7zr.SevenZipFile, member: str, mtime_ns: int, mode: int) -> None:
    """An empty-stream directory member, recorded the way `SevenZipFile.write` records one."""
    _checked(member)
    folder = archive.header.initialize()
    stamp = filetime(mtime_ns)
    record = FileInfoDict(
        origin=None,
        filename=member,
        emptystream=True,
        attributes=attributes(stat.S_IFDIR, mode),
        creationtime=stamp,
        lastwritetime=stamp,
        lastaccesstime=stamp,
    )
    archive.header.files_info.files.append(record)
    archive.header.files_info.emptyfiles.append(True)
    archive.files.append(record)
    archive.worker.archive(archive.fp, archive.files, folder, deref=False)


def trim_to_header(path: str) -> int:
    """Cut anything past the end header (left if an append wrote a shorter header); return the size."""
    with open(path, "r+b") as f:
        start = f.read(32)
        next_offset, next_size = struct.unpack_from("<QQ", start, 12)
        end = 32 + next_offset + next_size
        f.seek(0, os.SEEK_END)
        if f.tell() > end:
            f.truncate(end)
    return end


def describe(path: str) -> tuple[int, int]:
    """(tail offset, number of solid blocks) of a finished archive.

    The tail offset is where the packed data ends and the (encoded) header begins: the bytes
    before it are the 32-byte start header and the solid blocks, the bytes from it to the end are
    what a forward-only restore from tape needs cached (ARCHITECTURE.md §6).
    """
    with py7zr.SevenZipFile(path, "r") as archive:
        streams = archive.header.main_streams
        if streams is None:
            return archive.afterheader, 0
        return archive.afterheader + streams.packinfo.packpositions[-1], streams.unpackinfo.numfolders
