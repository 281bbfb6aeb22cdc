"""A cron expression in words, and its next runs: what the settings page shows beside each schedule.

Pure functions over the grammar `ledger.rules.schedule` accepts (five fields or an alias, croniter's
semantics): `describe_cron("0 2 1 * *")` is "每月 1 日 02:00"; `next_runs(expr, after)` the next five
moments strictly after `after`, in the same kind (naive local or aware) as `after`.

The words follow the fields as croniter expands them, so `1-5`, `mon-fri` and `1,2,3,4,5` read the
same, and a field that covers its whole range reads as "every". When both the day of month and the
day of week are restricted, a day matching either fires (cron's rule), and the words say "或".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from croniter import CroniterError, croniter

from ledger.rules.months import format_minute
from ledger.rules.schedule import CronError, validate_cron

WEEKDAYS = ("周日", "周一", "周二", "周三", "周四", "周五", "周六")
NEXT_RUNS = 5
# Up to this many clock times are listed one by one ("08:00、12:00、18:00"); more read as a pattern.
MAX_LISTED_TIMES = 6
# (low, high) of minute, hour, day of month, month, day of week, as croniter numbers them.
_BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))


@dataclass(frozen=True)
class _Spread:
    """How a field's values lie: one value, every `step` from `start` to the end of the range, a
    range `start`–`end` (every `step`), or a plain list."""

    kind: str  # one, every, range, list
    values: tuple[int, ...]
    start: int = 0
    end: int = 0
    step: int = 1


def _spread(values: list[int], low: int, high: int) -> _Spread:
    ordered = tuple(sorted(set(values)))
    if len(ordered) == 1:
        return _Spread("one", ordered, ordered[0], ordered[0])
    steps = {b - a for a, b in zip(ordered, ordered[1:], strict=False)}
    if len(steps) == 1:
        step = steps.pop()
        start, end = ordered[0], ordered[-1]
        if step > 1 and end + step > high and (len(ordered) >= 3 or start == low):
            return _Spread("every", ordered, start, end, step)
        if len(ordered) >= 3:
            return _Spread("range", ordered, start, end, step)
    return _Spread("list", ordered)


def _numbers(values: tuple[int, ...], unit: str) -> str:
    return "、".join(str(value) for value in values) + unit


def _minute_words(spread: _Spread) -> str:
    if spread.kind == "one":
        return f"第 {spread.start} 分"
    if spread.kind == "every":
        return f"每 {spread.step} 分钟" if spread.start == 0 else f"从第 {spread.start} 分起每 {spread.step} 分钟"
    if spread.kind == "range":
        return (f"第 {spread.start}–{spread.end} 分的每分钟" if spread.step == 1
                else f"第 {spread.start}–{spread.end} 分之间每 {spread.step} 分钟")
    return "第 " + _numbers(spread.values, " 分")


def _hour_words(spread: _Spread) -> str:
    if spread.kind == "one":
        return f"{spread.start} 点"
    if spread.kind == "every":
        return f"每 {spread.step} 小时" if spread.start == 0 else f"从 {spread.start} 点起每 {spread.step} 小时"
    if spread.kind == "range":
        return (f"{spread.start}–{spread.end} 点" if spread.step == 1
                else f"{spread.start}–{spread.end} 点之间每 {spread.step} 小时")
    return _numbers(spread.values, " 点")


def _time_words(minutes: _Spread | None, hours: _Spread | None) -> str:
    """The time of day: "02:00", "每 15 分钟", "9–17 点的整点" …"""
    if minutes is None:
        return "每分钟" if hours is None else f"{_hour_words(hours)}的每分钟"
    on_the_hour = minutes.kind == "one" and minutes.start == 0
    if hours is None:
        if minutes.kind == "one":
            return "每小时整点" if on_the_hour else f"每小时{_minute_words(minutes)}"
        return _minute_words(minutes) if minutes.kind == "every" else f"每小时{_minute_words(minutes)}"
    if minutes.kind == "one" and len(hours.values) <= MAX_LISTED_TIMES:
        return "、".join(f"{hour:02d}:{minutes.start:02d}" for hour in hours.values)
    return f"{_hour_words(hours)}的{'整点' if on_the_hour else _minute_words(minutes)}"


def _day_of_month_words(days: _Spread | None, last: bool, nearest: set[int]) -> str:
    """"1 日", "1–7 日", "最后一天", "离 15 日最近的工作日" … (without 每月)."""
    parts = [f"离 {day} 日最近的工作日" for day in sorted(nearest)]
    plain = [day for day in (days.values if days else ()) if day not in nearest]
    if plain:
        spread = _spread(plain, 1, 31)
        if spread.kind == "every" and len(spread.values) > MAX_LISTED_TIMES:
            parts.insert(0, f"从 {spread.start} 日起每 {spread.step} 天")
        elif spread.kind == "range" and spread.step == 1:
            parts.insert(0, f"{spread.start}–{spread.end} 日")
        else:
            parts.insert(0, _numbers(spread.values, " 日"))
    if last:
        parts.append("最后一天")
    return "、".join(parts)


def _weekday_words(weekdays: _Spread, nth: dict[int, set[int | str]]) -> tuple[str, bool]:
    """The days of week and whether they need a month ("第 2 个周五"): ("周一至周五", False)."""
    if nth:
        parts = []
        for day in weekdays.values:
            for which in sorted(nth.get(day, ()), key=lambda n: (isinstance(n, str), str(n))):
                parts.append(f"最后一个{WEEKDAYS[day]}" if which == "l" else f"第 {which} 个{WEEKDAYS[day]}")
        return "、".join(parts), True
    if weekdays.kind == "range" and weekdays.step == 1:
        return f"{WEEKDAYS[weekdays.start]}至{WEEKDAYS[weekdays.end]}", False
    return "、".join(WEEKDAYS[day] for day in weekdays.values), False


def _month_frame(months: _Spread | None) -> str:
    if months is None:
        return "每月"
    if months.kind == "every":
        return f"每 {months.step} 个月（{_numbers(months.values, ' 月')}）"
    if months.kind == "range" and months.step == 1:
        return f"每年 {months.start}–{months.end} 月"
    return "每年 " + _numbers(months.values, " 月")


def _joined(frame: str, words: str) -> str:
    """"每月" + "1 日" → "每月 1 日"; "每月" + "最后一天" → "每月最后一天"; after a bracket, "的"."""
    return frame + ("的" if frame.endswith("）") else "") + (" " if words[0].isdigit() else "") + words


def _day_words(days: _Spread | None, last: bool, nearest: set[int], months: _Spread | None,
               weekdays: _Spread | None, nth: dict[int, set[int | str]]) -> str:
    """Which days: "每天", "每月 1 日", "每周一至周五", "每年 1 月 1 日", "每月 1 日或每周一" …"""
    frame = _month_frame(months)
    phrases = []
    if days is not None or last or nearest:
        phrases.append(_joined(frame, _day_of_month_words(days, last, nearest)))
    if weekdays is not None:
        words, monthly = _weekday_words(weekdays, nth)
        if monthly:
            phrases.append(f"{frame}的{words}" if months is not None else f"每月{words}")
        else:
            phrases.append(f"{frame}的每{words}" if months is not None else f"每{words}")
    if not phrases:
        return "每天" if months is None else f"{frame}的每天"
    return "或".join(phrases)


def _field(values: list[int | str], index: int) -> _Spread | None:
    """The field's numbers as a spread, or None when it covers its whole range ('*')."""
    low, high = _BOUNDS[index]
    numbers = [value for value in values if isinstance(value, int)]
    if values == ["*"] or not numbers or set(numbers) >= set(range(low, high + 1)):
        return None
    return _spread(numbers, low, high)


