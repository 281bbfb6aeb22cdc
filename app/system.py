"""System: the host's resources (CPU, memory, free space of the data and staging folders) and whether
the service's own parts answer (ledger, background worker) — for the dashboard and monitoring (R12).

The drive is asked through `Tapes` (it is a device act); this is what the host itself can say.
"""

from __future__ import annotations

import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import psutil

from config import Settings
from jobs.health import check_database, check_heartbeat, heartbeat_path
from ledger.application import Ledger

CPU_SAMPLE_SECONDS = 1.0  # a CPU reading covers at least this long (readings between are reused)


@dataclass(frozen=True)
class FolderSpace:
    label: str  # 数据目录, 暂存区
    path: str
    total: int  # bytes of the disk it is on
    free: int
    used_percent: float
    over_threshold: bool  # used at or above capacity_alert_pct


@dataclass(frozen=True)
class Resources:
    cpu_percent: float  # the whole host, all cores
    cpus: int
    memory_total: int
    memory_used: int
    memory_percent: float
    folders: list[FolderSpace]
    threshold_percent: int  # capacity_alert_pct in force


@dataclass(frozen=True)
class HealthCheck:
    check: str  # 数据库, 后台任务进程
    ok: bool
    detail: str  # the Chinese finding


class SystemDeps(Protocol):
    @property
    def settings(self) -> Settings: ...

    @property
    def ledger(self) -> Ledger: ...

    def effective(self, key: str) -> Any: ...


def folder_space(label: str, folder: Path, threshold: int) -> FolderSpace:
    """The disk `folder` is on (its nearest existing parent, if it is not made yet)."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    usage = shutil.disk_usage(existing)
    used = round(100 * (usage.total - usage.free) / usage.total, 1) if usage.total else 0.0
    return FolderSpace(label, str(folder), usage.total, usage.free, used, used >= threshold)


class System:
    def __init__(self, deps: SystemDeps) -> None:
        self._deps = deps
        self._lock = threading.Lock()
        self._cpu = (time.monotonic(), psutil.cpu_percent(None))  # the first reading starts the count

    def _cpu_percent(self) -> float:
        with self._lock:
            taken, value = self._cpu
            if time.monotonic() - taken >= CPU_SAMPLE_SECONDS:
                self._cpu = (time.monotonic(), psutil.cpu_percent(None))
            return self._cpu[1]

    def resources(self) -> Resources:
        """CPU and memory of the host, and the free space where the ledger and the staged packages live."""
        settings = self._deps.settings
        threshold = int(self._deps.effective("capacity_alert_pct") or 90)
        memory = psutil.virtual_memory()
        folders = [folder_space("数据目录", settings.data_dir, threshold),
                   folder_space("暂存区", settings.staging_dir, threshold)]
        return Resources(self._cpu_percent(), psutil.cpu_count() or 1, memory.total, memory.total - memory.available,
                         memory.percent, folders, threshold)

    def health(self) -> list[HealthCheck]:
        """Whether the ledger answers and the background worker (which runs queued jobs) is alive."""
        findings = [check_database(self._deps.ledger.head_id),
                    check_heartbeat(heartbeat_path(self._deps.settings.data_dir))]
        return [HealthCheck(f.check, f.ok, f.detail) for f in findings]
