"""The Ledger application: verbs that load aggregates, change them and save them atomically."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, Notification

from ledger.domain import (
    BackupGroup,
    BackupJob,
    Cartridge,
    Drive,
    Recipient,
    RestoreJob,
    Settings,
    User,
)
from ledger.domain import (
    Notification as NotificationAggregate,
)
from ledger.domain.base import TafAggregate
from ledger.errors import AlreadyExists, CartridgeBusy, DriveBusy, NotFound

A = TypeVar("A", bound=TafAggregate)


class Ledger(Application[UUID]):
    name = "Ledger"
    # Package manifests make some events large; compressing them keeps the store small.
    env = {"COMPRESSOR_TOPIC": "eventsourcing.compressor:ZlibCompressor"}

    # --- reading ----------------------------------------------------------------------------
    def get(self, cls: type[A], aggregate_id: UUID, what: str, key: str) -> A:
        try:
            aggregate: Any = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(what=what, key=key) from None
        if not isinstance(aggregate, cls):
            raise NotFound(what=what, key=key)
        return aggregate

    def find(self, cls: type[A], aggregate_id: UUID) -> A | None:
        try:
            aggregate: Any = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, cls) else None

    def notifications(self, start: int = 0, stop: int | None = None, page: int = 1000) -> Iterator[Notification]:
        """Every stored event after `start`, in notification order, read in pages."""
        position = start
        while True:
            section = self.recorder.select_notifications(position, page, stop=stop, inclusive_of_start=False)
            if not section:
                return
            yield from section
            position = section[-1].id
            if len(section) < page:
                return

    def head_id(self) -> int:
        return self.recorder.max_notification_id() or 0

    # --- cartridges -------------------------------------------------------------------------
    def cartridge(self, barcode: str) -> Cartridge:
        return self.get(Cartridge, Cartridge.create_id(barcode), "磁带", barcode)

    def register_cartridge(self, barcode: str, *, media_type: str = "L9", capacity_bytes: int = 0,
                           pool: str = "default", worm: bool = False, location: str = "",
                           by: str = "system") -> Cartridge:
        existing = self.find(Cartridge, Cartridge.create_id(barcode))
        if existing is not None:
            return existing
        cartridge = Cartridge(barcode=barcode, media_type=media_type, capacity_bytes=capacity_bytes,
                              pool=pool, worm=worm, location=location, by=by)
        self.save(cartridge)
        return cartridge

    def packages_on(self, barcode: str) -> list[Any]:
        """The PackageWritten events of what the cartridge holds now (since its last label or erase)."""
        return _current_packages(self.events.get(Cartridge.create_id(barcode)))

    def cartridge_with_packages(self, barcode: str) -> tuple[Cartridge, list[Any]]:
        """`cartridge(barcode)` and `packages_on(barcode)` from one read of the cartridge's events.

        Every PackageWritten carries its package's manifest, so each read decodes all of them
        (8–13 µs per manifest entry, docs/性能.md); closing a cartridge needs both views.
        """
        events: list[Any] = list(self.events.get(Cartridge.create_id(barcode)))
        aggregate: Any = None
        for event in events:
            aggregate = event.mutate(aggregate)
        if not isinstance(aggregate, Cartridge):
            raise NotFound(what="磁带", key=barcode)
        return aggregate, _current_packages(events)

    def reserve_cartridge(self, barcode: str, job_id: str) -> bool:
        """Book a cartridge for a job; False if another unfinished job holds it or won the race.

        A booking left by a job that has since finished (failed, cancelled, done) no longer counts.
        """
        cartridge = self.cartridge(barcode)
        holder = cartridge.reserved_by
        holder_finished = False
        if holder and holder != job_id:
            job = self.find(BackupJob, _as_uuid(holder)) or self.find(RestoreJob, _as_uuid(holder))
            holder_finished = job is None or job.finished
        try:
            cartridge.reserve(job_id, holder_finished=holder_finished)
            self.save(cartridge)
        except (CartridgeBusy, IntegrityError):
            return False
        return True

    def release_cartridge(self, barcode: str, job_id: str) -> None:
        for _ in range(5):
            cartridge = self.find(Cartridge, Cartridge.create_id(barcode))
            if cartridge is None or cartridge.reserved_by != job_id:
                return
            cartridge.release(job_id)
            try:
                self.save(cartridge)
                return
            except IntegrityError:
                continue

    def change_retention(self, barcode: str, months: int, by: str) -> Cartridge:
        cartridge = self.cartridge(barcode)
        cartridge.change_retention(months, by=by)
        self.save(cartridge)
        return cartridge

    # --- drives -----------------------------------------------------------------------------
    def drive(self, host: str, device: str) -> Drive:
        return self.get(Drive, Drive.create_id(host, device), "驱动器", f"{host}:{device}")

    def find_drive(self, host: str, device: str) -> Drive | None:
        return self.find(Drive, Drive.create_id(host, device))

    def register_drive(self, host: str, device: str, *, vendor: str = "", product: str = "",
                       serial: str = "", by: str = "system") -> Drive:
        existing = self.find(Drive, Drive.create_id(host, device))
        if existing is not None:
            return existing
        drive = Drive(host=host, device=device, vendor=vendor, product=product, serial=serial, by=by)
        self.save(drive)
        return drive

    def save_reserving(self, drive: Drive, *others: TafAggregate) -> None:
        """Save a drive reservation with the job change it belongs to; a lost race is DriveBusy."""
        try:
            self.save(drive, *others)
        except IntegrityError:
            fresh = self.drive(drive.host, drive.device)
            raise DriveBusy(drive=fresh.name, job=fresh.reserved_by or "另一个任务") from None

    # --- groups -----------------------------------------------------------------------------
    def group(self, name: str) -> BackupGroup:
        return self.get(BackupGroup, BackupGroup.create_id(name), "备份组", name)

    def find_group(self, name: str) -> BackupGroup | None:
        return self.find(BackupGroup, BackupGroup.create_id(name))

    # --- jobs -------------------------------------------------------------------------------
    def request_backup(self, idempotency_key: str, *, kind: str, sources: list[str], group: str,
                       params: dict[str, Any], drive: str = "", by: str = "system") -> tuple[BackupJob, bool]:
        """Create the job for this key, or return the one it already names (created=False)."""
        existing = self.find(BackupJob, BackupJob.create_id(idempotency_key))
        if existing is not None:
            return existing, False
        job = BackupJob(idempotency_key=idempotency_key, kind=kind, sources=sources, group=group,
                        params=params, drive=drive, by=by)
        try:
            self.save(job)
        except IntegrityError:
            return self.get(BackupJob, job.id, "任务", idempotency_key), False
        return job, True

    def backup_job(self, job_id: UUID | str) -> BackupJob:
        return self.get(BackupJob, _as_uuid(job_id), "备份任务", str(job_id))

    def request_restore(self, idempotency_key: str, *, selection: list[str], target: str,
                        on_conflict: str = "skip", group: str = "", by: str = "system") -> tuple[RestoreJob, bool]:
        existing = self.find(RestoreJob, RestoreJob.create_id(idempotency_key))
        if existing is not None:
            return existing, False
        job = RestoreJob(idempotency_key=idempotency_key, selection=selection, target=target,
                         on_conflict=on_conflict, group=group, by=by)
        self.save(job)
        return job, True

    def restore_job(self, job_id: UUID | str) -> RestoreJob:
        return self.get(RestoreJob, _as_uuid(job_id), "恢复任务", str(job_id))

    # --- settings ---------------------------------------------------------------------------
    def settings(self) -> Settings:
        """The installation's settings; a fresh, unsaved aggregate until the first change."""
        existing = self.find(Settings, Settings.create_id())
        return existing if existing is not None else Settings()

    def _save_settings_change(self, apply: Any) -> Settings:
        for _ in range(3):
            settings = self.settings()
            apply(settings)
            try:
                self.save(settings)
                return settings
            except IntegrityError:
                continue  # another process changed settings meanwhile: reload and apply again
        raise IntegrityError("设置被并发修改，请重试")

    def change_setting(self, key: str, value: Any, *, old: Any, by: str) -> Settings:
        return self._save_settings_change(lambda s: s.change(key, value, old=old, by=by))

    def change_secret(self, key: str, *, ciphertext: str, hint: str, old_hint: str, by: str) -> Settings:
        return self._save_settings_change(
            lambda s: s.change_secret(key, ciphertext=ciphertext, hint=hint, old_hint=old_hint, by=by))

    # --- people -----------------------------------------------------------------------------
    def user(self, name: str) -> User:
        return self.get(User, User.create_id(name), "用户", name)

    def find_user(self, name: str) -> User | None:
        return self.find(User, User.create_id(name))

    def add_user(self, name: str, role: str, password_hash: str, by: str) -> User:
        if self.find_user(name) is not None:
            raise AlreadyExists(what="用户", key=name)
        user = User(name=name, role=role, password_hash=password_hash, by=by)
        try:
            self.save(user)
        except IntegrityError:
            raise AlreadyExists(what="用户", key=name) from None
        return user

    def add_recipient(self, name: str, phone: str, events: list[str], by: str) -> Recipient:
        recipient = Recipient(name=name, phone=phone, events=events, by=by)
        self.save(recipient)
        return recipient

    def recipient(self, recipient_id: UUID | str) -> Recipient:
        return self.get(Recipient, _as_uuid(recipient_id), "接收人", str(recipient_id))

    # --- notifications ----------------------------------------------------------------------
    def queue_notification(self, dedupe_key: str, *, kind: str, phone: str, title: str, content: str,
                           cause: str = "") -> tuple[NotificationAggregate, bool]:
        existing = self.find(NotificationAggregate, NotificationAggregate.create_id(dedupe_key))
        if existing is not None:
            return existing, False
        note = NotificationAggregate(dedupe_key=dedupe_key, kind=kind, phone=phone, title=title,
                                     content=content, cause=cause)
        try:
            self.save(note)
        except IntegrityError:
            return self.get(NotificationAggregate, note.id, "通知", dedupe_key), False
        return note, True

    def notification(self, notification_id: UUID | str) -> NotificationAggregate:
        return self.get(NotificationAggregate, _as_uuid(notification_id), "通知", str(notification_id))


def _as_uuid(value: UUID | str) -> UUID:
    if isinstance(value, UUID):
        return value
    try:
        return UUID(value.strip())
    except ValueError:
        raise NotFound(what="编号", key=value) from None


def _current_packages(events: Iterable[Any]) -> list[Any]:
    """The PackageWritten events after the last Labelled or Erased: what the tape holds now."""
    current: list[Any] = []
    for event in events:
        name = type(event).__name__
        if name in {"Labelled", "Erased"}:
            current = []
        elif name == "PackageWritten":
            current.append(event)
    return current
