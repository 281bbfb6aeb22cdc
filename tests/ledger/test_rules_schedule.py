"""Cron helpers: validation, next and previous runs, catching up a missed run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kernel.errors import TafError
from ledger.rules.schedule import (
    MAX_COUNTED_MISSED,
    CronError,
    missed_runs,
    next_run,
    previous_run,
    validate_cron,
)

MONTHLY = "0 2 1 * *"
DAILY = "0 3 * * *"


def zone(name: str) -> ZoneInfo:
    # Windows has no system time zone database; without the tzdata package these cases are skipped.
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:
        pytest.skip(f"time zone {name} is not available on this machine")




# --- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize("expr", [MONTHLY, DAILY, "*/15 * * * *", "0 2 1 jan,jul *", "30 1 * * mon-fri", "0 0 L * *"])
def test_standard_five_field_expressions_are_valid(expr: str) -> None:
    assert validate_cron(expr) == expr


def test_extra_spaces_are_normalised() -> None:
    assert validate_cron("  0   2 1 *  * ") == MONTHLY


@pytest.mark.parametrize("alias", ["@monthly", "@daily", "@HOURLY", "@yearly", "@weekly"])
def test_the_usual_aliases_are_accepted(alias: str) -> None:
    assert validate_cron(alias) == alias.lower()


@pytest.mark.parametrize(
    ("expr", "complaint"),
    [
        ("", "不能为空"),
        ("   ", "不能为空"),
        ("0 2 1 *", "应有 5 个字段.*实际有 4 个"),
        ("0 0 2 1 * *", "应有 5 个字段.*实际有 6 个"),
        ("60 2 * * *", "第 1 个字段（分钟）“60”无效"),
        ("0 24 * * *", "第 2 个字段（小时）“24”无效"),
        ("0 2 32 * *", "第 3 个字段（日）“32”无效"),
        ("0 2 1 13 *", "第 4 个字段（月）“13”无效"),
        ("0 2 * * 8", "第 5 个字段（星期）“8”无效"),
        ("*/0 * * * *", "第 1 个字段（分钟）"),
        ("0 two * * *", "第 2 个字段（小时）"),
        ("0 2 30 2 *", "永远不会触发"),
        ("0 2 31 4,6,9,11 *", "永远不会触发"),
        ("@reboot", "不支持的 cron 别名"),
    ],
)
def test_an_invalid_expression_is_refused_with_a_chinese_reason_naming_the_problem(expr: str, complaint: str) -> None:
    with pytest.raises(CronError, match=complaint):
        validate_cron(expr)


def test_an_expression_that_is_not_text_is_refused() -> None:
    with pytest.raises(CronError, match="不能为空"):
        validate_cron(None)  # type: ignore[arg-type]


def test_a_cron_error_is_bad_input_for_every_face_and_no_longer_a_value_error() -> None:
    assert issubclass(CronError, TafError) and not issubclass(CronError, ValueError)
    assert (CronError.exit_code, CronError.http_status) == (2, 400)


# --- next and previous -------------------------------------------------------------------------


def test_the_monthly_backup_runs_at_two_on_the_first() -> None:
    assert next_run(MONTHLY, datetime(2026, 1, 15, 12)) == datetime(2026, 2, 1, 2)
    assert previous_run(MONTHLY, datetime(2026, 1, 15, 12)) == datetime(2026, 1, 1, 2)


def test_next_run_is_strictly_after_a_scheduled_moment() -> None:
    assert next_run(MONTHLY, datetime(2026, 2, 1, 2)) == datetime(2026, 3, 1, 2)
    assert previous_run(MONTHLY, datetime(2026, 2, 1, 2)) == datetime(2026, 1, 1, 2)


def test_day_of_month_and_day_of_week_together_fire_on_either_as_in_cron() -> None:
    # 2026-01-02 is a Friday: "the 15th or any Friday" fires on it.
    assert next_run("0 0 15 * fri", datetime(2026, 1, 1, 12)) == datetime(2026, 1, 2)


def test_leap_day_schedules_wait_for_the_next_leap_year() -> None:
    assert next_run("0 0 29 2 *", datetime(2026, 1, 1)) == datetime(2028, 2, 29)


def test_aware_moments_are_answered_in_their_own_time_zone() -> None:
    shanghai = zone("Asia/Shanghai")
    result = next_run(MONTHLY, datetime(2026, 1, 15, tzinfo=shanghai))
    assert result == datetime(2026, 2, 1, 2, tzinfo=shanghai)
    assert result.utcoffset() == timedelta(hours=8)


def test_a_run_inside_a_skipped_daylight_saving_hour_moves_after_it() -> None:
    berlin = zone("Europe/Berlin")
    result = next_run("30 2 * * *", datetime(2026, 3, 29, 0, tzinfo=berlin))
    assert result > datetime(2026, 3, 29, 0, tzinfo=berlin)
    assert result.utcoffset() == timedelta(hours=2)


def test_next_run_of_an_invalid_expression_raises_a_cron_error() -> None:
    with pytest.raises(CronError):
        next_run("61 * * * *", datetime(2026, 1, 1))
    with pytest.raises(CronError):
        previous_run("0 2 30 2 *", datetime(2026, 1, 1))


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1)))
def test_next_and_previous_runs_bracket_any_moment(moment: datetime) -> None:
    before, after = previous_run(MONTHLY, moment), next_run(MONTHLY, moment)
    assert before < moment < after
    assert (before.day, before.hour, before.minute) == (1, 2, 0)
    assert (after.day, after.hour, after.minute) == (1, 2, 0)
    # Nothing is scheduled between the two, except the moment itself when it falls on a slot.
    assert next_run(MONTHLY, before) in (moment, after)


# --- catching up -------------------------------------------------------------------------------


def test_a_monthly_backup_missed_by_a_day_is_caught_up_once() -> None:
    decision = missed_runs(MONTHLY, datetime(2026, 2, 1, 2), datetime(2026, 3, 2, 9), timedelta(days=3))
    assert decision.run_at == datetime(2026, 3, 1, 2)
    assert decision.missed == 1
    assert "错过了 2026-03-01 02:00 的运行，现在补跑一次" in decision.explanation


def test_after_the_catch_up_is_recorded_nothing_is_caught_up_again() -> None:
    first = missed_runs(MONTHLY, datetime(2026, 2, 1, 2), datetime(2026, 3, 2, 9), timedelta(days=3))
    assert first.run_at is not None
    again = missed_runs(MONTHLY, first.run_at, datetime(2026, 3, 2, 9, 5), timedelta(days=3))
    assert again.run_at is None
    assert again.missed == 0
    assert again.explanation == "没有错过的运行。"


def test_several_missed_runs_are_caught_up_as_one_for_the_most_recent() -> None:
    decision = missed_runs(DAILY, datetime(2026, 3, 1, 3), datetime(2026, 3, 5, 8), timedelta(hours=12))
    assert decision.run_at == datetime(2026, 3, 5, 3)
    assert decision.missed == 4
    assert "更早错过的 3 次不再补跑" in decision.explanation


def test_a_run_missed_longer_ago_than_the_window_is_not_caught_up() -> None:
    decision = missed_runs(MONTHLY, datetime(2026, 2, 1, 2), datetime(2026, 3, 20), timedelta(days=3))
    assert decision.run_at is None
    assert decision.latest_missed == datetime(2026, 3, 1, 2)
    assert "已超出补跑窗口（3 天）" in decision.explanation
    assert "下次运行时间为 2026-04-01 02:00" in decision.explanation


@pytest.mark.parametrize(
    ("window", "words"),
    [(timedelta(hours=5), "5 小时"), (timedelta(minutes=30), "30 分钟"), (timedelta(seconds=90), "90 秒")],
)
def test_the_window_is_named_in_plain_units(window: timedelta, words: str) -> None:
    decision = missed_runs(MONTHLY, datetime(2026, 2, 1, 2), datetime(2026, 3, 20), window)
    assert f"补跑窗口（{words}）" in decision.explanation


def test_a_slot_exactly_at_now_counts_as_due() -> None:
    decision = missed_runs(MONTHLY, datetime(2026, 2, 1, 2), datetime(2026, 3, 1, 2), timedelta(hours=1))
    assert decision.run_at == datetime(2026, 3, 1, 2)


def test_nothing_is_missed_between_two_slots() -> None:
    decision = missed_runs(MONTHLY, datetime(2026, 2, 1, 2), datetime(2026, 2, 20), timedelta(days=3))
    assert decision.run_at is None and decision.missed == 0


def test_a_clock_behind_the_last_run_misses_nothing() -> None:
    decision = missed_runs(MONTHLY, datetime(2026, 2, 1, 2), datetime(2026, 1, 20), timedelta(days=3))
    assert decision.run_at is None and decision.missed == 0


def test_a_job_that_never_ran_is_not_caught_up_on_first_start() -> None:
    decision = missed_runs(MONTHLY, None, datetime(2026, 3, 2, 9), timedelta(days=3))
    assert decision.run_at is None
    assert "从未运行过，不补跑" in decision.explanation
    assert "2026-04-01 02:00" in decision.explanation


def test_a_very_long_outage_counts_missed_slots_up_to_a_cap() -> None:
    decision = missed_runs("* * * * *", datetime(2025, 1, 1), datetime(2026, 1, 1), timedelta(minutes=5))
    assert decision.missed == MAX_COUNTED_MISSED
    assert decision.run_at == datetime(2026, 1, 1)
    assert f"至少 {MAX_COUNTED_MISSED - 1} 次" in decision.explanation


def test_a_window_that_is_not_positive_is_refused() -> None:
    with pytest.raises(ValueError, match="补跑窗口必须大于 0"):
        missed_runs(MONTHLY, datetime(2026, 2, 1), datetime(2026, 3, 2), timedelta(0))


def test_mixing_naive_and_aware_times_is_refused_in_chinese() -> None:
    with pytest.raises(ValueError, match="不能混用"):
        missed_runs(MONTHLY, datetime(2026, 2, 1), datetime(2026, 3, 2, tzinfo=UTC), timedelta(days=1))


def test_catch_up_works_in_an_explicit_time_zone() -> None:
    shanghai = zone("Asia/Shanghai")
    decision = missed_runs(
        MONTHLY, datetime(2026, 2, 1, 2, tzinfo=shanghai), datetime(2026, 3, 1, 8, tzinfo=shanghai), timedelta(days=1)
    )
    assert decision.run_at == datetime(2026, 3, 1, 2, tzinfo=shanghai)


@given(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)),
    st.integers(0, 24 * 90),
    st.integers(1, 24 * 40),
)
def test_a_catch_up_is_always_the_latest_slot_within_the_window_and_never_repeats(
    last: datetime, hours_down: int, window_hours: int
) -> None:
    now = last + timedelta(hours=hours_down)
    window = timedelta(hours=window_hours)
    decision = missed_runs(MONTHLY, last, now, window)
    if decision.run_at is not None:
        assert last < decision.run_at <= now
        assert now - decision.run_at <= window
        assert next_run(MONTHLY, decision.run_at) > now
        assert missed_runs(MONTHLY, decision.run_at, now, window).run_at is None
    else:
        assert decision.latest_missed is None or now - decision.latest_missed > window
