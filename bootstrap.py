"""The composition root: the one module that knows which store, views and devices are in use."""

from __future__ import annotations

import logging
import os
import secrets as pysecrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config import Settings, load_settings
from config.logging_setup import setup_logging
from ledger import clock
from ledger.application import Ledger
from ledger.secrets import SecretBox
from ledger.sqlite_guard import install_immutability_triggers
from projections.audit import AuditLogView
from projections.catalog import CatalogView
from projections.chain_view import ChainView
from projections.groups import GroupsView
from projections.inventory import InventoryView
from projections.jobs import JobsView
from projections.notifications import NotificationLogView
from projections.recipients import RecipientsView
from projections.runner import Projector
from projections.settings_view import SettingsView
from projections.store import PostgresViewStore, SqliteViewStore, ViewStore

log = logging.getLogger("taf")

# Settings the ledger may override at run time, and the .env attribute each starts from.
RUNTIME_DEFAULTS = {
    "default_retention_months": "default_retention_months",
    "active_groups": "active_groups",
    "monthly_backup_cron": "monthly_backup_cron",
    "retention_check_cron": "retention_check_cron",
    "auto_erase_expired": "auto_erase_expired",
    "scheduler_enabled": "scheduler_enabled",
    "compression_level": "compression_level",
    "solid_block_size": "solid_block_size",
    "max_file_size": "max_file_size",
    "max_volume_size": "max_volume_size",
    "dingtalk_api_url": "dingtalk_api_url",
    "backup_sources": "backup_sources",
}
BUILTIN_DEFAULTS: dict[str, Any] = {
    "verify_cron": "0 4 * * 0",
    "capacity_alert_pct": 90,
    "min_scratch_cartridges": 2,
    "tape_change_remind_minutes": 10,
    "tape_change_pause_minutes": 240,
    "catch_up_window_hours": 72,
}


def ledger_environment(settings: Settings) -> dict[str, str]:
    """The eventsourcing environment for DATABASE_URL."""
    db = settings.database
    if db["kind"] == "sqlite":
        Path(db["path"]).parent.mkdir(parents=True, exist_ok=True)
        env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": db["path"],
               "SQLITE_LOCK_TIMEOUT": "30"}
    else:
        env = {
            "PERSISTENCE_MODULE": "ledger.opengauss",
            "POSTGRES_DBNAME": db["dbname"], "POSTGRES_HOST": db["host"], "POSTGRES_PORT": db["port"],
            "POSTGRES_USER": db["user"], "POSTGRES_PASSWORD": db["password"],
            "POSTGRES_POOL_SIZE": str(settings.db_pool_size),
            "POSTGRES_MAX_OVERFLOW": str(settings.db_max_overflow),
        }
    # eventsourcing looks up LEDGER_<KEY> before <KEY>; setting the prefixed names means no stray
    # variable in the process environment can point the ledger somewhere else.
    return {f"LEDGER_{key}": value for key, value in env.items()}


def view_store(settings: Settings) -> ViewStore:
    db = settings.database
    if db["kind"] == "sqlite":
        path = Path(db["path"])
        return SqliteViewStore(path.with_name(path.stem + "-views.db"))
    return PostgresViewStore(host=db["host"], port=db["port"], user=db["user"], password=db["password"],
                             dbname=db["dbname"])


