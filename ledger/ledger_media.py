"""The ledger's verbs for cartridges, drives and backup groups (the media a backup is made on)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from eventsourcing.persistence import IntegrityError

from ledger.domain import (
    BackupGroup,
    BackupJob,
    Cartridge,
    Drive,
    RestoreJob,
)
from ledger.domain.base import TafAggregate
from ledger.errors import CartridgeBusy, DriveBusy
from ledger.ledger_base import _as_uuid
from ledger.ledger_packages import PackageLedger


class MediaLedger(PackageLedger):
    """Cartridges (what they hold: `PackageLedger`), drives and groups."""

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

    def expire_cartridge(self, barcode: str, reason: str) -> Cartridge:
        return self._change_cartridge(barcode, lambda cartridge: cartridge.expire(reason=reason))

    def move_cartridge(self, barcode: str, location: str, by: str) -> Cartridge | None:
        """Record where a cartridge now is; a barcode the ledger has never seen is not recorded."""
        def act() -> Cartridge | None:
            cartridge = self.find(Cartridge, Cartridge.create_id(barcode))
            if cartridge is not None:
                cartridge.move(location=location, by=by)
            return cartridge

        return self.change(act, what=f"磁带 {barcode}")

    def change_retention(self, barcode: str, months: int, by: str, *, default_months: int | None = None,
                         now: datetime | None = None) -> Cartridge:
        """One cartridge's own retention: old value (and the value in force before), new value and who."""
        return self._change_cartridge(barcode, lambda cartridge: cartridge.change_retention(
            months, by=by, default_months=default_months, now=now))

    def _change_cartridge(self, barcode: str, apply: Callable[[Cartridge], object]) -> Cartridge:
        return self.update(lambda: self.cartridge(barcode), apply, what=f"磁带 {barcode}")

    def active_groups_on(self, cartridge: Cartridge) -> list[str]:
        """The active backup groups `cartridge` holds: those in its own `groups` list whose
        BackupGroup is still active. A group with no aggregate counts as active — when in doubt, the
        tape is not erased."""
        active = []
        for name in cartridge.groups:
            group = self.find_group(name)
            if group is None or group.active:
                active.append(name)
        return active

    def label_cartridge(self, barcode: str, *, volume_serial: str, pool: str, block_size: int,
                        by: str) -> Cartridge:
        """The label just written at BOT: the cartridge is blank again under its next label sequence."""
        return self._change_cartridge(barcode, lambda cartridge: cartridge.label(
            volume_serial=volume_serial, pool=pool, block_size=block_size, by=by))

    def erase_cartridge(self, barcode: str, mode: str, *, by: str) -> Cartridge:
        """The erase the drive has done; the domain refuses it while the cartridge holds an active group."""
        return self._change_cartridge(barcode, lambda cartridge: cartridge.erase(
            mode, active_groups=self.active_groups_on(cartridge), by=by))

    def record_health(self, barcode: str, snapshot: dict[str, Any], *, by: str) -> Cartridge:
        return self._change_cartridge(barcode, lambda cartridge: cartridge.record_health(snapshot=snapshot, by=by))

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

    def drive_commands_failed(self, host: str, device: str, failures: Iterable[dict[str, str]]) -> Drive:
        """Record SCSI commands that failed (command, cdb, sense, message each) on the drive."""
        pending = list(failures)

        def act() -> Drive:
            drive = self.drive(host, device)
            for failure in pending:
                drive.command_failed(**failure)
            return drive

        return self.change(act, what="驱动器")

    def cartridge_loaded(self, host: str, device: str, barcode: str, *, by: str, replacing: str | None = None,
                         replaced_to: str = "") -> Cartridge:
        """A cartridge loaded into a drive — after the robot took `replacing` out of it to `replaced_to`,
        if it held one. The drive and every cartridge it concerns change in one save."""
        def act() -> tuple[Drive, Cartridge, Cartridge | None]:
            drive = self.drive(host, device)
            old = self.cartridge(replacing) if replacing else None
            if old is not None:
                old.unloaded(drive=device, location=replaced_to, by=by)
                drive.cartridge_unloaded(barcode=old.barcode, by=by)
            cartridge = self.cartridge(barcode)
            cartridge.loaded(drive=device, by=by)
            drive.cartridge_loaded(barcode=barcode, by=by)
            return drive, cartridge, old

        return self.change(act, what=f"驱动器 {host}:{device}")[1]

    def cartridge_unloaded(self, host: str, device: str, barcode: str, *, location: str, by: str) -> Cartridge:
        """A cartridge taken out of a drive to `location`: the drive and the cartridge in one save."""
        def act() -> tuple[Drive, Cartridge]:
            drive = self.drive(host, device)
            cartridge = self.cartridge(barcode)
            cartridge.unloaded(drive=device, location=location, by=by)
            drive.cartridge_unloaded(barcode=barcode, by=by)
            return drive, cartridge

        return self.change(act, what=f"驱动器 {host}:{device}")[1]

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
