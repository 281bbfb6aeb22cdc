"""Monthly backup groups: naming, opening, appending and rotating out."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.rules.rotation import (
    DEFAULT_KEEP_GROUPS,
    GroupNameError,
    GroupState,
    RotationAction,
    RotationError,
    apply_rotation,
    decide_rotation,
    group_name_for,
    parse_group_name,
    validate_group_name,
)


def month_name(index: int) -> str:
    year, month0 = divmod(index, 12)
    return f"{year:04d}-{month0 + 1:02d}"


def month_index(name: str) -> int:
    year, month = parse_group_name(name)
    return year * 12 + month - 1


def opened(name: str, *, active: bool = True, runs: int = 1) -> GroupState:
    year, month = parse_group_name(name)
    return GroupState(name=name, opened_at=datetime(year, month, 1, 2, 0), active=active, runs=runs)


def run_monthly(groups: list[GroupState], name: str, keep: int = DEFAULT_KEEP_GROUPS) -> list[GroupState]:
    decision = decide_rotation(groups, name, keep)
    year, month = parse_group_name(name)
    return apply_rotation(groups, decision, datetime(year, month, 1, 2, 0))


# --- names -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["2026-01", "2026-12", "1999-07", "0001-01"])
def test_a_year_and_a_two_digit_month_is_a_valid_group_name(name: str) -> None:
    assert validate_group_name(name) == name


@pytest.mark.parametrize(
    ("name", "complaint"),
    [
        ("2026-13", "月份 13 不正确"),
        ("2026-00", "月份 00 不正确"),
        ("2026-5", "格式不正确"),
        ("2026/05", "格式不正确"),
        ("26-05", "格式不正确"),
        ("2026-05 ", "格式不正确"),
        ("", "格式不正确"),
        ("0000-05", "年份不正确"),
    ],
)
def test_a_malformed_group_name_is_refused_with_a_chinese_reason(name: str, complaint: str) -> None:
    with pytest.raises(GroupNameError, match=complaint):
        validate_group_name(name)


def test_a_group_name_that_is_not_text_is_refused() -> None:
    with pytest.raises(GroupNameError, match="必须是文本"):
        parse_group_name(202605)  # type: ignore[arg-type]


def test_a_group_state_with_a_bad_name_cannot_be_built() -> None:
    with pytest.raises(GroupNameError):
        GroupState(name="May 2026", opened_at=datetime(2026, 5, 1))


def test_a_group_state_needs_at_least_one_run() -> None:
    with pytest.raises(ValueError, match="至少为 1"):
        GroupState(name="2026-05", opened_at=datetime(2026, 5, 1), runs=0)


def test_the_group_of_a_backup_is_the_month_it_started_in() -> None:
    assert group_name_for(datetime(2026, 5, 31, 23, 59)) == "2026-05"
    assert group_name_for(datetime(2026, 1, 1, 0, 0)) == "2026-01"


@given(st.integers(min_value=12, max_value=9999 * 12 + 11))
def test_every_month_name_round_trips_through_parsing(index: int) -> None:
    assert month_index(month_name(index)) == index


# --- opening and appending ---------------------------------------------------------------------


def test_the_first_backup_ever_opens_its_group_as_run_one() -> None:
    decision = decide_rotation([], "2026-01")
    assert decision.action is RotationAction.OPEN
    assert decision.run_number == 1
    assert decision.rotate_out == ()
    assert decision.active_after == ("2026-01",)
    assert "开启新备份组 2026-01" in decision.explanation
    assert "无需轮换" in decision.explanation


def test_a_second_run_in_the_same_month_appends_to_the_group_as_run_two() -> None:
    decision = decide_rotation([opened("2026-05")], "2026-05")
    assert decision.action is RotationAction.APPEND
    assert decision.is_append
    assert decision.run_number == 2
    assert decision.rotate_out == ()
    assert "第 2 次运行" in decision.explanation


def test_a_third_run_in_the_same_month_is_run_three() -> None:
    decision = decide_rotation([opened("2026-05", runs=2)], "2026-05")
    assert decision.run_number == 3


def test_appending_records_the_new_run_count_and_opens_nothing() -> None:
    groups = [opened("2026-05")]
    after = apply_rotation(groups, decide_rotation(groups, "2026-05"), datetime(2026, 5, 20))
    assert [(g.name, g.runs, g.active) for g in after] == [("2026-05", 2, True)]
    assert after[0].opened_at == groups[0].opened_at


def test_appending_to_a_group_that_was_rotated_out_is_refused() -> None:
    with pytest.raises(RotationError, match="已经轮换出去"):
        decide_rotation([opened("2026-01", active=False), opened("2026-02")], "2026-01")


def test_a_new_group_older_than_the_newest_known_group_is_refused() -> None:
    with pytest.raises(RotationError, match="只能按月份向前推进"):
        decide_rotation([opened("2026-03")], "2026-02")


def test_a_new_group_older_than_a_rotated_out_group_is_refused_too() -> None:
    with pytest.raises(RotationError, match="只能按月份向前推进"):
        decide_rotation([opened("2026-03", active=False)], "2026-01")


def test_duplicate_group_names_in_the_input_are_refused() -> None:
    with pytest.raises(RotationError, match="重复出现"):
        decide_rotation([opened("2026-03"), opened("2026-03")], "2026-04")


@pytest.mark.parametrize("keep", [0, -1, True, 2.5, "6"])
def test_a_keep_count_below_one_or_not_an_integer_is_refused(keep: object) -> None:
    with pytest.raises(RotationError, match="不小于 1 的整数"):
        decide_rotation([], "2026-01", keep)  # type: ignore[arg-type]


def test_a_malformed_new_group_name_is_refused() -> None:
    with pytest.raises(GroupNameError):
        decide_rotation([], "2026-13")


# --- rotating out ------------------------------------------------------------------------------


def test_the_seventh_month_rotates_the_oldest_group_out() -> None:
    groups = [opened(month_name(2026 * 12 + i)) for i in range(6)]
    decision = decide_rotation(groups, "2026-07")
    assert decision.rotate_out == ("2026-01",)
    assert decision.active_after == ("2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07")
    assert "最旧的 2026-01 轮换出去" in decision.explanation


def test_a_lowered_keep_count_rotates_several_groups_at_once() -> None:
    groups = [opened(month_name(2026 * 12 + i)) for i in range(6)]
    decision = decide_rotation(groups, "2026-07", keep=3)
    assert decision.rotate_out == ("2026-01", "2026-02", "2026-03", "2026-04")
    assert decision.active_after == ("2026-05", "2026-06", "2026-07")


def test_a_lowered_keep_count_applies_even_to_an_appending_run() -> None:
    groups = [opened("2026-01"), opened("2026-02"), opened("2026-03")]
    decision = decide_rotation(groups, "2026-03", keep=2)
    assert decision.is_append
    assert decision.rotate_out == ("2026-01",)


def test_groups_already_rotated_out_do_not_count_towards_keep() -> None:
    groups = [opened("2025-12", active=False)] + [opened(month_name(2026 * 12 + i)) for i in range(5)]
    decision = decide_rotation(groups, "2026-06")
    assert decision.rotate_out == ()
    assert len(decision.active_after) == 6


def test_a_gap_in_the_months_still_rotates_by_age() -> None:
    groups = [opened("2025-01"), opened("2025-09"), opened("2026-02")]
    decision = decide_rotation(groups, "2026-03", keep=3)
    assert decision.rotate_out == ("2025-01",)


def test_applying_a_rotation_marks_the_group_rotated_out_at_the_backup_time() -> None:
    groups = [opened(month_name(2026 * 12 + i)) for i in range(6)]
    at = datetime(2026, 7, 1, 2, 0)
    after = apply_rotation(groups, decide_rotation(groups, "2026-07"), at)
    first = next(g for g in after if g.name == "2026-01")
    newest = next(g for g in after if g.name == "2026-07")
    assert not first.active and first.rotated_out_at == at
    assert newest.active and newest.opened_at == at and newest.runs == 1
    assert [g.name for g in after] == sorted(g.name for g in after)


def test_an_eight_month_drill_leaves_six_active_groups_and_rotates_the_first_two() -> None:
    groups: list[GroupState] = []
    for i in range(8):
        groups = run_monthly(groups, month_name(2026 * 12 + i))
    active = [g.name for g in groups if g.active]
    rotated = [g.name for g in groups if not g.active]
    assert active == ["2026-03", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08"]
    assert rotated == ["2026-01", "2026-02"]


def test_an_eight_month_drill_with_a_second_run_in_one_month_still_gives_six_groups() -> None:
    groups: list[GroupState] = []
    for i in range(8):
        name = month_name(2026 * 12 + i)
        groups = run_monthly(groups, name)
        if i == 3:
            groups = run_monthly(groups, name)
    assert len([g for g in groups if g.active]) == 6
    assert next(g for g in groups if g.name == "2026-04").runs == 2


# --- properties --------------------------------------------------------------------------------


@st.composite
def monthly_history(draw: st.DrawFn) -> tuple[list[str], int]:
    """A forward-moving sequence of runs (months may repeat or skip) and a keep count."""
    start = draw(st.integers(min_value=2000 * 12, max_value=2090 * 12))
    steps = draw(st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=30))
    names, index = [], start
    for step in steps:
        index += step
        names.append(month_name(index))
    return names, draw(st.integers(min_value=1, max_value=12))


@given(monthly_history())
def test_rotation_never_leaves_more_than_keep_active_groups(history: tuple[list[str], int]) -> None:
    names, keep = history
    groups: list[GroupState] = []
    for name in names:
        groups = run_monthly(groups, name, keep)
        assert len([g for g in groups if g.active]) <= keep


@given(monthly_history())
def test_rotation_always_rotates_out_the_oldest_active_groups(history: tuple[list[str], int]) -> None:
    names, keep = history
    groups: list[GroupState] = []
    for name in names:
        decision = decide_rotation(groups, name, keep)
        before_active = sorted({g.name for g in groups if g.active} | {name})
        survivors = set(before_active) - set(decision.rotate_out)
        assert all(out < kept for out in decision.rotate_out for kept in survivors)
        assert name in decision.active_after
        groups = run_monthly(groups, name, keep)


@given(monthly_history())
def test_active_groups_are_the_newest_distinct_months_run(history: tuple[list[str], int]) -> None:
    names, keep = history
    groups: list[GroupState] = []
    for name in names:
        groups = run_monthly(groups, name, keep)
    expected = sorted(set(names))[-keep:]
    assert [g.name for g in groups if g.active] == expected


@given(monthly_history())
def test_run_numbers_count_the_runs_of_each_month(history: tuple[list[str], int]) -> None:
    names, keep = history
    groups: list[GroupState] = []
    for name in names:
        groups = run_monthly(groups, name, keep)
    runs = {g.name: g.runs for g in groups}
    assert runs == {name: names.count(name) for name in set(names)}
