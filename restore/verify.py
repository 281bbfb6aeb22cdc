"""Read-back verification (B6): can the files of a backup be restored from tape, as the manifest says?

Verified means restorable, so this lives with the restore and runs its code; the backup room knows
nothing of it.

For every package it reads: the payload's size and SHA-256 (`read_package_payload`), then every
member extracted with the restore's own code into hashing sinks and compared with the manifest
(`restore.checking`). Three outcomes per package, kept apart because they call for different acts:

- **damaged**: the bytes read are not the bytes written (SHA-256, a read error, a 7z structure
  that cannot be read) — the data on tape is wrong;
- **unrestorable**: the payload is intact but files do not come back as the manifest says — the
  package was built wrong, and the backup must be redone;
- **unreadable**: the cartridge could not be brought to the drive or read at all (another or no
  cartridge in a standalone drive, not in the library, the drive held by a job, a device error) —
  nothing is known about its data, so this is never reported as a mismatch.

What a verification of one job comes to (`JobVerification.outcome`), each with its own sentence,
ledger event and exit code (`backup verify`, README):

- **verified** — everything read back and restorable (`Verified`, ok; exit 0);
- **mismatch** — something read back wrong (`Verified`, not ok, with the packages; alerts; exit 1);
- **incomplete** — what was read is restorable, some cartridges could not be read (`Verified`, ok,
  with the unreadable cartridges and why; exit 3);
- **skipped** — nothing could be read (`VerificationSkipped`, with the cartridges and why; exit 3).

Somebody at the console (`wait` not None) is asked for each cartridge as a restore asks
(`restore.mounting`): a standalone drive holding another cartridge ejects it and waits for the
right one, a library waits for one put into its mail slot — at most `wait` seconds (0: no waiting,
say what is missing). Nobody is asked in a scheduled run (`wait` None): a cartridge out of reach, a
drive a job holds or a device that will not open makes the verification skip, recorded with why.

A package TAF can restore only by correcting its 7z header (written by an affected version,
`restore.archive`) is a warning: other 7z tools extract it wrong, so the backup should be redone.

Reading moves the tape, so verification books the drive like a job does (a backup writing on the
same drive at the same time would lose its position). `verify_job` checks one job;
`verify_all` every completed backup (since a date) on the cartridges it can reach, one cartridge
load each, so a site can find every backup it must redo. Progress (cartridges, packages and
files checked, bytes read) is published under `verify-<job>` or `verify-all` (`progress_id`).
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from kernel.progress import VERIFY, Observer, ProgressBoard
from ledger.domain import BackupJob
from ledger.domain.job import SKIPPED, verification_outcome
from ledger.errors import DriveBusy
from media import operations
from media.devices import DeviceSession, device_spec, open_session
from media.errors import MediaError
from restore import messages
from restore.checking import check_package
from restore.errors import Stopped
from restore.mounting import Mounter
from restore.ports import VerifyServices
from restore.reading import CountingDrive
from tape.scsi.errors import LoadRequired, NoMedium, TapeError
from tape.transport import TransportError
from tape.volume import FormatError
from tape.volume_errors import VolumeError
from tape.volume_packages import PackagePositions, read_package_header, read_package_payload


def _text(key: str, **values: Any) -> str:
    return messages.text(f"verify_{key}", **values)


def progress_id(job_id: str | None = None) -> str:
    """Where a verification publishes its progress: `verify-<job>`, or `verify-all` for every job."""
    return f"verify-{job_id or 'all'}"


DAMAGED = "damaged"
UNRESTORABLE = "unrestorable"
UNREADABLE = "unreadable"
_SHOWN_PATHS = 5


@dataclass(frozen=True)
class Finding:
    kind: str  # DAMAGED, UNRESTORABLE or UNREADABLE
    barcode: str
    package_id: str  # "" when a whole cartridge could not be read
    text: str  # the sentence an operator reads


@dataclass
class JobVerification:
    """What verification found for one backup job."""

    job_id: str
    checked: int = 0  # packages read and checked
    files_checked: int = 0  # members extracted and compared with the manifest
    findings: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def lines(self, *kinds: str) -> list[str]:
        return [f.text for f in self.findings if f.kind in kinds]

    @property
    def ok(self) -> bool:
        """No package read back wrong (cartridges that could not be read are not counted here)."""
        return not self.lines(DAMAGED, UNRESTORABLE)

    @property
    def outcome(self) -> str:
        """What it comes to (module note): verified, mismatch, incomplete or skipped."""
        return verification_outcome(self.ok, self.checked, self.lines(UNREADABLE))

    def as_dict(self) -> dict[str, Any]:
        return {"job_id": self.job_id, "ok": self.ok, "outcome": self.outcome,
                "verdict": outcome_text(self.outcome, checked=self.checked, files=self.files_checked,
                                        mismatches=len(self.lines(DAMAGED, UNRESTORABLE)),
                                        unreadable=len(self.lines(UNREADABLE))),
                "checked": self.checked, "files_checked": self.files_checked,
                "mismatches": self.lines(DAMAGED, UNRESTORABLE), "unreadable": self.lines(UNREADABLE),
                "warnings": list(self.warnings),
                "findings": [{"kind": f.kind, "cartridge": f.barcode, "package_id": f.package_id, "text": f.text}
                             for f in self.findings]}


def outcome_text(outcome: str, *, checked: int, files: int, mismatches: int, unreadable: int) -> str:
    """The verdict people read for an outcome, with its figures."""
    return _text(f"outcome_{outcome}", checked=checked, files=files, mismatches=mismatches, unreadable=unreadable)


def _positions(event: Any) -> PackagePositions:
    extra = dict(event.extra or {})
    return PackagePositions(package_id=event.package_id, tape_file=event.tape_file, header_block=event.header_block,
                            payload_block=event.payload_block, payload_blocks=event.payload_blocks,
                            payload_bytes=event.payload_bytes, payload_sha256=event.payload_sha256,
                            block_size=int(extra.get("block_size", 262144)))


class _Reader:
    """Checks packages through one open device session, with one scratch folder, on a progress board."""

    def __init__(self, session: DeviceSession, scratch: Path, board: ProgressBoard, wait: float | None,
                 poll_seconds: float = 2.0) -> None:
        self.session = session
        self.scratch = scratch
        self.board = board
        self.wait = wait
        self.poll_seconds = poll_seconds

    def bring(self, barcode: str) -> str:
        """Get `barcode` into the drive; '' when it is there, else why not. Asks for it and waits
        when somebody is there to ask (`wait`), else only loads it from the library's slots."""
        if self.wait:
            return self._ask_for(barcode)
        session = self.session
        try:
            if session.changer is not None:
                operations.load(session, barcode)
                return ""
            medium = session.mount()
        except (NoMedium, LoadRequired):
            return _text("no_cartridge")
        except (MediaError, TapeError) as error:
            return _text("cannot_load", error=str(error))
        loaded = session.barcode(medium)
        if loaded != barcode:
            return _text("other_cartridge", loaded=loaded or _text("no_barcode"))
        return ""

    def _ask_for(self, barcode: str) -> str:
        def waiting(code: str, instruction: str) -> None:
            self.board.update(phase="wait_tape", request=instruction, message=instruction)

        def arrived(code: str) -> None:
            self.board.update(phase="load", request="", message=messages.text("tape_arrived", barcode=code))

        try:
            Mounter(self.session, CountingDrive(self.session.drive), waiting, arrived, lambda: None,
                    self.poll_seconds, give_up_after=self.wait).bring(barcode)
        except Stopped:
            return _text("waited_too_long", barcode=barcode, minutes=f"{(self.wait or 0) / 60:.0f}")
        except (MediaError, TapeError) as error:
            return _text("cannot_load", error=str(error))
        finally:
            self.board.update(request="")
        return ""

    def check(self, event: Any, result: JobVerification, barcode: str) -> None:
        """Read one package back and add what it shows to `result`."""
        result.checked += 1
        payload = self.scratch / "payload.7z"
        package = event.package_id
        self.board.update(phase="read", current_package=package)
        try:
            _, manifest, _ = read_package_header(self.session.drive, event.header_block, tape_file=event.tape_file)
            read_package_payload(self.session.drive, _positions(event), payload)
        except (VolumeError, FormatError, TapeError) as error:  # the tape layer's Chinese message says what
            result.findings.append(Finding(DAMAGED, barcode, package, _text("damaged", barcode=barcode,
                                                                            package=package, detail=str(error))))
            return
        self.board.update(phase="check", bytes_read=self.board.state.bytes_read + event.payload_bytes)
        try:
            if not self.session.ledger.manifest_agrees(event, manifest):
                result.findings.append(Finding(DAMAGED, barcode, package,
                                               _text("manifest_differs", barcode=barcode, package=package)))
                return
            outcome = check_package(payload, manifest, self.scratch / "unpack")
        finally:
            with contextlib.suppress(OSError):
                payload.unlink()
        self.board.update(files_done=self.board.state.files_done + outcome.members)
        result.files_checked += outcome.members
        if not outcome.ok:
            shown = "、".join(outcome.failed[:_SHOWN_PATHS]) + ("……" if len(outcome.failed) > _SHOWN_PATHS else "")
            detail = outcome.error or _text("files_differ", count=len(outcome.failed), total=outcome.members)
            result.findings.append(Finding(UNRESTORABLE, barcode, package,
                                           _text("unrestorable", barcode=barcode, package=package, detail=detail,
                                                 paths=shown or "—")))
        elif outcome.repairs.other_tools_fail:
            result.warnings.append(_text("other_tools_fail", barcode=barcode, package=package))


