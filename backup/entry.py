"""The unit the packing pipeline passes around: one file-system entry found by the scan."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from enum import StrEnum
from operator import attrgetter
from typing import Any, TypeVar

T = TypeVar("T")


def field_values(cls: type[Any]) -> tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]]]:
    """The field names of dataclass `cls`, and a function giving an instance's values in that
    order: one C-level attribute fetch, no copies (dataclasses.astuple/asdict deep-copy)."""
    names = tuple(f.name for f in fields(cls))
    getter = attrgetter(*names)
    return names, getter if len(names) > 1 else (lambda obj: (getter(obj),))


def pickled_by_fields(cls: type[T]) -> type[T]:
    """Pickle a frozen slots dataclass as (class, field values), rebuilt through its __init__.

    Python 3.11 pickles slots dataclasses through generated Python __getstate__/__setstate__
    methods; a plan of 20,000 files (one PlanItem and one FileEntry each) took 250 ms to pickle
    and 290 ms to unpickle, paid to store the plan and again to hand packages to the workers.
    This form halves both. Only for classes whose fields are all init fields.
    """
    _, values = field_values(cls)

    def __reduce__(self: Any) -> tuple[type[T], tuple[Any, ...]]:
        return cls, values(self)

    cls.__reduce__ = __reduce__  # type: ignore[assignment,method-assign]
    return cls


class EntryKind(StrEnum):
    FILE = "file"
    DIR = "dir"
    SYMLINK = "symlink"


@pickled_by_fields
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
