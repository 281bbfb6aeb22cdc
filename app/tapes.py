"""Tapes: the devices, the acts on a drive (load, label, erase …), the inventory, one cartridge's
retention, and the emulated library's hand operations.

Each act opens the drive named by `device` (else TAPE_DEVICE, else `emulated:0`) for that act only,
records what happened in the ledger with the acting user, and returns a plain record. Refusals —
a tape that is not ours, one holding an active backup group, a barcode typed back wrong — happen
before the tape or the ledger is touched. An erase publishes how far it is as `erase-<barcode>`.
Locations come back both as the ledger's code and in words (`ledger.rules.locations`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from app.errors import BadRequest, Unknown
from app.lifecycle import CannotPreview, CartridgeEntry, cartridge_entries
from app.retention import RetentionPreview, checked_months, preview_retention
from app.tape_acts import TapeActs, running_on
from config.settings import FIRST_LOAD_SECONDS_MAX
from kernel.errors import TafError, describe
from kernel.progress import Observer
from ledger import clock
from ledger.rules import RuleError, next_run
from ledger.rules.locations import location_text
from media import lifecycle as media_lifecycle
from media import operations, raw, vtl
from media.devices import (
    DeviceSession,
    device_spec,
    emulated_devices,
    ensure_emulated_library,
    is_emulated,
    library_folder,
    list_devices,
    open_session,
)
from media.ports import LifecycleServices, SessionServices
from media.results import DeviceEntry, DriveReport, Erased, Labelled, Loaded, RawReply, Rewound, Unloaded
from tape.drive_health import HealthSnapshot

Ask = Callable[[str], str]  # asks the person at the face a question and returns the answer
MAX_LOCATION = 200  # a location as recorded: a code and the operator's note
LOOK_WAIT_SECONDS = 1.0  # how long a status read waits for a drive another session holds


@dataclass(frozen=True)
class Moved:
    barcode: str
    location: str
    by: str
    location_text: str = ""


@dataclass(frozen=True)
class RetentionChanged:
    """One cartridge's retention, changed: what it was, what it is, who changed it, and what follows."""

    barcode: str
    old: int | None  # its own retention before; None: it followed the default
    old_in_force: int  # what applied before (its own, or the default then in force)
    new: int
    by: str
    expired_now: bool  # the shorter retention has run out: marked expired (never while it holds an active group)
    cartridge: CartridgeEntry  # the cartridge afterwards: status, when it becomes free and why


@dataclass(frozen=True)
class DeviceState:
    """One drive or changer on this host: what it is, whether TAF uses it, and — for a drive — its
    state now, with the estimate of what is left while a new LTO-9 cartridge is calibrated."""

    path: str
    kind: str  # drive or changer
    kind_text: str
    vendor: str
    product: str
    revision: str
    serial: str | None
    used: bool  # the one TAF uses (TAPE_DEVICE, else the emulated library)
    emulated: bool
    barcode: str | None  # the cartridge in the drive, when known
    state: str | None  # empty, unloaded, loading, optimising or ready; None when not read
    state_text: str
    remaining_minutes: int | None  # first-load media optimisation: the estimate of what is left
    advice: str  # what to (not) do meanwhile
    held_by: str | None  # the job holding the drive, or the act running on it, in words
    problem: str | None  # why it cannot be used or read


@dataclass(frozen=True)
class Devices:
    in_use: str  # the device TAF uses
    devices: list[DeviceState]


class TapesDeps(LifecycleServices, SessionServices, Protocol):
    """The installation's settings (devices, library folder, block size), the ledger, the progress
    store an erase publishes to, the outbox, and the inventory and groups views."""


