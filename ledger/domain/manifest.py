"""A package's manifest in a stream of its own: only the catalog and the restore read it (issue 18).

`Cartridge.PackageWritten` keeps the package's positions, the SHA-256 of its canonical manifest,
the entry count and the totals; the entries themselves are one `PackageManifest.Recorded` event,
saved in the same `save()` as the PackageWritten that names it (`Cartridge.collect_events` hands
both over), so the ledger never holds one without the other. Loading a cartridge, `packages_on`
and a job's close therefore decode positions only, however many entries the tape holds.

PackageWritten events of releases before issue 18 carry their manifest themselves; they are read
as they were stored (`Cartridge.PackageWritten.upcast_v1_v2` adds the counts, nothing stored
changes), so the hash chain over the stored bytes still verifies.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec
from eventsourcing.domain import event

from ledger.domain.base import TafAggregate


def manifest_sha256(manifest: Iterable[Mapping[str, Any]]) -> str:
    """The SHA-256 of a manifest's canonical JSON — what `json.dumps(manifest, ensure_ascii=False,
    sort_keys=True, separators=(",", ":"))` gives, in UTF-8 — so equal manifests, as the ledger holds
    them or as a tape gives them back, have equal digests. Encoded by msgspec: seven times faster
    than the json module (2–3 µs an entry), the same bytes."""
    return hashlib.sha256(msgspec.json.encode(list(manifest), order="sorted")).hexdigest()


class ManifestEntry(msgspec.Struct, gc=False):
    """One manifest entry as readers that want speed decode it (`Ledger.manifest_entries`): the keys a
    backup writes, each with the value a manifest that leaves it out means. Decoding straight into
    these (msgspec skips other keys) is about a third cheaper than into dicts, and `gc=False` keeps
    millions of them out of the cyclic garbage collector's walks (they hold only strings and numbers)."""

    path: str = ""
    root: str = ""
    kind: str = "file"
    size: int = 0
    mtime_ns: int = 0
    mode: int = 0
    sha256: str | None = None
    member: str = ""
    chunk_index: int = 0
    total_chunks: int = 1
    chunk_offset: int = 0
    chunk_length: int = 0
    link_target: str | None = None
    state: str = "ok"
    root_raw: str | None = None
    path_raw: str | None = None
    link_target_raw: str | None = None


class ManifestRecord(msgspec.Struct):
    """The part of a stored `PackageManifest.Recorded` that `Ledger.manifest_entries` decodes."""

    manifest: list[ManifestEntry]


def manifest_entries(manifest: Iterable[Mapping[str, Any]]) -> list[ManifestEntry]:
    """Entries held as dicts (a PackageWritten of a release before issue 18) as `ManifestEntry`."""
    return msgspec.convert(list(manifest), list[ManifestEntry], strict=False)


@dataclass(frozen=True)
class ManifestTotals:
    """What PackageWritten says of its manifest: entries, files (first chunks of regular files) and
    the bytes of source data the package holds (each entry's chunk)."""

    entries: int
    files: int
    bytes_in: int


def manifest_totals(manifest: Iterable[Mapping[str, Any]]) -> ManifestTotals:
    entries = files = bytes_in = 0
    for entry in manifest:
        entries += 1
        if entry.get("kind", "file") == "file" and not entry.get("chunk_index", 0):
            files += 1
        bytes_in += int(entry.get("chunk_length", entry.get("size", 0)) or 0)
    return ManifestTotals(entries, files, bytes_in)


class PackageManifest(TafAggregate):
    """One package's manifest; a random id, which its PackageWritten names (`manifest_id`)."""

    @event("Recorded")
    def __init__(self, cartridge_id: str, package_id: str, sha256: str, entries: int,
                 manifest: list[dict[str, Any]]) -> None:
        self.cartridge_id = cartridge_id
        self.package_id = package_id
        self.sha256 = sha256
        self.entries = entries
        self.manifest = manifest
