"""Backups: request a job, run it here or hand it to the worker, watch it, stop it, check its tapes.

A job's state lives in the ledger, so any face in any process sees and controls the same job. A
request is idempotent by its key; bad input (a missing source, a level out of range, an unusable
device) is refused before anything is recorded. How far a running job is comes from the progress
store (`kernel.progress`), under the job's id; a read-back verification publishes under
`verify-<job>` or `verify-all`.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from app.errors import BadRequest, QueueDown
from app.sources import SourceFolder, allowed_roots, browse, confine
from backup import service
from backup.ports import BackupServices
from backup.summary import INTERRUPTED, interrupted_reason
from kernel.progress import Observer, Progress
from ledger.domain.job import KIND_NAMES, STATUS_NAMES, VERIFIED
from restore import verify
from restore.ports import VerifyServices
from restore.verify import Attendance

if TYPE_CHECKING:  # app.audit reaches app.backups through its replay
    from app.audit import EventLine

# Backup jobs a face may count as done: what ran to the end, with or without warnings.
COMPLETED = frozenset({"succeeded", "partial"})


class JobQueue(Protocol):
    """Where long jobs wait for the worker (`jobs.tasks`); the composition root provides it."""

    def submit(self, kind: str, job_id: str) -> None: ...


class BackupsDeps(BackupServices, VerifyServices, Protocol):
    """A backup job's needs (device session, settings in force, outbox, chain head, views), the
    jobs view for history and verification, and the worker's queue."""

    @property
    def job_queue(self) -> JobQueue: ...


@dataclass(frozen=True)
class JobSummary:
    """One backup job as the ledger has it: its state, figures and why it ended as it did."""

    job_id: str
    status: str
    status_text: str
    group: str
    sources: list[str]
    files: int
    bytes_in: int
    bytes_packed: int
    packages: int
    cartridges: list[str]
    seconds: float
    warnings: int
    warning_list: list[str]
    reason: str  # why it ended as it did; for an interrupted job, how to resume it
    chain_head: str
    tape_notes: list[str]
    waiting_for: str  # while it waits for a tape: which cartridge (or what kind) to insert
    verification: dict[str, Any]  # the last read-back verification ("outcome", figures, why not read); {} if none

    @property
    def ok(self) -> bool:
        """Not failed: done (perhaps with warnings), or still to run."""
        return self.status in {*COMPLETED, "requested"}

    @property
    def interrupted(self) -> bool:
        """Marked running, but its process is gone (killed, crashed): `reason` says how to resume it."""
        return self.status == INTERRUPTED


@dataclass(frozen=True)
class Started:
    job_id: str
    created: bool  # False: the key named a job requested before, returned as it is
    status: str


@dataclass(frozen=True)
class BackupStatus:
    summary: JobSummary
    progress: Progress | None  # the last the job published (any process, any host with Redis)


@dataclass(frozen=True)
class JobRow:
    """One job in the history (backups and restores alike), from the jobs view."""

    job_id: str
    kind: str  # manual, monthly … for a backup; restore
    status: str
    status_text: str
    group: str
    requested_by: str
    requested_at: str
    started_at: str | None
    finished_at: str | None
    host: str | None
    reason: str | None
    warnings: int
    packages: int
    sources: list[str]
    figures: dict[str, Any]
    cartridges: list[str]
    # The last read-back verification of a backup: "outcome" (ledger.domain.job), "checked",
    # "mismatches", "unreadable" (counts), "at", "by"; {} when it was never verified.
    verification: dict[str, Any] = field(default_factory=dict)

    @property
    def kind_text(self) -> str:
        """What started the job, in words: 手动, 每月全量, 恢复."""
        return KIND_NAMES.get(self.kind, self.kind)


@dataclass(frozen=True)
class JobHistory:
    jobs: list[JobRow]
    by_status: dict[str, int]  # how many of the listed jobs are in each state
    files: int  # what the listed jobs that ran to the end brought to tape
    bytes_in: int
    bytes_packed: int


@dataclass(frozen=True)
class Finding:
    kind: str  # verify.DAMAGED, UNRESTORABLE or UNREADABLE
    cartridge: str
    package_id: str  # "" when a whole cartridge could not be read
    text: str


@dataclass(frozen=True)
class Verification:
    """What reading a job's packages back found: "verified" means every file came out as written."""

    job_id: str
    ok: bool
    checked: int  # packages
    files_checked: int
    mismatches: list[str]  # packages read back wrong, or whose files do not come back
    unreadable: list[str]  # cartridges that could not be read (nothing known about their data)
    warnings: list[str]
    findings: list[Finding]
    progress_id: str
    outcome: str = VERIFIED  # verified, mismatch, incomplete or skipped (ledger.domain.job)
    verdict: str = ""  # the outcome in a sentence, with its figures

    @property
    def unreadable_cartridges(self) -> list[str]:
        return [f.cartridge for f in self.findings if f.kind == verify.UNREADABLE]


