"""The per-package manifest: what each 7z member is, under its real name.

It travels with the package (tape package header, §6) and feeds the catalog, so it is plain data
with a stable JSON form. Field meanings:

- `path`/`root`, `path_raw`/`root_raw`: see `backup.names` (valid Unicode plus exact raw bytes
  when the name is not valid Unicode). `path` is relative to `root`, with "/" separators.
- `size`: the file's size as backed up. For a file kept whole it is the number of bytes stored
  (which differs from the scan if the file changed); for a chunked file it is the size the plan
  was cut for, and `sum(chunk_length)` over its chunks equals it unless a chunk is `partial`.
- `chunk_index` (0-based), `chunk_offset`, `chunk_length` (bytes stored in this member),
  `total_chunks` (1 for a whole file). `sha256` is the digest of the stored bytes of this member;
  a chunked file has one per chunk.
- `state`: "ok"; "changed" (the file changed around or during reading: the stored bytes are
  consistent with what was read, but may mix versions); "partial" (a read error cut it short).
- Directories and links have no sha256; a link's `link_target` is its target, never followed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from backup.entry import EntryKind, field_values, pickled_by_fields
from backup.names import decode_name, encode_name
from backup.plan import PlanItem

STATE_OK = "ok"
STATE_CHANGED = "changed"
STATE_PARTIAL = "partial"


@pickled_by_fields  # every package's manifest comes back from its packer process by pickle
@dataclass(frozen=True, slots=True)
class ManifestEntry:
    path: str
    path_raw: str | None
    root: str
    root_raw: str | None
    kind: str
    size: int
    mtime_ns: int
    mode: int
    member: str
    sha256: str | None = None
    chunk_index: int = 0
    chunk_offset: int = 0
    chunk_length: int = 0
    total_chunks: int = 1
    link_target: str | None = None
    link_target_raw: str | None = None
    state: str = STATE_OK

    @classmethod
    def for_item(
        cls,
        item: PlanItem,
        *,
        sha256: str | None = None,
        stored: int = 0,
        size: int | None = None,
        state: str = STATE_OK,
    ) -> ManifestEntry:
        """The entry for one packed member; `stored` is the bytes written, `size` overrides the scan size."""
        entry = item.entry
        path, path_raw = encode_name(entry.rel_path)
        root, root_raw = encode_name(entry.source_root)
        target, target_raw = encode_name(entry.link_target) if entry.link_target is not None else (None, None)
        return cls(
            path=path,
            path_raw=path_raw,
            root=root,
            root_raw=root_raw,
            kind=str(entry.kind),
            size=entry.size if size is None else size,
            mtime_ns=entry.mtime_ns,
            mode=entry.mode,
            member=item.member_name,
            sha256=sha256,
            chunk_index=item.chunk_index,
            chunk_offset=item.chunk_offset,
            chunk_length=stored,
            total_chunks=item.total_chunks,
            link_target=target,
            link_target_raw=target_raw,
            state=state,
        )

    @property
    def native_rel_path(self) -> str:
        """The relative path as the scan produced it (raw bytes restored)."""
        return decode_name(self.path, self.path_raw)

    @property
    def native_root(self) -> str:
        return decode_name(self.root, self.root_raw)

    @property
    def is_file(self) -> bool:
        return self.kind == EntryKind.FILE

    def to_dict(self) -> dict[str, Any]:
        # Every field is a plain scalar, so this equals dataclasses.asdict, which deep-copies each
        # value on the way and took half the job process's CPU on a tree of small files.
        return dict(zip(_FIELD_NAMES, _field_values(self), strict=True))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ManifestEntry:
        return cls(**data)


_FIELD_NAMES, _field_values = field_values(ManifestEntry)


def manifest_to_json(entries: tuple[ManifestEntry, ...] | list[ManifestEntry]) -> bytes:
    """Compact UTF-8 JSON (a list of objects), the form written to tape and stored in the catalog."""
    return json.dumps([e.to_dict() for e in entries], ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8"
    )


def manifest_from_json(data: bytes) -> list[ManifestEntry]:
    return [ManifestEntry.from_dict(d) for d in json.loads(data.decode("utf-8"))]