@dataclass(frozen=True)
class Attendance:
    """Who is there: `wait` None — nobody (a scheduled run: never asks, skips what is out of reach);
    0 — an operator, told what is missing at once; more — an operator, asked for each cartridge and
    waited for that many seconds. `observer` hears every change of the progress (the CLI prints
    the requests from it)."""

    wait: float | None = None
    observer: Observer | None = None
    poll_seconds: float = 2.0


UNATTENDED = Attendance()


def _unreadable(results: dict[str, JobVerification], barcode: str, packages: list[tuple[str, Any]],
                problem: str) -> None:
    for job_id in dict.fromkeys(job for job, _ in packages):
        count = sum(1 for job, _ in packages if job == job_id)
        results[job_id].findings.append(Finding(UNREADABLE, barcode, "", _text(
            "unreadable", barcode=barcode, problem=problem, count=count)))


def _verify(services: VerifyServices, work: dict[str, list[tuple[str, Any]]], results: dict[str, JobVerification],
            *, device: str | None, actor: str, job_id: str | None, attendance: Attendance) -> None:
    """Read `work` (barcode → (job id, PackageWritten) pairs) and fill in `results` per job.

    Unattended, a drive held by a job or a device that does not open makes every cartridge
    unreadable, with why; with an operator there, they are errors of their own (exit codes 5, 7).
    """
    try:
        _read(services, work, results, device=device, actor=actor, job_id=job_id, attendance=attendance)
    except (DriveBusy, TapeError, TransportError, MediaError) as error:
        if attendance.wait is not None:
            raise
        for barcode, packages in work.items():
            _unreadable(results, barcode, packages, _text("no_drive", error=str(error)))


