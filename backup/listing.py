"""A folder's entries in name order, without holding a huge folder's listing in memory.

`os.scandir` gives entries in no particular order, and the scan must walk them sorted (the planner
relies on `FileEntry.order_key` order). A listing of up to `IN_MEMORY` entries is sorted as it is.
A longer one is sorted in runs of that many names, each run written to a temporary file, and the
runs merged: a folder of ten million files then holds one run's names and one name per run, not
ten million `DirEntry` objects (about 300 bytes each). Entries after the first run are looked up by
name (`os.lstat`), an extra system call only in folders that large.

Names are written as UTF-8 with lone surrogates kept (`surrogatepass`): that byte order is the code
point order `sorted` gives the names as strings, so both ways give the same order. A name never
holds NUL, which separates them.
"""

from __future__ import annotations

import heapq
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import IO, Any

IN_MEMORY = 100_000
_READ = 1 << 16


class NamedEntry:
    """What the scan reads of an entry of a spilled listing: its name, path and `lstat`."""

    __slots__ = ("name", "path")

    def __init__(self, folder: str, name: str) -> None:
        self.name = name
        self.path = os.path.join(folder, name)

    def stat(self, *, follow_symlinks: bool = True) -> os.stat_result:
        return os.stat(self.path, follow_symlinks=follow_symlinks)


def sorted_listing(scandir: Callable[[str], Any], folder: str, in_memory: int = IN_MEMORY) -> Iterator[Any]:
    """The entries of `folder` by name; an OSError while listing is raised before the first entry."""
    runs: list[IO[bytes]] = []
    held: list[Any] = []
    try:
        with scandir(folder) as found:
            for entry in found:
                held.append(entry)
                if len(held) >= in_memory:
                    runs.append(_spill(held))
                    held = []
    except BaseException:
        for run in runs:
            run.close()
        raise
    held.sort(key=lambda entry: entry.name)
    if not runs:
        return iter(held)
    if held:
        runs.append(_spill(held))
    return _merged(folder, runs)


def _spill(entries: list[Any]) -> IO[bytes]:
    run = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the merge, which closes it
    run.write(b"\0".join(sorted(entry.name.encode("utf-8", "surrogatepass") for entry in entries)))
    run.seek(0)
    return run


def _names(run: IO[bytes]) -> Iterator[bytes]:
    rest = b""
    while block := run.read(_READ):
        parts = (rest + block).split(b"\0")
        rest = parts.pop()
        yield from parts
    if rest:
        yield rest


def _merged(folder: str, runs: list[IO[bytes]]) -> Iterator[NamedEntry]:
    with ExitStack() as closing:
        for run in runs:
            closing.enter_context(run)
        for name in heapq.merge(*(_names(run) for run in runs)):
            yield NamedEntry(folder, name.decode("utf-8", "surrogatepass"))
