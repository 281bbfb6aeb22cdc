"""Take the wanted members out of one package with py7zr, straight into their files, hashing as
they are written.

py7zr is given the wanted member names (`targets=`) and a writer factory, so it never creates a
path from a member name itself: every member's bytes go to a `Sink` chosen by TAF — a whole file
into its hidden partial file, a chunk of a split file into the shared partial file at the chunk's
offset. Each sink computes the SHA-256 of what it received; the caller compares it with the
manifest before anything is given its real name. A sink without a path only counts and hashes:
read-back verification extracts every member that way, with the same code, writing nothing.

The package is opened through `restore.archive`, which corrects what py7zr would misread.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from py7zr.io import Py7zIO, WriterFactory

from restore.archive import HeaderRepairs, open_package


@dataclass
class Sink(Py7zIO):
    """Where one member's bytes go: `path` at `offset` (0 and truncate for a whole file), or
    nowhere but the digest when `path` is None."""

    path: Path | None
    offset: int = 0
    whole: bool = True
    digest: hashlib._Hash = field(default_factory=hashlib.sha256)
    written: int = 0
    opened: bool = False
    closed: bool = False
    _handle: BinaryIO | None = None

    def _open(self) -> BinaryIO:
        assert self.path is not None
        if self._handle is None:
            # A chunk's file is created by the caller before extraction: chunks never truncate it.
            self._handle = open(self.path, "wb" if self.whole else "r+b")  # noqa: SIM115 - closed in close()
            self._handle.seek(self.offset)
            self.opened = True
        return self._handle

    def write(self, s: bytes | bytearray) -> int:
        if self.path is not None:
            self._open().write(s)
        self.digest.update(s)
        self.written += len(s)
        return len(s)

    def read(self, size: int | None = None) -> bytes:
        return b""

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0  # py7zr rewinds finished products; these are files already in place

    def seekable(self) -> bool:
        return False

    def flush(self) -> None:
        if self._handle is not None:
            self._handle.flush()

    def size(self) -> int:
        return self.written

    def close(self) -> None:
        if self.path is not None:
            self._open()  # an empty member still makes its (empty) file
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        self.closed = True

    @property
    def sha256(self) -> str:
        return self.digest.hexdigest()


class _Factory(WriterFactory):
    """Hands py7zr the sink of each wanted member, keyed the way py7zr names its outputs."""

    def __init__(self, scratch: Path, sinks: dict[str, Sink]) -> None:
        self._by_key = {(scratch / PurePosixPath(member)).as_posix(): sink for member, sink in sinks.items()}
        self._lock = threading.Lock()
        self.unexpected: list[str] = []

    def create(self, filename: str) -> Py7zIO:
        with self._lock:
            sink = self._by_key.get(filename)
            if sink is None:
                # A duplicate name py7zr renamed, or anything else not asked for: its bytes go nowhere.
                self.unexpected.append(filename)
                return _Discard()
            return sink


class _Discard(Py7zIO):
    def write(self, s: bytes | bytearray) -> int:
        return len(s)

    def read(self, size: int | None = None) -> bytes:
        return b""

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0

    def seekable(self) -> bool:
        return False

    def flush(self) -> None:
        return None

    def size(self) -> int:
        return 0


def extract_members(archive_path: Path | BinaryIO, sinks: dict[str, Sink], scratch: Path,
                    sizes: Mapping[str, int] | None = None) -> HeaderRepairs:
    """Decompress the members named in `sinks` into them; `sizes` (member → bytes stored, from the
    manifest) lets a header with wrong sizes be corrected. `archive_path` may be an open payload
    of which only the needed solid blocks were read (`restore.sparse`). py7zr errors (a damaged
    archive, a bad CRC) propagate; sinks that were never written stay `closed = False`."""
    scratch.mkdir(parents=True, exist_ok=True)
    factory = _Factory(scratch, sinks)
    try:
        with open_package(archive_path, sizes) as (archive, repairs):
            archive.extract(path=scratch, targets=list(sinks), factory=factory)
        return repairs
    finally:
        for sink in sinks.values():
            if sink._handle is not None:
                sink._handle.close()
                sink._handle = None