def _read(services: VerifyServices, work: dict[str, list[tuple[str, Any]]], results: dict[str, JobVerification],
          *, device: str | None, actor: str, job_id: str | None, attendance: Attendance) -> None:
    spec = device_spec(services.settings, device)
    board = ProgressBoard(services.progress, progress_id(job_id), VERIFY, observer=attendance.observer)
    with (board.running(cartridges_total=len(work), packages_total=sum(len(p) for p in work.values())),
          open_session(services, spec, actor) as session,
          tempfile.TemporaryDirectory(dir=services.settings.data_dir) as scratch):
        # The session holds the drive alone; a job whose process died still holds it in the ledger,
        # with its tape as it left it: that is not ours to move.
        drive = session.drive_aggregate()
        if drive.reserved_by:
            raise DriveBusy(drive=drive.name, job=drive.reserved_by)
        reader = _Reader(session, Path(scratch), board, attendance.wait, attendance.poll_seconds)
        for barcode, packages in work.items():
            board.update(phase="load", current_cartridge=barcode, current_package="")
            problem = reader.bring(barcode)
            if problem:
                board.update(message=problem)
                _unreadable(results, barcode, packages, problem)
            else:
                for job_id, event in sorted(packages, key=lambda pair: pair[1].payload_block):
                    reader.check(event, results[job_id], barcode)
                    board.update(packages_read=board.state.packages_read + 1)
            board.update(cartridges_done=board.state.cartridges_done + 1)


