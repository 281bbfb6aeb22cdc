"""Build one planned package as a 7z file in the staging folder, with py7zr only.

- LZMA2 at COMPRESSION_LEVEL (`backup.levels`) or COPY, as the plan says.
- SOLID_BLOCK_SIZE: files and links are grouped, in plan order, into solid blocks of at most that
  many payload bytes (a member larger than the block gets a block of its own), like 7-Zip's
  `-ms=<size>`. Restoring one small file then decompresses at most one block. Directories carry no
  data and go first in the archive (`backup.sevenzip` says why); the manifest keeps plan order.
- Each file (or chunk, read from its offset) is read once: py7zr compresses and CRCs the bytes
  while `SliceReader` hashes them.
- The package is written as `<id>.7z.partial` and renamed when complete, so a consumer never
  sees a half-written package and a crash leaves only `.partial` files to sweep.
- Files that vanish, cannot be opened, fail mid-read or change while read are warnings (and a
  manifest `state`); the package is still valid and complete for everything else.
"""

from __future__ import annotations

import os
import stat
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from backup import sevenzip
from backup.entry import EntryKind, FileEntry
from backup.layout import ArchiveLayout
from backup.levels import Codec, filters_for
from backup.manifest import STATE_CHANGED, STATE_OK, STATE_PARTIAL, ManifestEntry
from backup.messages import BackupWarning, os_error_detail
from backup.messages_job import text as job_text
from backup.names import display_path, native_path
from backup.plan import PackagePlan, PlanItem
from backup.reader import NotARegularFile, Opener, PackCancelled, SliceReader, open_source
from kernel.errors import TafError
from tape.digests import file_sha256

DEFAULT_LEVEL = 9
DEFAULT_SOLID_BLOCK_SIZE = 64 * 1024 * 1024
PARTIAL_SUFFIX = ".partial"


@dataclass(frozen=True, slots=True)
class PackResult:
    """A finished package in the staging folder and everything the tape writer and catalog need."""

    package_id: str
    seq: int
    codec: Codec
    level: int
    path: str
    payload_bytes: int
    payload_sha256: str
    tail_offset: int
    solid_blocks: int
    manifest: tuple[ManifestEntry, ...]
    bytes_in: int
    seconds: float
    warnings: tuple[BackupWarning, ...]
    file_stamp: tuple[int, int, int, int] = (0, 0, 0, 0)  # see unchanged_on_disk
    layout: ArchiveLayout | None = None  # where the solid blocks are (backup.layout), for partial restores

    def unchanged_on_disk(self) -> bool:
        """True while the staging file is the one whose SHA-256 the packer took.

        Size, modification and change times and inode number are taken right after the rename:
        any rewrite, append, truncation, replacement or `touch` changes one of them, so the tape
        writer may trust `payload_sha256` instead of hashing the file a second time.
        """
        try:
            return _stamp_of(os.stat(self.path)) == self.file_stamp
        except OSError:
            return False


def staging_path(staging_dir: str | os.PathLike[str], plan: PackagePlan) -> str:
    return os.path.join(os.fspath(staging_dir), f"{plan.package_id}.7z")


def solid_sessions(items: Sequence[PlanItem], solid_block_size: int) -> list[list[PlanItem]]:
    """Split a package's members, in order, into solid blocks of at most `solid_block_size` bytes."""
    if solid_block_size < 1:
        raise ValueError("solid_block_size must be positive")
    sessions: list[list[PlanItem]] = []
    current: list[PlanItem] = []
    size = 0
    for item in items:
        cost = item.chunk_length + len(item.entry.link_target_bytes)
        if current and size > 0 and size + cost > solid_block_size:
            sessions.append(current)
            current, size = [], 0
        current.append(item)
        size += cost
    if current:
        sessions.append(current)
    return sessions


