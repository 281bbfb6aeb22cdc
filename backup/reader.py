"""The stream py7zr reads a member from: one slice of a file, read once, hashed on the way.

py7zr's `writef` accepts an `io.BufferedIOBase` it can seek to measure, then reads it to EOF in
1 MiB blocks. This reader presents exactly the planned slice of the file (a whole file or one
chunk), computes the SHA-256 of what it hands over — a single read pass for compression, CRC and
digest — and turns the ways a live file misbehaves into facts for the packer instead of
exceptions inside py7zr: a read error or an early end of file simply ends the member, which
keeps the archive consistent.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
from collections.abc import Callable
from typing import BinaryIO

from kernel.errors import EXIT_STATE, TafError

Opener = Callable[[str], BinaryIO]


# Between the scan and the read, a file may be replaced. Not following a final symbolic link keeps
# a planted link from pulling a file from outside the source into the backup; not blocking keeps
# a FIFO from hanging the packer until a writer comes (the caller then sees it is not a file).
_OPEN_FLAGS = (
    os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
)


class NotARegularFile(TafError, OSError):
    """The path is no longer a regular file (it became a link, a directory, a FIFO …).

    Still an OSError: to whoever opens files it is one more way an open fails.
    """

    default_message = "不再是普通文件"

    def __init__(self, path: str) -> None:
        super().__init__(detail=path)


def open_source(path: str) -> BinaryIO:
    """Open a source file for one unbuffered read pass (py7zr already reads in 1 MiB blocks)."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise NotARegularFile(path) from error
        raise
    return os.fdopen(fd, "rb", buffering=0)


class PackCancelled(TafError):
    """Raised from inside a read when the job was cancelled; the package is abandoned."""

    exit_code = EXIT_STATE
    default_message = "任务已取消，数据包未完成"


class SliceReader(io.BufferedIOBase):
    def __init__(
        self,
        raw: BinaryIO,
        offset: int,
        length: int,
        *,
        on_read: Callable[[int], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> None:
        super().__init__()
        if offset:
            raw.seek(offset)
        self._raw = raw
        self._length = length
        self._position = 0
        self._on_read = on_read
        self._should_stop = should_stop
        self.digest = hashlib.sha256()
        self.bytes_read = 0
        self.error: OSError | None = None
        self.ended_early = False

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        # py7zr seeks only to measure the size before reading; the slice is then read once, in order.
        if self.bytes_read:
            raise io.UnsupportedOperation("a slice is read once, in order")
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._position, os.SEEK_END: self._length}[whence]
        self._position = base + offset
        return self._position

    def read(self, size: int | None = -1) -> bytes:
        if self._should_stop is not None and self._should_stop():
            raise PackCancelled()
        if self._position != self.bytes_read:
            raise io.UnsupportedOperation("a slice is read from its start")
        remaining = self._length - self.bytes_read
        if remaining <= 0 or self.error is not None or self.ended_early:
            return b""
        wanted = remaining if size is None or size < 0 else min(size, remaining)
        data = self._read_fully(wanted)
        if data:
            self.digest.update(data)
            self.bytes_read += len(data)
            self._position = self.bytes_read
            if self._on_read is not None:
                self._on_read(len(data))
        return data

    read1 = read

    def _read_fully(self, wanted: int) -> bytes:
        parts = []
        got = 0
        while got < wanted:
            try:
                part = self._raw.read(wanted - got)
            except OSError as error:
                self.error = error
                break
            if not part:
                self.ended_early = True
                break
            parts.append(part)
            got += len(part)
        return b"".join(parts)

    @property
    def complete(self) -> bool:
        """True when the whole planned slice was read."""
        return self.bytes_read == self._length
