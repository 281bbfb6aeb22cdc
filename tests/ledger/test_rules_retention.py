"""Cartridge retention, plain-language expiry and the erase safety interlock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.rules.months import add_months
from ledger.rules.retention import (
    DEFAULT_RETENTION_MONTHS,
    CartridgeKind,
    CartridgeState,
    Reason,
    erase_allowed,
    expiry_of,
    validate_retention_months,
)
from ledger.rules.rotation import GroupState

MARCH_2 = datetime(2026, 3, 2, 4, 30)


def group(name: str, *, active: bool = True, rotated_out_at: datetime | None = None) -> GroupState:
    year, month = int(name[:4]), int(name[5:])
    return GroupState(name, datetime(year, month, 1, 2), active=active, rotated_out_at=rotated_out_at)


def tape(volser: str = "TAF003L9", **fields: object) -> CartridgeState:
    return CartridgeState(volser=volser, **fields)  # type: ignore[arg-type]


# --- calendar months ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (datetime(2026, 1, 31), 1, datetime(2026, 2, 28)),
        (datetime(2028, 1, 31), 1, datetime(2028, 2, 29)),
        (datetime(2026, 3, 31), 6, datetime(2026, 9, 30)),
        (datetime(2026, 8, 31), 6, datetime(2027, 2, 28)),
        (datetime(2026, 3, 2, 4, 30), 6, datetime(2026, 9, 2, 4, 30)),
        (datetime(2026, 12, 15), 1, datetime(2027, 1, 15)),
        (datetime(2026, 1, 15), 120, datetime(2036, 1, 15)),
        (datetime(2026, 3, 31), -1, datetime(2026, 2, 28)),
        (datetime(2024, 2, 29), 12, datetime(2025, 2, 28)),
    ],
)
def test_adding_calendar_months_clamps_to_the_last_day_of_a_shorter_month(
    start: datetime, months: int, expected: datetime
) -> None:
    assert add_months(start, months) == expected


def test_adding_months_keeps_the_time_zone() -> None:
    start = datetime(2026, 1, 31, 9, tzinfo=timezone(timedelta(hours=8)))
    assert add_months(start, 1) == datetime(2026, 2, 28, 9, tzinfo=timezone(timedelta(hours=8)))


def test_adding_months_beyond_the_representable_years_is_refused_in_chinese() -> None:
    with pytest.raises(ValueError, match="超出可表示的范围"):
        add_months(datetime(9999, 12, 1), 1)


@given(st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2900, 1, 1)), st.integers(0, 1200))
def test_adding_months_lands_in_the_right_month_never_on_a_later_day(start: datetime, months: int) -> None:
    result = add_months(start, months)
    assert (result.year * 12 + result.month) - (start.year * 12 + start.month) == months
    assert result.day <= start.day
    assert result.time() == start.time()


# --- retention setting -------------------------------------------------------------------------


@pytest.mark.parametrize("months", [1, 6, 120])
def test_retention_between_one_and_one_hundred_twenty_months_is_allowed(months: int) -> None:
    assert validate_retention_months(months) == months


@pytest.mark.parametrize("months", [0, -6, 121, 1000])
def test_retention_outside_one_to_one_hundred_twenty_months_is_refused(months: int) -> None:
    with pytest.raises(ValueError, match="超出允许范围"):
        validate_retention_months(months)


@pytest.mark.parametrize("months", [6.0, "6", True, None])
def test_retention_that_is_not_a_whole_number_of_months_is_refused(months: object) -> None:
    with pytest.raises(ValueError, match="整数个月"):
        validate_retention_months(months)  # type: ignore[arg-type]


def test_the_default_retention_is_six_months() -> None:
    assert DEFAULT_RETENTION_MONTHS == 6
    assert tape().retention_months == 6


def test_a_cartridge_with_an_invalid_retention_cannot_be_built() -> None:
    with pytest.raises(ValueError, match="超出允许范围"):
        tape(retention_months=0)


def test_a_cartridge_holding_groups_without_a_last_write_date_cannot_be_built() -> None:
    with pytest.raises(ValueError, match="没有最后写入时间"):
        tape(groups=("2026-05",))


def test_retention_ends_the_configured_number_of_months_after_the_last_write() -> None:
    assert tape(last_written_at=MARCH_2).retention_ends_at == datetime(2026, 9, 2, 4, 30)
    assert tape(last_written_at=MARCH_2, retention_months=1).retention_ends_at == datetime(2026, 4, 2, 4, 30)
    assert tape().retention_ends_at is None


# --- expiry_of: every case ---------------------------------------------------------------------


def test_a_never_written_cartridge_is_scratch_and_free_now() -> None:
    verdict = expiry_of(tape(), [], datetime(2026, 5, 1))
    assert verdict.reason is Reason.SCRATCH
    assert not verdict.expired
    assert verdict.free_now
    assert verdict.free_at is None
    assert "空白磁带，随时可用" in verdict.explanation


def test_the_plain_language_sentence_for_a_tape_held_by_an_active_group() -> None:
    cartridge = tape(last_written_at=MARCH_2, groups=("2026-05",))
    verdict = expiry_of(cartridge, [group("2026-05")], datetime(2026, 6, 1))
    assert verdict.reason is Reason.ACTIVE_GROUP
    assert not verdict.expired
    assert verdict.free_at is None
    assert verdict.retention_ends_at == datetime(2026, 9, 2, 4, 30)
    assert verdict.blocking_groups == ("2026-05",)
    assert verdict.explanation == (
        "磁带 TAF003L9 最后写入于 2026-03-02，存活期 6 个月，将于 2026-09-02 到期；"
        "但它仍保存活动备份组 2026-05，需等该组轮换出去后才能释放。"
    )


def test_a_tape_past_its_retention_but_still_holding_an_active_group_is_not_expired() -> None:
    cartridge = tape(last_written_at=MARCH_2, retention_months=1, groups=("2026-03",))
    verdict = expiry_of(cartridge, [group("2026-03")], datetime(2026, 6, 1))
    assert verdict.reason is Reason.ACTIVE_GROUP
    assert not verdict.expired
    assert "已于 2026-04-02 到期" in verdict.explanation
    assert "仍保存活动备份组 2026-03" in verdict.explanation


def test_a_tape_holding_several_active_groups_waits_for_all_of_them() -> None:
    cartridge = tape(last_written_at=MARCH_2, groups=("2026-03", "2026-02"))
    verdict = expiry_of(cartridge, [group("2026-02"), group("2026-03")], datetime(2026, 4, 1))
    assert verdict.blocking_groups == ("2026-02", "2026-03")
    assert "2026-02、2026-03，需等这些组全部轮换出去" in verdict.explanation


def test_a_tape_whose_groups_rotated_out_waits_for_its_retention() -> None:
    cartridge = tape(last_written_at=MARCH_2, groups=("2026-03",))
    rotated = group("2026-03", active=False, rotated_out_at=datetime(2026, 9, 1, 2))
    verdict = expiry_of(cartridge, [rotated], datetime(2026, 9, 1, 3))
    assert verdict.reason is Reason.RETENTION_PENDING
    assert not verdict.expired
    assert not verdict.free_now
    assert verdict.free_at == datetime(2026, 9, 2, 4, 30)
    assert "将于 2026-09-02 到期" in verdict.explanation
    assert "到期后即可擦除复用" in verdict.explanation


def test_a_tape_past_its_retention_holding_no_active_group_is_expired() -> None:
    cartridge = tape(last_written_at=MARCH_2, groups=("2026-03",))
    verdict = expiry_of(cartridge, [group("2026-03", active=False)], datetime(2026, 10, 1))
    assert verdict.reason is Reason.EXPIRED
    assert verdict.expired
    assert verdict.free_now
    assert verdict.free_at == datetime(2026, 9, 2, 4, 30)
    assert verdict.explanation.startswith("已过期：")
    assert verdict.explanation.endswith("可擦除复用。")


def test_an_expired_tape_is_free_from_the_later_of_retention_end_and_rotation() -> None:
    cartridge = tape(last_written_at=MARCH_2, retention_months=1, groups=("2026-03",))
    rotated_at = datetime(2026, 9, 1, 2)
    verdict = expiry_of(cartridge, [group("2026-03", active=False, rotated_out_at=rotated_at)], datetime(2026, 10, 1))
    assert verdict.expired
    assert verdict.free_at == rotated_at


def test_a_written_tape_holding_no_group_expires_by_date_alone() -> None:
    cartridge = tape(last_written_at=MARCH_2)
    assert expiry_of(cartridge, [], datetime(2026, 9, 2, 4, 29)).reason is Reason.RETENTION_PENDING
    assert expiry_of(cartridge, [], datetime(2026, 9, 2, 4, 30)).reason is Reason.EXPIRED


def test_retention_counts_from_the_last_write_not_the_first() -> None:
    cartridge = tape(last_written_at=datetime(2026, 5, 20))
    assert not expiry_of(cartridge, [], datetime(2026, 9, 3)).expired
    assert expiry_of(cartridge, [], datetime(2026, 11, 20)).expired


def test_a_group_unknown_to_the_ledger_keeps_the_tape_as_if_active() -> None:
    cartridge = tape(last_written_at=MARCH_2, groups=("2026-03",))
    verdict = expiry_of(cartridge, [], datetime(2027, 1, 1))
    assert verdict.reason is Reason.UNKNOWN_GROUP
    assert not verdict.expired
    assert verdict.blocking_groups == ("2026-03",)
    assert "在账本中找不到" in verdict.explanation


def test_a_retired_tape_never_becomes_free() -> None:
    verdict = expiry_of(tape(last_written_at=MARCH_2, retired=True), [], datetime(2030, 1, 1))
    assert verdict.reason is Reason.RETIRED
    assert not verdict.expired and not verdict.free_now
    assert "已停用" in verdict.explanation


def test_a_written_worm_tape_never_becomes_free() -> None:
    verdict = expiry_of(tape(last_written_at=MARCH_2, worm=True), [], datetime(2030, 1, 1))
    assert verdict.reason is Reason.WORM
    assert not verdict.expired and verdict.free_at is None
    assert "不能擦除" in verdict.explanation


def test_a_blank_worm_tape_is_scratch_that_can_be_written_once() -> None:
    verdict = expiry_of(tape(worm=True), [], datetime(2030, 1, 1))
    assert verdict.reason is Reason.SCRATCH
    assert "空白 WORM 磁带，可写入一次" in verdict.explanation


def test_a_cleaning_cartridge_takes_no_part_in_retention() -> None:
    verdict = expiry_of(tape("CLN001L1", kind=CartridgeKind.CLEANING), [], datetime(2030, 1, 1))
    assert verdict.reason is Reason.CLEANING
    assert not verdict.expired and not verdict.free_now
    assert "清洗带" in verdict.explanation


def test_expiry_works_with_time_zone_aware_moments() -> None:
    cst = timezone(timedelta(hours=8))
    cartridge = tape(last_written_at=datetime(2026, 1, 31, 23, tzinfo=cst))
    assert not expiry_of(cartridge, [], datetime(2026, 7, 31, 22, tzinfo=cst)).expired
    assert expiry_of(cartridge, [], datetime(2026, 7, 31, 15, tzinfo=UTC)).expired


# --- erase_allowed: the interlock --------------------------------------------------------------


def test_an_expired_tape_may_be_erased() -> None:
    cartridge = tape(last_written_at=MARCH_2, groups=("2026-03",))
    verdict = erase_allowed(cartridge, [group("2026-03", active=False)], datetime(2026, 10, 1))
    assert verdict.allowed
    assert verdict.reason is Reason.EXPIRED
    assert verdict.alert is None


def test_a_blank_tape_may_be_erased_without_losing_anything() -> None:
    verdict = erase_allowed(tape(), [], datetime(2026, 10, 1))
    assert verdict.allowed and verdict.reason is Reason.SCRATCH
    assert "不会丢失数据" in verdict.explanation


def test_a_tape_still_in_retention_is_not_erased_unless_the_administrator_insists() -> None:
    cartridge = tape(last_written_at=MARCH_2)
    refused = erase_allowed(cartridge, [], datetime(2026, 5, 1))
    forced = erase_allowed(cartridge, [], datetime(2026, 5, 1), before_expiry=True)
    assert not refused.allowed and "存活期要到 2026-09-02 才结束" in refused.explanation
    assert forced.allowed and "提前擦除" in forced.explanation


def test_a_tape_holding_an_active_group_is_never_erased_even_when_forced() -> None:
    cartridge = tape(last_written_at=MARCH_2, groups=("2026-05",))
    verdict = erase_allowed(cartridge, [group("2026-05")], datetime(2026, 5, 10), before_expiry=True)
    assert not verdict.allowed
    assert verdict.reason is Reason.ACTIVE_GROUP
    assert "仍保存活动备份组 2026-05" in verdict.explanation
    assert verdict.alert is None


def test_refusing_an_explicit_erase_request_for_an_active_tape_raises_an_alert() -> None:
    cartridge = tape(last_written_at=MARCH_2, groups=("2026-05",))
    verdict = erase_allowed(cartridge, [group("2026-05")], datetime(2026, 5, 10), requested=True)
    assert not verdict.allowed
    assert verdict.alert is not None
    assert "已拒绝擦除磁带 TAF003L9 的请求" in verdict.alert


def test_a_tape_expired_by_date_but_holding_an_active_group_raises_a_settings_alert() -> None:
    cartridge = tape(last_written_at=MARCH_2, retention_months=1, groups=("2026-03",))
    verdict = erase_allowed(cartridge, [group("2026-03")], datetime(2026, 6, 1))
    assert not verdict.allowed
    assert verdict.alert is not None
    assert "存活期（1 个月）已于 2026-04-02 到期" in verdict.alert
    assert "请检查存活期" in verdict.alert


def test_a_tape_holding_a_group_unknown_to_the_ledger_is_never_erased() -> None:
    cartridge = tape(last_written_at=MARCH_2, groups=("2026-03",))
    verdict = erase_allowed(cartridge, [], datetime(2030, 1, 1), requested=True, before_expiry=True)
    assert not verdict.allowed
    assert verdict.reason is Reason.UNKNOWN_GROUP
    assert verdict.alert is not None and "账本中找不到" in verdict.alert


@pytest.mark.parametrize(
    ("cartridge", "reason", "words"),
    [
        (CartridgeState("TAF009L9", MARCH_2, worm=True), Reason.WORM, "WORM"),
        (CartridgeState("TAF009L9", worm=True), Reason.SCRATCH, "WORM"),
        (CartridgeState("TAF009L9", MARCH_2, retired=True), Reason.RETIRED, "已停用"),
        (CartridgeState("CLN001L1", kind=CartridgeKind.CLEANING), Reason.CLEANING, "清洗带"),
    ],
)
def test_worm_retired_and_cleaning_cartridges_are_never_erased(
    cartridge: CartridgeState, reason: Reason, words: str
) -> None:
    verdict = erase_allowed(cartridge, [], datetime(2040, 1, 1), requested=True, before_expiry=True)
    assert not verdict.allowed
    assert verdict.reason is reason
    assert words in verdict.explanation


# --- properties --------------------------------------------------------------------------------

moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1))
month_names = st.builds(lambda y, m: f"{y:04d}-{m:02d}", st.integers(2000, 2099), st.integers(1, 12))


@st.composite
def cartridge_with_an_active_group(draw: st.DrawFn) -> tuple[CartridgeState, list[GroupState]]:
    held = draw(st.lists(month_names, min_size=1, max_size=4, unique=True))
    states = draw(st.lists(st.booleans(), min_size=len(held), max_size=len(held)))
    states[draw(st.integers(0, len(held) - 1))] = True
    groups = [GroupState(name, datetime(2000, 1, 1), active=state) for name, state in zip(held, states, strict=True)]
    groups += [GroupState(n, datetime(2000, 1, 1), active=draw(st.booleans()))
               for n in draw(st.lists(month_names, max_size=4, unique=True)) if n not in held]
    cartridge = CartridgeState(
        volser=draw(st.from_regex(r"TAF\d{3}L9", fullmatch=True)),
        last_written_at=draw(moments),
        retention_months=draw(st.integers(1, 120)),
        groups=tuple(held),
        worm=draw(st.booleans()),
        retired=draw(st.booleans()),
        kind=draw(st.sampled_from(CartridgeKind)),
    )
    return cartridge, groups


@given(cartridge_with_an_active_group(), moments, st.booleans(), st.booleans())
def test_a_cartridge_holding_an_active_group_is_never_erase_allowed(
    case: tuple[CartridgeState, list[GroupState]], now: datetime, requested: bool, before_expiry: bool
) -> None:
    cartridge, groups = case
    verdict = erase_allowed(cartridge, groups, now, requested=requested, before_expiry=before_expiry)
    assert not verdict.allowed
    assert not expiry_of(cartridge, groups, now).expired


@given(cartridge_with_an_active_group(), moments)
def test_an_explicit_request_to_erase_an_active_data_tape_always_produces_an_alert(
    case: tuple[CartridgeState, list[GroupState]], now: datetime
) -> None:
    cartridge, groups = case
    plain = CartridgeState(cartridge.volser, cartridge.last_written_at, cartridge.retention_months, cartridge.groups)
    assert erase_allowed(plain, groups, now, requested=True).alert is not None


@given(moments, st.integers(1, 120), moments)
def test_a_tape_without_groups_is_expired_exactly_when_its_retention_has_passed(
    written: datetime, months: int, now: datetime
) -> None:
    cartridge = CartridgeState("TAF001L9", written, months)
    verdict = expiry_of(cartridge, [], now)
    assert verdict.expired == (now >= add_months(written, months))
    assert erase_allowed(cartridge, [], now).allowed == verdict.expired


@given(moments, st.integers(1, 120), moments, st.booleans())
def test_an_expired_verdict_always_means_erase_is_allowed(
    written: datetime, months: int, now: datetime, group_active: bool
) -> None:
    cartridge = CartridgeState("TAF001L9", written, months, groups=("2026-01",))
    groups = [GroupState("2026-01", datetime(2026, 1, 1), active=group_active)]
    if expiry_of(cartridge, groups, now).expired:
        assert erase_allowed(cartridge, groups, now).allowed
