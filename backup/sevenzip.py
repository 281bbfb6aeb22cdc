"""Everything the packer does past py7zr's public API, in one place (py7zr is pinned to 1.1.x).

py7zr's public writers either stat a real path (`write`) or stamp members with the current time
and default attributes (`writef`). A backup wants the scanned time and mode on every member, so
that extracting a package with any 7z tool gives back the same tree, and wants directory and
link members built from the scan rather than from a second look at a file system that may have
changed. `PackageWriter` adds members the way `SevenZipFile.write` does internally and then sets
the header record fields. The reading side's counterpart is `restore/archive.py`.

Solid blocks (SOLID_BLOCK_SIZE): one write session, one 7z folder per block. `start_block` ends
the current folder (its encoder is flushed and freed) and opens the next one, the way py7zr's
own writer opens its first. Two ways of getting there failed, and the tests keep them out:
- py7zr's append mode (a session per block, mode "a") loses the substream sizes of every block
  that holds one stream, because 7z writes no sizes for such a folder and py7zr's reader then has
  none to carry over. A block of several files after blocks of one file each then gets sizes
  from the wrong list positions: an IndexError inside py7zr when the header is written, or a
  header every 7z tool reads wrong (miurahr/py7zr#404, #505 are reports of the same family).
- py7zr's reader numbers the members of each folder from the first one on, assuming a folder's
  members are contiguous in the header. A directory (an entry without a stream) listed between
  two files of one folder shifts the numbers, and py7zr then hands each wanted member the bytes
  of another one (7-Zip reads such archives right). So directories go first, before any stream,
  as 7-Zip itself lists them; `PackageWriter` refuses a directory after a stream.
"""

from __future__ import annotations

import io
import stat
from typing import IO, Any, cast

import py7zr
from py7zr.helpers import ArchiveTimestamp
from py7zr.py7zr import FileInfoDict

from backup.layout import ArchiveLayout
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


class PackageWriter:
    """One package: a single py7zr write session holding one 7z folder per solid block.

    Members are added in header order: directories first, then files and links, with
    `start_block()` between solid blocks. Closing writes the (LZMA2-encoded) end header once.
    """

    def __init__(self, path: str, filters: list[dict[str, Any]]) -> None:
        self.archive = py7zr.SevenZipFile(path, "w", filters=filters)
        self.archive.set_encoded_header_mode(True)
        self.blocks = 0
        self._streams_in_block = 0
        self._block_wanted = False

    def __enter__(self) -> PackageWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Flush the last block and write the header (py7zr's own close).

        A package of folders only has no data: py7zr would still write an empty block for the
        folder its first member opened, so that block is dropped, as 7-Zip writes such archives.
        """
        header = self.archive.header
        if not self.blocks and header is not None and header._initialized:
            header._initialized = False
            header.main_streams = None
        self.archive.close()

    def start_block(self) -> None:
        """End the current solid block; the next stream opens a new one (never an empty block)."""
        if self._streams_in_block:
            self._block_wanted = True

    def add_stream(self, reader: io.BufferedIOBase, member: str, mtime_ns: int, mode: int) -> None:
        """A regular file member whose bytes come from `reader`, read to its end."""
        self._write_stream(cast("IO[bytes]", reader), member, attributes(stat.S_IFREG, mode), mtime_ns)

    def add_symlink(self, member: str, target: bytes, mtime_ns: int, mode: int) -> None:
        """A link member: the target is its content and the Unix type bits say link, as 7-Zip stores it."""
        self._write_stream(io.BytesIO(target), member, attributes(stat.S_IFLNK, mode), mtime_ns)

    def add_directory(self, member: str, mtime_ns: int, mode: int) -> None:
        """An empty-stream directory member, recorded the way `SevenZipFile.write` records one."""
        _checked(member)
        if self.blocks:
            raise ValueError(f"directory {member!r} after a data member: py7zr would misnumber the block")
        archive = self.archive
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

    def _write_stream(self, reader: IO[bytes], member: str, attrs: int, mtime_ns: int) -> None:
        _checked(member)
        if self._block_wanted:
            self._next_folder()
        archive = self.archive
        archive._writef(reader, member)
        record = archive.header.files_info.files[-1]
        stamp = filetime(mtime_ns)
        record["creationtime"] = stamp
        record["lastwritetime"] = stamp
        record["lastaccesstime"] = stamp
        record["attributes"] = attrs
        record.pop("data", None)  # drop the reader (and its file) now rather than at close
        if self._streams_in_block == 0:
            self.blocks += 1
        self._streams_in_block += 1

    def _next_folder(self) -> None:
        """Flush the current folder and open the next, as `Header.initialize` does in append mode."""
        archive = self.archive
        header = archive.header
        folder = header.main_streams.unpackinfo.folders[-1]
        archive.worker.flush_archive(archive.fp, folder)
        folder.compressor = None  # free the encoder (up to 700 MiB at level 9); the coders stay
        header._initialized = False
        header.initialize()
        self._streams_in_block = 0
        self._block_wanted = False


def describe(path: str) -> tuple[int, int, ArchiveLayout | None]:
    """(tail offset, number of solid blocks, layout) of a finished archive.

    The tail offset is where the packed data ends and the (encoded) header begins: the bytes
    before it are the 32-byte start header and the solid blocks, the bytes from it to the end are
    the end header. The layout (`backup.layout`) is recorded with the package's tape position so a
    restore reads only the solid blocks it needs; None for an archive whose folders do not each
    have exactly one packed stream (TAF's LZMA2 and COPY folders always do).
    """
    with py7zr.SevenZipFile(path, "r") as archive:
        streams = archive.header.main_streams
        start_of_data = archive.afterheader
        if streams is None:
            tail, sizes = start_of_data, ()
        else:
            start_of_data += streams.packinfo.packpos
            tail = start_of_data + streams.packinfo.packpositions[-1]
            sizes = tuple(streams.packinfo.packsizes)
            if len(sizes) != streams.unpackinfo.numfolders:
                return tail, streams.unpackinfo.numfolders, None
    with open(path, "rb") as handle:
        start = handle.read(32)
        handle.seek(tail)
        end = handle.read()
    return tail, len(sizes), ArchiveLayout(start, start_of_data, sizes, tail, end)