def read_outcome(
    entry: FileEntry,
    item: PlanItem,
    before: tuple[int, int] | None,
    after: tuple[int, int] | None,
    reader: SliceReader,
) -> tuple[str, str | None, str]:
    """(manifest state, warning code or None, warning detail) for one file read.

    `before` and `after` are (size, mtime_ns) from fstat around the read, None when unknown.
    """
    if reader.error is not None:
        return STATE_PARTIAL, "pack.read_failed", str(reader.bytes_read)
    if before is not None and after is not None and before != after:
        return STATE_CHANGED, "pack.changed_while_reading", ""
    if reader.ended_early:
        return STATE_CHANGED, "pack.shrank", str(reader.bytes_read)
    if before is not None and item.total_chunks == 1 and before[0] > item.chunk_length:
        return STATE_CHANGED, "pack.grew", str(item.chunk_length)
    if before is not None and before != (entry.size, entry.mtime_ns):
        return STATE_CHANGED, "pack.changed_since_scan", ""
    return STATE_OK, None, ""


def _fstat(f: BinaryIO) -> os.stat_result | None:
    """The open file's status, or None for a source without a descriptor."""
    try:
        return os.fstat(f.fileno())
    except (AttributeError, OSError, ValueError):
        return None


def _size_and_mtime(st: os.stat_result | None) -> tuple[int, int] | None:
    return None if st is None else (st.st_size, st.st_mtime_ns)


class _Packer:
    """One package being written: the state shared by its blocks.

    The manifest is kept in plan order (keyed by each item's place in the plan), whatever order
    the members take in the archive.
    """

    def __init__(
        self, opener: Opener, on_read: Callable[[int], None] | None, should_stop: Callable[[], bool] | None
    ):
        self.opener = opener
        self.on_read = on_read
        self.should_stop = should_stop
        self.entries: dict[int, ManifestEntry] = {}
        self.warnings: list[BackupWarning] = []
        self.bytes_in = 0

    @property
    def manifest(self) -> tuple[ManifestEntry, ...]:
        return tuple(self.entries[place] for place in sorted(self.entries))

    def add(self, writer: sevenzip.PackageWriter, place: int, item: PlanItem) -> None:
        entry = item.entry
        if self.should_stop is not None and self.should_stop():
            raise PackCancelled()
        if entry.kind is EntryKind.DIR:
            writer.add_directory(item.member_name, entry.mtime_ns, entry.mode)
            self.entries[place] = ManifestEntry.for_item(item)
        elif entry.kind is EntryKind.SYMLINK:
            target = entry.link_target_bytes
            writer.add_symlink(item.member_name, target, entry.mtime_ns, entry.mode)
            self.entries[place] = ManifestEntry.for_item(item, stored=len(target))
        else:
            self._add_file(writer, place, item)

    def _warn(self, code: str, entry: FileEntry, detail: str = "") -> None:
        self.warnings.append(BackupWarning(code, display_path(entry.source_root, entry.rel_path), detail))

    def _add_file(self, writer: sevenzip.PackageWriter, place: int, item: PlanItem) -> None:
        entry = item.entry
        try:
            source = self.opener(native_path(entry.source_root, entry.rel_path))
        except FileNotFoundError:
            self._warn("pack.vanished", entry)
            return
        except (IsADirectoryError, NotARegularFile):
            self._warn("pack.not_a_file", entry)
            return
        except OSError as error:
            self._warn("pack.unreadable", entry, os_error_detail(error))
            return
        with source:
            opened = _fstat(source)
            if opened is not None and not stat.S_ISREG(opened.st_mode):
                self._warn("pack.not_a_file", entry)
                return
            try:
                reader = SliceReader(
                    source,
                    item.chunk_offset,
                    item.chunk_length,
                    on_read=self.on_read,
                    should_stop=self.should_stop,
                )
            except OSError as error:
                self._warn("pack.unreadable", entry, os_error_detail(error))
                return
            writer.add_stream(reader, item.member_name, entry.mtime_ns, entry.mode)
            read = _fstat(source)
        state, code, detail = read_outcome(
            entry, item, _size_and_mtime(opened), _size_and_mtime(read), reader
        )
        if code is not None:
            self._warn(code, entry, detail)
        self.bytes_in += reader.bytes_read
        whole_size = reader.bytes_read if item.total_chunks == 1 else entry.size
        self.entries[place] = ManifestEntry.for_item(
            item, sha256=reader.digest.hexdigest(), stored=reader.bytes_read, size=whole_size, state=state
        )


