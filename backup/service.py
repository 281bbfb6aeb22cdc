"""Backup use cases the faces call: request a job (idempotent), control it, run it."""

from __future__ import annotations

import os
import threading
import uuid
from datetime import datetime
from typing import Any

from backup.messages_job import JobStopped, text
from backup.ports import BackupServices, RequestServices
from backup.run_lock import is_running, process_gone
from backup.runner import BackupRunner, RunOptions
from backup.scanning import check_sources
from backup.summary import job_summary
from kernel.progress import Observer
from ledger import clock
from ledger.domain import BackupJob
from ledger.domain.group import check_group_name
from ledger.domain.job import STATUS_NAMES
from ledger.errors import InvalidValue, JobStateError
from ledger.rules.rotation import group_name_for
from media.devices import device_spec


def resolve_group(group: str, now: datetime | None = None) -> str:
    """`auto` (or empty) is the current month of the (possibly TAF_NOW) clock, on local time."""
    value = (group or "auto").strip()
    if value == "auto":
        moment = now or clock.now()
        return group_name_for(moment.astimezone() if moment.tzinfo else moment)
    return check_group_name(value)


def request_backup(services: RequestServices, sources: list[str], *, group: str = "auto", level: int | None = None,
                   key: str | None = None, kind: str = "manual", drive: str = "",
                   by: str = "system") -> tuple[BackupJob, bool]:
    """Create the job (or return the one `key` already names). Bad input changes nothing.

    Sources are stored as absolute paths: the job may run in a worker whose working folder differs.
    """
    if not sources:
        raise InvalidValue(what="备份源", problem="至少需要一个 --source")
    try:
        check_sources(sources)
    except JobStopped as refusal:
        raise InvalidValue(what="备份源", problem=refusal.message) from None
    if level is not None and not 0 <= level <= 9:
        raise InvalidValue(what="压缩级别", problem=f"{level} 不在 0–9 之间")
    name = resolve_group(group)
    if drive:
        drive = device_spec(services.settings, drive)  # an unusable device name is refused here, not later
    params: dict[str, Any] = {} if level is None else {"level": level}
    return services.ledger.request_backup(key or f"manual:{uuid.uuid4()}", kind=kind,
                                          sources=[os.path.abspath(source) for source in sources],
                                          group=name, params=params, drive=drive, by=by)


def run(services: BackupServices, job_id: str, *, device: str | None = None, actor: str = "system",
        poll_seconds: float = 2.0, workers: int | None = None, tape_remind_seconds: float | None = None,
        tape_pause_seconds: float | None = None, stop: threading.Event | None = None, stop_by: str = "",
        observer: Observer | None = None) -> dict[str, Any]:
    """Run (or continue) the job in this process until it ends, pauses or waits out its tape wait.

    `tape_remind_seconds` / `tape_pause_seconds` override the minute settings for this run (see
    RunOptions). Once `stop` is set (a SIGTERM, a stopping worker) the job pauses at its next safe
    point, recorded as the pause of `stop_by` (default `actor`). `observer` hears every change of its
    progress here.
    """
    options = RunOptions(device=device, actor=actor, poll_seconds=poll_seconds, workers=workers,
                         tape_remind_seconds=tape_remind_seconds, tape_pause_seconds=tape_pause_seconds,
                         stop=stop, stop_by=stop_by, observer=observer)
    return BackupRunner(services, job_id, options).run()


def cancel(services: BackupServices, job_id: str, by: str, reason: str = "") -> dict[str, Any]:
    """Cancel the job. A running job records a package every few seconds: the ledger makes a cancel
    or a pause again on the fresh job when the run saved meanwhile, rather than refuse it."""
    gone = interrupted(services, job_id)
    return _stopped(services, services.ledger.cancel_backup(job_id, by=by, reason=reason), gone)


def pause(services: BackupServices, job_id: str, by: str) -> dict[str, Any]:
    gone = interrupted(services, job_id)
    return _stopped(services, services.ledger.pause_backup(job_id, by=by), gone)


def _stopped(services: BackupServices, job: BackupJob, gone: bool) -> dict[str, Any]:
    """A job stopped from outside; one whose process died (`gone`) kept its drive booked, and
    nobody else would let go of it — a paused or cancelled job holds no drive."""
    if gone:
        services.ledger.release_drive(services.settings.host_name, device_spec(services.settings, job.drive or None),
                                      str(job.id))
    return job_summary(job)


def resume(services: BackupServices, job_id: str, by: str) -> dict[str, Any]:
    """Make a paused job — or one whose process died — runnable again.

    A job marked running or waiting for a tape may really be running: if a live process on this
    host holds it, resuming is refused (it would set the running job's state back to "requested").
    """
    job = services.ledger.backup_job(job_id)
    if job.status in {"running", "waiting_tape"} and is_running(services.settings.data_dir, str(job.id)):
        raise JobStateError(job=str(job.id), status=STATUS_NAMES[job.status], action=text("already_running"))
    if job.status == "requested":
        return job_summary(job)
    return job_summary(services.ledger.resume_backup(job_id, by=by))


LIVE = frozenset({"running", "waiting_tape"})


def interrupted(services: RequestServices, job_id: str) -> bool:
    """Whether the job is marked running (or waiting for a tape) on this host while no process runs
    it: its process was killed or crashed. Decided by its run lock (`run_lock.process_gone`), never
    by time, so a live job is never called interrupted. A job of another host is not judged here
    (its lock is on that host); that host's worker takes it up when it starts."""
    job = services.ledger.backup_job(job_id)
    if job.status not in LIVE or getattr(job, "host", "") != services.settings.host_name:
        return False
    return process_gone(services.settings.data_dir, str(job.id),
                        lambda: services.ledger.backup_job(job_id).status in LIVE)


def status(services: BackupServices, job_id: str) -> dict[str, Any]:
    job = services.ledger.backup_job(job_id)
    return job_summary(job, interrupted=interrupted(services, str(job.id)))
