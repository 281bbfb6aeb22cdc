"""The scan's entries kept on disk between the walk and the plan, read back as a stream.

Planning needs two figures only a finished walk knows — the job's bytes to compress (how finely
`backup.pool_size.split_limit` cuts it) and its totals (the scan bar) — and the walk cannot be
repeated to get the entries again: the files may change in between, and the plan must describe one
walk. Holding the walk in memory cost about 1.1 GiB per million files, so it goes to a file in the
job's staging folder instead, in batches of `BATCH` entries, each with whether the sampler flagged
it incompressible; memory is one batch whatever the tree's size.

The file is scratch: written and read by one process in one run, then deleted. Records are pickled
(our own file, never read by anything else).
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from backup.entry import FileEntry

BATCH = 4096
_FLAGGED, _PLAIN = b"\x01", b"\x00"


class EntrySpool:
    """Append entries (in the order the planner needs), then `entries()` gives them back in that order."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._out = open(path, "wb")  # noqa: SIM115 - closed by finish() or close()
        self._entries: list[FileEntry] = []
        self._flags = bytearray()

    def add(self, entry: FileEntry, incompressible: bool) -> None:
        self._entries.append(entry)
        self._flags += _FLAGGED if incompressible else _PLAIN
        if len(self._entries) >= BATCH:
            self._write()

    def finish(self) -> None:
        """Everything added is in the file; `entries()` may read it from now on."""
        self._write()
        self._out.close()

    def entries(self) -> Iterator[tuple[FileEntry, bool]]:
        """Each entry and its incompressible flag, in the order they were added."""
        with open(self.path, "rb") as spool:
            while True:
                try:
                    entries, flags = pickle.load(spool)  # our own scratch file, written above
                except EOFError:
                    return
                yield from zip(entries, (flag == 1 for flag in flags), strict=True)

    def close(self) -> None:
        """Delete the file; safe to call more than once, and after a failure."""
        self._out.close()
        self.path.unlink(missing_ok=True)

    def _write(self) -> None:
        if self._entries:
            pickle.dump((self._entries, bytes(self._flags)), self._out, protocol=pickle.HIGHEST_PROTOCOL)
            self._entries = []
            self._flags = bytearray()

    def __enter__(self) -> EntrySpool:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()


def spool_path(staging_dir: Path, job_id: str) -> Path:
    """Where a job's scan is spooled: its staging folder, which holds packages of gigabytes anyway."""
    return Path(os.fspath(staging_dir)) / job_id / "scan.spool"