@dataclass(frozen=True)
class VerificationRun:
    """Every completed backup checked, each cartridge loaded once."""

    jobs: list[Verification] = field(default_factory=list)
    progress_id: str = verify.progress_id()

    @property
    def redo(self) -> list[str]:
        """The jobs to back up again: something of theirs read back wrong."""
        return [job.job_id for job in self.jobs if job.mismatches]

    @property
    def unreadable_cartridges(self) -> list[str]:
        return sorted({barcode for job in self.jobs for barcode in job.unreadable_cartridges})


def job_rows(deps: VerifyServices, *, kind: str, status: str, limit: int, group: str = "",
             since: str | date | None = None, until: str | date | None = None) -> list[JobRow]:
    """The newest `limit` jobs in the history: restores (kind "restore"), backups of one kind
    ("manual", "monthly") or of any ("backup"); in `status`, of `group`, requested from `since` to
    `until` (local dates YYYY-MM-DD, both days included)."""
    if limit < 0:
        raise BadRequest("条数不能是负数")
    deps.projector.catch_up(["jobs"])
    rows = deps.jobs.rows(kind=kind if kind in {"restore", "manual", "monthly"} else "backup",
                          status="" if status == INTERRUPTED else status,
                          group=group.strip(), since=_day_start(since), until=_day_start(until, after=True),
                          limit=limit)
    shown = [_as_seen(deps, job_row(row)) for row in rows]
    return [row for row in shown if row.status == INTERRUPTED] if status == INTERRUPTED else shown


def unfinished_rows(deps: VerifyServices, kind: str = "backup") -> list[JobRow]:
    """The jobs still to run or running (requested, running, waiting for a tape — or interrupted),
    oldest first."""
    deps.projector.catch_up(["jobs"])
    return [_as_seen(deps, job_row(row)) for row in deps.jobs.unfinished(kind)]


def _as_seen(deps: VerifyServices, row: JobRow) -> JobRow:
    """A backup marked running on this host whose process died shows as interrupted, with how to
    resume it (decided by its run lock: `backup.service.interrupted`)."""
    if row.kind == "restore" or row.status not in service.LIVE or row.host != deps.settings.host_name:
        return row
    if not service.interrupted(deps, row.job_id):
        return row
    return replace(row, status=INTERRUPTED, status_text=STATUS_NAMES[INTERRUPTED],
                   reason=interrupted_reason(row.job_id))


def job_row(row: dict[str, Any]) -> JobRow:
    """A jobs view row as the history shows it (an audit replay shows it so, without `_as_seen`)."""
    return JobRow(job_id=row["job_id"], kind=row["kind"], status=row["status"],
                  status_text=STATUS_NAMES.get(row["status"], row["status"]), group=row["grp"],
                  requested_by=row["requested_by"], requested_at=row["requested_at"], started_at=row["started_at"],
                  finished_at=row["finished_at"], host=row["host"], reason=row["reason"], warnings=row["warnings"],
                  packages=row["packages"], sources=row["sources"], figures=row["figures"],
                  cartridges=row["cartridges"], verification=row.get("verification") or {})


def _day_start(day: str | date | None, *, after: bool = False) -> str:
    """The ledger's UTC timestamp at the local start of `day` (with `after`, of the day after it)."""
    chosen = since_date(day or None)
    if chosen is None:
        return ""
    moment = datetime.combine(chosen + timedelta(days=1 if after else 0), datetime.min.time()).astimezone()
    return moment.astimezone(UTC).isoformat()


def _summary(summary: dict[str, Any]) -> JobSummary:
    return JobSummary(**summary)


def _verification(result: dict[str, Any]) -> Verification:
    findings = [Finding(f["kind"], f["cartridge"], f["package_id"], f["text"]) for f in result["findings"]]
    return Verification(result["job_id"], result["ok"], result["checked"], result["files_checked"],
                        result["mismatches"], result["unreadable"], result["warnings"], findings,
                        verify.progress_id(result["job_id"]), result["outcome"], result["verdict"])


def since_date(since: str | date | None) -> date | None:
    if since is None or isinstance(since, date):
        return since
    try:
        return date.fromisoformat(since)
    except ValueError:
        raise BadRequest(f"日期“{since}”无效，请写成 YYYY-MM-DD") from None


