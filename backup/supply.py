"""Writable cartridges for a backup job: choose, load, label or erase-and-reuse, ask for a change.

In a library the next cartridge is loaded by the robot. On a standalone drive — or a library with
no usable cartridge left — the job records `TapeChangeRequested`, sends the 换盘 notification, and
waits for the operator (a cartridge in the drive; in a library, one put into the import/export
slot or a free slot) — reminding every few minutes and pausing (not failing) after a configured
wait. It says why nothing at hand will do (the last refusal: full, write-protected, foreign,
another group's tape …) and what to bring (`wanted`: this group's cartridge that still has room,
else a labelled blank one by barcode, else any new blank tape); the request is on the progress
board from the first moment, so `backup run --wait` prints it at once and again with each reminder.
The wait goes into the log once, when it begins and when it ends — not with every poll of the
drive (`quiet_polls`).

Every cartridge the job takes is booked for it in the ledger first (B9: two jobs on two drives of
one library never share a tape) and released when the job is done with it; only cartridges in the
library's slots or already in this job's drive are candidates, never one in another drive.

A resumed job takes the cartridge left in the drive first, if it may: that is the one a killed run
was writing, and continuing it overwrites whatever the dead process left beyond the last recorded
package — so no stray, unrecorded package stays behind on a tape nobody would mount again.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from backup import choice
from backup.job_state import change_job
from backup.messages_job import JobStopped, text
from backup.ports import BackupServices
from backup.quiet_polls import quiet_polls
from backup.run_options import RunOptions
from ledger import clock
from ledger.application import Ledger
from ledger.domain import Cartridge
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
    pool: str | None = None  # None: a cartridge keeps its own pool when it is (re)labelled
    poll_seconds: float = 2.0
    remind_seconds: float = 600.0
    pause_after_seconds: float = 4 * 3600.0


def supply_policy(services: BackupServices, group: str, options: RunOptions) -> SupplyPolicy:
    """The tape-supply rules for one run: the settings in force, or the run's own override in seconds."""
    policy = SupplyPolicy(
        group=group, auto_erase=bool(services.effective("auto_erase_expired")),
        block_size=services.settings.default_block_size, poll_seconds=options.poll_seconds,
        remind_seconds=60.0 * int(services.effective("tape_change_remind_minutes")),
        pause_after_seconds=60.0 * int(services.effective("tape_change_pause_minutes")),
    )
    if options.tape_remind_seconds is not None:
        policy.remind_seconds = options.tape_remind_seconds
    if options.tape_pause_seconds is not None:
        policy.pause_after_seconds = options.tape_pause_seconds
    return policy


