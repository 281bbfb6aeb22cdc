"""Backup and restore jobs. Their state lives in the ledger, never only in a process's memory."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from ledger.domain.base import TafAggregate, stable_id
from ledger.errors import JobStateError

STATUS_NAMES = {
    "requested": "已提交",
    "running": "运行中",
    "waiting_tape": "等待换盘",
    "paused": "已暂停",
    "cancelled": "已取消",
    "failed": "失败",
    "succeeded": "成功",
    "partial": "部分成功",
    # Never stored: what the faces show for a job marked running or waiting for a tape whose process
    # is gone (backup.service.interrupted decides it from the job's run lock).
    "interrupted": "中断",
}
FINISHED = frozenset({"cancelled", "failed", "succeeded", "partial"})
# What each kind of job is called where people read it (the ledger keeps the code).
KIND_NAMES = {"manual": "手动", "monthly": "每月全量", "restore": "恢复"}
# What a restore does with a file already at the target (RestoreJob.on_conflict).
CONFLICT_NAMES = {"skip": "跳过", "rename": "改名", "overwrite": "覆盖"}
WORKER = "worker"  # who the worker process acts as, in the ledger

# What a read-back verification of a job came to (restore.verify), and how people read it.
VERIFIED, MISMATCH, INCOMPLETE, SKIPPED = "verified", "mismatch", "incomplete", "skipped"
VERIFICATION_NAMES = {
    VERIFIED: "全部可以恢复",
    MISMATCH: "发现不一致",
    INCOMPLETE: "未完成：有磁带未能读取（不是数据不一致）",
    SKIPPED: "已跳过：磁带都未能读取，没有检查任何数据（不是数据不一致）",
}
VERIFICATION_SHORT = {VERIFIED: "可恢复", MISMATCH: "不一致", INCOMPLETE: "未完成", SKIPPED: "已跳过"}


def verification_outcome(ok: bool | None, checked: int, unreadable: list[str]) -> str:
    """Something read back wrong: mismatch; else some cartridge unreadable: incomplete, or skipped
    when nothing at all was read; else verified."""
    if ok is False:
        return MISMATCH
    if unreadable:
        return INCOMPLETE if checked else SKIPPED
    return VERIFIED


class Job(TafAggregate):
    """What backup and restore jobs share: the state machine and its guards.

    (No class-level annotations here: eventsourcing turns them into constructor fields.)
    """

    @staticmethod
    def create_id(idempotency_key: str, **_: Any) -> UUID:
        return stable_id("job", idempotency_key)

    def _require(self, action: str, *allowed: str) -> None:
        if self.status not in allowed:
            raise JobStateError(job=str(self.id), status=STATUS_NAMES.get(self.status, self.status),
                                action=action)

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    def start(self, host: str) -> None:
        self._require("开始", "requested", "running", "waiting_tape")
        self._started(host=host)

    @event("Started")
    def _started(self, host: str) -> None:
        self.status = "running"
        self.host = host
        self.attempts = getattr(self, "attempts", 0) + 1

    def pause(self, by: str, reason: str = "") -> None:
        self._require("暂停", "requested", "running", "waiting_tape")
        self._paused(by=by, reason=reason)

    @event("Paused")
    def _paused(self, by: str, reason: str) -> None:
        self.status = "paused"
        self.paused_by = by  # "worker": its own shutdown paused the job, and it takes the job up again
        self.pause_reason = reason

    @property
    def paused_by_worker(self) -> bool:
        return self.status == "paused" and getattr(self, "paused_by", "") == WORKER

    def resume(self, by: str) -> None:
        self._require("恢复运行", "paused", "running", "waiting_tape", "requested")
        self._resumed(by=by)

    @event("Resumed")
    def _resumed(self, by: str) -> None:
        self.status = "requested"

    def cancel(self, by: str, reason: str = "") -> None:
        if self.finished:
            self._require("取消")
        self._cancelled(by=by, reason=reason)

    @event("Cancelled")
    def _cancelled(self, by: str, reason: str) -> None:
        self.status = "cancelled"

    def fail(self, reason: str) -> None:
        if not self.finished:
            self._failed(reason=reason)

    @event("Failed")
    def _failed(self, reason: str) -> None:
        self.status = "failed"
        self.reason = reason

    def complete(self, figures: dict[str, Any], warnings: list[str]) -> None:
        self._require("完成", "running")
        self._completed(figures=figures, warnings=warnings, outcome="partial" if warnings else "succeeded")

    @event("Completed")
    def _completed(self, figures: dict[str, Any], warnings: list[str], outcome: str) -> None:
        self.status = outcome
        self.figures = figures
        self.warnings = warnings


class BackupJob(Job):
    @event("Requested")
    def __init__(self, idempotency_key: str, kind: str, sources: list[str], group: str,
                 params: dict[str, Any], drive: str = "", by: str = "system") -> None:
        self.idempotency_key = idempotency_key
        self.kind = kind
        self.sources = sources
        self.group = group
        self.params = params
        self.drive = drive
        self.requested_by = by
        self.status = "requested"
        self.reason = ""
        self.packages: list[str] = []
        self.cartridges: list[str] = []
        self.planned: dict[str, Any] = {}
        self.figures: dict[str, Any] = {}
        self.warnings: list[str] = []
        self.waiting_for: str = ""

    @event("Planned")
    def planned_packages(self, packages: int, files: int, bytes_in: int, plan_digest: str) -> None:
        self.planned = {"packages": packages, "files": files, "bytes_in": bytes_in, "plan_digest": plan_digest}

    @event("PackageRecorded")
    def package_recorded(self, package_id: str, sequence: int, cartridge: str) -> None:
        self.packages.append(package_id)
        if cartridge not in self.cartridges:
            self.cartridges.append(cartridge)

    def request_tape_change(self, full_barcode: str, reason: str, instruction: str = "") -> None:
        self._require("请求换盘", "running", "waiting_tape")
        self._tape_change_requested(full_barcode=full_barcode, reason=reason, instruction=instruction)

    @event("TapeChangeRequested")
    def _tape_change_requested(self, full_barcode: str, reason: str, instruction: str = "") -> None:
        """`reason`: why no cartridge at hand will do; `instruction`: which one (or what kind) to insert."""
        self.status = "waiting_tape"
        self.waiting_for = instruction or reason

    @event("TapeChangeSatisfied")
    def tape_change_satisfied(self, barcode: str) -> None:
        self.status = "running"
        self.waiting_for = ""

    @event("WarningRecorded")
    def warn(self, message: str) -> None:
        self.warnings.append(message)

    @event("Verified")
    def verified(self, ok: bool, checked: int, mismatches: list[str], by: str = "system",
                 unreadable: list[str] | None = None, warnings: list[str] | None = None,
                 files_checked: int = 0) -> None:
        """`mismatches`: packages read back wrong or whose files do not come back; `unreadable`:
        cartridges that could not be read (nothing known about their data); `warnings`: packages
        restorable by TAF only (other 7z tools read them wrong)."""
        self.last_verification = {"ok": ok, "checked": checked, "mismatches": mismatches,
                                  "unreadable": unreadable or [], "warnings": warnings or [],
                                  "files_checked": files_checked,
                                  "outcome": verification_outcome(ok, checked, unreadable or [])}

    @event("VerificationSkipped")
    def verification_skipped(self, unreadable: list[str], by: str = "system") -> None:
        """A verification that read nothing: no cartridge of the job could be reached (`unreadable`
        says which and why). Nothing is known about the data, so this is no verdict on it."""
        self.last_verification = {"ok": None, "checked": 0, "mismatches": [], "unreadable": unreadable,
                                  "warnings": [], "files_checked": 0, "outcome": SKIPPED}


class RestoreJob(Job):
    @event("Requested")
    def __init__(self, idempotency_key: str, selection: list[str], target: str, on_conflict: str = "skip",
                 group: str = "", by: str = "system") -> None:
        self.idempotency_key = idempotency_key
        self.kind = "restore"
        self.selection = selection
        self.target = target
        self.on_conflict = on_conflict
        self.group = group
        self.requested_by = by
        self.status = "requested"
        self.reason = ""
        self.figures: dict[str, Any] = {}
        self.warnings: list[str] = []
        self.done_packages: list[str] = []
        self.as_of = 0
        self.planned: dict[str, Any] = {}
        self.waiting_for = ""
        self.tape_bytes_read = 0

    @event("Planned")
    def plan_recorded(self, as_of: int, files: int, packages: int, bytes_to_read: int,
                      cartridges: list[str]) -> None:
        """The selection resolved against the catalog as of ledger position `as_of`, so a resumed
        job restores the same file versions even if later backups added newer ones."""
        self.as_of = as_of
        self.planned = {"files": files, "packages": packages, "bytes_to_read": bytes_to_read,
                        "cartridges": cartridges}

    @event("PackageRestored")
    def package_restored(self, package_id: str, files: int, bytes_read: int) -> None:
        self.done_packages.append(package_id)
        self.tape_bytes_read += bytes_read

    def request_tape(self, barcode: str, instruction: str) -> None:
        self._require("请求装入磁带", "running", "waiting_tape")
        self._tape_requested(barcode=barcode, instruction=instruction)

    @event("TapeRequested")
    def _tape_requested(self, barcode: str, instruction: str) -> None:
        self.status = "waiting_tape"
        self.waiting_for = instruction

    def tape_arrived(self, barcode: str) -> None:
        self._require("继续", "running", "waiting_tape")
        self._tape_arrived(barcode=barcode)

    @event("TapeArrived")
    def _tape_arrived(self, barcode: str) -> None:
        self.status = "running"
        self.waiting_for = ""
