"""The unit the packing pipeline passes around: one file-system entry found by the scan."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class EntryKind(StrEnum):
    FILE = "file"
    DIR = "dir"
    SYMLINK = "symlink"


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One regular file, directory or symbolic link below a source root.

    `rel_path` is relative to `source_root`, with "/" separators on every platform, never empty,
    never starting with "/" and with no "." or ".." components. Names that are not valid UTF-8 on
    Linux keep Python's surrogateescape form (U+DC80–U+DCFF stand for the raw bytes), which
    round-trips exactly through `os.fsencode`; `backup.names` turns them into a portable form for
    manifests. Directories and links have size 0; a link's target is recorded, never followed.
    """

    source_root: str
    rel_path: str
    kind: EntryKind
    size: int
    mtime_ns: int
    mode: int
    link_target: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        """Identity of the entry within one scan."""
        return (self.source_root, self.rel_path)

    @property
    def order_key(self) -> tuple[str, tuple[str, ...]]:
        """Canonical order: roots, then a depth-first walk with names sorted (the scan's order)."""
        return (self.source_root, tuple(self.rel_path.split("/")))

    @property
    def link_target_bytes(self) -> bytes:
        """A link's target as stored in a 7z member (the raw bytes for a non-UTF-8 target)."""
        return (self.link_target or "").encode("utf-8", "surrogateescape")
