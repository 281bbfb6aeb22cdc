"""What each scheduled piece of work does (jobs/schedule.py says when), for the worker.

Each handler takes the services (`jobs.ports.JobServices`) and the schedule slot (or a job id) and
calls the use cases; the worker (`jobs/tasks.py`) looks them up by name in `scheduled_handlers()`.
The jobs a worker runs share its `stopping` event: set, they pause at their next safe point, as
the worker's own pause, which `unfinished` takes up again when a worker starts.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from functools import partial
from typing import Any

from backup import service as backups
from jobs.capacity import check_capacity
from jobs.health import Finding, run_checks
from jobs.monthly_report import previous_month
from jobs.ports import Handler, JobServices
from jobs.report_job import SentReport, send_monthly_report
from jobs.verification import verify_latest
from ledger import clock
from ledger.domain import BackupJob
from ledger.domain.job import WORKER
from media import lifecycle
from media.devices import device_spec, open_session
from media.reuse import ReuseReport, erase_expired
from notify.outbox import notify_event
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


def capacity_check(services: JobServices, slot: datetime) -> list[dict[str, Any]]:
    return check_capacity(services, slot)


def verify_sample(services: JobServices, slot: datetime) -> dict[str, Any] | None:
    return verify_latest(services, slot)


def monthly_report(services: JobServices, slot: datetime) -> SentReport | None:
    """The previous month's report, written and sent — only with monthly_report_enabled."""
    if not services.effective("monthly_report_enabled"):
        log.info("月度报告未生成：设置 monthly_report_enabled 未开启")
        return None
    return send_monthly_report(services, previous_month(slot))


def run_backup(services: JobServices, job_id: str, stopping: threading.Event | None = None) -> dict[str, Any]:
    return backups.run(services, job_id, actor=WORKER, stop=stopping)


def run_restore(services: JobServices, job_id: str, stopping: threading.Event | None = None) -> Any:
    """A restore handed to the worker (the web's restores): on this host's drive."""
    return restores.run(services, job_id, device=device_spec(services.settings), actor=WORKER, stop=stopping)


def monthly_backup(services: JobServices, slot: datetime, stopping: threading.Event | None = None
                   ) -> dict[str, Any] | None:
    sources = list(services.effective("backup_sources") or [])
    if not sources:
        log.warning("月度备份未执行：没有配置备份源（settings set backup_sources …）")
        return None
    job, _ = backups.request_backup(services, sources, group=f"{slot:%Y-%m}", kind="monthly",
                                    key=monthly_key(slot), by="scheduler")
    return backups.run(services, str(job.id), actor="scheduler", stop=stopping, stop_by=WORKER)


def monthly_ran(services: JobServices, slot: datetime) -> bool:
    return services.ledger.find(BackupJob, BackupJob.create_id(monthly_key(slot))) is not None


def unfinished(services: JobServices) -> list[tuple[str, str]]:
    """The jobs a starting worker takes up: this host's interrupted backups (their process is gone),
    the backups and restores a stopping worker of this host paused (made runnable again here), and
    backups queued for this host's drive (or for any drive). A job another live process on this
    host runs is left alone."""
    services.projector.catch_up(["jobs"])
    mine = services.settings.host_name
    spec = device_spec(services.settings)
    found = []
    for row in services.jobs.unfinished("backup"):
        if row["status"] == "requested":
            if row["host"] == mine or not row["host"] and services.ledger.backup_job(row["job_id"]).drive in ("", spec):
                found.append(("backup", row["job_id"]))
        elif row["host"] == mine and backups.interrupted(services, row["job_id"]):
            found.append(("backup", row["job_id"]))
    for row in services.jobs.rows(status="paused", limit=1_000_000):
        if row["host"] != mine:
            continue
        kind = "restore" if row["kind"] == "restore" else "backup"
        job = services.ledger.restore_job(row["job_id"]) if kind == "restore" else services.ledger.backup_job(row["job_id"])
        if job.paused_by_worker:
            if kind == "backup":
                backups.resume(services, row["job_id"], by=WORKER)
            found.append((kind, row["job_id"]))
    return found


def scheduled_handlers(stopping: threading.Event | None = None) -> dict[str, Handler]:
    """What each schedule does, for the worker (see jobs/schedule.py for when); the jobs it runs
    pause once `stopping` is set."""
    return {"health_check": health_check, "retention_check": retention_check,
            "job.backup": partial(run_backup, stopping=stopping), "job.restore": partial(run_restore, stopping=stopping),
            "monthly_backup": partial(monthly_backup, stopping=stopping), "monthly_backup.ran": monthly_ran,
            "unfinished": unfinished, "capacity_check": capacity_check, "verify": verify_sample,
            "monthly_report": monthly_report}


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
