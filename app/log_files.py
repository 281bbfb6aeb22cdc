"""TAF's rolling log files read as entries: the system log (LOG_FILE) and the tape command log
beside it (`tape.log`, see `config.logging_setup`).

A line starts an entry when it has the handlers' format (`时间 级别 记录器: 消息`); the lines after
it that do not (a traceback) belong to it. `tail` reads a file and its rotated copies (`.1`, `.2` …)
backwards from their end, block by block, so the newest entries cost what they are and no more;
`follow` reads what was written after a `FileCursor` — the file's identity (inode) and the offset —
which survives a rotation (the rest of the old file is read from its new name first).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from app.errors import BadRequest

HEADER = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) ([A-Z]+) (\S+?): (.*)$")
BLOCK = 1 << 20
ROTATED = 10  # RotatingFileHandler's backupCount in config.logging_setup


@dataclass
class FileEntry:
    at: datetime  # local time, with its zone
    level: str  # the logging level's name: DEBUG, INFO, WARNING, ERROR, CRITICAL
    logger: str
    message: str
    more: list[str] = field(default_factory=list)  # the lines that followed it (a traceback)

    @property
    def text(self) -> str:
        return "\n".join([self.message, *self.more])


@dataclass(frozen=True)
class FileCursor:
    """Where a reader of one log file stopped: the file (inode) and the offset after its last line."""

    inode: int
    offset: int

    def __str__(self) -> str:
        return f"{self.inode}:{self.offset}"

    @classmethod
    def parse(cls, text: str) -> FileCursor:
        found = re.fullmatch(r"([0-9]{1,20}):([0-9]{1,18})", text.strip())
        if not found:
            raise BadRequest(f"无法识别的日志位置“{text}”：应为上次答复中的 cursor")
        return cls(int(found.group(1)), int(found.group(2)))


Accept = Callable[[FileEntry], bool]


def _entry(line: str) -> FileEntry | None:
    found = HEADER.match(line)
    if not found:
        return None
    at = datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S").replace(microsecond=int(found.group(2)) * 1000)
    return FileEntry(at.astimezone(), found.group(3), found.group(4), found.group(5))


def parse(data: bytes) -> tuple[list[str], list[FileEntry]]:
    """Whole lines as (the lines before the first entry — the end of one that began earlier —,
    the entries), oldest first."""
    orphans: list[str] = []
    entries: list[FileEntry] = []
    for line in data.decode("utf-8", errors="replace").splitlines():
        entry = _entry(line)
        if entry is not None:
            entries.append(entry)
        elif entries:
            entries[-1].more.append(line)
        else:
            orphans.append(line)
    return orphans, entries


def rotated(path: Path) -> list[Path]:
    """The file and its rotated copies that exist, newest first."""
    return [candidate for candidate in [path, *(path.with_name(f"{path.name}.{n}") for n in range(1, ROTATED + 1))]
            if candidate.exists()]


def complete_end(handle: BinaryIO, size: int) -> int:
    """The offset after the last whole line (a line being written is left for later)."""
    start = max(0, size - 65536)
    handle.seek(start)
    cut = handle.read(size - start).rfind(b"\n")
    return start + cut + 1 if cut >= 0 else start


def _blocks_backwards(handle: BinaryIO, end: int, budget: int) -> Iterator[bytes]:
    """Whole lines before `end`, a block at a time, the last block first, `budget` bytes at most."""
    position, carried, read = end, b"", 0
    while position > 0 and read < budget:
        start = max(0, position - BLOCK)
        handle.seek(start)
        data = handle.read(position - start) + carried
        read += position - start
        position = start
        if start > 0:
            cut = data.find(b"\n") + 1
            carried, data = data[:cut], data[cut:]  # a line cut by the block's start: read with the block before
            if not cut:
                carried, data = data, b""
        if data:
            yield data


@dataclass
class Tail:
    entries: list[FileEntry]  # newest first
    cursor: FileCursor  # the current file's end now: follow from here
    complete: bool  # False: the budget ran out before the files did (older entries may match)


def tail(path: Path, accept: Accept, limit: int, budget: int) -> Tail:
    """The newest `limit` entries `accept` takes from `path` and its rotated copies, newest first,
    reading `budget` bytes at most."""
    entries: list[FileEntry] = []
    cursor = FileCursor(0, 0)
    left = budget
    for number, candidate in enumerate(rotated(path)):
        with candidate.open("rb") as handle:
            stat = os.fstat(handle.fileno())
            end = complete_end(handle, stat.st_size)
            if number == 0 and candidate == path:
                cursor = FileCursor(stat.st_ino, end)
            pending: list[str] = []
            for block in _blocks_backwards(handle, end, left):
                left -= len(block)
                orphans, found = parse(block)
                if found:
                    found[-1].more.extend(pending)
                    pending = orphans
                else:
                    pending = orphans + pending
                entries.extend(entry for entry in reversed(found) if accept(entry))
                if len(entries) >= limit:
                    return Tail(entries[:limit], cursor, False)
        if left <= 0:
            return Tail(entries, cursor, False)
    return Tail(entries, cursor, True)


def _read_from(path: Path, offset: int, budget: int) -> tuple[bytes, FileCursor]:
    with path.open("rb") as handle:
        stat = os.fstat(handle.fileno())
        offset = offset if offset <= stat.st_size else 0  # truncated: start again
        end = complete_end(handle, min(stat.st_size, offset + budget))
        if end < offset:
            end = offset
        handle.seek(offset)
        return handle.read(end - offset), FileCursor(stat.st_ino, end)


def follow(path: Path, cursor: FileCursor, budget: int) -> tuple[list[FileEntry], FileCursor]:
    """The entries written to `path` after `cursor`, oldest first, `budget` bytes at most, and the
    cursor after them (ask again with it: more may be waiting)."""
    if not path.exists():
        return [], cursor
    current = path.stat().st_ino
    data = b""
    if cursor.inode != current:
        # Rotated since: the rest of the file the cursor names, under its new name, then the new file.
        old = next((p for p in rotated(path)[1:] if p.stat().st_ino == cursor.inode), None)
        if old is not None:
            data, _ = _read_from(old, cursor.offset, budget)
        cursor = FileCursor(current, 0)
    more, cursor = _read_from(path, cursor.offset, max(0, budget - len(data)))
    orphans, entries = parse(data + more)
    if orphans:  # the rest of an entry already shown (it was being written): shown on its own
        entries.insert(0, FileEntry(datetime.now().astimezone(), "INFO", "", orphans[0], orphans[1:]))
    return entries, cursor