class PackingFailed(TafError):
    """The 7z library failed while building a package: the package, its files, and the cause.

    Crosses the packer process boundary by pickle (a `TafError` pickles its whole state). `message`
    is the operator's Chinese sentence; `detail` (the exception and its traceback) goes to the log.
    """

    default_message = "打包失败"

    def __init__(self, message: str, detail: str) -> None:
        super().__init__(message)
        self.detail = detail

    @classmethod
    def of(cls, plan: PackagePlan, error: BaseException, staging: str) -> PackingFailed:
        """Source files that fail are warnings inside `_Packer`; an OSError here is the staging file's."""
        files = [display_path(item.entry.source_root, item.entry.rel_path) for item in plan.items
                 if item.entry.kind is not EntryKind.DIR]
        shown = "、".join(files[:_SHOWN_FILES]) + ("……" if len(files) > _SHOWN_FILES else "")
        if isinstance(error, OSError):
            message = job_text("staging_failed", seq=plan.seq, package=plan.package_id, path=staging,
                               detail=os_error_detail(error))
        else:
            message = job_text("pack_failed", seq=plan.seq, package=plan.package_id, count=len(files),
                               files=shown or "—", kind=type(error).__name__)
        return cls(message, "".join(traceback.format_exception(error)))


_SHOWN_FILES = 3


def _stamp_of(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def pack_package(
    plan: PackagePlan,
    staging_dir: str | os.PathLike[str],
    *,
    level: int = DEFAULT_LEVEL,
    solid_block_size: int = DEFAULT_SOLID_BLOCK_SIZE,
    opener: Opener = open_source,
    on_read: Callable[[int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> PackResult:
    """Write the package `plan` describes into `staging_dir` and describe the result.

    `on_read(n)` is told of every n bytes read (progress); `should_stop()` is polled between
    reads and makes the call raise `PackCancelled`, leaving nothing behind in the staging folder.
    """
    started = time.perf_counter()
    final = staging_path(staging_dir, plan)
    partial = final + PARTIAL_SUFFIX
    filters = filters_for(plan.codec, level)
    packer = _Packer(opener, on_read, should_stop)
    try:
        places = {id(item): place for place, item in enumerate(plan.items)}
        directories = [item for item in plan.items if item.entry.kind is EntryKind.DIR]
        data = [item for item in plan.items if item.entry.kind is not EntryKind.DIR]
        with sevenzip.PackageWriter(partial, filters) as writer:
            for item in directories:
                packer.add(writer, places[id(item)], item)
            for block in solid_sessions(data, solid_block_size):
                writer.start_block()
                for item in block:
                    packer.add(writer, places[id(item)], item)
        payload_bytes = os.path.getsize(partial)
        tail, blocks, layout = sevenzip.describe(partial)
        _, payload_sha256 = file_sha256(partial)
        os.replace(partial, final)
        file_stamp = _stamp_of(os.stat(final))
    except PackCancelled:
        Path(partial).unlink(missing_ok=True)
        raise
    except Exception as error:  # py7zr or liblzma failing: say which package and files, in Chinese
        Path(partial).unlink(missing_ok=True)
        raise PackingFailed.of(plan, error, partial) from error
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return PackResult(
        package_id=plan.package_id,
        seq=plan.seq,
        codec=plan.codec,
        level=level,
        path=final,
        payload_bytes=payload_bytes,
        payload_sha256=payload_sha256,
        tail_offset=tail,
        solid_blocks=blocks,
        manifest=packer.manifest,
        bytes_in=packer.bytes_in,
        seconds=time.perf_counter() - started,
        warnings=tuple(packer.warnings),
        file_stamp=file_stamp,
        layout=layout,
    )
