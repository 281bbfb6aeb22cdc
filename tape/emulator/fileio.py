"""Small portable file primitives: positioned I/O, full writes, atomic JSON and the boot identity.

Windows has no os.pread/os.pwrite, so positioned access falls back to lseek + read/write; the
callers hold the library lock, so nothing else moves the file offset in between.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import Any

O_BINARY = getattr(os, "O_BINARY", 0)


def open_append(path: Path) -> int:
    """Open (creating) a file whose writes always land at its end."""
    return os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND | O_BINARY, 0o644)


def open_rw(path: Path) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT | O_BINARY, 0o644)


def pread(fd: int, size: int, offset: int) -> bytes:
    if hasattr(os, "pread"):
        return os.pread(fd, size, offset)
    os.lseek(fd, offset, os.SEEK_SET)
    chunks = []
    while size > 0:
        chunk = os.read(fd, size)
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def pwrite(fd: int, data: bytes, offset: int) -> None:
    if hasattr(os, "pwrite"):
        view = memoryview(data)
        while view:
            done = os.pwrite(fd, view, offset)
            view = view[done:]
            offset += done
        return
    os.lseek(fd, offset, os.SEEK_SET)
    write_all(fd, data)


def write_all(fd: int, data: bytes | memoryview) -> None:
    """os.write may write less than asked (signals, large buffers); loop until all is written."""
    done = os.write(fd, data)
    if done == len(data):
        return
    view = memoryview(data)[done:]
    while view:
        done = os.write(fd, view)
        view = view[done:]


def fsync_directory(path: Path) -> None:
    """Make a rename durable (POSIX); Windows cannot open directories and needs no such step."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json_atomic(path: Path, content: Any, *, durable: bool = True) -> None:
    """Write JSON so that a crash leaves either the old or the new file, never a torn one.

    `durable=False` skips both fsyncs: a killed process still leaves the old or the new file, but
    a power loss may leave the old one, or an empty one, in place of the new one. Only for files
    whose loss a reader tolerates (the cartridge's flush marker).
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    data = json.dumps(content, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | O_BINARY, 0o644)
    try:
        write_all(fd, data)
        if durable:
            os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    if durable:
        fsync_directory(path.parent)


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def remove_quietly(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


_BOOT_ID: str | None = None


def boot_id() -> str:
    """An identity of the current boot of this machine.

    Page-cache contents survive a killed process but not a reboot or power loss; comparing boot
    ids tells the cartridge whether unflushed blocks can be trusted. Linux names the boot
    exactly; elsewhere the boot time rounded to a minute stands in (a wrong guess only costs a
    CRC check of the unflushed tail).
    """
    global _BOOT_ID
    if _BOOT_ID is None:
        try:
            _BOOT_ID = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        except OSError:
            _BOOT_ID = f"boot-{round((time.time() - time.monotonic()) / 60)}"
    return _BOOT_ID
