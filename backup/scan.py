"""Walk the configured source paths and yield what a full backup must hold.

One `lstat` per entry through `os.scandir`, no subprocesses, an explicit stack instead of
recursion (trees can be deeper than Python's recursion limit), and entries yielded as they are
found, so millions of files cost memory only for the listings of the directories on the current
path (a listing longer than `listing.IN_MEMORY` is sorted on disk, in runs, so even a folder of
millions of files holds only a run of names).

Order: roots sorted (a root that is a file where its entry sorts, under its parent), then
depth-first with the names of each directory sorted; a directory comes before its contents. This
is `FileEntry.order_key` order, which the planner relies on.

Symbolic links (and Windows junctions) are recorded with their target and never followed. FIFOs,
sockets and devices are skipped with a warning. Anything unreadable is a warning, never an
exception: a backup of 99.99 % of a tree is worth more than no backup.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from backup.entry import EntryKind, FileEntry
from backup.listing import IN_MEMORY, sorted_listing
from backup.messages import SPECIAL_KIND_NAMES, BackupWarning, os_error_detail
from backup.names import display_path, long_path_form

# stat.IO_REPARSE_TAG_MOUNT_POINT exists only on Windows builds of Python.
_JUNCTION_TAG = 0xA0000003
_WINDOWS = os.name == "nt"

ScandirFn = Callable[[str], "os._ScandirIterator[str]"]
WarningSink = Callable[[BackupWarning], None]


@dataclass(slots=True)
class ScanSummary:
    """Running totals of a scan, complete once iteration ends."""

    files: int = 0
    dirs: int = 0
    symlinks: int = 0
    skipped: int = 0
    warnings: int = 0
    total_bytes: int = 0

    @property
    def entries(self) -> int:
        return self.files + self.dirs + self.symlinks


def dedupe_roots(
    roots: Iterable[str], *, windows: bool = os.name == "nt"
) -> tuple[list[str], list[tuple[str, str]]]:
    """Sorted distinct roots without those inside another root, and the (nested, container) pairs dropped."""
    sep = "\\" if windows else "/"

    def norm(path: str) -> str:
        path = path.replace("/", "\\") if windows else path
        return (path.lower() if windows else path).rstrip(sep) + sep

    kept: list[str] = []
    dropped: list[tuple[str, str]] = []
    # Sorting puts every container before the roots inside it, so one pass suffices.
    for root in sorted(set(roots), key=norm):
        container = next((k for k in kept if norm(root).startswith(norm(k))), None)
        if container is None:
            kept.append(root)
        else:
            dropped.append((root, container))
    return sorted(kept), dropped


def special_kind(mode: int) -> str:
    """The catalogue key for a file type the backup does not copy."""
    for test, name in (
        (stat.S_ISFIFO, "fifo"),
        (stat.S_ISSOCK, "socket"),
        (stat.S_ISCHR, "char_device"),
        (stat.S_ISBLK, "block_device"),
        (stat.S_ISDOOR, "door"),
    ):
        if test(mode):
            return name
    return "unknown"


class SourceScan:
    """An iterable over the entries of the given roots; read `summary` and `warnings` afterwards.

    `scandir` is the directory-listing function (a seam for tests that need a listing to fail,
    since the test suite runs as root and permissions do not stop it). `keep_warnings` bounds the
    `warnings` kept (a tree of a million sockets is a million warnings); `summary.warnings` and
    `on_warning` still see every one.
    """

    def __init__(
        self,
        roots: Iterable[str | os.PathLike[str]],
        *,
        on_warning: WarningSink | None = None,
        scandir: ScandirFn = os.scandir,
        keep_warnings: int | None = None,
    ) -> None:
        self._roots = [os.path.abspath(os.fspath(r)) for r in roots]
        self._on_warning = on_warning
        self._scandir = scandir
        self._keep_warnings = keep_warnings
        self.in_memory = IN_MEMORY  # a longer folder listing is sorted on disk (`backup.listing`)
        self.summary = ScanSummary()
        self.warnings: list[BackupWarning] = []

    def __iter__(self) -> Iterator[FileEntry]:
        roots, nested = dedupe_roots(self._roots)
        for root, container in nested:
            self._warn("scan.root_nested", display_path(root, ""), display_path(container, ""))
        # A root that is a file is recorded under its parent, so roots are walked in the order of
        # the keys their entries get (a file root "/x/b" before a folder root "/x/a.d"): the
        # planner takes the entries as a stream and relies on that order.
        started = sorted((self._start(root) for root in roots), key=lambda start: start[0])
        for _, root, found in started:
            yield from self._scan_root(root, found)

    def _warn(self, code: str, path: str, detail: str = "") -> None:
        warning = BackupWarning(code, path, detail)
        self.summary.warnings += 1
        if self._keep_warnings is None or len(self.warnings) < self._keep_warnings:
            self.warnings.append(warning)
        if self._on_warning is not None:
            self._on_warning(warning)

    @staticmethod
    def _start(root: str) -> tuple[tuple[str, tuple[str, ...]], str, os.stat_result | OSError]:
        """The order key of a root's first entry, the root, and its stat (or why it has none)."""
        # Windows: walk below the \\?\ form so deep trees pass the 260-character limit; the
        # entries still record the root as the operator wrote it.
        io_root = long_path_form(root) if _WINDOWS else root
        try:
            # A root given as a link is what the operator chose to back up, so it is followed.
            found: os.stat_result | OSError = os.stat(io_root)
        except OSError as error:
            found = error
        if isinstance(found, os.stat_result) and stat.S_ISDIR(found.st_mode):
            return (root, ()), root, found
        parent, name = os.path.split(root)
        return (parent, (name,)), root, found

    def _scan_root(self, root: str, st: os.stat_result | OSError) -> Iterator[FileEntry]:
        io_root = long_path_form(root) if _WINDOWS else root
        if isinstance(st, OSError):
            self._warn("scan.root_missing", display_path(root, ""), os_error_detail(st))
            return
        if not stat.S_ISDIR(st.st_mode):
            parent, name = os.path.split(root)
            entry = self._make_entry(parent, name, st, io_root)
            if entry is not None:
                yield entry
            return
        stack: list[tuple[str, Iterator[os.DirEntry[str]]]] = [("", self._list(root, "", io_root))]
        while stack:
            prefix, listing = stack[-1]
            dir_entry = next(listing, None)
            if dir_entry is None:
                stack.pop()
                continue
            rel = f"{prefix}/{dir_entry.name}" if prefix else dir_entry.name
            try:
                st = dir_entry.stat(follow_symlinks=False)
            except OSError as error:
                self._warn("scan.entry_unreadable", display_path(root, rel), os_error_detail(error))
                continue
            entry = self._make_entry(root, rel, st, dir_entry.path)
            if entry is None:
                continue
            yield entry
            if entry.kind is EntryKind.DIR:
                stack.append((rel, self._list(root, rel, dir_entry.path)))

    def _list(self, root: str, rel: str, path: str) -> Iterator[os.DirEntry[str]]:
        try:
            return sorted_listing(self._scandir, path, self.in_memory)
        except OSError as error:
            self._warn("scan.dir_unreadable", display_path(root, rel), os_error_detail(error))
            return iter(())

    def _make_entry(self, root: str, rel: str, st: os.stat_result, path: str) -> FileEntry | None:
        mode = st.st_mode

        def entry(kind: EntryKind, size: int = 0, target: str | None = None) -> FileEntry:
            return FileEntry(root, rel, kind, size, st.st_mtime_ns, mode, target)

        if stat.S_ISLNK(mode) or getattr(st, "st_reparse_tag", 0) == _JUNCTION_TAG:
            try:
                target = os.readlink(path)
            except OSError as error:
                self._warn("scan.link_unreadable", display_path(root, rel), os_error_detail(error))
                return None
            self.summary.symlinks += 1
            return entry(EntryKind.SYMLINK, target=target)
        if stat.S_ISDIR(mode):
            self.summary.dirs += 1
            return entry(EntryKind.DIR)
        if stat.S_ISREG(mode):
            self.summary.files += 1
            self.summary.total_bytes += st.st_size
            return entry(EntryKind.FILE, st.st_size)
        self.summary.skipped += 1
        self._warn("scan.special_skipped", display_path(root, rel), SPECIAL_KIND_NAMES[special_kind(mode)])
        return None
