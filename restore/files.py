"""What a restore does on disk: one task per file version, folder and link, decided before any
tape moves, and the careful last steps (check, time, mode, name) once a file's bytes are in.

- A file is written into a hidden partial file beside its destination (`paths.partial_name`);
  a split file's chunks land in the same partial file at their offsets, whatever package,
  cartridge or run they come from. Only a file whose every chunk matches its manifest SHA-256
  gets its modification time, its mode and its real name.
- Existing files: `skip` leaves them; `rename` restores beside them as `name (恢复 N).ext` —
  unless the existing file already has the same size, time and content (a run cut short after
  placing it); `overwrite` replaces them. A folder in the way of a file is never replaced.
- Folders are created as files need them; their times are set last, deepest first (writing
  into a folder changes its time). Links are created after every file, so no write can pass
  through a restored link, and each is checked again once all exist.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backup.names import decode_name
from restore import messages
from restore.paths import (
    UnsafePath,
    check_member,
    ensure_folder,
    inside,
    link_stays_inside,
    partial_name,
    relative_parts,
    renamed,
)

CONFLICT_MODES = ("skip", "rename", "overwrite")
_MODE_BITS = 0o1777  # setuid/setgid are not given back to restored files
_HASH_CHUNK = 1 << 20


@dataclass
class Chunk:
    row: dict[str, Any]
    ok: bool | None = None  # None: not read yet in this run

    @property
    def index(self) -> int:
        return int(self.row["chunk_index"])

    @property
    def offset(self) -> int:
        return int(self.row["chunk_offset"])

    @property
    def length(self) -> int:
        return int(self.row["chunk_length"])


@dataclass
class FileTask:
    full_path: str
    parts: list[str]
    chunks: list[Chunk]
    mtime_ns: int
    mode: int
    dest: Path
    part: Path
    state: str = "pending"  # pending, done_before, restored, renamed, identical, skipped, failed

    @property
    def packages(self) -> set[str]:
        return {c.row["package_id"] for c in self.chunks}

    @property
    def size(self) -> int:
        return max((c.offset + c.length for c in self.chunks), default=0)

    @property
    def whole(self) -> bool:
        return len(self.chunks) == 1 and int(self.chunks[0].row["total_chunks"]) == 1


@dataclass
class LinkTask:
    full_path: str
    parts: list[str]
    link_target: str
    mtime_ns: int


@dataclass
class FolderTask:
    full_path: str
    parts: list[str]
    mtime_ns: int
    mode: int
    existed: bool


@dataclass
class Work:
    target: Path
    on_conflict: str
    job_id: str
    files: list[FileTask] = field(default_factory=list)
    folders: list[FolderTask] = field(default_factory=list)
    links: list[LinkTask] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    refused: int = 0

    def file_rows(self) -> list[dict[str, Any]]:
        """Catalog rows of the chunks still to read (files left pending)."""
        return [c.row for task in self.files if task.state == "pending" for c in task.chunks]

    def count(self, *states: str) -> int:
        return sum(1 for task in self.files if task.state in states)

    def bytes(self, *states: str) -> int:
        return sum(task.size for task in self.files if task.state in states)


def native_names(row: dict[str, Any]) -> tuple[str, str, str | None]:
    """(root, path, link target) with the exact bytes of names that are not valid Unicode, which the
    catalog keeps in `raw` (older catalogs did not: their display form is used)."""
    root_raw = path_raw = target_raw = None
    if row.get("raw"):
        root_raw, path_raw, target_raw = json.loads(row["raw"])
    target = row.get("link_target")
    return (decode_name(row["root"], root_raw), decode_name(row["path"], path_raw),
            None if target is None else decode_name(target, target_raw))


def prepare(rows: Iterable[dict[str, Any]], target: Path, on_conflict: str, job_id: str,
            done_packages: Iterable[str] = ()) -> Work:
    """Decide, before reading any tape, what happens to every selected entry."""
    work = Work(target, on_conflict, job_id)
    done = set(done_packages)
    grouped: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault((row["grp"], row["job_id"], row["full_path"]), []).append(row)
    for (_, _, full), members in sorted(grouped.items(), key=lambda item: item[0][2]):
        first = min(members, key=lambda r: int(r["chunk_index"]))
        root, path, link_target = native_names(first)
        try:
            parts = relative_parts(root, path)
        except UnsafePath as unsafe:
            work.refused += 1
            work.warnings.append(messages.text("refused_entry", path=full, reason=unsafe.reason))
            continue
        if first["kind"] == "dir":
            dest = target.joinpath(*parts)
            work.folders.append(FolderTask(full, parts, int(first["mtime_ns"]), int(first["mode"]),
                                           os.path.lexists(dest)))
        elif first["kind"] == "symlink":
            work.links.append(LinkTask(full, parts, link_target or "", int(first["mtime_ns"])))
        else:
            _add_file(work, full, parts, members, done)
    return work


def _add_file(work: Work, full: str, parts: list[str], members: list[dict[str, Any]], done: set[str]) -> None:
    rows = sorted(members, key=lambda r: int(r["chunk_index"]))
    try:
        for row in rows:
            check_member(row["member"])
    except UnsafePath as unsafe:
        work.refused += 1
        work.warnings.append(messages.text("refused_entry", path=full, reason=unsafe.reason))
        return
    total = int(rows[0]["total_chunks"])
    if len(rows) != total:
        have = {int(r["chunk_index"]) for r in rows}
        missing = [str(i + 1) for i in range(total) if i not in have]
        work.warnings.append(messages.text("chunks_missing", path=full, missing="、".join(missing), total=total))
        return
    dest = work.target.joinpath(*parts)
    task = FileTask(full, parts, [Chunk(r) for r in rows], int(rows[0]["mtime_ns"]), int(rows[0]["mode"]),
                    dest, partial_name(dest, work.job_id))
    if task.packages <= done:
        task.state = "done_before"  # placed before the run that recorded its last package
    elif (os.path.lexists(dest) and work.on_conflict == "skip" and not os.path.lexists(task.part)):
        task.state = "skipped"
    else:
        try:
            ensure_folder(work.target, parts[:-1])
        except UnsafePath as unsafe:
            work.refused += 1
            work.warnings.append(messages.text("refused_entry", path=full, reason=unsafe.reason))
            return
        if any(r.get("state") not in (None, "ok") for r in rows):
            work.notes.append(messages.text("changed_during_backup", path=full))
    work.files.append(task)


def adopt_native_names(work: Work, task: FileTask, entry: dict[str, Any]) -> None:
    """Use the exact names the tape manifest records when they differ from the catalog's
    display form (names that were not valid Unicode)."""
    if entry.get("path_raw") is None and entry.get("root_raw") is None:
        return
    parts = relative_parts(decode_name(entry.get("root", ""), entry.get("root_raw")),
                           decode_name(entry.get("path", ""), entry.get("path_raw")))
    if parts != task.parts:
        ensure_folder(work.target, parts[:-1])
        task.parts = parts
        task.dest = work.target.joinpath(*parts)
        task.part = partial_name(task.dest, work.job_id)


def _region_sha256(path: Path, offset: int, length: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        handle.seek(offset)
        left = length
        while left > 0:
            data = handle.read(min(_HASH_CHUNK, left))
            if not data:
                break
            digest.update(data)
            left -= len(data)
    return digest.hexdigest()


def content_matches(path: Path, task: FileTask) -> bool:
    """True if the file at `path` holds exactly the bytes the manifest describes."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode) or os.path.getsize(path) != task.size:
            return False
        return all(_region_sha256(path, c.offset, c.length) == c.row["sha256"] for c in task.chunks)
    except OSError:
        return False