class Backups:
    def __init__(self, deps: BackupsDeps) -> None:
        self._deps = deps

    # -- commands ------------------------------------------------------------------------------

    def start(self, sources: list[str], *, actor: str, group: str = "auto", level: int | None = None,
              key: str | None = None, device: str | None = None, wait: bool = False, confined: bool = False) -> Started:
        """Request a backup of `sources` into `group` (`auto`: this month). Unless the caller runs it
        itself (`wait`, then `run`), a new job goes to the worker's queue. The same `key` never
        makes a second job. `confined` (the web): every source must lie within the allowed roots."""
        if confined:
            sources = confine(sources, self._roots())
        job, created = service.request_backup(self._deps, sources, group=group, level=level, key=key,
                                              drive=device or "", by=actor)
        job_id = str(job.id)
        if created and not wait:
            self._submit(job_id)
        return Started(job_id, created, job.status)

    def _submit(self, job_id: str) -> None:
        try:
            self._deps.job_queue.submit("backup", job_id)
        except Exception as error:  # the job is recorded; the worker resumes unfinished jobs when it starts
            raise QueueDown(job_id, error) from error

    def _roots(self) -> list[Path]:
        return allowed_roots(self._deps.settings.backup_allowed_roots, self._deps.effective("backup_sources") or [])

    def run(self, job_id: str, *, actor: str, device: str | None = None, stop: threading.Event | None = None,
            observer: Observer | None = None) -> JobSummary:
        """Run (or go on with) the job in this process until it ends, pauses or waits out its tape wait.
        Once `stop` is set (the process is asked to end) it pauses at its next safe point; `observer`
        hears every change of its progress (what to insert while it waits for a tape among them)."""
        return _summary(service.run(self._deps, job_id, device=device, actor=actor, stop=stop, observer=observer))

    def cancel(self, job_id: str, *, actor: str, reason: str = "") -> JobSummary:
        """Cancel the job; a running one stops before its next package."""
        return _summary(service.cancel(self._deps, job_id, by=actor, reason=reason))

    def pause(self, job_id: str, *, actor: str) -> JobSummary:
        return _summary(service.pause(self._deps, job_id, by=actor))

    def resume(self, job_id: str, *, actor: str, wait: bool = False) -> JobSummary:
        """Make a paused (or interrupted) job runnable again; unless `wait`, hand it to the worker."""
        summary = _summary(service.resume(self._deps, job_id, by=actor))
        if not wait:
            self._submit(summary.job_id)
        return summary

    def verify(self, job_id: str, *, actor: str, device: str | None = None, wait_minutes: float | None = None,
               observer: Observer | None = None) -> Verification:
        """Read every package of the job back from tape and check that each file comes out as written.

        Somebody is asked for each cartridge not in the drive (or the library) and waited for up to
        `wait_minutes` (default: the setting tape_change_pause_minutes; 0: say at once what is
        missing); `observer` hears the requests. A verification that could read nothing is recorded
        as skipped, never as a mismatch."""
        attendance = self._attendance(wait_minutes, observer)
        return _verification(verify.verify_job(self._deps, job_id, device=device, actor=actor, attendance=attendance))

    def verify_all(self, *, actor: str, since: str | date | None = None, device: str | None = None,
                   wait_minutes: float | None = None, observer: Observer | None = None) -> VerificationRun:
        """Check every completed backup (requested on or after `since`, YYYY-MM-DD) on the cartridges
        this drive can reach, loading each cartridge once (asking for each as `verify` does)."""
        results = verify.verify_all(self._deps, since=since_date(since), device=device, actor=actor,
                                    attendance=self._attendance(wait_minutes, observer))
        return VerificationRun([_verification(result) for result in results])

    def _attendance(self, wait_minutes: float | None, observer: Observer | None) -> Attendance:
        if wait_minutes is None:
            wait_minutes = float(self._deps.effective("tape_change_pause_minutes") or 0)
        if wait_minutes < 0:
            raise BadRequest("等待分钟数不能是负数")
        return Attendance(wait=60.0 * wait_minutes, observer=observer)

    # -- queries -------------------------------------------------------------------------------

    def status(self, job_id: str) -> BackupStatus:
        summary = _summary(service.status(self._deps, job_id))
        return BackupStatus(summary, self._deps.progress.latest(summary.job_id))

    def history(self, *, status: str = "", limit: int = 20, kind: str = "backup", group: str = "",
                since: str | date | None = None, until: str | date | None = None) -> JobHistory:
        """The newest `limit` backup jobs (of `kind`, in `status`, of `group`, requested from `since`
        to `until`, each if given), with what they add up to."""
        jobs = job_rows(self._deps, kind=kind, status=status, limit=limit, group=group, since=since, until=until)
        completed = [job.figures for job in jobs if job.status in COMPLETED]
        return JobHistory(jobs, dict(Counter(job.status for job in jobs)),
                          sum(int(f.get("files", 0)) for f in completed),
                          sum(int(f.get("bytes_in", 0)) for f in completed),
                          sum(int(f.get("bytes_packed", 0)) for f in completed))

    def unfinished(self) -> list[JobRow]:
        """The backups still to run or running (requested, running, waiting for a tape), oldest first."""
        return unfinished_rows(self._deps)

    def events(self, job_id: str, *, after: int = 0) -> list[EventLine]:
        """The job's own ledger events after its `after`-th, oldest first (numbered within the job)."""
        from app.audit import event_line

        job = self._deps.ledger.backup_job(job_id)
        return [event_line(event.originator_version, event) for event in self._deps.ledger.events.get(job.id, gt=after)]

    def folders(self, path: str = "") -> SourceFolder:
        """The server's folders a backup may be made of: `path`'s subfolders within the allowed
        roots (BACKUP_ALLOWED_ROOTS), or the roots themselves for an empty path."""
        return browse(path, self._roots())
