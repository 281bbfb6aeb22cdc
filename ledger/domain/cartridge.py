"""A tape cartridge: its label, where it is, what is written on it, and when it may be reused."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from ledger.domain.base import TafAggregate, stable_id
from ledger.domain.manifest import PackageManifest, manifest_sha256, manifest_totals
from ledger.errors import (
    CartridgeBusy,
    CartridgeRetired,
    CleaningCartridge,
    EraseRefused,
    RetentionOutOfRange,
)
from ledger.rules.months import add_months
from ledger.rules.retention import validate_retention_months

MEDIA_TYPES = ("L9", "L8", "LZ", "L7", "CLN")
STATUSES = ("scratch", "active", "full", "expired", "retired", "cleaning")


def check_retention(months: int) -> int:
    """The retention rule's check, reported as a domain refusal."""
    try:
        return validate_retention_months(months)
    except ValueError:
        raise RetentionOutOfRange(months=months) from None


class Cartridge(TafAggregate):
    @staticmethod
    def create_id(barcode: str, **_: Any) -> UUID:
        return stable_id("cartridge", barcode)

    @event("Registered")
    def __init__(self, barcode: str, media_type: str = "L9", capacity_bytes: int = 0,
                 pool: str = "default", worm: bool = False, location: str = "", by: str = "system") -> None:
        self.barcode = barcode
        self.media_type = media_type
        self.capacity_bytes = capacity_bytes
        self.pool = pool
        self.worm = worm
        self.location = location
        self.status = "cleaning" if media_type == "CLN" else "scratch"
        self.volume_serial = ""
        self.label_sequence = 0
        self.block_size = 0
        self.retention_months: int | None = None
        self.bytes_written = 0
        self.last_written_at: str | None = None
        self.packages: list[str] = []
        self.groups: list[str] = []
        self.next_tape_file = 1
        self.index_written = False
        self.health: dict[str, Any] = {}
        self.reserved_by: str | None = None
        # The version of the last Labelled or Erased event: what the tape holds now was recorded
        # after it (`Ledger.packages_on` reads from there, not from the cartridge's first event).
        self.contents_from = 0

    # --- guards -------------------------------------------------------------------------------
    def check_usable(self, action: str) -> None:
        if self.status == "retired":
            raise CartridgeRetired(barcode=self.barcode, action=action)
        if self.media_type == "CLN":
            raise CleaningCartridge(barcode=self.barcode, action=action)

    # --- physical acts ------------------------------------------------------------------------
    def label(self, volume_serial: str, pool: str, block_size: int, by: str) -> None:
        self.check_usable("贴标签")
        self._labelled(volume_serial=volume_serial, label_sequence=self.label_sequence + 1,
                       pool=pool, block_size=block_size, by=by)

    @event("Labelled")
    def _labelled(self, volume_serial: str, label_sequence: int, pool: str, block_size: int, by: str) -> None:
        self.volume_serial = volume_serial
        self.label_sequence = label_sequence
        self.pool = pool
        self.block_size = block_size
        self._forget_contents()

    def _forget_contents(self) -> None:
        """A relabelled or erased tape holds nothing: back to the scratch pool."""
        self.contents_from = self.version + 1  # this event's version (the aggregate's moves on after it)
        self.status = "scratch"
        self.bytes_written = 0
        self.last_written_at = None
        self.packages = []
        self.groups = []
        self.next_tape_file = 1
        self.index_written = False

    @event("Loaded")
    def loaded(self, drive: str, by: str = "system") -> None:
        self.location = f"drive:{drive}"

    @event("Unloaded")
    def unloaded(self, drive: str, location: str = "", by: str = "system") -> None:
        self.location = location

    @event("Moved")
    def move(self, location: str, by: str) -> None:
        self.location = location

    def record_package(self, *, job_id: str, package_id: str, group: str, sequence: int, tape_file: int,
                       header_block: int, payload_block: int, payload_blocks: int, payload_bytes: int,
                       payload_sha256: str, compression: str, manifest: list[dict[str, Any]],
                       extra: dict[str, Any] | None = None) -> None:
        """Record a package on tape: PackageWritten with its positions, the manifest's digest and
        totals; the manifest itself in a `PackageManifest` saved with it (`collect_events`)."""
        self.check_usable("写入")
        digest = manifest_sha256(manifest)
        totals = manifest_totals(manifest)
        stream = PackageManifest(cartridge_id=str(self.id), package_id=package_id, sha256=digest,
                                 entries=totals.entries, manifest=manifest)
        self.trigger_event(self.PackageWritten, job_id=job_id, package_id=package_id, group=group, sequence=sequence,
                           tape_file=tape_file, header_block=header_block, payload_block=payload_block,
                           payload_blocks=payload_blocks, payload_bytes=payload_bytes,
                           payload_sha256=payload_sha256, compression=compression, manifest_id=str(stream.id),
                           manifest_sha256=digest, entries=totals.entries, files=totals.files,
                           bytes_in=totals.bytes_in, extra=extra or {})
        self.__dict__.setdefault("_manifests", []).append(stream)

    class PackageWritten(TafAggregate.Event):
        """A package safely on tape. Version 2 (issue 18) names its manifest's stream instead of
        carrying the manifest; version 1 events keep theirs, and `manifest_id` None says so."""

        class_version = 2
        job_id: str
        package_id: str
        group: str
        sequence: int
        tape_file: int
        header_block: int
        payload_block: int
        payload_blocks: int
        payload_bytes: int
        payload_sha256: str
        compression: str
        manifest_id: str | None
        manifest_sha256: str | None
        entries: int
        files: int
        bytes_in: int
        extra: dict[str, Any]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            # The stored event stays as it is (the hash chain is over it); it is read with the counts
            # version 2 has. Its digest is left out: the manifest is there to compare with.
            totals = manifest_totals(state.get("manifest") or ())
            state.update(manifest_id=None, manifest_sha256=None, entries=totals.entries, files=totals.files,
                         bytes_in=totals.bytes_in)
            state.setdefault("extra", {})

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "active"
            aggregate.bytes_written += self.payload_bytes
            # As always: inside an event's apply, modified_on is still the time of the event before.
            aggregate.last_written_at = aggregate.modified_on.isoformat()
            aggregate.packages.append(self.package_id)
            if self.group and self.group not in aggregate.groups:
                aggregate.groups.append(self.group)
            aggregate.next_tape_file = self.tape_file + 1
            aggregate.index_written = False

    def collect_events(self) -> Any:
        """This cartridge's new events, then the manifests its new PackageWritten events name: one
        `save(cartridge)` stores a package's position and its manifest together or not at all."""
        collected = list(super().collect_events())
        streams = self.__dict__.pop("_manifests", [])
        for stream in streams:
            collected.extend(stream.collect_events())
        return collected

    @event("IndexWritten")
    def record_index(self, tape_file: int, block: int, packages: int, chain_head: str) -> None:
        self.next_tape_file = tape_file + 1
        self.index_written = True

    @event("TapeFull")
    def mark_full(self, bytes_written: int, reason: str) -> None:
        self.status = "full"

    @event("Expired")
    def expire(self, reason: str) -> None:
        self.status_before_expiry = self.status
        self.status = "expired"

    def erase(self, mode: str, active_groups: list[str], by: str) -> None:
        """Record an erase; refused while the cartridge holds an active group (the safety interlock)."""
        self.check_usable("擦除")
        if self.worm and self.packages:
            raise EraseRefused(barcode=self.barcode, reason="WORM 一次写入磁带不可擦除")
        held = sorted(set(self.groups) & set(active_groups))
        if held:
            raise EraseRefused(barcode=self.barcode, reason=f"它仍保存活动备份组 {'、'.join(held)}")
        # The erased label keeps its sequence; the next label written is one higher (B4: reuse is visible).
        self._erased(mode=mode, label_sequence=self.label_sequence, by=by)

    @event("Erased")
    def _erased(self, mode: str, label_sequence: int, by: str) -> None:
        self._forget_contents()

    @event("Retired")
    def retire(self, reason: str, by: str) -> None:
        self.status = "retired"

    def change_retention(self, months: int, by: str, *, default_months: int | None = None,
                         now: datetime | None = None) -> None:
        """Set this cartridge's own retention (old value, new value and who go in the event).

        `default_months` is the default in force, recorded as what applied before when the cartridge
        had no retention of its own. A cartridge marked expired whose new retention ends after `now`
        is not expired any more: it goes back to what it was, so nothing erases it as expired.
        """
        self.check_usable("修改存活期")
        new = check_retention(months)
        status = self.status
        if status == "expired" and now is not None and self.last_written_at is not None:
            written = datetime.fromisoformat(self.last_written_at).astimezone()
            if add_months(written, new) > now.astimezone():
                status = getattr(self, "status_before_expiry", None) or ("active" if self.packages else "scratch")
        self._retention_changed(old=self.retention_months, new=new, by=by,
                                old_in_force=self.retention_months or default_months,
                                status=status if status != self.status else None)

    @event("RetentionChanged")
    def _retention_changed(self, old: int | None, new: int, by: str, old_in_force: int | None = None,
                           status: str | None = None) -> None:
        self.retention_months = new
        if status:
            self.status = status

    def reserve(self, job_id: str, holder_finished: bool = False) -> None:
        """Book the cartridge for one job; two jobs racing here collide on the aggregate version."""
        if self.reserved_by and self.reserved_by != job_id and not holder_finished:
            raise CartridgeBusy(barcode=self.barcode, job=self.reserved_by)
        if self.reserved_by != job_id:
            self._reserved(job_id=job_id)

    @event("Reserved")
    def _reserved(self, job_id: str) -> None:
        self.reserved_by = job_id

    def release(self, job_id: str) -> None:
        if self.reserved_by == job_id:
            self._released(job_id=job_id)

    @event("Released")
    def _released(self, job_id: str) -> None:
        self.reserved_by = None

    @event("HealthRecorded")
    def record_health(self, snapshot: dict[str, Any], by: str = "system") -> None:
        self.health = snapshot