class Tapes:
    def __init__(self, deps: TapesDeps) -> None:
        self._deps = deps

    def _spec(self, device: str | None) -> str:
        return device_spec(self._deps.settings, device)

    def _session(self, device: str | None, changer: str | None, actor: str, *,
                 busy_wait: float | None = None) -> DeviceSession:
        return open_session(self._deps, self._spec(device), actor, changer_spec=changer, busy_wait=busy_wait)

    @property
    def acts(self) -> TapeActs:
        """Load, unload, label and erase started beside the request, followed in the progress store."""
        return TapeActs(self, self._deps)

    # -- devices and drives -----------------------------------------------------------------------

    def device(self, device: str | None = None) -> str:
        """The drive an act uses: `device`, else TAPE_DEVICE (TAPE_DRIVE_LETTER), else `emulated:0`."""
        return self._spec(device)

    def devices(self, device: str | None = None) -> list[DeviceEntry]:
        """The drives and changers this host can use (the emulated library is created on first use)."""
        return list_devices(self._deps.settings, self._spec(device))

    def devices_overview(self, *, actor: str) -> Devices:
        """Every drive and changer found, which one TAF uses, and each drive's state read now — unless a
        job or an act holds it (it is not disturbed: its state is what the library says)."""
        spec = self._spec(None)
        found = []
        for entry in self.devices():
            used = entry.path == spec or (entry.kind == "changer" and is_emulated(spec))
            found.append(self._device_state(entry, used, actor))
        return Devices(spec, found)

    def _device_state(self, entry: DeviceEntry, used: bool, actor: str) -> DeviceState:
        emulated = entry.path.startswith("emulated")
        state, said, minutes, advice, problem = entry.medium, entry.medium_text or "", None, "", entry.problem
        held = None
        if entry.kind == "drive" and not problem:
            drive = self._deps.ledger.find_drive(self._deps.settings.host_name, entry.path)
            held = (f"任务 {drive.reserved_by} 正在使用" if drive is not None and drive.reserved_by
                    else running_on(entry.path))
            if held is None and (not emulated or entry.medium in {"loading", "optimising"}):
                try:
                    report = self.drive_status(actor=actor, device=entry.path)
                    state, said, minutes, advice = report.state, report.state_text, report.remaining_minutes, \
                        report.state_advice
                except TafError as error:
                    problem = describe(error).message
        return DeviceState(entry.path, entry.kind, entry.kind_text, entry.vendor, entry.product, entry.revision,
                           entry.serial, used, emulated, entry.barcode, state, said, minutes, advice, held, problem)

    def drive_status(self, *, actor: str, device: str | None = None, changer: str | None = None) -> DriveReport:
        """What the drive is and does, without moving the tape (a drive in use is not waited for long:
        the console and the web ask again soon)."""
        with self._session(device, changer, actor, busy_wait=LOOK_WAIT_SECONDS) as session:
            return operations.status(session)

    def load(self, barcode: str, *, actor: str, device: str | None = None, changer: str | None = None,
             on_message: Callable[[str], None] | None = None) -> Loaded:
        """The robot loads `barcode` (taking out what the drive held); `on_message` hears the drive's waits."""
        with self._session(device, changer, actor) as session:
            return operations.load(session, barcode,
                                   on_state=(lambda state: on_message(state.message)) if on_message else None)

    def unload(self, *, actor: str, device: str | None = None, changer: str | None = None) -> Unloaded:
        with self._session(device, changer, actor) as session:
            return operations.unload(session)

    def rewind(self, *, actor: str, device: str | None = None, changer: str | None = None) -> Rewound:
        with self._session(device, changer, actor) as session:
            return operations.rewind(session)

    def label(self, *, actor: str, pool: str | None = None, barcode: str | None = None,
              block_size: int | None = None, force: bool = False, confirm: str | None = None, ask: Ask | None = None,
              device: str | None = None, changer: str | None = None) -> Labelled:
        """Write a TAF label. A tape that already has a label needs `force`; a foreign tape or one holding
        data also its barcode typed back (`confirm`, else asked through `ask`); one holding an active
        backup group is refused outright. The pool stays the cartridge's own unless `pool` names one."""
        if confirm is not None and not force:
            raise BadRequest("确认条码只在强制覆盖磁带时使用")
        with self._session(device, changer, actor) as session:
            return operations.label(session, pool=pool, barcode=barcode, force=force, confirm=confirm, ask=ask,
                                    block_size=block_size or self._deps.settings.default_block_size)

    def erase(self, *, actor: str, acknowledged: bool, long: bool = False, confirm: str | None = None,
              ask: Ask | None = None, on_progress: Observer | None = None, device: str | None = None,
              changer: str | None = None) -> Erased:
        """Erase the loaded cartridge, once the person has acknowledged that everything on it goes.

        Refused while it holds an active backup group; a cartridge holding backups needs its barcode
        typed back too. How far it is goes to the progress store as `erase-<barcode>`.
        """
        if not acknowledged:
            raise BadRequest("擦除会清除磁带上的全部数据，请先确认")
        with self._session(device, changer, actor) as session:
            return operations.erase(session, long=long, confirm=confirm, ask=ask, progress=on_progress)

    def health(self, *, actor: str, device: str | None = None, changer: str | None = None) -> HealthSnapshot:
        """Log pages, TapeAlert flags (explained in Chinese) and cartridge memory, recorded on the cartridge."""
        with self._session(device, changer, actor) as session:
            return operations.health(session)

    def raw(self, cdb: str, *, actor: str, data_in: int = 0, data_out: Path | None = None,
            device: str | None = None, changer: str | None = None) -> RawReply:
        """Send one CDB (hex) as given and return exactly what the drive said."""
        with self._session(device, changer, actor) as session:
            return raw.raw_command(session, cdb, data_in=data_in, data_out=data_out)

    # -- the inventory ----------------------------------------------------------------------------

    def inventory(self, now: datetime | None = None) -> list[CartridgeEntry]:
        """Every cartridge: status, pool, location, capacity, retention, when it becomes free and why."""
        return cartridge_entries(self._deps, now or clock.now())

    def move(self, barcode: str, location: str, *, actor: str) -> Moved:
        """Record where a cartridge now is (taken offsite, put on a shelf …)."""
        code, place = barcode.strip().upper(), " ".join(location.split())
        if not place:
            raise BadRequest("请说明磁带放到了哪里")
        if len(place) > MAX_LOCATION or not place.isprintable():
            raise BadRequest(f"位置说明应是不超过 {MAX_LOCATION} 个字的文字，不能含控制字符")
        if self._deps.ledger.move_cartridge(code, place, actor) is None:
            raise Unknown(f"台账中没有条码为 {code} 的磁带")
        return Moved(code, place, actor, location_text(place))

    def change_retention(self, barcode: str, months: int, *, actor: str,
                         now: datetime | None = None) -> RetentionChanged:
        """Give one cartridge its own retention (1–120 months), recorded with the old value, the new
        one and who changed it.

        The interlock is the same as ever: however short, a retention never frees a cartridge that
        holds an active backup group — its sentence says so. A cartridge whose shorter retention has
        run out (and holds none) is marked expired now, as the daily check would; one marked expired
        that the longer retention keeps is no longer expired, so nothing erases it.
        """
        code, at = barcode.strip().upper(), now or clock.now()
        ledger = self._deps.ledger
        before = ledger.cartridge(code)
        in_force = int(self._deps.effective("default_retention_months"))
        ledger.change_retention(code, months, actor, default_months=in_force, now=at)
        entry = self._entry(code, at)
        expired_now = entry.expired and entry.status != "expired"
        if expired_now:
            ledger.expire_cartridge(code, f"{entry.explanation}（{actor} 将存活期改为 {months} 个月）")
            entry = self._entry(code, at)
        return RetentionChanged(code, before.retention_months, before.retention_months or in_force, months, actor,
                                expired_now, entry)

    def preview_retention(self, months: int, *, barcode: str | None = None,
                          now: datetime | None = None) -> RetentionPreview:
        """What giving cartridge `barcode` its own retention of `months` — or, without a barcode, making
        `months` the default — would do, before anything is saved: the cartridges whose verdict
        changes, and the next rotation and erase with the new value next to the one in force."""
        deps, months = self._deps, checked_months(months)
        at = media_lifecycle.local(now or clock.now())
        media_lifecycle.refresh(deps)
        try:
            return preview_retention(
                deps.inventory.all(), media_lifecycle.group_states(deps), at,
                next_run(str(deps.effective("monthly_backup_cron")), at),
                default_months=int(deps.effective("default_retention_months")), months=months,
                barcode=barcode.strip().upper() if barcode else None, keep=int(deps.effective("active_groups")),
                auto_erase=bool(deps.effective("auto_erase_expired")),
                next_check_at=next_run(str(deps.effective("retention_check_cron")), at))
        except (RuleError, ValueError) as error:  # a cron that never fires, groups running backwards, bad data
            raise CannotPreview(f"无法预览：{error}") from None

    def _entry(self, barcode: str, now: datetime) -> CartridgeEntry:
        return next(entry for entry in cartridge_entries(self._deps, now) if entry.barcode == barcode)

    # -- the emulated library, by hand --------------------------------------------------------------

    def _library(self, device: str | None, *, create: bool = True) -> Path:
        spec = self._spec(device)
        if create:
            ensure_emulated_library(self._deps.settings, spec)
        return library_folder(self._deps.settings, spec)

    def vtl_create(self, *, drives: int | None = None, slots: int | None = None, capacity: int | None = None,
                   early_warning_pct: float | None = None, first_load_seconds: float | None = None,
                   device: str | None = None) -> vtl.LibraryView:
        """Create the emulated library; each value not given comes from VTL_DRIVES, VTL_SLOTS …

        `first_load_seconds` (else VTL_FIRST_LOAD_SECONDS): how long a new LTO-9 cartridge's first load
        calibrates it, 0 to 7920 — the real drive's media optimisation, for training and tests.
        """
        s = self._deps.settings
        if first_load_seconds is not None and not 0 <= first_load_seconds <= FIRST_LOAD_SECONDS_MAX:
            raise BadRequest(f"首次装入的介质优化时间应在 0 到 {FIRST_LOAD_SECONDS_MAX} 秒之间（收到 {first_load_seconds}）")
        return vtl.create(self._library(device, create=False), emulated_devices(self._spec(device)),
                          drives=s.vtl_drives if drives is None else drives,
                          slots=s.vtl_slots if slots is None else slots, capacity=capacity or s.vtl_capacity,
                          early_warning_pct=s.vtl_early_warning_pct if early_warning_pct is None else early_warning_pct,
                          first_load_seconds=s.vtl_first_load_seconds if first_load_seconds is None
                          else first_load_seconds)

    def vtl_list(self, device: str | None = None) -> vtl.LibraryView:
        return vtl.listing(self._library(device), emulated_devices(self._spec(device)))

    def vtl_insert(self, barcode: str, *, actor: str, slot: int | None = None, drive: int | None = None,
                   media: str | None = None, write_protect: bool = False, device: str | None = None) -> vtl.Inserted:
        """Put a cartridge in (a new barcode is a new cartridge); a known one's new place is recorded."""
        return vtl.insert(self._library(device), emulated_devices(self._spec(device)), self._deps.ledger, barcode,
                          by=actor, slot=slot, drive=drive, media=media, write_protect=write_protect)

    def vtl_eject(self, barcode: str | None = None, *, actor: str, device: str | None = None) -> vtl.Ejected:
        """Take a cartridge out; without a barcode, what waits in the import/export slots."""
        return vtl.eject(self._library(device, create=False), self._deps.ledger, barcode, by=actor)

    def vtl_protect(self, barcode: str, protected: bool = True, device: str | None = None) -> vtl.Protected:
        return vtl.protect(self._library(device, create=False), barcode, protected)

    def vtl_set_fault(self, kind: str, *, drive: int | None = None, changer: bool = False, barcode: str | None = None,
                      at_object: int | None = None, operation: str = "both", seconds: float | None = None,
                      limit: int | None = None, asc: int | None = None, ascq: int | None = None, once: bool = False,
                      device: str | None = None) -> vtl.FaultSet:
        return vtl.set_fault(self._library(device, create=False), kind, drive=drive, changer=changer, barcode=barcode,
                             at_object=at_object, operation=operation, seconds=seconds, limit=limit, asc=asc,
                             ascq=ascq, once=once)

    def vtl_clear_faults(self, kind: str | None = None, *, drive: int | None = None,
                         device: str | None = None) -> vtl.FaultsCleared:
        return vtl.clear_faults(self._library(device, create=False), kind=kind, drive=drive)

    def vtl_faults(self, device: str | None = None) -> vtl.FaultList:
        return vtl.list_faults(self._library(device, create=False))
