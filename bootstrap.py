"""The composition root: the one module that knows which store, views and devices are in use."""

from __future__ import annotations

import logging
import os
import secrets as pysecrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.settings import RuntimeSettings
from config import Settings, load_settings
from config.logging_setup import setup_logging
from kernel.progress import FileProgress, ProgressStore, RedisProgress
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


def progress_store(settings: Settings) -> ProgressStore:
    """Where long jobs publish their progress: Redis when REDIS_URL is set (every host sees it),
    else files under the data folder (this host only)."""
    if settings.redis_url:
        return RedisProgress(settings.redis_url, prefix=settings.redis_key_prefix)
    return FileProgress(settings.data_dir)


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
    progress: ProgressStore
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

    @property
    def runtime(self) -> RuntimeSettings:
        return RuntimeSettings(self.settings, self.ledger, self.secret_box)

    def effective(self, key: str) -> Any:
        """A runtime setting as in force: the ledger's value, else .env's, else the built-in one."""
        return self.runtime.effective(key)

    def secret(self, key: str) -> str:
        return self.runtime.secret(key)

    @property
    def job_queue(self) -> WorkerQueue:
        """Where the application layer hands long jobs to the worker (`app.backups.JobQueue`)."""
        return WorkerQueue(self)

    def catch_up(self) -> int:
        return self.projector.catch_up()

    def close(self) -> None:
        self.progress.close()
        self.store.close()
        self.ledger.close()


class WorkerQueue:
    """The worker's Huey queue (`make_queue`), as a port: `submit` hands a job to the worker."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def submit(self, kind: str, job_id: str) -> None:
        from jobs.handlers import scheduled_handlers
        from jobs.tasks import ScheduledWork

        work = ScheduledWork(make_queue(self.services.settings), lambda: self.services, scheduled_handlers())
        work.job_task(kind, job_id)


def make_queue(settings: Settings) -> Any:
    """SqliteHuey under the data folder by default; RedisHuey with one queue per drive host."""
    from huey import RedisHuey, SqliteHuey

    if settings.redis_url:
        return RedisHuey(name=f"taf-{settings.host_name}", url=settings.redis_url, results=False, utc=True)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name="taf", filename=str(settings.data_dir / "huey.db"), results=False, utc=True)


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
                    secret_box=SecretBox(ensure_secret_key(settings)), progress=progress_store(settings))
