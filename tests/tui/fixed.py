"""A fixed installation for the snapshot tests: the same drive, cartridges, jobs, requests and
catalog every run, served through the `App` verbs the console calls (an honest fake: the records
are the application layer's own dataclasses). Times are naive, so no time zone changes a picture."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any

from app.backups import JobHistory, JobRow
from app.catalog import FileVersion, SearchResult
from app.lifecycle import CartridgeEntry
from app.pending import OperatorRequest
from app.restores import RestorePreview
from kernel.progress import Progress
from media.results import DeviceEntry, DriveReport, MediumView
from restore.plan import CartridgeStep, PackageRead, RestorePlan
from tui.session import Connection

NOW = datetime(2026, 5, 1, 9, 30)
HOST = "taf-01"
GIB = 1 << 30
SOURCES = ["/data/财务", "/data/合同"]

ALERT = {"code": 20, "title": "需要清洁", "description": "驱动器需要清洁", "severity": "warning",
         "advice": "请装入清洁带；清洁结束后再继续使用", "needs_attention": True}
HEALTH = {"taken_at": "2026-05-01T09:12:00", "barcode": "TAF003L9", "cleaning_required": True,
          "host_bytes_written": 812 * GIB, "host_bytes_read": 40 * GIB, "compression_ratio": 1.85, "mounts": 14,
          "write_retries": 3, "read_retries": 0, "alerts": [ALERT]}


def cartridge(barcode: str, status: str, label: str, location: str, where: str, groups: list[str], used: int,
              free_when: str, explanation: str, health: dict[str, Any] | None = None) -> CartridgeEntry:
    return CartridgeEntry(barcode=barcode, media_type="L9", status=status, status_label=label, pool="default",
                          location=location, location_text=where, worm=False, volume_serial=barcode[:6],
                          label_sequence=1, capacity_bytes=18_000 * GIB, bytes_written=used * GIB,
                          package_count=used // 3, groups=groups, retention_months=None, retention_in_force=6,
                          reason="active_group" if groups else "scratch", expired=status == "expired", free_at=None,
                          retention_ends_at=None, free_when=free_when, explanation=explanation, health=health or {})


INVENTORY = [
    cartridge("TAF001L9", "full", "已满", "slot:1", "槽位 1", ["2026-03"], 17_900, "所含备份组轮换后",
              "磁带 TAF001L9 最后写入于 2026-03-31，存活期 6 个月，将于 2026-09-30 到期；但它仍保存活动备份组 "
              "2026-03，需等该组轮换出去后才能释放。"),
    cartridge("TAF002L9", "full", "已满", "offsite:保险柜", "异地（保险柜）", ["2026-04"], 17_600, "所含备份组轮换后",
              "磁带 TAF002L9 最后写入于 2026-04-30，存活期 6 个月，将于 2026-10-30 到期；但它仍保存活动备份组 "
              "2026-04，需等该组轮换出去后才能释放。"),
    cartridge("TAF003L9", "active", "使用中", "drive:emulated:0", "驱动器 emulated:0", ["2026-05"], 2_400,
              "所含备份组轮换后", "磁带 TAF003L9 最后写入于 2026-05-01，存活期 6 个月，将于 2026-11-01 到期；"
              "但它仍保存活动备份组 2026-05，需等该组轮换出去后才能释放。", HEALTH),
    cartridge("TAF004L9", "scratch", "空白", "slot:4", "槽位 4", [], 0, "现在（空白）", "磁带 TAF004L9：空白磁带，随时可用。"),
    cartridge("TAF005L9", "expired", "已过期", "slot:5", "槽位 5", ["2025-10"], 9_000, "现在（2026-04-30 起）",
              "已过期：磁带 TAF005L9 最后写入于 2025-10-31，存活期 6 个月，已于 2026-04-30 到期，且不保存活动备份组，"
              "可擦除复用。"),
]

DRIVE = DriveReport(device="emulated:0", vendor="IBM", product="ULT3580-HH9", revision="Q9E9", serial="1068123456",
                    state="ready", state_text="已就绪",
                    medium=MediumView(barcode="TAF003L9", medium_serial="AB12CD34", medium_type="98h", generation=9,
                                      worm=False, write_protected=False, compression=True, block=48_211, file=12,
                                      beyond_early_warning=False, mam={}))

DEVICES = [DeviceEntry("emulated:0", "drive", "IBM", "ULT3580-HH9", "Q9E9", "1068123456", "TAF003L9", "ready", None),
           DeviceEntry("emulated（机械手）", "changer", "IBM", "3573-TL", "F.11", "00L4U78A", None, None, None)]


def job(job_id: str, kind: str, status: str, status_text: str, group: str, at: str, *, host: str = HOST,
        reason: str | None = None, packages: int = 0) -> JobRow:
    return JobRow(job_id=job_id, kind=kind, status=status, status_text=status_text, group=group,
                  requested_by="tui:值班员", requested_at=at, started_at=at, finished_at=None, host=host,
                  reason=reason, warnings=0, packages=packages, sources=SOURCES if kind != "restore" else ["/data/合同"],
                  figures={}, cartridges=[])


RUNNING = "7c1e9a42-5b0d-5f3e-9a61-0d2f7be1c001"
WAITING = "3fa85f64-5717-5562-b3fc-2c963f66afa6"
BACKUP_ROWS = [
    job(RUNNING, "monthly", "running", "运行中", "2026-05", "2026-05-01T02:00:00", host="taf-02", packages=41),
    job("a0c4b2e1-1111-5222-8333-944455556666", "manual", "failed", "失败", "2026-04", "2026-04-20T14:05:00",
        reason="备份源不存在：/data/旧系统"),
    job("b7d9e3f0-2222-5333-9444-a55566667777", "monthly", "succeeded", "成功", "2026-04", "2026-04-01T02:00:00",
        packages=520),
]
RESTORE_ROWS = [
    job(WAITING, "restore", "running", "运行中", "2026-04", "2026-05-01T09:10:00", host="taf-02"),
    job("c1e2d3f4-3333-5444-a555-b66677778888", "restore", "succeeded", "成功", "2026-03", "2026-04-28T16:40:00"),
]

PROGRESS = {
    RUNNING: Progress(job_id=RUNNING, kind="backup", phase="write", files_total=182_400, files_done=0,
                      files_scanned=182_400, bytes_total=2_400 * GIB, bytes_packed=1_250 * GIB, bytes_written=1_080 * GIB,
                      packages_total=92, packages_written=41, current_cartridge="TAF003L9", pack_rate=95e6,
                      write_rate=260e6, eta_seconds=3_900.0, message="正在写入数据包 42", started_at=0.0, updated_at=0.0),
    WAITING: Progress(job_id=WAITING, kind="restore", phase="wait_tape", files_total=12, packages_total=3,
                      packages_read=1, cartridges_total=2, cartridges_done=1, request="请将磁带 TAF002L9 装入驱动器",
                      message="请将磁带 TAF002L9 装入驱动器", started_at=0.0, updated_at=0.0),
}

REQUESTS = [OperatorRequest(job_id=WAITING, kind="restore", kind_text="恢复", group="2026-04", status="waiting_tape",
                            status_text="等待换盘", text="请将磁带 TAF002L9 装入驱动器",
                            waiting="恢复任务（1 项 → /srv/恢复/合同）", since=datetime(2026, 5, 1, 9, 14),
                            stalled=False, progress=PROGRESS[WAITING])]

FILES = [FileVersion("2026-04", f"/data/合同/{name}", "file", size, "2026-04-01T01:00:00", None, 1, [barcode], [])
         for name, size, barcode in (("2026/采购合同-001.pdf", 1_843_200, "TAF002L9"),
                                     ("2026/采购合同-002.pdf", 2_211_840, "TAF002L9"),
                                     ("报告/年度报告.docx", 524_288, "TAF001L9"))]

PLAN = RestorePlan(
    steps=(CartridgeStep(1, "TAF001L9", "slot:1", "请将磁带 TAF001L9 从 1 号槽位装入驱动器（磁带库会自动完成）",
                         (PackageRead("p-0007", 8, 1024, 1025, 40, 160 * (1 << 20), ("报告/年度报告.docx",)),),
                         160 * (1 << 20), 95.0),
           CartridgeStep(2, "TAF002L9", "offsite:保险柜", "磁带 TAF002L9 存放在异地（保险柜），请取回后装入驱动器",
                         (PackageRead("p-0031", 33, 9001, 9002, 80, 320 * (1 << 20),
                                      ("2026/采购合同-001.pdf", "2026/采购合同-002.pdf")),), 320 * (1 << 20), 140.0)),
    files=3, file_bytes=4_579_328, bytes_to_read=480 * (1 << 20), seconds=235.0)


class FixedProgress:
    def latest(self, job_id: str) -> Progress | None:
        return PROGRESS.get(job_id)

    def close(self) -> None:
        """Nothing to let go of."""


def fixed_app() -> Any:
    return SimpleNamespace(
        tapes=SimpleNamespace(drive_status=lambda **_: DRIVE, inventory=lambda *_: INVENTORY,
                              devices=lambda *_: DEVICES),
        backups=SimpleNamespace(history=lambda **_: JobHistory(BACKUP_ROWS, {}, 0, 0, 0)),
        restores=SimpleNamespace(history=lambda **_: RESTORE_ROWS,
                                 plan=lambda paths, group="": RestorePreview(PLAN, 0, 0)),
        catalog=SimpleNamespace(search=lambda fragment="", **_: SearchResult(FILES, False)),
        pending=SimpleNamespace(requests=lambda: REQUESTS),
    )


def fixed_connection() -> Connection:
    return Connection(fixed_app(), FixedProgress(), host=HOST)  # type: ignore[arg-type]
