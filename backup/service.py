"""Backup use cases the faces call: request a job (idempotent), control it, run it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from backup.messages_job import JobStopped
from backup.runner import BackupRunner, RunOptions, job_summary
from backup.scanning import check_sources
from ledger import clock
from ledger.errors import InvalidValue
from ledger.rules.rotation import GroupNameError, group_name_for, validate_group_name


def resolve_group(group: str, now: datetime | None = None) -> str:
    """`auto` (or empty) is the current month of the (possibly TAF_NOW) clock, on local time."""
    value = (group or "auto").strip()
    if value == "auto":
        moment = now or clock.now()
        return group_name_for(moment.astimezone() if moment.tzinfo else moment)
    try:
        return validate_group_name(value)
    except GroupNameError as error:
        raise InvalidValue(what="备份组", problem=str(error)) from None


def request_backup(services: Any, sources: list[str], *, group: str = "auto", level: int | None = None,
                   key: str | None = None, kind: str = "manual", drive: str = "", by: str = "system") -> tuple[Any, bool]:
    """Create the job (or return the one `key` already names). Bad input changes nothing."""
    if not sources:
        raise InvalidValue(what="备份源", problem="至少需要一个 --source")
    try:
        check_sources(sources)
    except JobStopped as refusal:
        raise InvalidValue(what="备份源", problem=refusal.message) from None
    if level is not None and not 0 <= level <= 9:
        raise InvalidValue(what="压缩级别", problem=f"{level} 不在 0–9 之间")
    params: dict[str, Any] = {} if level is None else {"level": level}
    return services.ledger.request_backup(key or f"manual:{uuid.uuid4()}", kind=kind, sources=list(sources),
                                          group=resolve_group(group), params=params, drive=drive, by=by)


def run(services: Any, job_id: str, *, device: str | None = None, actor: str = "system",
        poll_seconds: float = 2.0) -> dict[str, Any]:
    return BackupRunner(services, job_id, RunOptions(device=device, actor=actor, poll_seconds=poll_seconds)).run()


def cancel(services: Any, job_id: str, by: str, reason: str = "") -> dict[str, Any]:
    job = services.ledger.backup_job(job_id)
    job.cancel(by=by, reason=reason)
    services.ledger.save(job)
    return job_summary(job)


def pause(services: Any, job_id: str, by: str) -> dict[str, Any]:
    job = services.ledger.backup_job(job_id)
    job.pause(by=by)
    services.ledger.save(job)
    return job_summary(job)


def resume(services: Any, job_id: str, by: str) -> dict[str, Any]:
    job = services.ledger.backup_job(job_id)
    if job.status != "requested":
        job.resume(by=by)
        services.ledger.save(job)
    return job_summary(job)


def status(services: Any, job_id: str) -> dict[str, Any]:
    return job_summary(services.ledger.backup_job(job_id))
