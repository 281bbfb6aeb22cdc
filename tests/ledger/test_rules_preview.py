"""Preview of the next rotation and erase, told before they happen."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.rules.preview import FreedCartridge, PreviewKind, preview
from ledger.rules.retention import CartridgeState, erase_allowed
from ledger.rules.rotation import GroupState, RotationAction

NOW = datetime(2026, 6, 20, 10, 0)
NEXT = datetime(2026, 7, 1, 2, 0)


def six_groups() -> list[GroupState]:
    return [GroupState(f"2026-{m:02d}", datetime(2026, m, 1, 2)) for m in range(1, 7)]


def kinds(result_items: object) -> list[PreviewKind]:
    return [item.kind for item in result_items]  # type: ignore[attr-defined]


def test_the_preview_names_the_group_the_next_backup_opens() -> None:
    result = preview([], six_groups(), NOW, NEXT)
    assert result.decision.action is RotationAction.OPEN
    assert result.items[0].kind is PreviewKind.GROUP_OPENS
    assert result.items[0].sentence == "下次月度备份（2026-07-01 02:00）将开启新备份组 2026-07。"


def test_the_preview_names_the_group_that_rotates_out() -> None:
    result = preview([], six_groups(), NOW, NEXT)
    assert result.rotating_out == ("2026-01",)
    rotated = [i for i in result.items if i.kind is PreviewKind.GROUP_ROTATES_OUT]
    assert [i.subject for i in rotated] == ["2026-01"]
    assert "最旧的活动备份组 2026-01 将轮换出去" in rotated[0].sentence


def test_a_next_backup_in_a_month_that_already_has_a_group_appends_and_rotates_nothing() -> None:
    result = preview([], six_groups(), datetime(2026, 6, 20, 9), datetime(2026, 6, 20, 22))
    assert result.decision.action is RotationAction.APPEND
    assert result.rotating_out == ()
    assert result.items[0].kind is PreviewKind.GROUP_APPENDS
    assert "第 2 次运行" in result.items[0].sentence


def test_a_tape_freed_by_the_rotation_says_when_its_retention_ends() -> None:
    cartridge = CartridgeState("TAF001L9", datetime(2026, 1, 5, 6), groups=("2026-01",))
    result = preview([cartridge], six_groups(), NOW, NEXT)
    assert result.freed == (FreedCartridge("TAF001L9", datetime(2026, 7, 5, 6)),)
    freed = next(i for i in result.items if i.kind is PreviewKind.CARTRIDGE_FREED)
    assert freed.at == datetime(2026, 7, 5, 6)
    assert "磁带 TAF001L9 不再保存活动备份组" in freed.sentence
    assert "2026-07-05 到期，届时即可擦除复用" in freed.sentence
    assert "TAF001L9" not in result.erased


def test_a_tape_already_past_retention_is_free_at_the_moment_of_rotation() -> None:
    cartridge = CartridgeState("TAF001L9", datetime(2026, 1, 1, 5), retention_months=2, groups=("2026-01",))
    result = preview([cartridge], six_groups(), NOW, NEXT)
    assert result.freed == (FreedCartridge("TAF001L9", NEXT),)
    freed = next(i for i in result.items if i.kind is PreviewKind.CARTRIDGE_FREED)
    assert "轮换后即可擦除复用" in freed.sentence


def test_a_tape_of_the_rotating_group_that_also_holds_a_newer_group_stays_held() -> None:
    cartridge = CartridgeState("TAF002L9", datetime(2026, 2, 3), groups=("2026-01", "2026-02"))
    result = preview([cartridge], six_groups(), NOW, NEXT)
    assert result.freed == ()
    held = next(i for i in result.items if i.kind is PreviewKind.CARTRIDGE_STILL_HELD)
    assert held.subject == "TAF002L9"
    assert "仍保存备份组 2026-02" in held.sentence


def test_tapes_expiring_before_the_next_backup_are_erased_before_it() -> None:
    expired_now = CartridgeState("TAF010L9", datetime(2025, 11, 1), groups=("2025-11",))
    expiring_soon = CartridgeState("TAF011L9", datetime(2025, 12, 25), groups=("2025-12",))
    groups = [GroupState("2025-11", datetime(2025, 11, 1), active=False),
              GroupState("2025-12", datetime(2025, 12, 1), active=False), *six_groups()[1:]]
    result = preview([expiring_soon, expired_now], groups, NOW, NEXT)
    assert result.erased == ("TAF010L9", "TAF011L9")
    sentences = [i.sentence for i in result.items if i.kind is PreviewKind.CARTRIDGE_ERASED]
    assert "磁带 TAF011L9 的存活期到 2026-06-25 结束" in sentences[1]
    assert "将在下次备份（2026-07-01 02:00）前自动擦除并回到空白池" in sentences[1]


def test_with_auto_erase_off_expired_tapes_are_announced_for_manual_erase() -> None:
    expired = CartridgeState("TAF010L9", datetime(2025, 11, 1))
    result = preview([expired], six_groups(), NOW, NEXT, auto_erase=False)
    assert result.erased == ()
    kept = next(i for i in result.items if i.kind is PreviewKind.CARTRIDGE_EXPIRED_KEPT)
    assert "自动擦除已关闭" in kept.sentence and "手动擦除" in kept.sentence


def test_the_group_rotating_out_is_not_erased_to_make_room_for_its_replacement() -> None:
    cartridge = CartridgeState("TAF001L9", datetime(2026, 1, 1, 5), retention_months=1, groups=("2026-01",))
    result = preview([cartridge], six_groups(), NOW, NEXT)
    assert result.erased == ()
    assert result.freed == (FreedCartridge("TAF001L9", NEXT),)


def test_a_retention_shorter_than_the_group_life_shows_up_as_an_alert() -> None:
    cartridge = CartridgeState("TAF001L9", datetime(2026, 1, 1, 5), retention_months=1, groups=("2026-01",))
    result = preview([cartridge], six_groups(), NOW, NEXT)
    assert len(result.alerts) == 1
    assert "请检查存活期" in result.alerts[0]


def test_blank_worm_and_cleaning_tapes_appear_nowhere_in_the_preview() -> None:
    cartridges = [
        CartridgeState("TAF020L9"),
        CartridgeState("TAF021L9", datetime(2025, 1, 1), worm=True),
        CartridgeState("CLN001L1", kind="cleaning"),  # type: ignore[arg-type]
    ]
    result = preview(cartridges, six_groups(), NOW, NEXT)
    assert kinds(result.items) == [PreviewKind.GROUP_OPENS, PreviewKind.GROUP_ROTATES_OUT]


def test_a_worm_tape_of_the_rotating_group_is_not_announced_as_freed() -> None:
    cartridge = CartridgeState("TAF021L9", datetime(2026, 1, 2), worm=True, groups=("2026-01",))
    result = preview([cartridge], six_groups(), NOW, NEXT)
    assert result.freed == ()


def test_a_next_backup_in_the_past_cannot_be_previewed() -> None:
    with pytest.raises(ValueError, match="早于当前时间"):
        preview([], six_groups(), NEXT, NOW)


def test_the_preview_honours_a_lowered_keep_count() -> None:
    result = preview([], six_groups(), NOW, NEXT, keep=4)
    assert result.rotating_out == ("2026-01", "2026-02", "2026-03")


@given(
    st.lists(st.integers(0, 200), max_size=8),
    st.integers(0, 6),
    st.integers(1, 12),
    st.integers(1, 8),
    st.booleans(),
)
def test_nothing_the_preview_erases_holds_an_active_group_before_or_after_rotation(
    written_days: list[int], rotated: int, retention: int, keep: int, auto_erase: bool
) -> None:
    groups = [GroupState(g.name, g.opened_at, active=index >= rotated) for index, g in enumerate(six_groups())]
    cartridges = [
        CartridgeState(f"TAF{i:03d}L9", datetime(2026, 1, 1) + timedelta(days=day), retention,
                       groups=(f"2026-{(i % 6) + 1:02d}",))
        for i, day in enumerate(written_days)
    ]
    result = preview(cartridges, groups, NOW, NEXT, keep=keep, auto_erase=auto_erase)
    by_volser = {c.volser: c for c in cartridges}
    for volser in result.erased:
        assert erase_allowed(by_volser[volser], groups, NEXT).allowed
        assert not set(by_volser[volser].groups) & set(result.decision.active_after)
    active_now = {g.name for g in groups if g.active}
    expected = {
        c.volser for c in cartridges
        if auto_erase and c.groups[0] not in active_now
        and c.retention_ends_at is not None and c.retention_ends_at <= NEXT
    }
    assert set(result.erased) == expected
