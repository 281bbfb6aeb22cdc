"""Cut a scan into packages: the pure rule, no file-system access.

- Entries are taken in `FileEntry.order_key` order (the scan's order), so the same scan always
  gives the same plan — what lets a resumed job skip the packages already on tape.
- Two packages fill side by side: one LZMA2, one COPY (files the sampler flagged
  incompressible). A package is closed when the next member would push its estimated size past
  `max_package_bytes`, or at `max_members` members; sequence numbers are given in closing order.
- A file too big for a package of its own is cut into chunks, each in a package of its own,
  emitted the moment the file is met; chunk lengths differ by at most one byte.
- Directories and symbolic links ride in the LZMA2 package open when they are met, as 7z members
  (empty for a directory, the link target for a link), so restore and any 7z tool recreate them.
- The size estimate is the payload plus the 7z structure: a fixed part, each member's header
  record (its UTF-16 name and about 64 bytes of sizes, CRC, time and attributes) and, for LZMA2,
  the stored-chunk framing of incompressible input (a few bytes per 64 KiB, budgeted as 1/4096).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Set
from dataclasses import dataclass, field
from typing import NamedTuple

from backup.entry import EntryKind, FileEntry, pickled_by_fields
from backup.levels import Codec
from backup.names import chunk_suffix, escaped_member_name, member_name, root_tag

ARCHIVE_OVERHEAD = 1024
MEMBER_OVERHEAD = 64
LZMA2_EXPANSION_DIVISOR = 4096
DEFAULT_MAX_MEMBERS = 50_000
# Room kept for the chunk suffix when sizing chunks, before the number of chunks is known.
_CHUNK_NAME_RESERVE = 40
_ESCAPED_NAME_BOUND = len(escaped_member_name(999_999, 999_999))


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class PlanItem:
    """One member of a package: a whole file, one chunk of a file, a directory or a link."""

    entry: FileEntry
    member_name: str
    chunk_index: int = 0
    chunk_offset: int = 0
    chunk_length: int = 0
    total_chunks: int = 1


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class PackagePlan:
    """What one 7z package will hold. `seq` starts at 1; `package_id` also hashes the contents."""

    seq: int
    package_id: str
    codec: Codec
    items: tuple[PlanItem, ...]
    payload_bytes: int
    estimated_bytes: int


def expansion(payload: int, codec: Codec) -> int:
    """Bytes LZMA2 may add to incompressible input; COPY adds none."""
    return 0 if codec is Codec.COPY else -(-payload // LZMA2_EXPANSION_DIVISOR)


def payload_capacity(max_package_bytes: int, name_bytes_overhead: int, codec: Codec) -> int:
    """The most payload bytes one single-member package may carry."""
    room = max_package_bytes - ARCHIVE_OVERHEAD - name_bytes_overhead
    if codec is Codec.LZMA2:
        room = room * LZMA2_EXPANSION_DIVISOR // (LZMA2_EXPANSION_DIVISOR + 1)
    while (
        room > 0
        and room + expansion(room, codec) + ARCHIVE_OVERHEAD + name_bytes_overhead > max_package_bytes
    ):
        room -= 1
    return max(room, 0)


def chunk_bounds(size: int, total_chunks: int) -> list[tuple[int, int]]:
    """(offset, length) of each chunk; lengths differ by at most one."""
    base, extra = divmod(size, total_chunks)
    bounds = []
    offset = 0
    for index in range(total_chunks):
        length = base + (1 if index < extra else 0)
        bounds.append((offset, length))
        offset += length
    return bounds


class _Member(NamedTuple):
    """A planned member whose name may still change to the escaped form when the package closes."""

    entry: FileEntry
    plain_name: str | None
    chunk_index: int = 0
    chunk_offset: int = 0
    chunk_length: int = 0
    total_chunks: int = 1


@dataclass(slots=True)
class _Draft:
    """A package being filled; member names are final only once its sequence number is known."""

    codec: Codec
    members: list[_Member] = field(default_factory=list)
    payload: int = 0  # file bytes
    data: int = 0  # file bytes and link targets: everything that goes through the codec
    header: int = 0

    def estimate(self, header: int = 0, data: int = 0) -> int:
        """The size bound of this package, with one more member of `header` and `data` bytes."""
        data += self.data
        return ARCHIVE_OVERHEAD + self.header + header + data + expansion(data, self.codec)

    def add(self, member: _Member, header: int, link_bytes: int = 0) -> None:
        self.members.append(member)
        self.payload += member.chunk_length
        self.data += member.chunk_length + link_bytes
        self.header += header

    def close(self, seq: int) -> PackagePlan:
        seen: set[str] = set()
        items = []
        for index, member in enumerate(self.members):
            name = member.plain_name
            if name is None or name in seen:
                name = escaped_member_name(seq, index, member.chunk_index, member.total_chunks)
            seen.add(name)
            items.append(PlanItem(member.entry, name, *member[2:]))
        return PackagePlan(
            seq=seq,
            package_id=_package_id(seq, self.codec, items),
            codec=self.codec,
            items=tuple(items),
            payload_bytes=self.payload,
            estimated_bytes=self.estimate(),
        )


def _package_id(seq: int, codec: Codec, items: list[PlanItem]) -> str:
    digest = hashlib.sha256(repr((seq, str(codec))).encode())
    for item in items:
        e = item.entry
        key = (e.source_root, e.rel_path, str(e.kind), e.size, e.mtime_ns, e.mode, e.link_target)
        digest.update(
            repr((key, item.member_name, item.chunk_index, item.chunk_offset, item.chunk_length)).encode()
        )
    return f"{seq:06d}-{digest.hexdigest()[:12]}"


def member_header_bytes(plain: str | None, suffix_reserve: int = 0) -> int:
    """Upper bound of the 7z header bytes one member costs.

    The name is its UTF-16 form, but never less than an escaped name, which replaces a plain one
    that turns out to be repeated in the package.
    """
    units = max(len(plain.encode("utf-16-le")) if plain is not None else 0, 2 * _ESCAPED_NAME_BOUND)
    return MEMBER_OVERHEAD + units + 2 * suffix_reserve + 2


def iter_package_plans(
    entries: Iterable[FileEntry],
    max_package_bytes: int,
    *,
    incompressible: Set[tuple[str, str]] = frozenset(),
    max_members: int = DEFAULT_MAX_MEMBERS,
) -> Iterator[PackagePlan]:
    """The plan as a stream, for entries already in `order_key` order (checked)."""
    flagged = ((entry, entry.key in incompressible) for entry in entries)
    return plan_stream(flagged, max_package_bytes, max_members=max_members)


def plan_stream(
    flagged: Iterable[tuple[FileEntry, bool]],
    max_package_bytes: int,
    *,
    max_members: int = DEFAULT_MAX_MEMBERS,
) -> Iterator[PackagePlan]:
    """The plan as a stream, from (entry, incompressible?) pairs in `order_key` order (checked).

    What it holds at once is the two packages being filled (at most `max_members` members each),
    never the job: a job's plan streams from its spooled scan to its plan store (`backup.scanning`).
    """
    if max_members < 1:
        raise ValueError("max_members must be at least 1")
    if payload_capacity(max_package_bytes, member_header_bytes(None, _CHUNK_NAME_RESERVE), Codec.LZMA2) < 1:
        raise ValueError(f"max_package_bytes {max_package_bytes} leaves no room for data")
    drafts = {codec: _Draft(codec) for codec in Codec}
    seq = 1
    tags: dict[str, str] = {}
    previous: tuple[str, tuple[str, ...]] | None = None

    for entry, flagged_incompressible in flagged:
        order = entry.order_key
        if previous is not None and order <= previous:
            raise ValueError(f"entries out of order or repeated at {entry.rel_path!r}")
        previous = order
        tag = tags.get(entry.source_root)
        if tag is None:  # once a root: the tag is the same for all its entries
            tag = tags[entry.source_root] = root_tag(entry.source_root)
        plain = member_name(tag, entry.rel_path)
        header = member_header_bytes(plain)
        is_file = entry.kind is EntryKind.FILE
        codec = Codec.COPY if is_file and flagged_incompressible else Codec.LZMA2

        if is_file and entry.size > payload_capacity(max_package_bytes, header, codec):
            chunk_header = member_header_bytes(plain, _CHUNK_NAME_RESERVE)
            total = -(-entry.size // payload_capacity(max_package_bytes, chunk_header, codec))
            for index, (offset, length) in enumerate(chunk_bounds(entry.size, total)):
                chunk_plain = None if plain is None else plain + chunk_suffix(index, total)
                single = _Draft(codec)
                single.add(_Member(entry, chunk_plain, index, offset, length, total), chunk_header)
                yield single.close(seq)
                seq += 1
            continue

        draft = drafts[codec]
        length = entry.size if is_file else 0
        link_bytes = len(entry.link_target_bytes)
        too_big = draft.estimate(header, length + link_bytes) > max_package_bytes
        if draft.members and (too_big or len(draft.members) >= max_members):
            yield draft.close(seq)
            seq += 1
            draft = drafts[codec] = _Draft(codec)
        draft.add(_Member(entry, plain, chunk_length=length), header, link_bytes)

    # What is left closes in the order of its first member, so sequence follows path order.
    for draft in sorted(
        (d for d in drafts.values() if d.members), key=lambda d: d.members[0].entry.order_key
    ):
        yield draft.close(seq)
        seq += 1


def plan_packages(
    entries: Iterable[FileEntry],
    max_package_bytes: int,
    *,
    incompressible: Set[tuple[str, str]] = frozenset(),
    max_members: int = DEFAULT_MAX_MEMBERS,
) -> list[PackagePlan]:
    """Group entries into packages of at most `max_package_bytes` (estimated), in any input order.

    `incompressible` holds the keys (`FileEntry.key`) of files to store with COPY, as found by
    `backup.sampling.classify_incompressible`.
    """
    ordered = sorted(entries, key=lambda e: e.order_key)
    return list(
        iter_package_plans(ordered, max_package_bytes, incompressible=incompressible, max_members=max_members)
    )
