"""Capacity alerts: disk space for staging and data, and scratch cartridges left in the pool."""

from __future__ import annotations

import shutil
from datetime import datetime
from typing import Any

from jobs.ports import JobServices
from ledger import clock
from ledger.units import human_bytes
from notify.outbox import notify_event


def check_capacity(services: JobServices, slot: datetime) -> list[dict[str, Any]]:
    """Queue a capacity_threshold notice for each resource over its threshold (once a day each)."""
    threshold = int(services.effective("capacity_alert_pct") or 90)
    alerts: list[dict[str, Any]] = []
    folders = {"暂存区磁盘": services.settings.staging_dir, "数据目录磁盘": services.settings.data_dir}
    for resource, folder in folders.items():
        folder.mkdir(parents=True, exist_ok=True)
        usage = shutil.disk_usage(folder)
        used = round(100 * (usage.total - usage.free) / usage.total) if usage.total else 0
        if used >= threshold:
            alerts.append({"resource": resource, "used_percent": used, "threshold_percent": threshold,
                           "remaining": human_bytes(usage.free), "advice": f"请清理 {folder} 所在磁盘或扩容"})
    services.projector.catch_up(["inventory"])
    cartridges = [row for row in services.inventory.all() if row["media_type"] != "CLN" and row["status"] != "retired"]
    scratch = [row for row in cartridges if row["status"] == "scratch"]
    minimum = int(services.effective("min_scratch_cartridges") or 0)
    if cartridges and len(scratch) < minimum:
        used = round(100 * (len(cartridges) - len(scratch)) / len(cartridges))
        alerts.append({"resource": "空白磁带", "used_percent": used, "threshold_percent": threshold,
                       "remaining": f"{len(scratch)} 盘（至少应有 {minimum} 盘）",
                       "advice": "请放入新磁带，或检查存活期设置让过期磁带回到空白池"})
    for alert in alerts:
        notify_event(services, "capacity_threshold", {**alert, "checked_at": clock.now()},
                     cause=f"capacity:{alert['resource']}:{slot:%Y-%m-%d}")
    return alerts
