"""Restores: plan which tapes a selection needs, request a restore, run it, watch it, stop it.

A selection is a list of paths (`restore.selection`): `/` is everything, a full path is that file
or folder with everything below it, anything else a fragment of the path. Each path restores one
version: the one in `group`, else the newest. A plan (B3) says which cartridges, in what order,
where each is, the positions to seek to, the bytes to read and the time it should take; nothing is
changed by planning. A request checks everything first (target, conflict mode, group, device, that
something matches) and records the job with its plan. A running restore publishes how far it is
under its job id, so any face in any process (any host, with Redis) can follow it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from app.audit import EventLine, event_line
from app.backups import JobQueue, JobRow, job_rows
from app.sources import allowed_roots, confine
from kernel.progress import Observer, Progress
from ledger.domain.job import CONFLICT_NAMES
from media.devices import device_spec
from restore import messages, service
from restore.execute import RestoreSummary
from restore.files import CONFLICT_MODES
from restore.plan import RestorePlan
from restore.ports import RestoreServices, VerifyServices

__all__ = ["CONFLICT_MODES", "RestoreSummary", "Restores", "RestoresDeps"]


class RestoresDeps(RestoreServices, VerifyServices, Protocol):
    """A restore's needs (catalog and inventory views, device sessions, progress, outbox, settings),
    the jobs view for the list of restores, and the worker's queue."""

    @property
    def job_queue(self) -> JobQueue: ...


@dataclass(frozen=True)
class RestorePreview:
    plan: RestorePlan  # the cartridges in order, their packages and positions, bytes and seconds
    folders: int
    links: int


@dataclass(frozen=True)
class RestoreRequested:
    job_id: str
    created: bool  # False: the key named a job requested before, returned as it is
    status: str
    status_text: str
    preview: RestorePreview
    device: str  # the drive the request was checked against, for whoever runs it


@dataclass(frozen=True)
class RestoreStatus:
    job_id: str
    status: str
    status_text: str
    selection: list[str]
    group: str
    target: str
    on_conflict: str
    requested_by: str
    requested_at: str
    updated_at: str
    planned: dict[str, Any]  # files, packages, bytes_to_read, cartridges
    packages_done: int
    tape_bytes_read: int
    waiting_for: str  # the cartridge someone has to bring, while the job waits for it
    reason: str  # why it failed, was cancelled or paused
    figures: dict[str, Any]
    warnings: list[str]
    progress: Progress | None  # the last the job published (any process, any host with Redis)

    @property
    def on_conflict_text(self) -> str:
        """What happens to a file already at the target, in words: 跳过, 改名, 覆盖."""
        return CONFLICT_NAMES.get(self.on_conflict, self.on_conflict)


@dataclass(frozen=True)
class JobChanged:
    job_id: str
    status: str
    status_text: str


def _changed(job: Any) -> JobChanged:
    return JobChanged(str(job.id), job.status, messages.status_name(job.status))


class Restores:
    def __init__(self, deps: RestoresDeps) -> None:
        self._deps = deps

    def plan(self, paths: list[str], *, group: str = "") -> RestorePreview:
        """What restoring `paths` would take; nothing is changed."""
        preview = service.plan_for(self._deps, paths, group)
        return RestorePreview(preview.plan, preview.folders, preview.links)

    def request(self, paths: list[str], target: str, *, actor: str, on_conflict: str = "skip", group: str = "",
                key: str | None = None, device: str | None = None, confined: bool = False) -> RestoreRequested:
        """Record a restore of `paths` into the folder `target`, with its plan; nothing is recorded
        on bad input. The same `key` never makes a second job. `confined` (the web): the target must
        lie within RESTORE_ALLOWED_ROOTS when they are set, so a browser cannot write over the
        server's own files."""
        roots = allowed_roots(self._deps.settings.restore_allowed_roots, [])
        if confined and roots and target.strip():
            target = confine([target], roots, setting="RESTORE_ALLOWED_ROOTS", scope="恢复")[0]
        spec = device_spec(self._deps.settings, device)  # an unusable device name is refused here, not later
        job, created, preview = service.request(self._deps, paths, target, on_conflict=on_conflict,
                                                group=group, by=actor, key=key)
        return RestoreRequested(str(job.id), created, job.status, messages.status_name(job.status),
                                RestorePreview(preview.plan, preview.folders, preview.links), spec)

    def start(self, job_id: str) -> None:
        """Hand a requested restore to the worker (the web's way: a long job never runs inside a
        request); its progress is published under its job id."""
        self._deps.job_queue.submit("restore", job_id)

    def run(self, job_id: str, *, actor: str, device: str | None = None, changer: str | None = None,
            observer: Observer | None = None) -> RestoreSummary:
        """Run the job in this process (a paused one is resumed first) until it ends or stops;
        `observer` hears every change of its progress here."""
        return service.run(self._deps, job_id, device=device_spec(self._deps.settings, device), actor=actor,
                           changer=changer, progress=observer)

    def cancel(self, job_id: str, *, actor: str, reason: str = "") -> JobChanged:
        """Cancel the job; a running one stops after its current package, keeping the files restored."""
        return _changed(service.cancel(self._deps, job_id, by=actor, reason=reason))

    def pause(self, job_id: str, *, actor: str, reason: str = "") -> JobChanged:
        """Pause the job after its current package; `run` goes on where it stopped."""
        return _changed(service.pause(self._deps, job_id, by=actor, reason=reason))

    def resume(self, job_id: str, *, actor: str) -> JobChanged:
        """Make a paused job runnable again and hand it to the worker; a job still only requested
        (it never reached the worker, whose queue was down) is handed to the worker again."""
        job = self._deps.ledger.restore_job(job_id)
        if job.status != "requested":
            job = self._deps.ledger.resume_restore(str(job.id), by=actor)
        self.start(str(job.id))
        return _changed(job)

    def status(self, job_id: str) -> RestoreStatus:
        row = service.status(self._deps, job_id)
        progress = row.pop("progress")
        return RestoreStatus(**row, progress=Progress.from_dict(progress) if progress else None)

    def events(self, job_id: str, *, after: int = 0) -> list[EventLine]:
        """The job's own ledger events after its `after`-th, oldest first (numbered within the job):
        requested, started, each package read, waiting for a cartridge, finished."""
        job = self._deps.ledger.restore_job(job_id)
        return [event_line(event.originator_version, event) for event in self._deps.ledger.events.get(job.id, gt=after)]

    def history(self, *, status: str = "", limit: int = 20) -> list[JobRow]:
        """The newest `limit` restore jobs (in `status`, if given)."""
        return job_rows(self._deps, kind="restore", status=status, limit=limit)
