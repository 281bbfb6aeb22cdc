"""Exclusive locks on an open file, the same on POSIX and Windows: the emulated library's lock, an
emulated drive's exclusive open and a job's run lock (`backup.run_lock`) all stand on these.

POSIX uses flock, not fcntl locks: flock locks belong to the open file, so two opens in one process
(two threads, a test) exclude each other too, and the kernel drops the lock when its process dies.
Windows locks the first byte of the file with msvcrt.locking, also per open file.
"""

from __future__ import annotations

import os
import sys
import time

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def lock(fd: int) -> None:
        """Wait for the lock."""
        while True:
            os.lseek(fd, 0, os.SEEK_SET)
            try:
                msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
                return
            except OSError:
                time.sleep(0.05)  # LK_LOCK gives up after ~10 s; a long holder may keep it longer

    def try_lock(fd: int) -> bool:
        """Take the lock if it is free; False if another open file holds it."""
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def lock(fd: int) -> None:
        """Wait for the lock."""
        fcntl.flock(fd, fcntl.LOCK_EX)

    def try_lock(fd: int) -> bool:
        """Take the lock if it is free; False if another open file holds it."""
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True

    def unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
