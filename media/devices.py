r"""Which tape device to use, opening it, and keeping the ledger informed of what it does.

- `device_spec(settings, override)`: `--device`, else TAPE_DEVICE, else TAPE_DRIVE_LETTER mapped to
  \\.\TapeN, else `emulated:0`.
- `ensure_emulated_library(settings, spec)`: the first use of an emulated device creates the
  library under VTL_DIR with VTL_DRIVES / VTL_SLOTS / VTL_CAPACITY / VTL_EARLY_WARNING_PCT /
  VTL_FIRST_LOAD_SECONDS, so a fresh installation has a usable library.
- `library_folder(settings, spec)`: the folder of the emulated library `spec` names (VTL_DIR for a
  real device, where `vtl create` would put one).
- `open_session(services, spec, actor)`: the drive (and its library's changer, if any) opened
  through the command log, the drive registered in the ledger, and every SCSI failure recorded as
  `Drive.CommandFailed` the moment it happens.

A drive is opened exclusively (O_EXCL on /dev/sgN, the same for an emulated one), so two uses of
one drive never interleave their commands. A look at the drive (a console's status poll) holds it
for a moment: an open finding it in use tries again for `busy_wait` seconds before it gives up, and
then says who holds it if the ledger knows (a job's booking) — `DriveBusy` — rather than only that
"another program" does.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from config import Settings
from ledger.application import Ledger
from ledger.domain import Drive as DriveAggregate
from ledger.errors import DriveBusy
from ledger.errors import NotFound as LedgerNotFound
from media.ports import SessionServices
from media.results import DeviceEntry
from media.words import device_kind_text, medium_text
from tape.changer import Changer
from tape.devices import library_root, open_changer, open_device
from tape.discovery import device_from_drive_letter, discover, parse_device_spec
from tape.drive import Drive
from tape.drive_ready import StateCallback
from tape.drive_types import DrivePolicy, MediumInfo
from tape.emulator import Library, LibraryError
from tape.emulator.library_state import LIBRARY_FILE
from tape.scsi.errors import BlankCheck, IllegalRequest, LoadRequired, NoMedium, TapeError
from tape.tapelog import CommandRecord
from tape.transport import DeviceInUse

log = logging.getLogger("taf.media")

DEFAULT_SPEC = "emulated:0"
# The emulator answers in microseconds: poll it often, so commands and tests do not idle.
EMULATED_POLICY = DrivePolicy(retry_max=0.5, ready_poll_max=0.5, erase_poll=0.2)
_PROBES = ("LOG SENSE", "READ ATTRIBUTE")


def device_spec(settings: Settings, override: str | None = None) -> str:
    """The normalised device name to use (raises `InvalidDeviceSpec` for one we cannot use)."""
    if override:
        value = override
    elif settings.tape_device:
        value = settings.tape_device
    elif settings.tape_drive_letter:
        value = device_from_drive_letter(settings.tape_drive_letter)
    else:
        value = DEFAULT_SPEC
    return parse_device_spec(value).path


def is_emulated(spec: str) -> bool:
    return parse_device_spec(spec).kind == "emulated"


def emulated_devices(spec: str) -> str:
    """What the drives of the emulated library `spec` names are called, less their number:
    `emulated` (its drives are emulated:0, emulated:1 …) or `emulated:LIB`; `emulated` for a real device."""
    parsed = parse_device_spec(spec)
    return f"emulated:{parsed.library}" if parsed.kind == "emulated" and parsed.library else "emulated"


def library_folder(settings: Settings, spec: str) -> Path:
    """Where the emulated library `spec` names lives; VTL_DIR itself for any other device."""
    parsed = parse_device_spec(spec)
    return library_root(parsed, settings.vtl_dir) if parsed.kind == "emulated" else settings.vtl_dir


def ensure_emulated_library(settings: Settings, spec: str) -> Path | None:
    """Create the emulated library `spec` names if it does not exist yet; its root, or None."""
    parsed = parse_device_spec(spec)
    if parsed.kind != "emulated":
        return None
    root = library_root(parsed, settings.vtl_dir)
    if not (root / LIBRARY_FILE).exists():
        try:
            Library.create(root, drives=settings.vtl_drives, slots=settings.vtl_slots,
                           capacity=settings.vtl_capacity, early_warning_pct=settings.vtl_early_warning_pct,
                           first_load_seconds=settings.vtl_first_load_seconds).close()
        except LibraryError:
            if not (root / LIBRARY_FILE).exists():
                raise  # not a race with another process creating it: a real refusal
    return root


def worth_recording(record: CommandRecord) -> bool:
    """Failures that belong in the ledger: not the conditions a healthy drive reports in passing.

    Left out: retryable ones (unit attention, becoming ready, busy — retried and usually gone),
    BLANK CHECK (end of data, how blank tapes and file ends are found), an empty drive and a
    cartridge waiting for LOAD (states, not faults), and ILLEGAL REQUEST to LOG SENSE or READ
    ATTRIBUTE (how a drive says it lacks an optional page or attribute).
    """
    error = record.error
    if error is None:
        return False
    if isinstance(error, TapeError):
        if isinstance(error, IllegalRequest) and record.command in _PROBES:
            return False
        return not (error.retryable or isinstance(error, BlankCheck | NoMedium | LoadRequired))
    return True


class FailureRecorder:
    """The `on_failure` hook of the command log: one `Drive.CommandFailed` event per failure."""

    def __init__(self, ledger: Ledger, host: str, device: str) -> None:
        self.ledger = ledger
        self.host = host
        self.device = device
        self.pending: list[CommandRecord] = []
        self.recorded: list[CommandRecord] = []

    def __call__(self, record: CommandRecord) -> None:
        if worth_recording(record):
            self.pending.append(record)
            self.flush()

    def flush(self) -> None:
        """Write what is pending; before the drive is registered, records wait in memory."""
        if not self.pending:
            return
        failures = [{"command": record.command, "cdb": record.cdb_hex,
                     "sense": str(record.sense) if record.sense else "", "message": record.outcome}
                    for record in self.pending]
        try:
            self.ledger.drive_commands_failed(self.host, self.device, failures)
        except LedgerNotFound:
            return
        self.recorded.extend(self.pending)
        self.pending.clear()


@dataclass
class DeviceSession:
    """One drive (and its changer) for one use case, with the ledger it reports to."""

    ledger: Ledger
    host: str
    spec: str
    actor: str
    drive: Drive
    changer: Changer | None
    recorder: FailureRecorder
    vtl_root: Path | None = None
    transports: list[Any] = field(default_factory=list)
    services: SessionServices | None = None  # the progress store and the outbox an erase reports to

    def drive_aggregate(self) -> DriveAggregate:
        """The drive's ledger aggregate, read fresh (failure events may have been saved meanwhile)."""
        return self.ledger.drive(self.host, self.spec)

    def mount(self, on_state: StateCallback | None = None) -> MediumInfo:
        """Mount what is in the drive without locking the eject button (each CLI act is short)."""
        return self.drive.mount(on_state=on_state, prevent_removal=False)

    def barcode(self, medium: MediumInfo | None = None) -> str | None:
        """The loaded cartridge's barcode: cartridge memory / volume statistics, else the robot's view."""
        medium = medium or self.drive.medium
        if medium is not None and medium.barcode:
            return medium.barcode
        if self.changer is not None:
            element = self.changer.drive_element(self.drive)
            if element.full and element.barcode:
                return element.barcode
        return None

    def close(self) -> None:
        for transport in self.transports:
            with contextlib.suppress(Exception):
                transport.close()
        self.recorder.flush()

    def __enter__(self) -> DeviceSession:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


