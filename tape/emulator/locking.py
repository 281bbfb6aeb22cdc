"""The library lock: one exclusive lock file taken around every command and management call.

The file stays open for the life of the process and is locked with `tape.file_locks` (flock on
POSIX, a byte lock on Windows). Both are per open file, so two runtimes in one process also exclude
each other; threads of one runtime are serialised by the runtime's own RLock before they get here.
"""

from __future__ import annotations

import os
from pathlib import Path

from tape.emulator import fileio
from tape.file_locks import lock, try_lock, unlock


class LibraryLock:
    """An exclusive, process-wide lock on one library directory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        if self._fd is None:
            self._fd = fileio.open_rw(self.path)
        lock(self._fd)

    def release(self) -> None:
        if self._fd is not None:
            unlock(self._fd)

    def stamp(self) -> bytes:
        """The change stamp kept in the lock file (bytes 16-31), read under the lock.

        Every save of library.json writes a new random stamp here; comparing one positioned
        read is far cheaper than re-reading the JSON on every command.
        """
        assert self._fd is not None
        return fileio.pread(self._fd, 16, 16)

    def set_stamp(self) -> bytes:
        assert self._fd is not None
        value = os.urandom(16)
        fileio.pwrite(self._fd, value, 16)
        return value

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class OpenLock:
    """What O_EXCL is to a real drive's device node: one open transport per emulated drive, in any
    process (a second open, even in the same process, is refused until the first closes or its
    process dies). Held from the transport's open to its close."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> bool:
        fd = fileio.open_rw(self.path)
        if not try_lock(fd):
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            try:
                unlock(self._fd)
            finally:
                os.close(self._fd)
                self._fd = None