def _written_correctly(part: Path, task: FileTask) -> bool:
    """Chunks hashed as they were written in this run are trusted; chunks written by an earlier
    run (before a pause or a crash) are hashed again from the partial file."""
    try:
        if os.path.getsize(part) < task.size:
            return False
        if os.path.getsize(part) > task.size:
            os.truncate(part, task.size)
    except OSError:
        return False
    return all(c.ok or _region_sha256(part, c.offset, c.length) == c.row["sha256"] for c in task.chunks)


def finish_file(work: Work, task: FileTask) -> None:
    """Check the partial file against the manifest, then give it its time, mode and name."""
    part = task.part
    if not part.exists():
        task.state = "failed"
        work.warnings.append(messages.text("partial_lost", path=task.full_path))
        return
    if any(c.ok is False for c in task.chunks) or not _written_correctly(part, task):
        task.state = "failed"
        part.unlink(missing_ok=True)
        work.warnings.append(messages.text("checksum_failed", path=task.full_path))
        return
    dest = task.dest
    outcome = "restored"
    if os.path.lexists(dest):
        if os.path.isdir(dest) and not os.path.islink(dest):
            task.state = "failed"
            part.unlink(missing_ok=True)
            work.warnings.append(messages.text("folder_in_the_way", path=task.full_path))
            return
        if work.on_conflict == "skip":
            task.state = "skipped"
            part.unlink(missing_ok=True)
            return
        if work.on_conflict == "rename":
            if os.lstat(dest).st_mtime_ns == task.mtime_ns and content_matches(dest, task):
                task.state = "identical"
                part.unlink(missing_ok=True)
                return
            dest = renamed(dest)
            outcome = "renamed"
    os.utime(part, ns=(task.mtime_ns, task.mtime_ns))
    if task.mode:
        os.chmod(part, stat.S_IMODE(task.mode) & _MODE_BITS)
    os.replace(part, dest)
    task.dest = dest
    task.state = outcome


