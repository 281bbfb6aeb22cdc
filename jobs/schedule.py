"""Which scheduled work is due: cron settings read from the ledger each minute, one claim per slot.

The schedules are plain data; `due` and `catch_up_slot` are pure functions over a clock reading and
the cron expressions in force, so a change in the settings takes effect at the next minute without
a restart. Cron is matched on the drive host's local wall clock (what an operator means by
"02:00 on the 1st").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from croniter import croniter

from ledger.rules.schedule import missed_runs


@dataclass(frozen=True)
class Schedule:
    name: str
    cron_key: str
    title: str
    catch_up: bool = False


SCHEDULES = (
    Schedule("monthly_backup", "monthly_backup_cron", "月度全备份", catch_up=True),
    Schedule("retention_check", "retention_check_cron", "存活期检查"),
    Schedule("verify", "verify_cron", "读回校验"),
    # Runs each slot; produces and sends the previous month's report only with monthly_report_enabled.
    Schedule("monthly_report", "monthly_report_cron", "月度报告"),
)
# Housekeeping that runs on fixed cadences rather than operator-set cron expressions. Delivering
# notifications is not among them: the worker delivers whether or not the schedules run (jobs.delivery).
FIXED = (
    Schedule("health_check", "*/5 * * * *", "系统健康检查"),
    Schedule("capacity_check", "17 * * * *", "容量告警检查"),
)


def local_minute(moment: datetime) -> datetime:
    """The minute a clock reading falls in, on the host's local wall clock, as a naive datetime."""
    local = moment.astimezone() if moment.tzinfo else moment
    return local.replace(second=0, microsecond=0, tzinfo=None)


def slot_key(schedule: Schedule, slot: datetime) -> str:
    return f"{schedule.name}:{slot.isoformat(timespec='minutes')}"


def due(now: datetime, cron_of: Callable[[Schedule], str], schedules: tuple[Schedule, ...] = SCHEDULES + FIXED
        ) -> list[tuple[Schedule, datetime]]:
    """The schedules whose cron matches the current minute, with that minute as their slot."""
    minute = local_minute(now)
    found = []
    for schedule in schedules:
        expr = cron_of(schedule)
        try:
            if croniter.match(expr, minute):
                found.append((schedule, minute))
        except (ValueError, KeyError):
            continue  # a bad expression cannot be stored (the ledger validates); stay safe regardless
    return found


def previous_slots(expr: str, now: datetime, count: int) -> list[datetime]:
    slots = croniter(expr, local_minute(now) + timedelta(seconds=1))
    return [slots.get_prev(datetime) for _ in range(count)]


def catch_up_slot(schedule: Schedule, expr: str, now: datetime, window: timedelta,
                  ran: Callable[[datetime], bool], lookback: int = 13) -> tuple[datetime | None, str]:
    """The missed slot to run now, if any, and a Chinese sentence saying what was decided.

    `ran(slot)` tells whether the slot's run exists (for the monthly backup: whether a job with the
    slot's idempotency key exists), so catching up twice is impossible: the second attempt finds
    the first one's job.
    """
    if window <= timedelta(0):
        return None, "补跑已关闭。"
    minute = local_minute(now)
    slots = previous_slots(expr, now, lookback)
    last_run = next((slot for slot in slots if ran(slot)), None)
    decision = missed_runs(expr, last_run, minute, window)
    if decision.run_at is not None and ran(decision.run_at):
        return None, "没有错过的运行。"
    return decision.run_at, f"{schedule.title}：{decision.explanation}"
