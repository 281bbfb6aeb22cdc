"""Reading what a cartridge holds: its PackageWritten events and, only for who needs them, manifests.

Since issue 18 a PackageWritten names its manifest's stream (`ledger.domain.manifest`), so
`packages_on` decodes positions, digests and counts — a few hundred bytes a package, however many
entries the tape holds — and reads only the events recorded since the tape's last label or
erase. `manifest(event)` is the one way to a package's entries: its `PackageManifest` for a
PackageWritten of today, the event itself for one of an older release. `packages_on` lets go of
an older event's manifest as it reads, so a tape written before the change does not hold all its
manifests at once either; `manifest()` reads that one event again when asked.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from ledger.domain import Cartridge
from ledger.domain.manifest import (
    ManifestEntry,
    ManifestRecord,
    PackageManifest,
    manifest_entries,
    manifest_sha256,
)
from ledger.errors import NotFound, UnreadableEvent
from ledger.ledger_base import LedgerBase

# The topic of a manifest stream's one event (its class has never been upcast).
_RECORDED = ":PackageManifest.Recorded"


class PackageLedger(LedgerBase):
    def packages_on(self, barcode: str) -> list[Any]:
        """The PackageWritten events of what the cartridge holds now (since its last label or erase),
        without manifests (`manifest()` reads one)."""
        return self.cartridge_with_packages(barcode)[1]

    def cartridge_with_packages(self, barcode: str) -> tuple[Cartridge, list[Any]]:
        """The cartridge (from its latest snapshot) and `packages_on(barcode)`."""
        cartridge = self.get(Cartridge, Cartridge.create_id(barcode), "磁带", barcode)
        since = int(getattr(cartridge, "contents_from", 0) or 0)
        events = self.events.get(cartridge.id, gt=since or None)
        return cartridge, current_packages(events)

    def manifest(self, event: Any) -> list[dict[str, Any]]:
        """The entries of the package a PackageWritten event records."""
        manifest_id = getattr(event, "manifest_id", None)
        if manifest_id:
            return self.manifest_stream(manifest_id, what=str(getattr(event, "package_id", manifest_id))).manifest
        held = vars(event).get("manifest")
        if held is not None:
            return list(held)
        # An event of an older release whose manifest `packages_on` let go of: read that one again.
        for again in self.events.get(event.originator_id, gt=event.originator_version - 1,
                                     lte=event.originator_version):
            return list(vars(again).get("manifest") or [])
        raise NotFound(what="数据包清单", key=str(getattr(event, "package_id", "")))

    def manifest_entries(self, event: Any) -> list[ManifestEntry]:
        """`manifest(event)` as `ManifestEntry` objects, for readers of every entry (the catalog).

        A package's stream is read as its one stored record and decoded straight into entries
        (`LedgerTranscoder.decode_as`), without the event's other state or a dict per entry.
        """
        manifest_id = getattr(event, "manifest_id", None)
        if not manifest_id:
            return manifest_entries(self.manifest(event))
        key = manifest_id if isinstance(manifest_id, UUID) else UUID(str(manifest_id))
        for stored in self.recorder.select_events(key, limit=1):
            if not stored.topic.endswith(_RECORDED):
                break
            transcoder: Any = self.mapper.transcoder  # a LedgerTranscoder (`LedgerBase.construct_transcoder`)
            try:  # as the mapper would: any failure to decrypt or decode is an unreadable event
                state = self.mapper.cipher.decrypt(stored.state) if self.mapper.cipher else stored.state
                entries: list[ManifestEntry] = transcoder.decode_as(state, ManifestRecord).manifest
            except Exception:
                raise UnreadableEvent(event=f"数据包 {getattr(event, 'package_id', key)} 的清单") from None
            return entries
        raise NotFound(what="数据包清单", key=str(getattr(event, "package_id", "")) or str(key))

    def manifest_agrees(self, event: Any, manifest: list[dict[str, Any]]) -> bool:
        """True when `manifest` (as read from tape) is the one the ledger recorded for `event`: by
        its digest, without reading the recorded entries; an older release's event by its entries."""
        recorded = getattr(event, "manifest_sha256", None)
        if recorded:
            return manifest_sha256(manifest) == recorded
        return list(manifest) == self.manifest(event)

    def manifest_stream(self, manifest_id: UUID | str, *, what: str = "") -> PackageManifest:
        """The `PackageManifest` a PackageWritten names; its one event, read without a snapshot."""
        key = manifest_id if isinstance(manifest_id, UUID) else UUID(str(manifest_id))
        recorded: Any
        for recorded in self.events.get(key, limit=1):
            stream = recorded.mutate(None)
            if isinstance(stream, PackageManifest):
                return stream
        raise NotFound(what="数据包清单", key=what or str(manifest_id))


def current_packages(events: Iterable[Any]) -> list[Any]:
    """The PackageWritten events after the last Labelled or Erased: what the tape holds now. An older
    release's manifest in an event is dropped here (`PackageLedger.manifest` reads it again)."""
    current: list[Any] = []
    for event in events:
        name = type(event).__name__
        if name in {"Labelled", "Erased"}:
            current = []
        elif name == "PackageWritten":
            vars(event).pop("manifest", None)
            current.append(event)
    return current