def _record(services: VerifyServices, result: JobVerification, actor: str) -> None:
    """`VerificationSkipped` when nothing could be read, else `Verified` with what was found."""
    if result.outcome == SKIPPED:
        services.ledger.backup_verification_skipped(result.job_id, unreadable=result.lines(UNREADABLE), by=actor)
        return
    services.ledger.backup_verified(result.job_id, ok=result.ok, checked=result.checked,
                                    mismatches=result.lines(DAMAGED, UNRESTORABLE), by=actor,
                                    unreadable=result.lines(UNREADABLE), warnings=list(result.warnings),
                                    files_checked=result.files_checked)


def _job_packages(services: VerifyServices, job: BackupJob, sample: int | None,
                  rotation: int = 0) -> dict[str, list[tuple[str, Any]]]:
    """The job's packages by cartridge; with `sample`, that many per cartridge, starting at
    `rotation` (modulo the count), so successive samples walk through every package."""
    job_id = str(job.id)
    work: dict[str, list[tuple[str, Any]]] = {}
    for barcode in job.cartridges:
        events = [e for e in services.ledger.packages_on(barcode) if e.job_id == job_id]
        if sample is not None and events:
            start = rotation % len(events)
            events = (events[start:] + events[:start])[:sample]
        if events:
            work[barcode] = [(job_id, e) for e in events]
    return work


def verify_job(services: VerifyServices, job_id: str, *, device: str | None = None, actor: str = "system",
               sample: int | None = None, rotation: int = 0, attendance: Attendance = UNATTENDED) -> dict[str, Any]:
    """Check the job's packages (all, or `sample` per cartridge from `rotation` on); records
    `Verified`, or `VerificationSkipped` when none could be read."""
    job = services.ledger.backup_job(job_id)
    job_id = str(job.id)
    result = JobVerification(job_id)
    _verify(services, _job_packages(services, job, sample, rotation), {job_id: result},
            device=device or job.drive or None, actor=actor, job_id=job_id, attendance=attendance)
    _record(services, result, actor)
    return result.as_dict()


def verifiable_jobs(services: VerifyServices, since: date | None = None) -> list[str]:
    """Completed backups (succeeded or partial), oldest first, requested on or after `since`."""
    services.projector.catch_up(["jobs"])
    rows = [row for row in services.jobs.rows(kind="", limit=1_000_000) if row["kind"] != "restore"
            and row["status"] in {"succeeded", "partial"}]
    if since is not None:
        rows = [row for row in rows if str(row["requested_at"])[:10] >= since.isoformat()]
    return [row["job_id"] for row in sorted(rows, key=lambda row: str(row["requested_at"]))]


def verify_all(services: VerifyServices, *, since: date | None = None, device: str | None = None,
               actor: str = "system", job_ids: Iterable[str] | None = None,
               attendance: Attendance = UNATTENDED) -> list[dict[str, Any]]:
    """Check every completed backup on the cartridges this drive can reach, each cartridge once."""
    ids = list(job_ids) if job_ids is not None else verifiable_jobs(services, since)
    results = {job_id: JobVerification(job_id) for job_id in ids}
    work: dict[str, list[tuple[str, Any]]] = {}
    for job_id in ids:
        for barcode, packages in _job_packages(services, services.ledger.backup_job(job_id), None).items():
            work.setdefault(barcode, []).extend(packages)
    if work:
        _verify(services, work, results, device=device, actor=actor, job_id=None, attendance=attendance)
    for result in results.values():
        if result.checked or result.findings:
            _record(services, result, actor)
    return [result.as_dict() for result in results.values()]
