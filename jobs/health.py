"""System health: database, drive, worker heartbeat and free space, each as a Chinese finding."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from jobs.ports import JobServices


@dataclass(frozen=True)
class Finding:
    check: str
    ok: bool
    detail: str


def check_database(head_id: Callable[[], int]) -> Finding:
    started = time.perf_counter()
    try:
        events = head_id()
    except Exception as error:  # any failure to read the ledger is the finding itself
        return Finding("数据库", False, f"台账无法读取：{error}")
    return Finding("数据库", True, f"台账可读，共 {events} 条事件，用时 {1000 * (time.perf_counter() - started):.0f} 毫秒")


def check_free_space(label: str, folder: Path, alert_pct: int) -> Finding:
    folder.mkdir(parents=True, exist_ok=True)
    usage = shutil.disk_usage(folder)
    used_pct = 100 * (usage.total - usage.free) / usage.total if usage.total else 0
    detail = f"{folder} 所在磁盘已用 {used_pct:.0f}%，剩余 {usage.free / 1024**3:.1f} GiB"
    return Finding(label, used_pct < alert_pct, detail + ("" if used_pct < alert_pct else f"，超过告警阈值 {alert_pct}%"))


def check_drive(probe: Callable[[], str] | None) -> Finding:
    if probe is None:
        return Finding("驱动器", True, "本进程未配置驱动器检查")
    try:
        return Finding("驱动器", True, probe())
    except Exception as error:  # the drive's own Chinese message and advice
        return Finding("驱动器", False, str(error))


def heartbeat_path(data_dir: Path) -> Path:
    """The file the worker touches before each task (jobs/worker.py)."""
    return data_dir / "worker.heartbeat"


def check_heartbeat(path: Path, max_age_seconds: float = 180) -> Finding:
    """The worker writes a heartbeat file each tick; an old one means no worker is running."""
    if not path.exists():
        return Finding("后台任务进程", False, "没有找到后台任务进程的心跳，请确认 python main.py worker 正在运行")
    age = time.time() - path.stat().st_mtime
    if age > max_age_seconds:
        return Finding("后台任务进程", False, f"后台任务进程已有 {age:.0f} 秒没有心跳")
    return Finding("后台任务进程", True, f"后台任务进程正常（{age:.0f} 秒前有心跳）")


def run_checks(services: JobServices, drive_probe: Callable[[], str] | None = None) -> list[Finding]:
    settings = services.settings
    alert_pct = int(services.effective("capacity_alert_pct") or 90)
    return [
        check_database(services.ledger.head_id),
        check_drive(drive_probe),
        check_heartbeat(heartbeat_path(settings.data_dir)),
        check_free_space("暂存区空间", settings.staging_dir, alert_pct),
        check_free_space("数据目录空间", settings.data_dir, alert_pct),
    ]


def as_dicts(findings: list[Finding]) -> list[dict[str, Any]]:
    return [asdict(f) for f in findings]