def describe_cron(expr: str) -> str:
    """The schedule in Chinese words: "每月 1 日 02:00", "每周一至周五 9–17 点的每 15 分钟".

    A malformed expression raises CronError naming the problem (as `validate_cron` does).
    """
    parsed = croniter(validate_cron(expr))  # what validate_cron accepted, croniter reads
    expanded: list[list[int | str]] = [list(field) for field in parsed.expanded]
    minutes, hours, days, months, weekdays = (_field(values, index) for index, values in enumerate(expanded))
    last = "l" in expanded[2]
    nearest = {day for day in getattr(parsed, "nearest_weekday", set()) if isinstance(day, int)}
    nth: dict[int, set[int | str]] = {day: set(which) for day, which in parsed.nth_weekday_of_month.items()}
    if nth and weekdays is None:  # "5#2" alone expands its weekday; keep it as the field's value
        weekdays = _spread(sorted(nth), 0, 6)
    day = _day_words(days, last, nearest, months, weekdays, nth)
    time = _time_words(minutes, hours)
    if time.startswith(("每", "从")):
        return time if day == "每天" else f"{day}的{time}"
    return f"{day} {time}"


def next_runs(expr: str, after: datetime, count: int = NEXT_RUNS) -> list[datetime]:
    """The next `count` scheduled moments strictly after `after` (naive: local wall clock)."""
    if count < 1:
        raise ValueError("次数必须是正整数")
    text = validate_cron(expr)
    try:
        runs = croniter(text, after)
        return [runs.get_next(datetime) for _ in range(count)]
    except (CroniterError, ValueError, OverflowError) as error:  # past the calendar's end (year 9999)
        raise CronError(f"无法计算 cron 表达式“{text}”在 {format_minute(after)} 之后的运行时间") from error


def run_text(moment: datetime) -> str:
    """A run as people read it, with its day of week: "2026-07-01 02:00（周三）"."""
    return f"{format_minute(moment)}（{WEEKDAYS[moment.isoweekday() % 7]}）"