def ensure_secret_key(settings: Settings) -> str:
    """SECRET_KEY from the settings, or generated once and kept in the data folder."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.data_dir / "secret_key"
    if path.is_file():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = pysecrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


@dataclass
class Services:
    settings: Settings
    ledger: Ledger
    store: ViewStore
    projector: Projector
    secret_box: SecretBox
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def audit(self) -> AuditLogView:
        return self.projector.view("audit_log")  # type: ignore[return-value]

    @property
    def settings_view(self) -> SettingsView:
        return self.projector.view("settings")  # type: ignore[return-value]

    @property
    def chain(self) -> ChainView:
        return self.projector.view("chain")  # type: ignore[return-value]

    @property
    def jobs(self) -> JobsView:
        return self.projector.view("jobs")  # type: ignore[return-value]

    @property
    def catalog(self) -> CatalogView:
        return self.projector.view("catalog")  # type: ignore[return-value]

    @property
    def inventory(self) -> InventoryView:
        return self.projector.view("inventory")  # type: ignore[return-value]

    @property
    def groups(self) -> GroupsView:
        return self.projector.view("groups")  # type: ignore[return-value]

    @property
    def notification_log(self) -> NotificationLogView:
        return self.projector.view("notifications")  # type: ignore[return-value]

    @property
    def recipients(self) -> RecipientsView:
        return self.projector.view("recipients")  # type: ignore[return-value]

    def effective(self, key: str) -> Any:
        """A runtime setting as in force: the ledger's value, else .env's, else the built-in one."""
        changed = self.ledger.settings().values
        if key in changed:
            value = changed[key]
            return value["hint"] if isinstance(value, dict) and "hint" in value else value
        if key in RUNTIME_DEFAULTS:
            return getattr(self.settings, RUNTIME_DEFAULTS[key])
        if key == "dingtalk_api_key":
            return self.settings.dingtalk_api_key
        return BUILTIN_DEFAULTS.get(key)

    def secret(self, key: str) -> str:
        value = self.ledger.settings().values.get(key)
        if isinstance(value, dict) and "ciphertext" in value:
            return self.secret_box.open(value["ciphertext"])
        return str(self.effective(key) or "")

    def catch_up(self) -> int:
        return self.projector.catch_up()

    def close(self) -> None:
        self.store.close()
        self.ledger.close()


def make_queue(settings: Settings) -> Any:
    """SqliteHuey under the data folder by default; RedisHuey with one queue per drive host."""
    from huey import RedisHuey, SqliteHuey

    if settings.redis_url:
        return RedisHuey(name=f"taf-{settings.host_name}", url=settings.redis_url, results=False, utc=True)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name="taf", filename=str(settings.data_dir / "huey.db"), results=False, utc=True)


def scheduled_handlers() -> dict[str, Any]:
    """What each schedule does, for the worker (see jobs/schedule.py for when)."""
    from jobs.health import run_checks
    from media import lifecycle
    from notify.outbox import dispatch_pending, notify_event

    def health_check(services: Services, slot: Any) -> list[Any]:
        findings = run_checks(services)
        failed = [f for f in findings if not f.ok]
        for finding in findings:
            (log.info if finding.ok else log.warning)("健康检查 %s：%s", finding.check, finding.detail)
        if failed:
            notify_event(services, "system_exception",
                         {"component": "健康检查", "host": services.settings.host_name,
                          "occurred_at": clock.now(),
                          "message": "；".join(f"{f.check}：{f.detail}" for f in failed)},
                         cause=f"health:{slot:%Y-%m-%dT%H}")
        return findings

    def retention_check(services: Services, slot: Any) -> Any:
        summary = lifecycle.check(services, clock.now(), by="scheduler")
        if services.effective("auto_erase_expired"):
            auto_erase(services)
        return summary

    def dispatch_notifications(services: Services, slot: Any) -> Any:
        return dispatch_pending(services, clock.now())

    def capacity_check(services: Services, slot: Any) -> Any:
        from jobs.capacity import check_capacity

        return check_capacity(services, slot)

    def verify_sample(services: Services, slot: Any) -> Any:
        from jobs.verification import verify_latest

        return verify_latest(services, slot)

    def run_backup(services: Services, job_id: str) -> Any:
        from backup import service

        return service.run(services, job_id, actor="worker")

    def monthly_backup(services: Services, slot: Any) -> Any:
        from backup import service

        sources = list(services.effective("backup_sources") or [])
        if not sources:
            log.warning("月度备份未执行：没有配置备份源（settings set backup_sources …）")
            return None
        job, _ = service.request_backup(services, sources, group=f"{slot:%Y-%m}", kind="monthly",
                                        key=monthly_key(slot), by="scheduler")
        return service.run(services, str(job.id), actor="scheduler")

    def monthly_ran(services: Services, slot: Any) -> bool:
        from ledger.domain import BackupJob

        return services.ledger.find(BackupJob, BackupJob.create_id(monthly_key(slot))) is not None

    def unfinished(services: Services) -> list[tuple[str, str]]:
        """Jobs this host left unfinished, and queued ones meant for its drive (or for any drive)."""
        from media.devices import device_spec

        services.projector.catch_up(["jobs"])
        mine = services.settings.host_name
        spec = device_spec(services.settings)
        found = []
        for row in services.jobs.unfinished("backup"):
            if row["host"] == mine or not row["host"] and services.ledger.backup_job(row["job_id"]).drive in ("", spec):
                found.append(("backup", row["job_id"]))
        return found

    return {"health_check": health_check, "retention_check": retention_check,
            "dispatch_notifications": dispatch_notifications, "job.backup": run_backup,
            "monthly_backup": monthly_backup, "monthly_backup.ran": monthly_ran, "unfinished": unfinished,
            "capacity_check": capacity_check, "verify": verify_sample}


def auto_erase(services: Services) -> Any:
    """Erase the expired cartridges the drive can reach, unless a job holds the drive right now."""
    from media.devices import device_spec, open_session
    from media.reuse import erase_expired

    spec = device_spec(services.settings)
    drive = services.ledger.find_drive(services.settings.host_name, spec)
    if drive is not None and drive.reserved_by:
        log.info("驱动器正被任务 %s 使用，本次跳过自动擦除", drive.reserved_by)
        return None
    with open_session(services, spec, "scheduler") as session:
        return erase_expired(services, session)


def monthly_key(slot: Any) -> str:
    """The idempotency key of the monthly backup for a schedule slot: one job per slot, ever."""
    return f"monthly:{slot:%Y-%m-%dT%H:%M}"


def build(settings: Settings | None = None, *, log_to_console: bool = False) -> Services:
    settings = settings or load_settings()
    clock.start_at(settings.now)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    setup_logging(settings.log_file, settings.log_level, console=log_to_console)
    ledger = Ledger(env=ledger_environment(settings))
    if settings.is_sqlite:
        install_immutability_triggers(settings.database["path"])
    store = view_store(settings)
    views = [AuditLogView(store), SettingsView(store), ChainView(store), InventoryView(store), GroupsView(store),
             NotificationLogView(store), RecipientsView(store), JobsView(store), CatalogView(store)]
    projector = Projector(ledger, views)
    return Services(settings=settings, ledger=ledger, store=store, projector=projector,
                    secret_box=SecretBox(ensure_secret_key(settings)))