# How long an open waits for a drive another session holds: a status poll lasts well under this;
# anything holding it longer (a job, an erase) is a refusal the person or the job hears about.
BUSY_WAIT_SECONDS = 5.0
_BUSY_POLL = 0.1
_OLD_VERIFY_HOLDER = "verify:"  # how verifications booked a drive until 2026-12


def open_session(services: SessionServices, spec: str, actor: str, *, changer_spec: str | None = None,
                 busy_wait: float | None = None) -> DeviceSession:
    settings = services.settings
    ledger = services.ledger
    root = ensure_emulated_library(settings, spec)
    recorder = FailureRecorder(ledger, settings.host_name, spec)
    transport = _open_when_free(services, spec, recorder, busy_wait)
    transports: list[Any] = [transport]
    try:
        policy = EMULATED_POLICY if root is not None else None
        drive = Drive(transport, policy=policy)
        identity = drive.identify()
        registered = ledger.register_drive(settings.host_name, spec, vendor=identity.vendor,
                                           product=identity.product, serial=identity.serial or "", by=actor)
        _forget_dead_verification(ledger, registered)
        recorder.flush()
        changer = None
        if changer_spec or root is not None:
            changer_transport = open_changer(changer_spec or spec, settings.vtl_dir, on_failure=recorder)
            if changer_transport is not None:
                transports.append(changer_transport)
                changer = Changer(changer_transport, policy=policy)
    except BaseException:
        for opened in transports:
            with contextlib.suppress(Exception):
                opened.close()
        raise
    return DeviceSession(ledger, settings.host_name, spec, actor, drive, changer, recorder, root, transports,
                         services)


