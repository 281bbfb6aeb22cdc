"""Calendar-month arithmetic and the date formats shown to users."""

from __future__ import annotations

import calendar
from datetime import datetime


def add_months(moment: datetime, months: int) -> datetime:
    """Return ``moment`` moved by whole calendar months, clamping the day to the target month.

    Retention is stated in months, and users read "6 个月" as the same day six months later, not as
    a fixed number of days. When the day does not exist in the target month it is clamped to the
    month's last day (31 January + 1 month = 28 or 29 February), as calendars and contracts do.
    Time of day and tzinfo are kept unchanged.
    """
    index = moment.year * 12 + (moment.month - 1) + months
    year, month0 = divmod(index, 12)
    month = month0 + 1
    if not 1 <= year <= 9999:
        raise ValueError(f"日期超出可表示的范围：{moment:%Y-%m-%d} 加 {months} 个月")
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def format_day(moment: datetime) -> str:
    """A date as users read it in sentences: 2026-09-02."""
    return f"{moment:%Y-%m-%d}"


def format_minute(moment: datetime) -> str:
    """A moment to the minute, used for scheduled runs: 2026-07-01 02:00."""
    return f"{moment:%Y-%m-%d %H:%M}"
