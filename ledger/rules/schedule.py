"""Cron helpers with real cron semantics (through croniter).

Expressions are the classic five fields — minute, hour, day of month, month, day of week — plus the
usual aliases (@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly). Six- and
seven-field forms (seconds, years) are refused: the settings page and ``.env`` speak standard cron.
When both day of month and day of week are restricted, a day matching either fires, as in cron.

Time zones: every function takes naive or aware datetimes and answers in the same kind.
  * Naive datetimes are local wall-clock time; the schedule is matched on that wall clock.
  * Aware datetimes are matched on the wall clock of their own tzinfo (use a ZoneInfo to get the
    daylight-saving rules; a run inside a skipped hour moves to the first valid minute after it).
Never mix the two in one call: comparing them is meaningless and is refused with a Chinese error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from croniter import CroniterBadDateError, CroniterError, croniter

from ledger.rules.errors import RuleError
from ledger.rules.months import format_minute

_FIELDS = (
    ("分钟", "0–59"),
    ("小时", "0–23"),
    ("日", "1–31"),
    ("月", "1–12 或 jan–dec"),
    ("星期", "0–7 或 sun–sat"),
)
_ALIASES = frozenset({"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"})
# Upper bound on how many missed slots are counted; a minute-by-minute schedule over a long outage
# would otherwise walk millions of times for a number nobody needs exactly.
MAX_COUNTED_MISSED = 1000


class CronError(RuleError):
    """An invalid cron expression; the message names the problem in Chinese."""

    default_message = "cron 表达式无效"


def validate_cron(expr: str) -> str:
    """Return the expression normalised (single spaces), or raise CronError naming the problem."""
    if not isinstance(expr, str) or not expr.strip():
        raise CronError("cron 表达式不能为空")
    text = " ".join(expr.split())
    if text.startswith("@"):
        if text.lower() not in _ALIASES:
            raise CronError(f"不支持的 cron 别名“{text}”，可用：{'、'.join(sorted(_ALIASES))}")
        return text.lower()
    fields = text.split(" ")
    if len(fields) != 5:
        raise CronError(
            f"cron 表达式“{text}”应有 5 个字段（分钟 小时 日 月 星期），实际有 {len(fields)} 个"
        )
    for position, (value, (label, allowed)) in enumerate(zip(fields, _FIELDS, strict=True)):
        probe = ["*"] * 5
        probe[position] = value
        if not croniter.is_valid(" ".join(probe)):
            raise CronError(
                f"cron 表达式“{text}”的第 {position + 1} 个字段（{label}）“{value}”无效，允许的取值为 {allowed}"
            )
    if not croniter.is_valid(text):
        raise CronError(f"cron 表达式“{text}”无效")
    # A valid grammar can still describe a date that never comes (30 February); find out now rather
    # than at the first scheduling attempt.
    try:
        croniter(text, datetime(2000, 1, 1)).get_next(datetime)
    except CroniterBadDateError as error:
        raise CronError(f"cron 表达式“{text}”永远不会触发（例如 2 月 30 日这样不存在的日期）") from error
    return text


def _iterator(expr: str, start: datetime) -> croniter:
    return croniter(validate_cron(expr), start)


def next_run(expr: str, after: datetime) -> datetime:
    """The first scheduled moment strictly after ``after``."""
    try:
        return _iterator(expr, after).get_next(datetime)
    except CroniterError as error:
        raise CronError(f"无法计算 cron 表达式“{expr}”在 {format_minute(after)} 之后的运行时间") from error


def previous_run(expr: str, before: datetime) -> datetime:
    """The last scheduled moment strictly before ``before``."""
    try:
        return _iterator(expr, before).get_prev(datetime)
    except CroniterError as error:
        raise CronError(f"无法计算 cron 表达式“{expr}”在 {format_minute(before)} 之前的运行时间") from error


@dataclass(frozen=True)
class CatchUp:
    """The catch-up decision after the service was down.

    ``run_at`` is the scheduled moment to run now (the most recent missed one) or None. Older
    missed slots are never run: one catch-up stands for them all. ``missed`` counts the scheduled
    slots in (last_run, now], capped at MAX_COUNTED_MISSED.
    """

    run_at: datetime | None
    missed: int
    latest_missed: datetime | None
    explanation: str


def _same_kind(*moments: datetime) -> None:
    kinds = {m.tzinfo is not None and m.utcoffset() is not None for m in moments}
    if len(kinds) > 1:
        raise ValueError("时间必须同为带时区或同为不带时区（本地时间），不能混用")


def missed_runs(expr: str, last_run: datetime | None, now: datetime, window: timedelta) -> CatchUp:
    """Decide whether a run missed while the service was down is caught up now.

    ``last_run`` is the scheduled moment of the last run that happened (or was caught up); after a
    catch-up the caller records ``run_at`` as the new ``last_run``, so the same slot is caught up
    once only. A missed slot is caught up only when it lies within ``window`` before ``now``: a
    monthly backup missed by a day is still wanted, one missed by three weeks is not — the next
    regular run is closer. With ``last_run`` None (never ran) nothing is caught up, so a first start
    does not fire a surprise full backup.
    """
    if window <= timedelta(0):
        raise ValueError("补跑窗口必须大于 0")
    expr = validate_cron(expr)
    if last_run is None:
        upcoming = next_run(expr, now)
        return CatchUp(None, 0, None, f"该任务从未运行过，不补跑；下次运行时间为 {format_minute(upcoming)}。")
    _same_kind(last_run, now)
    if now <= last_run:
        return CatchUp(None, 0, None, "没有错过的运行。")

    # Scheduled slots in (last_run, now]: "now" itself counts, since its run has not been recorded.
    slots = croniter(expr, now + timedelta(microseconds=1))
    latest: datetime | None = None
    missed = 0
    while missed < MAX_COUNTED_MISSED:
        slot = slots.get_prev(datetime)
        if slot <= last_run:
            break
        latest = latest or slot
        missed += 1

    if latest is None:
        return CatchUp(None, 0, None, "没有错过的运行。")
    if now - latest > window:
        upcoming = next_run(expr, now)
        return CatchUp(
            None, missed, latest,
            f"错过了 {format_minute(latest)} 的运行，已超出补跑窗口（{_format_window(window)}），"
            f"不再补跑；下次运行时间为 {format_minute(upcoming)}。",
        )
    at_least = "至少 " if missed >= MAX_COUNTED_MISSED else ""
    skipped = f"，更早错过的 {at_least}{missed - 1} 次不再补跑" if missed > 1 else ""
    return CatchUp(
        latest, missed, latest,
        f"服务停止期间错过了 {format_minute(latest)} 的运行，现在补跑一次{skipped}。",
    )


def _format_window(window: timedelta) -> str:
    seconds = int(window.total_seconds())
    if seconds % 86400 == 0:
        return f"{seconds // 86400} 天"
    if seconds % 3600 == 0:
        return f"{seconds // 3600} 小时"
    if seconds % 60 == 0:
        return f"{seconds // 60} 分钟"
    return f"{seconds} 秒"
