"""What each scheduled piece of work does (jobs/schedule.py says when), for the worker.

Each handler takes the services (`jobs.ports.JobServices`) and the schedule slot (or a job id) and
calls the use cases; the worker (`jobs/tasks.py`) looks them up by name in `scheduled_handlers()`.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from backup import service as backups
from jobs.capacity import check_capacity
from jobs.health import Finding, run_checks
from jobs.ports import Handler, JobServices
from jobs.verification import verify_latest
from ledger import clock
from ledger.domain import BackupJob
from media import lifecycle
from media.devices import device_spec, open_session
from media.reuse import ReuseReport, erase_expired
from notify.outbox import DispatchRun, dispatch_pending, notify_event
from restore import service as restores

log = logging.getLogger("taf")

def health_check(services: JobServices, slot: datetime) -> list[Finding]:
    findings = run_checks(services)
    failed = [f for f in findings if not f.ok]
    for finding in findings:
        (log.info if finding.ok else log.warning)("健康检查 %s：%s", finding.check, finding.detail)
    if failed:
        notify_event(services, "system_exception",
                     {"component": "健康检查", "host": services.settings.host_name, "occurred_at": clock.now(),
                      "message": "；".join(f"{f.check}：{f.detail}" for f in failed)},
                     cause=f"health:{slot:%Y-%m-%dT%H}")
    return findings


def retention_check(services: JobServices, slot: datetime) -> lifecycle.CheckSummary:
    summary = lifecycle.check(services, clock.now(), by="scheduler")
    if services.effective("auto_erase_expired"):
        auto_erase(services)
    return summary


def dispatch_notifications(services: JobServices, slot: datetime) -> DispatchRun:
    return dispatch_pending(services, clock.now())


def capacity_check(services: JobServices, slot: datetime) -> list[dict[str, Any]]:
    return check_capacity(services, slot)


def verify_sample(services: JobServices, slot: datetime) -> dict[str, Any] | None:
    return verify_latest(services, slot)


def run_backup(services: JobServices, job_id: str) -> dict[str, Any]:
    return backups.run(services, job_id, actor="worker")


def run_restore(services: JobServices, job_id: str) -> Any:
    """A restore handed to the worker (the web's restores): on this host's drive."""
    return restores.run(services, job_id, device=device_spec(services.settings), actor="worker")


def monthly_backup(services: JobServices, slot: datetime) -> dict[str, Any] | None:
    sources = list(services.effective("backup_sources") or [])
    if not sources:
        log.warning("月度备份未执行：没有配置备份源（settings set backup_sources …）")
        return None
    job, _ = backups.request_backup(services, sources, group=f"{slot:%Y-%m}", kind="monthly",
                                    key=monthly_key(slot), by="scheduler")
    return backups.run(services, str(job.id), actor="scheduler")


def monthly_ran(services: JobServices, slot: datetime) -> bool:
    return services.ledger.find(BackupJob, BackupJob.create_id(monthly_key(slot))) is not None


def unfinished(services: JobServices) -> list[tuple[str, str]]:
    """Jobs this host left unfinished, and queued ones meant for its drive (or for any drive)."""
    services.projector.catch_up(["jobs"])
    mine = services.settings.host_name
    spec = device_spec(services.settings)
    found = []
    for row in services.jobs.unfinished("backup"):
        if row["host"] == mine or not row["host"] and services.ledger.backup_job(row["job_id"]).drive in ("", spec):
            found.append(("backup", row["job_id"]))
    return found


def scheduled_handlers() -> dict[str, Handler]:
    """What each schedule does, for the worker (see jobs/schedule.py for when)."""
    return {"health_check": health_check, "retention_check": retention_check,
            "dispatch_notifications": dispatch_notifications, "job.backup": run_backup, "job.restore": run_restore,
            "monthly_backup": monthly_backup, "monthly_backup.ran": monthly_ran, "unfinished": unfinished,
            "capacity_check": capacity_check, "verify": verify_sample}


def auto_erase(services: JobServices) -> ReuseReport | None:
    """Erase the expired cartridges the drive can reach, unless a job holds the drive right now."""
    spec = device_spec(services.settings)
    drive = services.ledger.find_drive(services.settings.host_name, spec)
    if drive is not None and drive.reserved_by:
        log.info("驱动器正被任务 %s 使用，本次跳过自动擦除", drive.reserved_by)
        return None
    with open_session(services, spec, "scheduler") as session:
        return erase_expired(services, session)


def monthly_key(slot: datetime) -> str:
    """The idempotency key of the monthly backup for a schedule slot: one job per slot, ever."""
    return f"monthly:{slot:%Y-%m-%dT%H:%M}"
