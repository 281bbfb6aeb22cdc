"""One package, already off tape and checked, turned into files: the disk half of a package step.

The tape manifest read with the package is the authority on what each member is; the catalog row
that chose the member must agree with it (same member, SHA-256 and offset) or the member is not
used. Members are extracted straight into their (partial) files, hashed on the way; a file whose
last missing chunk this package brings is checked and given its name at once.

A partial read (`restore.partial`) unpacks `strict`ly: if anything goes wrong — py7zr fails, or a
member does not come out as the catalog says — `UnpackFailed` is raised before any file is
finished or marked, so the caller can read the whole package and unpack again from the start.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from kernel.errors import TafError
from restore import messages
from restore.archive import UNPACK_ERRORS, stored_sizes, unpack_error_text
from restore.extract import Sink, extract_members
from restore.files import FileTask, Work, adopt_native_names, finish_file
from restore.paths import UnsafePath

FINISHED = ("restored", "renamed", "identical")
log = logging.getLogger("taf.restore")


class UnpackFailed(TafError):
    """A strict unpack did not give every wanted member back; `reason` is in Chinese."""

    default_message = "数据包解压失败"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Unpacked:
    files: int = 0  # files given their final name (or found already there) thanks to this package
    bytes_written: int = 0


def unpack_package(work: Work, package_id: str, manifest: list[dict[str, Any]], archive: Path | BinaryIO,
                   scratch: Path, tasks: list[tuple[FileTask, int]], done_packages: set[str], *,
                   strict: bool = False) -> Unpacked:
    """Extract the chunks `tasks` names ((file, chunk index) pairs) from `archive` and finish the
    files that are complete once this package is counted as done (`strict`: see module doc)."""
    entries = {entry.get("member"): entry for entry in manifest}
    sinks: dict[str, Sink] = {}
    wanted: list[tuple[FileTask, int, Sink, dict[str, Any]]] = []
    for task, index in tasks:
        if task.state != "pending":
            continue  # another chunk of it already failed: its bytes are not worth writing
        chunk = task.chunks[index]
        entry = entries.get(chunk.row["member"])
        if (entry is None or entry.get("sha256") != chunk.row["sha256"]
                or int(entry.get("chunk_offset", 0)) != chunk.offset):
            chunk.ok = False
            work.warnings.append(messages.text("manifest_disagrees", path=task.full_path, package=package_id))
            continue
        try:
            adopt_native_names(work, task, entry)
        except UnsafePath as unsafe:
            task.state = "failed"
            work.refused += 1
            work.warnings.append(messages.text("refused_entry", path=task.full_path, reason=unsafe.reason))
            continue
        if not task.whole and not task.part.exists():
            task.part.touch()  # chunks write into it at their offsets; none may truncate it
        sink = Sink(task.part, 0 if task.whole else chunk.offset, whole=task.whole)
        sinks[chunk.row["member"]] = sink
        wanted.append((task, index, sink, entry))
    result = Unpacked()
    if sinks:
        try:
            extract_members(archive, sinks, scratch, stored_sizes(manifest))
        except UNPACK_ERRORS as error:
            if strict:
                raise UnpackFailed(unpack_error_text(error)) from error
            log.warning("数据包 %s 解压失败", package_id, exc_info=True)
            work.warnings.append(messages.text("unpack_failed", package=package_id, error=unpack_error_text(error)))
    came_back = [sink.closed and sink.written == int(entry.get("chunk_length", 0)) and sink.sha256 == entry["sha256"]
                 for _, _, sink, entry in wanted]
    if strict and not all(came_back):
        raise UnpackFailed(messages.text("members_differ", count=came_back.count(False), total=len(came_back)))
    for (task, index, sink, _), ok in zip(wanted, came_back, strict=True):
        task.chunks[index].ok = ok
        result.bytes_written += sink.written
    complete = done_packages | {package_id}
    for task in {id(t): t for t, _ in tasks}.values():
        if task.state == "pending" and task.packages <= complete:
            finish_file(work, task)
            result.files += task.state in FINISHED
    return result
