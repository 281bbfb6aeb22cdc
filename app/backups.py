"""Backups: request a job, run it here or hand it to the worker, watch it, stop it, check its tapes.

A job's state lives in the ledger, so any face in any process sees and controls the same job. A
request is idempotent by its key; bad input (a missing source, a level out of range, an unusable
device) is refused before anything is recorded. How far a running job is comes from the progress
store (`kernel.progress`), under the job's id; a read-back verification publishes under
`verify-<job>` or `verify-all`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from app.errors import BadRequest
from backup import service
from backup.ports import BackupServices
from kernel.progress import Progress
from ledger.domain.job import STATUS_NAMES
from restore import verify
from restore.ports import VerifyServices

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
    reason: str
    chain_head: str
    tape_notes: list[str]

    @property
    def ok(self) -> bool:
        """Not failed: done (perhaps with warnings), or still to run."""
        return self.status in {*COMPLETED, "requested"}


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


def job_rows(deps: VerifyServices, *, kind: str, status: str, limit: int) -> list[JobRow]:
    """The newest `limit` jobs in the history (restores with kind "restore", backups any other)."""
    if limit < 0:
        raise BadRequest("条数不能是负数")
    deps.projector.catch_up(["jobs"])
    rows = deps.jobs.rows(kind="restore" if kind == "restore" else "", status=status, limit=limit)
    return [JobRow(job_id=row["job_id"], kind=row["kind"], status=row["status"],
                   status_text=STATUS_NAMES.get(row["status"], row["status"]), group=row["grp"],
                   requested_by=row["requested_by"], requested_at=row["requested_at"], started_at=row["started_at"],
                   finished_at=row["finished_at"], host=row["host"], reason=row["reason"], warnings=row["warnings"],
                   packages=row["packages"], sources=row["sources"], figures=row["figures"],
                   cartridges=row["cartridges"])
            for row in rows if (row["kind"] == "restore") == (kind == "restore")]


def _summary(summary: dict[str, Any]) -> JobSummary:
    return JobSummary(**summary)


def _verification(result: dict[str, Any]) -> Verification:
    findings = [Finding(f["kind"], f["cartridge"], f["package_id"], f["text"]) for f in result["findings"]]
    return Verification(result["job_id"], result["ok"], result["checked"], result["files_checked"],
                        result["mismatches"], result["unreadable"], result["warnings"], findings,
                        verify.progress_id(result["job_id"]))


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
              key: str | None = None, device: str | None = None, wait: bool = False) -> Started:
        """Request a backup of `sources` into `group` (`auto`: this month). Unless the caller runs it
        itself (`wait`, then `run`), a new job goes to the worker's queue. The same `key` never
        makes a second job."""
        job, created = service.request_backup(self._deps, sources, group=group, level=level, key=key,
                                              drive=device or "", by=actor)
        job_id = str(job.id)
        if created and not wait:
            self._deps.job_queue.submit("backup", job_id)
        return Started(job_id, created, job.status)

    def run(self, job_id: str, *, actor: str, device: str | None = None) -> JobSummary:
        """Run (or go on with) the job in this process until it ends, pauses or waits out its tape wait."""
        return _summary(service.run(self._deps, job_id, device=device, actor=actor))

    def cancel(self, job_id: str, *, actor: str, reason: str = "") -> JobSummary:
        """Cancel the job; a running one stops before its next package."""
        return _summary(service.cancel(self._deps, job_id, by=actor, reason=reason))

    def pause(self, job_id: str, *, actor: str) -> JobSummary:
        return _summary(service.pause(self._deps, job_id, by=actor))

    def resume(self, job_id: str, *, actor: str, wait: bool = False) -> JobSummary:
        """Make a paused (or interrupted) job runnable again; unless `wait`, hand it to the worker."""
        summary = _summary(service.resume(self._deps, job_id, by=actor))
        if not wait:
            self._deps.job_queue.submit("backup", summary.job_id)
        return summary

    def verify(self, job_id: str, *, actor: str, device: str | None = None) -> Verification:
        """Read every package of the job back from tape and check that each file comes out as written."""
        return _verification(verify.verify_job(self._deps, job_id, device=device, actor=actor))

    def verify_all(self, *, actor: str, since: str | date | None = None, device: str | None = None) -> VerificationRun:
        """Check every completed backup (requested on or after `since`, YYYY-MM-DD) on the cartridges
        this drive can reach, loading each cartridge once."""
        results = verify.verify_all(self._deps, since=since_date(since), device=device, actor=actor)
        return VerificationRun([_verification(result) for result in results])

    # -- queries -------------------------------------------------------------------------------

    def status(self, job_id: str) -> BackupStatus:
        summary = _summary(service.status(self._deps, job_id))
        return BackupStatus(summary, self._deps.progress.latest(summary.job_id))

    def history(self, *, status: str = "", limit: int = 20) -> JobHistory:
        """The newest `limit` backup jobs (in `status`, if given), with what they add up to."""
        jobs = job_rows(self._deps, kind="backup", status=status, limit=limit)
        completed = [job.figures for job in jobs if job.status in COMPLETED]
        return JobHistory(jobs, dict(Counter(job.status for job in jobs)),
                          sum(int(f.get("files", 0)) for f in completed),
                          sum(int(f.get("bytes_in", 0)) for f in completed),
                          sum(int(f.get("bytes_packed", 0)) for f in completed))
