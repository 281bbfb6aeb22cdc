"""Tape lifecycle over the ledger: when each cartridge becomes free, what the next backup will
rotate and erase, and the retention check that marks expired cartridges (R6, B4).

The rules themselves are the pure functions in ``ledger.rules``; this module only feeds them the
inventory and groups views and records what they decide. Erasing is the tape layer's work.

Times: the rules show dates in the wall clock of the datetimes they get, and cron schedules match
on it, so every moment is turned into this host's local time first (the ledger stores UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ledger.rules import (
    CartridgeKind,
    CartridgeState,
    ExpiryVerdict,
    GroupState,
    Preview,
    erase_allowed,
    expiry_of,
    next_run,
)
from ledger.rules import preview as preview_rules
from ledger.rules.months import format_day
from media.ports import LifecycleServices
from notify.outbox import QueuedNotice, deliver_now, notify_event
from notify.templates import EventKind

CHECK_COMPONENT = "磁带存活期检查"


def local(moment: datetime) -> datetime:
    return moment.astimezone()


def _moment(text: str | None) -> datetime | None:
    return local(datetime.fromisoformat(text)) if text else None


def refresh(services: LifecycleServices, *also: str) -> None:
    """Bring the views this module reads (and ``also`` those it wrote through) up to the ledger."""
    services.projector.catch_up(["inventory", "groups", *also])


def cartridge_state(row: dict[str, Any], default_retention: int) -> CartridgeState:
    """The rules' view of one inventory row; a retention never set means the default in force.

    The inventory clears the write date on erase and relabel, so a blank cartridge never ages.
    """
    return CartridgeState(
        volser=row["barcode"],
        last_written_at=_moment(row["last_written_at"]),
        retention_months=row["retention_months"] or default_retention,
        own_retention=row["retention_months"] is not None,
        groups=tuple(row["groups"]),
        kind=CartridgeKind.CLEANING if row["media_type"] == "CLN" or row["status"] == "cleaning"
        else CartridgeKind.DATA,
        worm=row["worm"],
        retired=row["status"] == "retired",
    )


def group_states(services: LifecycleServices) -> list[GroupState]:
    return [GroupState(name=row["name"], opened_at=local(datetime.fromisoformat(row["opened_at"])),
                       active=row["active"], runs=row["runs"], rotated_out_at=_moment(row["rotated_out_at"]))
            for row in services.groups.all()]


def _cartridges(services: LifecycleServices) -> list[tuple[dict[str, Any], CartridgeState]]:
    default_retention = int(services.effective("default_retention_months"))
    return [(row, cartridge_state(row, default_retention)) for row in services.inventory.all()]


def status(services: LifecycleServices, now: datetime) -> list[tuple[dict[str, Any], ExpiryVerdict]]:
    """Every cartridge with when it becomes free and why, in barcode order."""
    refresh(services)
    groups = group_states(services)
    at = local(now)
    return [(row, expiry_of(state, groups, at)) for row, state in _cartridges(services)]


def preview(services: LifecycleServices, now: datetime) -> Preview:
    """What the next monthly backup will open, rotate out, free and erase."""
    refresh(services)
    at = local(now)
    next_backup_at = next_run(str(services.effective("monthly_backup_cron")), at)
    return preview_rules([state for _, state in _cartridges(services)], group_states(services), at,
                         next_backup_at, keep=int(services.effective("active_groups")),
                         auto_erase=bool(services.effective("auto_erase_expired")))


@dataclass(frozen=True)
class CheckSummary:
    """What one retention check found and recorded."""

    checked: int
    expired: list[tuple[str, str]]  # newly marked: (barcode, why)
    already_expired: list[str]
    alerts: list[tuple[str, str]]  # interlock conflicts: (barcode, alert)
    notifications: int  # newly queued
    by: str  # who ran the check


def check(services: LifecycleServices, now: datetime, by: str) -> CheckSummary:
    """The retention check: mark newly expired cartridges, and report interlock conflicts.

    Each conflict queues a system_exception notification once per cartridge and day, so the daily
    check repeats a standing conflict daily and a re-run on the same day stays quiet.
    """
    refresh(services)
    groups = group_states(services)
    at = local(now)
    cartridges = _cartridges(services)
    expired: list[tuple[str, str]] = []
    already: list[str] = []
    alerts: list[tuple[str, str]] = []
    queued: list[QueuedNotice] = []
    for row, state in cartridges:
        verdict = expiry_of(state, groups, at)
        barcode = row["barcode"]
        if verdict.expired and row["status"] == "expired":
            already.append(barcode)
        elif verdict.expired:
            # Cartridge.Expired has no actor field; the reason names who ran the check.
            services.ledger.expire_cartridge(barcode, f"{verdict.explanation}（存活期检查，执行人 {by}）")
            expired.append((barcode, verdict.explanation))
        alert = erase_allowed(state, groups, at).alert
        if alert is not None:
            alerts.append((barcode, alert))
            queued += _raise_alert(services, barcode, alert, at)
    # Whoever ran the check delivers what it queued at once (the worker's pass is only the backstop).
    deliver_now(services, now, queued)
    refresh(services, "notifications")
    return CheckSummary(len(cartridges), expired, already, alerts, sum(1 for notice in queued if notice.created), by)


def _raise_alert(services: LifecycleServices, barcode: str, alert: str, at: datetime) -> list[QueuedNotice]:
    """Queue the interlock conflict as a system exception (once per cartridge and day)."""
    context = {"component": CHECK_COMPONENT, "host": services.settings.host_name, "occurred_at": at,
               "message": alert}
    return notify_event(services, EventKind.SYSTEM_EXCEPTION, context, f"interlock:{barcode}:{format_day(at)}")
