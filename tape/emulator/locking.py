"""The library lock: one exclusive lock file taken around every command and management call.

POSIX uses fcntl.flock on a file that stays open for the life of the process; Windows locks the
first byte of the same file with msvcrt.locking. flock and byte locks are per open file, so two
runtimes in one process also exclude each other; threads of one runtime are serialised by the
runtime's own RLock before they get here.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from tape.emulator import fileio

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock(fd: int) -> None:
        while True:
            os.lseek(fd, 0, os.SEEK_SET)
            try:
                msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
                return
            except OSError:
                time.sleep(0.05)  # LK_LOCK gives up after ~10 s; a long command may hold it longer

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True


class LibraryLock:
    """An exclusive, process-wide lock on one library directory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        if self._fd is None:
            self._fd = fileio.open_rw(self.path)
        _lock(self._fd)

    def release(self) -> None:
        if self._fd is not None:
            _unlock(self._fd)

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
        if not _try_lock(fd):
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            try:
                _unlock(self._fd)
            finally:
                os.close(self._fd)
                self._fd = None