def discard_partials(work: Work) -> None:
    """Remove the partial files of a cancelled restore (a paused one keeps them for later)."""
    for task in work.files:
        if task.state == "pending":
            task.part.unlink(missing_ok=True)


def finish_folders_and_links(work: Work) -> tuple[int, int]:
    """Create the selected folders and links and set folder times; returns (folders, links)."""
    folders = 0
    for folder in work.folders:
        try:
            ensure_folder(work.target, folder.parts)
            folders += 1
        except UnsafePath as unsafe:
            work.refused += 1
            work.warnings.append(messages.text("refused_entry", path=folder.full_path, reason=unsafe.reason))
    links = [link for link in work.links if _make_link(work, link)]
    _recheck_links(work, links)
    for folder in sorted(work.folders, key=lambda f: len(f.parts), reverse=True):
        path = work.target.joinpath(*folder.parts)
        if not path.is_dir() or path.is_symlink():
            continue
        if folder.mode and (not folder.existed or work.on_conflict == "overwrite"):
            os.chmod(path, stat.S_IMODE(folder.mode) & _MODE_BITS)
        os.utime(path, ns=(folder.mtime_ns, folder.mtime_ns))
    return folders, len([link for link in links if os.path.islink(work.target.joinpath(*link.parts))])


def _make_link(work: Work, link: LinkTask) -> bool:
    if not link_stays_inside(work.target, link.parts, link.link_target):
        work.refused += 1
        work.warnings.append(messages.text("link_outside", path=link.full_path, link=link.link_target))
        return False
    try:
        folder = ensure_folder(work.target, link.parts[:-1])
    except UnsafePath as unsafe:
        work.refused += 1
        work.warnings.append(messages.text("refused_entry", path=link.full_path, reason=unsafe.reason))
        return False
    dest = folder / link.parts[-1]
    if os.path.lexists(dest):
        if os.path.isdir(dest) and not os.path.islink(dest):
            work.warnings.append(messages.text("folder_in_the_way", path=link.full_path))
            return False
        if work.on_conflict == "skip":
            return False
        if work.on_conflict == "rename":
            if os.path.islink(dest) and os.readlink(dest) == link.link_target:
                return False
            dest = renamed(dest)
        else:
            dest.unlink()
    try:
        os.symlink(link.link_target, dest)
    except OSError as error:  # Windows without the privilege to create links
        work.warnings.append(messages.text("link_failed", path=link.full_path, error=error.strerror or str(error)))
        return False
    link.parts = [*link.parts[:-1], dest.name]
    if os.utime in os.supports_follow_symlinks:
        os.utime(dest, ns=(link.mtime_ns, link.mtime_ns), follow_symlinks=False)
    return True


def _recheck_links(work: Work, links: list[LinkTask]) -> None:
    """Links checked one by one by name can still chain outside together: check what they resolve to."""
    for link in links:
        path = work.target.joinpath(*link.parts)
        if os.path.islink(path) and not inside(work.target, path):
            path.unlink()
            work.refused += 1
            work.warnings.append(messages.text("link_outside", path=link.full_path, link=link.link_target))