def _forget_dead_verification(ledger: Ledger, drive: DriveAggregate) -> None:
    """Let go of a booking a read-back verification made before verifications stopped booking the
    drive (they hold it by the exclusive open alone): holding the drive now, this session proves no
    verification runs on it, and a left-over booking — its process killed — would refuse every job."""
    holder = drive.reserved_by
    if holder and holder.startswith(_OLD_VERIFY_HOLDER):
        log.warning("驱动器 %s 仍被一次已经结束的校验（%s）预订，现予释放", drive.name, holder)
        ledger.release_drive(drive.host, drive.device, holder)


def _open_when_free(services: SessionServices, spec: str, recorder: FailureRecorder, busy_wait: float | None) -> Any:
    deadline = time.monotonic() + (BUSY_WAIT_SECONDS if busy_wait is None else busy_wait)
    while True:
        try:
            return open_device(spec, services.settings.vtl_dir, on_failure=recorder)
        except DeviceInUse as in_use:
            if time.monotonic() < deadline:
                time.sleep(_BUSY_POLL)
                continue
            drive = services.ledger.find_drive(services.settings.host_name, spec)
            if drive is not None and drive.reserved_by:
                raise DriveBusy(drive=drive.name, job=drive.reserved_by) from in_use
            raise


def list_devices(settings: Settings, spec: str) -> list[DeviceEntry]:
    """The drives and changers this host can use: the emulated library's, or those discovered."""
    root = ensure_emulated_library(settings, spec)
    if root is None:
        return [DeviceEntry(d.path, d.kind, d.vendor, d.product, d.revision, d.serial, None, None, d.problem,
                            device_kind_text(d.kind)) for d in discover(open_device)]
    prefix = emulated_devices(spec)
    with Library.open(root) as library:
        loaded = {d.index: d for d in library.status().drives}
        rows = []
        for device in library.devices():
            drive = loaded.get(device.index) if device.kind == "drive" else None
            path = f"{prefix}:{device.index}" if device.kind == "drive" else f"{prefix}（机械手）"
            medium = drive.medium if drive else None
            rows.append(DeviceEntry(path, device.kind, device.vendor, device.product, device.revision, device.serial,
                                    drive.barcode if drive else None, medium, None, device_kind_text(device.kind),
                                    medium_text(medium)))
        return rows
