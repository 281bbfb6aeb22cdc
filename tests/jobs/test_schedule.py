"""Scheduled work: due slots from the ledger's cron settings, claims, catch-up, controlled clock."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from huey import MemoryHuey

from jobs.schedule import SCHEDULES, catch_up_slot, due, local_minute, slot_key
from jobs.tasks import ScheduledWork


def local(*parts: int) -> datetime:
    return datetime(*parts).astimezone()  # an aware reading of the host's local wall clock


def crons(**overrides: str):  # noqa: ANN201
    table = {"monthly_backup_cron": "0 2 1 * *", "retention_check_cron": "0 3 * * *", "verify_cron": "0 4 * * 0",
             **overrides}
    return lambda schedule: table.get(schedule.cron_key, schedule.cron_key)


def names(found) -> set[str]:  # noqa: ANN001
    return {schedule.name for schedule, _ in found}


def test_the_monthly_backup_is_due_at_two_on_the_first() -> None:
    assert "monthly_backup" in names(due(local(2026, 6, 1, 2, 0, 30), crons()))
    assert "monthly_backup" not in names(due(local(2026, 6, 2, 2, 0), crons()))
    assert "retention_check" in names(due(local(2026, 6, 2, 3, 0), crons()))


def test_day_of_month_and_day_of_week_follow_real_cron_or_semantics() -> None:
    # 0 0 1 * 1: the 1st of the month OR any Monday (Huey's own crontab would require both)
    expr = crons(monthly_backup_cron="0 0 1 * 1")
    assert "monthly_backup" in names(due(local(2026, 6, 8, 0, 0), expr))  # a Monday, not the 1st
    assert "monthly_backup" in names(due(local(2026, 7, 1, 0, 0), expr))  # the 1st, a Wednesday


def test_slot_keys_name_the_minute() -> None:
    slot = local_minute(local(2026, 6, 1, 2, 0, 59))
    assert slot_key(SCHEDULES[0], slot) == "monthly_backup:2026-06-01T02:00"


def test_catch_up_runs_the_latest_missed_slot_once_within_the_window() -> None:
    monthly = SCHEDULES[0]
    ran_slots = {datetime(2026, 5, 1, 2, 0)}
    slot, sentence = catch_up_slot(monthly, "0 2 1 * *", local(2026, 6, 2, 9, 0), timedelta(hours=72),
                                   lambda s: s in ran_slots)
    assert slot == datetime(2026, 6, 1, 2, 0)
    assert "补跑" in sentence
    ran_slots.add(slot)
    again, _ = catch_up_slot(monthly, "0 2 1 * *", local(2026, 6, 2, 9, 5), timedelta(hours=72),
                             lambda s: s in ran_slots)
    assert again is None
    late, sentence = catch_up_slot(monthly, "0 2 1 * *", local(2026, 6, 20, 9, 0), timedelta(hours=72),
                                   lambda s: s in {datetime(2026, 5, 1, 2, 0)})
    assert late is None and "超出补跑窗口" in sentence


class FakeServices:
    """Just the settings a tick reads; the real Services are exercised in tests/cli."""

    def __init__(self) -> None:
        self.values = {"monthly_backup_cron": "0 2 1 * *", "retention_check_cron": "0 3 * * *",
                       "verify_cron": "0 4 * * 0", "monthly_report_cron": "30 6 1 * *", "scheduler_enabled": True,
                       "catch_up_window_hours": 72}

    def effective(self, key: str) -> object:
        return self.values[key]


@pytest.fixture
def work():  # noqa: ANN201
    huey = MemoryHuey(immediate=True)
    services = FakeServices()
    calls: list[tuple[str, datetime]] = []
    handlers = {
        "monthly_backup": lambda s, slot: calls.append(("monthly_backup", slot)),
        "monthly_backup.ran": lambda s, slot: any(c == ("monthly_backup", slot) for c in calls),
        "retention_check": lambda s, slot: calls.append(("retention_check", slot)),
    }
    scheduled = ScheduledWork(huey, lambda: services, handlers)
    scheduled._caught_up = True
    return scheduled, services, calls


def test_changing_the_cron_in_settings_changes_the_next_run_without_a_restart(work) -> None:  # noqa: ANN001
    scheduled, services, calls = work
    scheduled.tick(local(2026, 6, 1, 2, 0))
    assert calls == [("monthly_backup", datetime(2026, 6, 1, 2, 0))]
    services.values["monthly_backup_cron"] = "30 3 1 * *"
    scheduled.tick(local(2026, 7, 1, 2, 0))
    assert len(calls) == 1
    scheduled.tick(local(2026, 7, 1, 3, 30))
    assert calls[-1] == ("monthly_backup", datetime(2026, 7, 1, 3, 30))


def test_a_slot_is_claimed_once_even_if_two_ticks_see_it(work) -> None:  # noqa: ANN001
    scheduled, _, calls = work
    scheduled.tick(local(2026, 6, 2, 3, 0, 1))
    scheduled.tick(local(2026, 6, 2, 3, 0, 40))
    assert calls == [("retention_check", datetime(2026, 6, 2, 3, 0))]


def test_scheduler_disabled_runs_nothing(work) -> None:  # noqa: ANN001
    scheduled, services, calls = work
    services.values["scheduler_enabled"] = False
    assert scheduled.tick(local(2026, 6, 1, 2, 0)) == []
    assert calls == []


def test_the_first_tick_after_a_start_catches_up_a_missed_backup(work) -> None:  # noqa: ANN001
    scheduled, _, calls = work
    calls.append(("monthly_backup", datetime(2026, 5, 1, 2, 0)))
    reports: list[str] = []
    scheduled.handlers["report"] = lambda s, sentence: reports.append(sentence)
    scheduled._caught_up = False
    queued = scheduled.tick(local(2026, 6, 1, 20, 0))
    assert queued == ["monthly_backup:2026-06-01T02:00"]
    assert calls[-1] == ("monthly_backup", datetime(2026, 6, 1, 2, 0))
    assert reports and "补跑" in reports[0]
    assert scheduled.tick(local(2026, 6, 1, 20, 1)) == []
