"""A cron expression in Chinese words and its next runs (ledger/rules/cron_text.py): every shape of
every field, the aliases, cron's "day of month or day of week", and malformed expressions refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from ledger.rules.cron_text import describe_cron, next_runs, run_text
from ledger.rules.schedule import CronError

# The defaults TAF ships (MISSION.md and app.settings.BUILTIN_DEFAULTS) and the fixed housekeeping.
DEFAULTS = [
    ("0 2 1 * *", "每月 1 日 02:00"),
    ("0 3 * * *", "每天 03:00"),
    ("0 4 * * 0", "每周日 04:00"),
    ("30 6 1 * *", "每月 1 日 06:30"),
    ("*/5 * * * *", "每 5 分钟"),
    ("17 * * * *", "每小时第 17 分"),
]
ALIASES = [
    ("@yearly", "每年 1 月 1 日 00:00"),
    ("@annually", "每年 1 月 1 日 00:00"),
    ("@monthly", "每月 1 日 00:00"),
    ("@weekly", "每周日 00:00"),
    ("@daily", "每天 00:00"),
    ("@midnight", "每天 00:00"),
    ("@hourly", "每小时整点"),
    ("@MONTHLY", "每月 1 日 00:00"),
]
TIMES = [
    ("* * * * *", "每分钟"),
    ("* 2 * * *", "每天 2 点的每分钟"),
    ("* 9-17 * * *", "每天 9–17 点的每分钟"),
    ("0 * * * *", "每小时整点"),
    ("5,20 * * * *", "每小时第 5、20 分"),
    ("0,5,7 * * * *", "每小时第 0、5、7 分"),
    ("0,30 * * * *", "每 30 分钟"),  # two values from 0 that repeat to the end of the hour
    ("5/15 * * * *", "从第 5 分起每 15 分钟"),
    ("10-50/10 * * * *", "从第 10 分起每 10 分钟"),
    ("0-10 * * * *", "每小时第 0–10 分的每分钟"),
    ("0-30/10 * * * *", "每小时第 0–30 分之间每 10 分钟"),
    ("0-59 * * * *", "每分钟"),  # the whole range is every minute
    ("0 8,12,18 * * *", "每天 08:00、12:00、18:00"),
    ("15 1/6 * * *", "每天 01:15、07:15、13:15、19:15"),
    ("0 */2 * * *", "每 2 小时的整点"),
    ("30 */2 * * *", "每 2 小时的第 30 分"),
    ("0 1/2 * * *", "从 1 点起每 2 小时的整点"),
    ("0 0-20/4 * * *", "每天 00:00、04:00、08:00、12:00、16:00、20:00"),
    ("0 0-21/3 * * *", "每 3 小时的整点"),  # 0, 3 … 21 is every third hour
    ("0 0-20/2 * * *", "每天 0–20 点之间每 2 小时的整点"),
    ("0 9-17 * * *", "每天 9–17 点的整点"),
    ("0 1,3,5,7,9,11,14 * * *", "每天 1、3、5、7、9、11、14 点的整点"),
    ("*/15 9-17 * * *", "每天 9–17 点的每 15 分钟"),
    ("0,30 8,20 * * *", "每天 8、20 点的每 30 分钟"),
]
DAYS = [
    ("0 0 1-7 * *", "每月 1–7 日 00:00"),
    ("0 0 1,15 * *", "每月 1、15 日 00:00"),
    ("0 0 */10 * *", "每月 1、11、21、31 日 00:00"),
    ("0 0 */2 * *", "每月从 1 日起每 2 天 00:00"),
    ("0 0 1-31 * *", "每天 00:00"),
    ("0 0 L * *", "每月最后一天 00:00"),
    ("0 0 1,L * *", "每月 1 日、最后一天 00:00"),
    ("0 0 15W * *", "每月离 15 日最近的工作日 00:00"),
    ("0 0 * * 1-5", "每周一至周五 00:00"),
    ("0 0 * * mon-fri", "每周一至周五 00:00"),
    ("0 0 * * 1,2,3,4,5", "每周一至周五 00:00"),
    ("0 0 * * 1,3,5", "每周一、周三、周五 00:00"),
    ("0 0 * * 1-5/2", "每周一、周三、周五 00:00"),
    ("0 0 * * 6,0", "每周日、周六 00:00"),
    ("0 0 * * 7", "每周日 00:00"),
    ("0 0 * * 0-6", "每天 00:00"),
    ("0 0 * * 5#2", "每月第 2 个周五 00:00"),
    ("0 0 * * 1#1,3#3", "每月第 1 个周一、第 3 个周三 00:00"),
    ("0 0 * * L5", "每月最后一个周五 00:00"),
    ("0 0 * * 0#1,1#1,2#1,3#1,4#1,5#1,6#1", "每月第 1 个周日、第 1 个周一、第 1 个周二、第 1 个周三、第 1 个周四、第 1 个周五、第 1 个周六 00:00"),
    ("0 0 1 * 1", "每月 1 日或每周一 00:00"),  # cron fires on either
    ("0 0 L * 5", "每月最后一天或每周五 00:00"),
]
MONTHS = [
    ("0 0 1 1 *", "每年 1 月 1 日 00:00"),
    ("0 0 29 2 *", "每年 2 月 29 日 00:00"),
    ("0 0 L 2 *", "每年 2 月最后一天 00:00"),
    ("0 0 * 2-11 *", "每年 2–11 月的每天 00:00"),
    ("0 0 * jan-mar sun", "每年 1–3 月的每周日 00:00"),
    ("0 0 * 6 1-5", "每年 6 月的每周一至周五 00:00"),
    ("0 0 * 6 5#1", "每年 6 月的第 1 个周五 00:00"),
    ("0 0 1 1,7 *", "每 6 个月（1、7 月）的 1 日 00:00"),
    ("0 0 1,15 */3 *", "每 3 个月（1、4、7、10 月）的 1、15 日 00:00"),
    ("0 0 * */2 *", "每 2 个月（1、3、5、7、9、11 月）的每天 00:00"),
    ("0 0 1 3,6,12 *", "每年 3、6、12 月 1 日 00:00"),
    ("0 0 L 2-4 *", "每年 2–4 月最后一天 00:00"),
    ("*/15 * * 12 *", "每年 12 月的每天的每 15 分钟"),
]
COMBINED = [
    ("*/15 9-17 * * mon-fri", "每周一至周五 9–17 点的每 15 分钟"),
    ("0 9-17/2 * * 1-5", "每周一至周五 09:00、11:00、13:00、15:00、17:00"),
    ("*/10 * * * 6", "每周六的每 10 分钟"),
    ("0 * 1 * *", "每月 1 日的每小时整点"),
    ("  0   2  1 *  * ", "每月 1 日 02:00"),  # spacing does not matter
]


@pytest.mark.parametrize(("expression", "words"), DEFAULTS + ALIASES + TIMES + DAYS + MONTHS + COMBINED)
def test_a_cron_expression_reads_in_chinese(expression: str, words: str) -> None:
    assert describe_cron(expression) == words


def test_the_words_follow_what_the_fields_mean_not_how_they_are_written() -> None:
    same = {describe_cron(text) for text in ("0 0 * * 1-5", "0 0 * * MON-FRI", "0 0 * * 1,2,3,4,5", "0 0 * * 1-5/1")}
    assert same == {"每周一至周五 00:00"}


@pytest.mark.parametrize(("expression", "problem"), [
    ("", "不能为空"),
    ("   ", "不能为空"),
    ("61 2 1 * *", "第 1 个字段（分钟）“61”无效，允许的取值为 0–59"),
    ("0 24 * * *", "第 2 个字段（小时）“24”无效"),
    ("0 0 32 * *", "第 3 个字段（日）“32”无效"),
    ("0 0 * 13 *", "第 4 个字段（月）“13”无效"),
    ("0 0 * * 8", "第 5 个字段（星期）“8”无效"),
    ("0 2 1 *", "应有 5 个字段（分钟 小时 日 月 星期），实际有 4 个"),
    ("0 0 2 1 * * 2030", "实际有 7 个"),
    ("@reboot", "不支持的 cron 别名"),
    ("0 0 30 2 *", "永远不会触发"),
    ("every day", "应有 5 个字段"),
])
def test_a_malformed_expression_is_refused_naming_the_problem(expression: str, problem: str) -> None:
    with pytest.raises(CronError, match=problem):
        describe_cron(expression)
    with pytest.raises(CronError, match=problem):
        next_runs(expression, datetime(2026, 1, 1))


def test_the_next_runs_come_strictly_after_the_given_moment_in_order() -> None:
    runs = next_runs("0 2 1 * *", datetime(2026, 6, 15, 8, 0))
    assert runs == [datetime(2026, month, 1, 2, 0) for month in (7, 8, 9, 10, 11)]
    on_the_slot = next_runs("0 2 1 * *", datetime(2026, 7, 1, 2, 0), count=2)
    assert on_the_slot == [datetime(2026, 8, 1, 2, 0), datetime(2026, 9, 1, 2, 0)]  # not the moment itself
    year_end = next_runs("0 3 * * *", datetime(2026, 12, 30, 12, 0), count=3)
    assert year_end == [datetime(2026, 12, 31, 3, 0), datetime(2027, 1, 1, 3, 0), datetime(2027, 1, 2, 3, 0)]


def test_the_next_runs_follow_cron_rules_for_last_days_leap_years_and_either_day() -> None:
    assert next_runs("0 0 L 2 *", datetime(2027, 1, 1), count=2) == [datetime(2027, 2, 28), datetime(2028, 2, 29)]
    assert next_runs("0 0 29 2 *", datetime(2026, 3, 1), count=2) == [datetime(2028, 2, 29), datetime(2032, 2, 29)]
    # 2026-06-01 is a Monday: "the 1st or a Monday" fires on the 1st, then each Monday.
    assert next_runs("0 0 1 * 1", datetime(2026, 5, 31, 12), count=3) == [
        datetime(2026, 6, 1), datetime(2026, 6, 8), datetime(2026, 6, 15)]
    assert next_runs("0 0 * * 5#2", datetime(2026, 6, 1), count=2) == [datetime(2026, 6, 12), datetime(2026, 7, 10)]
    assert len(next_runs("*/5 * * * *", datetime(2026, 1, 1), count=12)) == 12


def test_the_next_runs_keep_the_kind_and_zone_of_the_moment_given() -> None:
    aware = next_runs("0 2 1 * *", datetime(2026, 6, 15, tzinfo=UTC), count=1)[0]
    assert aware == datetime(2026, 7, 1, 2, tzinfo=UTC) and aware.tzinfo is not None
    shanghai = ZoneInfo("Asia/Shanghai")
    local = next_runs("0 2 1 * *", datetime(2026, 6, 15, tzinfo=shanghai), count=1)[0]
    assert local.utcoffset() == timedelta(hours=8) and (local.day, local.hour) == (1, 2)
    fixed = next_runs("30 6 * * *", datetime(2026, 6, 15, 7, tzinfo=timezone(timedelta(hours=-5))), count=1)[0]
    assert fixed == datetime(2026, 6, 16, 6, 30, tzinfo=timezone(timedelta(hours=-5)))
    # Across a daylight-saving change the wall clock is kept (Berlin, last Sunday of March 2026).
    berlin = ZoneInfo("Europe/Berlin")
    spring = next_runs("0 12 * * *", datetime(2026, 3, 28, 13, tzinfo=berlin), count=2)
    assert [(run.day, run.hour, run.utcoffset()) for run in spring] == [
        (29, 12, timedelta(hours=2)), (30, 12, timedelta(hours=2))]


def test_a_count_below_one_or_runs_past_the_calendar_are_refused() -> None:
    with pytest.raises(ValueError, match="次数必须是正整数"):
        next_runs("0 2 1 * *", datetime(2026, 1, 1), count=0)
    with pytest.raises(CronError, match="无法计算 cron 表达式“0 0 1 1 \\*”在 9999-06-01 00:00 之后的运行时间"):
        next_runs("0 0 1 1 *", datetime(9999, 6, 1))


@pytest.mark.parametrize(("moment", "text"), [
    (datetime(2026, 7, 1, 2, 0), "2026-07-01 02:00（周三）"),
    (datetime(2026, 7, 5, 23, 59), "2026-07-05 23:59（周日）"),
    (datetime(2026, 7, 4, 0, 0, 59), "2026-07-04 00:00（周六）"),
])
def test_a_run_reads_with_its_day_of_week(moment: datetime, text: str) -> None:
    assert run_text(moment) == text
