"""Lifecycle: when each tape becomes free and why, what the next monthly backup will rotate and
erase, and the retention check that marks expired cartridges (R6, B4).

The rules are the pure functions of `ledger.rules`; `media.lifecycle` feeds them the inventory and
groups views. This service turns their verdicts into what a person reads: a status label, "when
it becomes free", the preview's sentences. The inventory (`Tapes.inventory`) is the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from app.errors import AppError
from ledger import clock
from ledger.rules import ExpiryVerdict, Preview, Reason, RuleError
from ledger.rules.cartridge_text import STATUS_TEXT, pool_text
from ledger.rules.locations import location_text
from ledger.rules.months import format_day, format_minute
from media import lifecycle
from media.lifecycle import CheckSummary
from media.ports import LifecycleServices

STATUS_LABELS = STATUS_TEXT
_FREE_WITHOUT_DATE = {Reason.SCRATCH: "现在（空白）", Reason.ACTIVE_GROUP: "所含备份组轮换后",
                      Reason.UNKNOWN_GROUP: "所含备份组核实后"}


class CannotPreview(AppError):
    """The schedule never fires, the groups run backwards against the clock, or the data is bad."""

    default_message = "无法预览"


@dataclass(frozen=True)
class CartridgeEntry:
    """One cartridge as the inventory knows it, with when it becomes free and why."""

    barcode: str
    media_type: str
    status: str  # scratch, active, full, expired, retired or cleaning
    status_label: str | None
    pool: str
    location: str  # the ledger's location code: slot:1, drive:emulated:0, shelf …
    location_text: str  # the same in words (ledger.rules.locations): 槽位 1, 驱动器 emulated:0, 磁带架 …
    worm: bool
    volume_serial: str | None
    label_sequence: int
    capacity_bytes: int
    bytes_written: int
    package_count: int
    groups: list[str]  # the backup groups it holds
    retention_months: int | None  # its own; None follows the default in force
    retention_in_force: int
    reason: str  # why it is (not) free: the rules' Reason code
    expired: bool
    free_at: datetime | None
    retention_ends_at: datetime | None
    free_when: str  # 现在（空白）, a date, 所含备份组轮换后 …
    explanation: str  # the rules' sentence
    health: dict[str, Any]  # the last health snapshot recorded, {} if none

    @property
    def bytes_remaining(self) -> int:
        return max(0, self.capacity_bytes - self.bytes_written)

    @property
    def pool_text(self) -> str:
        """The pool as an operator reads it: the built-in `default` pool is 默认."""
        return pool_text(self.pool)


@dataclass(frozen=True)
class GroupEntry:
    name: str
    active: bool
    runs: int
    opened_at: str
    rotated_out_at: str | None


@dataclass(frozen=True)
class LifecycleStatus:
    cartridges: list[CartridgeEntry]
    groups: list[GroupEntry]


@dataclass(frozen=True)
class FreedCartridge:
    barcode: str
    free_at: datetime


@dataclass(frozen=True)
class PreviewLine:
    kind: str  # the rules' PreviewKind code
    subject: str  # a group name or a barcode
    at: datetime | None
    sentence: str


@dataclass(frozen=True)
class RotationPreview:
    """What the next monthly backup will open, rotate out, free and erase."""

    next_backup_at: datetime
    group: str
    action: str  # the rules' RotationAction code
    run_number: int
    keep: int  # active groups kept
    auto_erase: bool
    rotating_out: list[str]
    erased: list[str]
    freed: list[FreedCartridge]
    items: list[PreviewLine]
    alerts: list[str]
    explanation: str

    @property
    def next_backup_text(self) -> str:
        return format_minute(self.next_backup_at)


class LifecycleDeps(LifecycleServices, Protocol):
    """The inventory and groups views, the settings in force, the ledger and the outbox."""


def free_when(verdict: ExpiryVerdict, now: datetime) -> str:
    if verdict.free_at is not None:
        day = format_day(verdict.free_at)
        return f"现在（{day} 起）" if verdict.free_at <= now else day
    return _FREE_WITHOUT_DATE.get(verdict.reason, "不适用")


def rotation_preview(shown: Preview, auto_erase: bool) -> RotationPreview:
    """The rules' preview of the next monthly backup, as the faces show it."""
    decision = shown.decision
    return RotationPreview(
        next_backup_at=shown.next_backup_at, group=decision.group, action=decision.action.value,
        run_number=decision.run_number, keep=decision.keep, auto_erase=auto_erase,
        rotating_out=list(shown.rotating_out), erased=list(shown.erased),
        freed=[FreedCartridge(f.volser, f.free_at) for f in shown.freed],
        items=[PreviewLine(i.kind.value, i.subject, i.at, i.sentence) for i in shown.items],
        alerts=list(shown.alerts), explanation=decision.explanation,
    )


def cartridge_entries(deps: LifecycleServices, now: datetime) -> list[CartridgeEntry]:
    """Every cartridge in barcode order, with its lifecycle verdict at `now`."""
    default_retention = int(deps.effective("default_retention_months"))
    return [CartridgeEntry(
        barcode=row["barcode"], media_type=row["media_type"], status=row["status"],
        status_label=STATUS_LABELS.get(row["status"]), pool=row["pool"], location=row["location"],
        location_text=location_text(row["location"]), worm=row["worm"],
        volume_serial=row["volume_serial"], label_sequence=row["label_sequence"],
        capacity_bytes=row["capacity_bytes"], bytes_written=row["bytes_written"],
        package_count=row["package_count"], groups=list(row["groups"]), retention_months=row["retention_months"],
        retention_in_force=row["retention_months"] or default_retention, reason=verdict.reason.value,
        expired=verdict.expired, free_at=verdict.free_at, retention_ends_at=verdict.retention_ends_at,
        free_when=free_when(verdict, now), explanation=verdict.explanation, health=row["health"],
    ) for row, verdict in lifecycle.status(deps, now)]


class Lifecycle:
    def __init__(self, deps: LifecycleDeps) -> None:
        self._deps = deps

    def status(self, now: datetime | None = None) -> LifecycleStatus:
        """When each cartridge becomes free and why, and the backup groups that decide it."""
        at = now or clock.now()
        cartridges = cartridge_entries(self._deps, at)
        groups = [GroupEntry(row["name"], bool(row["active"]), row["runs"], row["opened_at"], row["rotated_out_at"])
                  for row in self._deps.groups.all()]
        return LifecycleStatus(cartridges, groups)

    def preview(self, now: datetime | None = None) -> RotationPreview:
        """The next monthly backup under the schedule and settings in force: rotation, frees, erases."""
        try:
            shown = lifecycle.preview(self._deps, now or clock.now())
        except (RuleError, ValueError) as error:  # a cron that never fires, groups running backwards, bad data
            raise CannotPreview(f"无法预览：{error}") from None
        return rotation_preview(shown, bool(self._deps.effective("auto_erase_expired")))

    def check(self, *, actor: str, now: datetime | None = None) -> CheckSummary:
        """Run the retention check now: mark newly expired cartridges, report (and queue) interlock conflicts."""
        return lifecycle.check(self._deps, now or clock.now(), by=actor)
