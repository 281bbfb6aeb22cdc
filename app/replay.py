"""Audit replay (R2): the whole system as it stood at a past moment, from the ledger alone.

The read models are rebuilt in memory up to the chosen event (`projections.replay`), and the very
verbs that answer "now" — the lifecycle status, the job history, the notification log, the settings
in force — are asked again over them, with the settings as the ledger says they were then. So a
replay answers exactly as the live system did at that moment, and expiry is judged by the same
lifecycle rules at the replayed moment. The live views are not touched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from app.backups import JobRow, job_row
from app.errors import BadRequest
from app.lifecycle import CartridgeEntry, GroupEntry, Lifecycle
from app.notifications import LogEntry, Notifications
from app.settings import RuntimeSettings, SettingRow, SettingsService
from ledger.application import Ledger
from media.ports import LifecycleServices
from media.replayed import ReplayedServices
from projections.replay import Replay, SettingsAsOf, event_time, position_at, settings_as_of

VIEWS = ("inventory", "groups", "settings", "jobs", "notifications")
VIEW_LABELS = {"inventory": "磁带库存", "groups": "备份组", "settings": "生效的设置", "jobs": "任务历史",
               "notifications": "通知日志"}
# The replayed read models each answer needs (the settings come from their events directly).
_NEEDS = {"inventory": ("inventory", "groups"), "groups": ("inventory", "groups"), "settings": (),
          "jobs": ("jobs",), "notifications": ("notifications",)}
_ALL = 1_000_000_000  # every row: a replay shows the whole history as of its moment
BAD_MOMENT = "无法识别的时刻“{text}”：请写日期（2026-03-15）、日期和时间（2026-03-15 14:30）或事件序号（1234）"


class ReplayBase(LifecycleServices, Protocol):
    """What a replay reads from the live installation: the ledger, and the settings in force now
    (for values never changed through the ledger)."""

    @property
    def runtime(self) -> RuntimeSettings: ...


@dataclass(frozen=True)
class Replayed:
    """The state as of `position` — the last event it includes — shown as at `at`."""

    position: int
    at: datetime
    head: int  # the ledger's newest event now
    views: list[str]
    cartridges: list[CartridgeEntry]
    groups: list[GroupEntry]
    settings: list[SettingRow]
    jobs: list[JobRow]  # backups and restores, newest first
    notifications: list[LogEntry]  # newest first


class RuntimeAsOf(RuntimeSettings):
    """The settings in force at a replayed moment, as `SettingsService.show` reads them."""

    def __init__(self, live: RuntimeSettings, as_of: SettingsAsOf) -> None:
        super().__init__(live.env, live.ledger, live.secret_box)
        self.as_of = as_of

    def changed(self) -> dict[str, Any]:
        return {key: setting.value for key, setting in self.as_of.changed.items()}

    def effective(self, key: str, changed: Mapping[str, Any] | None = None) -> Any:
        return self.as_of.value(key, super().effective)  # the replayed values, whatever the caller read

    def secret(self, key: str) -> str:
        return ""  # a replay shows settings, it never uses a secret


class AsOf(ReplayedServices):
    """The live verbs' dependencies answered from a replay, with what the settings service reads."""

    def __init__(self, live: ReplayBase, replay: Replay, settings: SettingsAsOf) -> None:
        super().__init__(live, replay, settings)
        self.runtime = RuntimeAsOf(live.runtime, settings)


def parse_moment(ledger: Ledger, text: str) -> tuple[int, datetime]:
    """TIME as (the last event it includes, the moment the state is shown as at).

    An event number stands for the moment of that event; a date for the end of that day; a date and
    time (local unless it names its zone) for itself.
    """
    value = str(text).strip()
    head = ledger.head_id()
    if value.isdigit():
        position = int(value)
        if not 1 <= position <= head:
            raise BadRequest(f"台账中没有第 {position} 号事件（现有 1–{head} 号）")
        found = ledger.recorder.select_notifications(position, 1, stop=position)
        if not found:
            raise BadRequest(f"台账中没有第 {position} 号事件")
        return position, event_time(ledger, found[0])
    try:
        moment = datetime.fromisoformat(value)
        if not 1900 <= moment.year <= 2999:  # the end of day 9999-12-31 or local time of year 1 overflow
            raise ValueError(value)
        if len(value) == 10:  # a bare date: as of the end of that day
            moment += timedelta(days=1) - timedelta(microseconds=1)
        moment = moment.astimezone() if moment.tzinfo is None else moment
    except (ValueError, OverflowError):
        raise BadRequest(BAD_MOMENT.format(text=text)) from None
    return position_at(ledger, moment), moment


def replay(live: ReplayBase, until: str, views: Sequence[str] = ()) -> Replayed:
    """The state of `views` (default: all) as of `until`, rebuilt in memory from the ledger."""
    unknown = [name for name in views if name not in VIEWS]
    if unknown:
        raise BadRequest(f"没有名为 {unknown[0]} 的回放视图。可选：{'、'.join(VIEWS)}")
    shown = list(views) or list(VIEWS)
    position, at = parse_moment(live.ledger, until)
    names = sorted({name for view in shown for name in _NEEDS[view]})
    rebuilt = Replay(live.ledger, names)
    try:
        rebuilt.advance(position)
        as_of = AsOf(live, rebuilt, settings_as_of(live.ledger, position))
        status = Lifecycle(as_of).status(at) if {"inventory", "groups"} & set(shown) else None
        # The rows as recorded: the live history's "interrupted" is about processes alive now, not then.
        jobs = [job_row(row) for row in as_of.jobs.rows(limit=_ALL)] if "jobs" in shown else []
        return Replayed(
            position=position, at=at, head=live.ledger.head_id(), views=shown,
            cartridges=status.cartridges if status and "inventory" in shown else [],
            groups=status.groups if status and "groups" in shown else [],
            settings=SettingsService(as_of).show().runtime if "settings" in shown else [],
            jobs=jobs,
            notifications=Notifications(as_of).recent(_ALL) if "notifications" in shown else [],
        )
    finally:
        rebuilt.close()
