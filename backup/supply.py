"""Writable cartridges for a backup job: choose, load, label or erase-and-reuse, ask for a change.

In a library the next cartridge is loaded by the robot. On a standalone drive the job records
`TapeChangeRequested`, sends the 换盘 notification, and waits for the operator — reminding every
few minutes and pausing (not failing) after a configured wait.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from backup import choice
from backup.messages_job import JobStopped, text
from ledger import clock
from ledger.errors import LedgerError
from media import operations
from media.cartridges import ensure_cartridge
from media.devices import DeviceSession
from media.errors import MediaError
from tape import volume_io
from tape.drive_errors import DriveApiError
from tape.scsi.errors import LoadRequired, NoMedium, NotReady, TapeError
from tape.volume_io import VolumeKind

log = logging.getLogger("taf.backup")


@dataclass
class Mounted:
    """The cartridge the job is writing to, positioned at its next tape file."""

    barcode: str
    next_file: int
    block_size: int
    bytes_written: int
    worm: bool = False


@dataclass
class SupplyPolicy:
    group: str
    auto_erase: bool
    block_size: int
    pool: str = "default"
    poll_seconds: float = 2.0
    remind_seconds: float = 600.0
    pause_after_seconds: float = 4 * 3600.0


@dataclass
class TapeSupply:
    services: Any
    session: DeviceSession
    job_id: str
    policy: SupplyPolicy
    check_control: Callable[[], None]
    notify: Callable[[str, dict[str, Any], str], None]
    used: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)

    @property
    def ledger(self) -> Any:
        return self.services.ledger

    def first(self) -> Mounted:
        return self._next(reason="")

    def replace(self, full: Mounted, reason: str) -> Mounted:
        self.used.add(full.barcode)
        return self._next(reason=reason, full=full.barcode)

    # --- choosing ---------------------------------------------------------------------------
    def _next(self, reason: str, full: str | None = None) -> Mounted:
        if self.session.changer is not None:
            mounted = self._from_library()
            if mounted is not None:
                return mounted
        else:
            mounted = self._loaded_if_usable()
            if mounted is not None:
                return mounted
        return self._wait_for_operator(full or "", reason or text("no_usable_tape"))

    def _inventory(self) -> dict[str, dict[str, Any]]:
        self.services.projector.catch_up(["inventory"])
        return {row["barcode"]: row for row in self.services.inventory.all()}

    def _from_library(self) -> Mounted | None:
        changer = self.session.changer
        assert changer is not None
        inventory = changer.inventory()
        drive_element = changer.drive_element(self.session.drive, inventory)
        loaded = drive_element.barcode if drive_element.full else None
        present = [e.barcode for e in (*inventory.slots, *inventory.drives) if e.full and e.barcode]
        candidates = choice.ordered(present, self._inventory(), self.policy.group,
                                    auto_erase=self.policy.auto_erase, loaded=loaded, exclude=self.used)
        for barcode in candidates:
            if barcode != loaded:
                operations.load(self.session, barcode)
            mounted = self._prepare(barcode)
            if mounted is not None:
                return mounted
            self.used.add(barcode)
        return None

    def _loaded_if_usable(self) -> Mounted | None:
        try:
            medium = self.session.drive.mount(prevent_removal=True)
        except (NoMedium, LoadRequired):
            return None
        barcode = self.session.barcode(medium)
        if not barcode or barcode in self.used:
            return None
        row = self._inventory().get(barcode)
        if choice.rank(row, self.policy.group, auto_erase=self.policy.auto_erase) is None:
            self._warn("tape_not_eligible", barcode=barcode, status=(row or {}).get("status", "—"))
            self.used.add(barcode)
            return None
        mounted = self._prepare(barcode)
        if mounted is None:
            self.used.add(barcode)
        return mounted

    # --- getting a chosen cartridge ready ---------------------------------------------------
    def _prepare(self, barcode: str) -> Mounted | None:
        """Make the loaded cartridge writable for this job, or say why not (None, with a warning)."""
        session, ledger = self.session, self.ledger
        medium = session.drive.mount(prevent_removal=True)
        if medium.write_protected:
            self._warn("write_protected", barcode=barcode)
            return None
        cartridge = ensure_cartridge(ledger, barcode, medium, location=f"drive:{session.spec}", by=session.actor)
        state = volume_io.inspect(session.drive)
        try:
            if cartridge.status == "expired":
                operations.erase(session, long=False)
                operations.label(session, pool=self.policy.pool, block_size=self.policy.block_size, barcode=barcode)
            elif state.kind is VolumeKind.BLANK:
                operations.label(session, pool=self.policy.pool, block_size=self.policy.block_size, barcode=barcode)
            elif state.kind is VolumeKind.FOREIGN:
                self._warn("foreign_tape", barcode=barcode)
                return None
            elif state.label is None or state.label.label_sequence != cartridge.label_sequence:
                self._warn("label_mismatch", barcode=barcode)
                return None
        except (MediaError, DriveApiError, LedgerError) as refusal:
            self._warn("tape_refused", barcode=barcode, reason=str(refusal))
            return None
        cartridge = ledger.cartridge(barcode)
        if cartridge.groups and set(cartridge.groups) - {self.policy.group}:
            self._warn("tape_not_eligible", barcode=barcode, status=cartridge.status)
            return None
        return self._position(barcode, cartridge, medium.worm)

    def _position(self, barcode: str, cartridge: Any, worm: bool) -> Mounted:
        """Reconcile the tape with the ledger: the next package goes right after the last recorded file.

        A package written but not recorded (the process died between the filemark and the ledger)
        lies beyond that point and is overwritten, so no package is ever on tape twice.
        """
        drive = self.session.drive
        end = drive.locate_end_of_data()
        files_on_tape = end.file or 0
        expected = cartridge.next_tape_file
        if files_on_tape < expected:
            raise JobStopped(text("tape_behind_ledger", barcode=barcode, tape=files_on_tape, ledger=expected),
                             status="failed")
        if worm:
            point = volume_io.prepare_append(drive)
            if point.tape_file != expected:
                raise JobStopped(text("worm_unrecorded", barcode=barcode), status="failed")
        else:
            drive.locate_file(expected)
        block_size = cartridge.block_size or self.policy.block_size
        return Mounted(barcode, expected, block_size, cartridge.bytes_written, worm)

    # --- standalone drive: ask the operator ------------------------------------------------
    def _wait_for_operator(self, full: str, reason: str) -> Mounted:
        session, ledger = self.session, self.ledger
        with contextlib.suppress(MediaError, TapeError, DriveApiError):
            if session.changer is None:
                operations.unload(session)
        job = ledger.backup_job(self.job_id)
        job.request_tape_change(full_barcode=full, reason=reason)
        ledger.save(job)
        context = {"job_id": self.job_id, "group": self.policy.group, "full_barcode": full or "—",
                   "reason": reason, "host": self.services.settings.host_name, "occurred_at": clock.now()}
        self.notify("tape_change_needed", context, f"{self.job_id}:tape:{full}:{len(self.used)}")
        started = last_reminder = time.monotonic()
        reminders = 0
        while True:
            self.check_control()
            mounted = self._try_inserted()
            if mounted is not None:
                job = ledger.backup_job(self.job_id)
                job.tape_change_satisfied(barcode=mounted.barcode)
                ledger.save(job)
                return mounted
            now = time.monotonic()
            if now - started >= self.policy.pause_after_seconds:
                job = ledger.backup_job(self.job_id)
                job.pause(by="system", reason=text("tape_wait_timeout"))
                ledger.save(job)
                raise JobStopped(text("tape_wait_timeout"), status="paused")
            if now - last_reminder >= self.policy.remind_seconds:
                reminders += 1
                last_reminder = now
                self.notify("tape_change_needed", {**context, "reminder": reminders},
                            f"{self.job_id}:tape:{full}:{len(self.used)}:remind:{reminders}")
            time.sleep(self.policy.poll_seconds)

    def _try_inserted(self) -> Mounted | None:
        try:
            self.session.drive.refresh_medium()
        except (NoMedium, LoadRequired, NotReady):
            return None
        except TapeError:
            return None
        return self._loaded_if_usable()

    def _warn(self, key: str, **values: Any) -> None:
        message = text(key, **values)
        log.warning(message)
        self.warnings.append(message)