@dataclass
class TapeSupply:
    services: BackupServices
    session: DeviceSession
    job_id: str
    policy: SupplyPolicy
    check_control: Callable[[], None]
    notify: Callable[[str, dict[str, Any], str], None]
    resumed: bool = False
    # Told (reason, what to insert) when the job starts waiting, and (reminder, what to insert) with each reminder.
    on_wait: Callable[[str, str], None] | None = None
    # Told the barcode when a cartridge the operator put in is ready: the request is answered then,
    # not when the next package is packed and written (which may take minutes).
    on_found: Callable[[str], None] | None = None
    # Told the barcode when the job, waiting for the operator, has found a cartridge in the drive and
    # starts checking it (labelling a new one takes a while): an operator's answer hears it went on.
    on_checking: Callable[[str], None] | None = None
    checking: str = ""  # the cartridge being checked meanwhile ("" when none)
    # Told each time the waiting job has looked in the drive and found nothing to take: an answer
    # tells "not found" from "not looked yet".
    on_look: Callable[[], None] | None = None
    used: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    last_refused: str = ""  # the last cartridge turned down, named in the 换盘 message
    booked: set[str] = field(default_factory=set)

    @property
    def ledger(self) -> Ledger:
        return self.services.ledger

    def first(self) -> Mounted:
        return self._next(reason="")

    def replace(self, full: Mounted, reason: str) -> Mounted:
        self.used.add(full.barcode)
        self.release(full.barcode)
        return self._next(reason=reason, full=full.barcode)

    def release(self, barcode: str) -> None:
        if barcode in self.booked:
            self.ledger.release_cartridge(barcode, self.job_id)
            self.booked.discard(barcode)

    def release_all(self) -> None:
        for barcode in sorted(self.booked):
            self.release(barcode)

    def _book(self, barcode: str) -> bool:
        """Book `barcode` for this job; False while another unfinished job holds it.

        A cartridge the ledger has never seen cannot be booked yet: it is booked once registered,
        when the robot has put it in this job's drive (where no other job can take it).
        """
        if barcode in self.booked or self.ledger.find(Cartridge, Cartridge.create_id(barcode)) is None:
            return True
        if self.ledger.reserve_cartridge(barcode, self.job_id):
            self.booked.add(barcode)
            return True
        log.info("磁带 %s 已被其它任务预订，跳过", barcode)
        return False

    def reopen(self, barcode: str) -> Mounted | None:
        """Mount `barcode` again to finish it (write its tape index); None when it is out of reach."""
        session = self.session
        if not self._book(barcode):
            return None
        try:
            if session.changer is not None:
                inventory = session.changer.inventory()
                element = session.changer.drive_element(session.drive, inventory)
                if inventory.find(barcode) is None:
                    return None
                if not (element.full and element.barcode == barcode):
                    operations.load(session, barcode)
            medium = session.drive.mount(prevent_removal=True)
            if session.barcode(medium) != barcode:
                return None
            state = volume_io.inspect(session.drive, find_end=False)
        except (NoMedium, LoadRequired, NotReady, MediaError, TapeError):
            return None
        cartridge = self.ledger.cartridge(barcode)
        if state.label is None or state.label.label_sequence != cartridge.label_sequence:
            self._warn("label_mismatch", barcode=barcode)
            return None
        return self._position(barcode, cartridge, medium.worm)

    # --- choosing ---------------------------------------------------------------------------
    def _next(self, reason: str, full: str | None = None) -> Mounted:
        refusals = len(self.warnings)
        if self.session.changer is not None:
            mounted = self._from_library()
            if mounted is not None:
                return mounted
        else:
            mounted = self._loaded_if_usable()
            if mounted is not None:
                return mounted
        if not reason:
            # Say what was wrong with what is there, so the operator brings the right cartridge.
            reason = (self.warnings[-1] if len(self.warnings) > refusals else
                      text("tape_wait_library") if self.session.changer is not None else text("no_usable_tape"))
        return self._wait_for_operator(full or "", reason)

    def _inventory(self) -> dict[str, dict[str, Any]]:
        self.services.projector.catch_up(["inventory"])
        return {row["barcode"]: row for row in self.services.inventory.all()}

    def _from_library(self) -> Mounted | None:
        changer = self.session.changer
        assert changer is not None
        inventory = changer.inventory()
        drive_element = changer.drive_element(self.session.drive, inventory)
        loaded = drive_element.barcode if drive_element.full else None
        # Slots and the mail slot (an import may have found no free slot), never the other drives'
        # cartridges: another job may be writing them.
        present = [e.barcode for e in (*inventory.slots, *inventory.ie_slots) if e.full and e.barcode]
        present += [loaded] if loaded else []
        candidates = choice.ordered(present, self._inventory(), self.policy.group,
                                    auto_erase=self.policy.auto_erase, loaded=loaded, exclude=self.used)
        if self.resumed and loaded in candidates:
            candidates.remove(loaded)
            candidates.insert(0, loaded)  # the cartridge a killed run was writing (module note)
        for barcode in candidates:
            if not self._book(barcode):
                self.used.add(barcode)
                continue
            try:
                if barcode != loaded:
                    operations.load(self.session, barcode)
                mounted = self._prepare(barcode)
            except (MediaError, TapeError) as refusal:  # e.g. another job's robot move came first
                self._warn("tape_refused", barcode=barcode, reason=str(refusal))
                mounted = None
            if mounted is not None:
                return mounted
            self.used.add(barcode)
            self.release(barcode)
        return None

    def _loaded_if_usable(self, seen: Callable[[str], None] | None = None) -> Mounted | None:
        try:
            medium = self.session.drive.mount(prevent_removal=True)
        except (NoMedium, LoadRequired):
            return None
        barcode = self.session.barcode(medium)
        if not barcode or barcode in self.used:
            return None
        if seen is not None:
            seen(barcode)
        row = self._inventory().get(barcode)
        if choice.rank(row, self.policy.group, auto_erase=self.policy.auto_erase) is None:
            self._warn("tape_not_eligible", barcode=barcode, group=self.policy.group,
                       why=choice.why_not(row or {}, self.policy.group, auto_erase=self.policy.auto_erase))
            self.used.add(barcode)
            return None
        mounted = self._prepare(barcode) if self._book(barcode) else None
        if mounted is None:
            self.used.add(barcode)
            self.release(barcode)
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
        if not self._book(barcode):
            self._warn("tape_booked", barcode=barcode, job=ledger.cartridge(barcode).reserved_by or "—")
            return None
        state = volume_io.inspect(session.drive)
        try:
            if cartridge.status == "expired":
                operations.erase(session, long=False, require_confirmation=False, reason="已过期，备份前自动擦除")
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
            self._warn("tape_not_eligible", barcode=barcode, group=self.policy.group,
                       why=choice.why_not({"status": cartridge.status, "groups": cartridge.groups},
                                          self.policy.group, auto_erase=self.policy.auto_erase))
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
        # Standalone: eject the refused or full cartridge for the operator. Library: the robot puts it
        # back in its own slot, so a cartridge imported meanwhile cannot take that slot from it.
        with contextlib.suppress(MediaError, TapeError, DriveApiError):
            operations.unload(session)
        instruction, wanted = self._wanted()
        job = change_job(ledger, self.job_id, lambda fresh: fresh.request_tape_change(
            full_barcode=full, reason=reason, instruction=instruction))
        log.warning(text("tape_wait_logged", job=self.job_id, reason=reason, instruction=instruction))
        if self.on_wait is not None:
            self.on_wait(reason, instruction)
        identity = session.drive.identity
        drive = f"{identity.product}（{session.spec}，序列号 {identity.serial}）" if identity else session.spec
        current = full or self.last_refused
        asked_at = clock.now()
        # The keys the tape_change_needed template reads (notify/templates.py), plus the reason.
        context = {"job_id": self.job_id, "group": self.policy.group, "drive": drive, "current": current,
                   "current_state": text("state_full") if full else reason, "wanted": wanted,
                   "requested_at": asked_at, "full_barcode": full or "—", "reason": reason,
                   "instruction": instruction, "host": self.services.settings.host_name, "occurred_at": asked_at}
        # One message per request, and a fresh one when a resumed run asks again.
        cause = f"{self.job_id}:tape:{full}:{len(self.used)}:run{getattr(job, 'attempts', 1)}"
        self.notify("tape_change_needed", context, cause)
        started = last_reminder = time.monotonic()
        reminders = 0
        self.checking = ""  # a cartridge found in an earlier wait is no concern of this one
        with quiet_polls():
            while True:
                self.check_control()
                mounted = self._try_inserted()
                checked, self.checking = self.checking, ""
                if checked and mounted is None:  # it would not do: out it goes, and the job says why
                    with contextlib.suppress(MediaError, TapeError, DriveApiError):
                        operations.unload(session)  # else its removal stays prevented: nobody could swap it
                    if self.on_wait is not None:
                        self.on_wait(self.warnings[-1] if self.warnings else reason, instruction)
                if mounted is None and self.on_look is not None:
                    self.on_look()
                if mounted is not None:
                    change_job(ledger, self.job_id, functools.partial(_satisfied, barcode=mounted.barcode))
                    log.info(text("tape_wait_over", job=self.job_id, barcode=mounted.barcode,
                                  minutes=f"{(time.monotonic() - started) / 60:.0f}"))
                    if self.on_found is not None:
                        self.on_found(mounted.barcode)
                    return mounted
                now = time.monotonic()
                if now - started >= self.policy.pause_after_seconds:
                    change_job(ledger, self.job_id,
                               lambda fresh: fresh.pause(by="system", reason=text("tape_wait_timeout")))
                    raise JobStopped(text("tape_wait_timeout"), status="paused")
                if now - last_reminder >= self.policy.remind_seconds:
                    reminders += 1
                    last_reminder = now
                    if self.on_wait is not None:
                        self.on_wait(text("still_waiting", minutes=f"{(now - started) / 60:.0f}",
                                          instruction=instruction), instruction)
                    self.notify("tape_change_needed", {**context, "reminder": reminders},
                                f"{cause}:remind:{reminders}")
                time.sleep(self.policy.poll_seconds)

    def _wanted(self) -> tuple[str, str]:
        """What the operator should insert, in a sentence, and the barcode when one cartridge is
        best ('' when any blank tape will do): this group's cartridge that still has room, else
        labelled blank ones by barcode, else a new blank tape (or an expired one, with AUTO_ERASE)."""
        inventory = self._inventory()
        ranked = choice.ordered(inventory, inventory, self.policy.group, auto_erase=self.policy.auto_erase,
                                exclude=self.used)
        library = self.session.changer is not None
        expired = text("or_expired") if self.policy.auto_erase else ""
        best = ranked[0] if ranked else ""
        if best and choice.rank(inventory[best], self.policy.group, auto_erase=False) == choice.CONTINUE:
            key = "library_insert_group_tape" if library else "insert_group_tape"
            return text(key, group=self.policy.group, barcode=best, drive=self.session.spec), best
        scratch = [b for b in ranked if choice.rank(inventory[b], self.policy.group, auto_erase=False) == choice.SCRATCH]
        if scratch and not library:
            return text("insert_scratch", barcodes="、".join(scratch[:3]), drive=self.session.spec), ""
        key = "library_insert_blank" if library else "insert_blank"
        return text(key, expired=expired, drive=self.session.spec), ""

    def _try_inserted(self) -> Mounted | None:
        changer = self.session.changer
        if changer is not None:
            # The operator answers a library's request through the import/export slot (or a slot).
            with contextlib.suppress(TapeError):
                changer.import_cartridges()
            return self._from_library()
        try:
            self.session.drive.refresh_medium()
        except (NoMedium, LoadRequired, NotReady):
            return None
        except TapeError:
            return None
        return self._loaded_if_usable(seen=self._checking)

    def _checking(self, barcode: str) -> None:
        self.checking = barcode
        if self.on_checking is not None:
            self.on_checking(barcode)

    def _warn(self, key: str, **values: Any) -> None:
        self.last_refused = str(values.get("barcode", ""))
        message = text(key, **values)
        log.warning(message)
        self.warnings.append(message)


def _satisfied(job: Any, barcode: str) -> None:
    job.tape_change_satisfied(barcode=barcode)
