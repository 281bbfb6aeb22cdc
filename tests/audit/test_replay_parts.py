"""The parts of replay and verify on their own: moments to event numbers on SQLite and PostgreSQL,
a replay window that only moves forward, the settings as of an event, and how a chain head read
back from a tape or a report is judged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from jobs.monthly_report import BadMonth, parse_month, previous_month
from jobs.report_render import cell, chart_unit
from ledger import clock
from projections.heads import Claim, judge
from projections.replay import Replay, position_at, settings_as_of

START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def told(services: Any) -> list[int]:
    """Three setting changes an hour apart; the event number of each."""
    moment = clock.ManualClock(START)
    clock.set_clock(moment)
    positions = []
    for hours, level in ((0, 3), (1, 5), (2, 7)):
        moment.moment = START + timedelta(hours=hours)
        services.ledger.change_setting("compression_level", level, old=level - 2, by=f"管理员{hours}")
        positions.append(services.ledger.head_id())
    return positions


def test_a_moment_becomes_the_last_event_recorded_at_or_before_it(services: Any) -> None:
    first, second, third = told(services)
    ledger = services.ledger
    assert position_at(ledger, START - timedelta(seconds=1)) == 0
    assert position_at(ledger, START) == first
    assert position_at(ledger, START + timedelta(minutes=90)) == second
    assert position_at(ledger, START + timedelta(days=1)) == third


def test_a_replay_window_only_moves_forward_and_leaves_the_live_views_alone(services: Any) -> None:
    first, second, _ = told(services)
    services.catch_up()
    replay = Replay(services.ledger, ("settings", "recipients"))
    try:
        replay.advance(first)
        assert replay.view("settings").values() == {"compression_level": 3}
        replay.advance(second)
        assert replay.view("settings").values() == {"compression_level": 5}
        replay.advance(first)  # never back
        assert replay.position == second and replay.view("settings").values() == {"compression_level": 5}
    finally:
        replay.close()
    assert services.settings_view.values() == {"compression_level": 7}


def test_settings_as_of_an_event_and_before_their_first_change(services: Any) -> None:
    first, second, _ = told(services)
    now = settings_as_of(services.ledger, second)
    assert now.value("compression_level", lambda key: "env") == 5
    assert now.changed["compression_level"].changed_by == "管理员1"
    before = settings_as_of(services.ledger, first - 1)
    assert before.value("compression_level", lambda key: "env") == 1  # what the first change said was in force
    assert before.value("active_groups", lambda key: "env") == "env"


def claim(head: str, recorded_at: int | None = 10, others: tuple[str, ...] = (), moment: datetime | None = None) -> Claim:
    return Claim("tape", "磁带 TAF001L9 的索引（磁带文件 3）", head, recorded_at, moment, others)


@pytest.mark.parametrize(("the_claim", "first_bad", "ok", "event", "words"), [
    (claim("a" * 64), None, True, 5, "台账重算一致"),
    (claim("a" * 64), 4, False, 5, "自第 4 号事件起已被改动"),
    (claim("a" * 64, recorded_at=5), None, False, 5, "晚于记下它的第 5 号事件"),
    (claim("f" * 64, others=("a" * 64,)), None, False, 5, "台账记下的是第 5 号事件时的链头 aaaaaaaaaaaaaaaa…"),
    (claim("f" * 64, recorded_at=None, moment=START), None, False, 7, "不在台账重算的链上；它写于"),
    (claim("f" * 64), None, False, None, "也无法确定它对应哪个事件"),
])
def test_a_chain_head_read_back_is_judged_and_placed(the_claim: Claim, first_bad: int | None, ok: bool,
                                                     event: int | None, words: str) -> None:
    [check] = judge([the_claim], {"a" * 64: 5}, first_bad, lambda n: "b" * 64, lambda moment: 7)
    assert (check.ok, check.event) == (ok, event)
    assert words in check.message and "磁带 TAF001L9" in check.message


def test_months_and_cells_read_as_people_write_them() -> None:
    march = parse_month("2026-03")
    assert march.contains(datetime(2026, 3, 31, 23, 59).astimezone())
    assert not march.contains(datetime(2026, 4, 1).astimezone())
    assert parse_month("2026-12").end == datetime(2027, 1, 1).astimezone()
    assert previous_month(datetime(2026, 4, 1, 6, 30).astimezone()) == "2026-03"
    for wrong in ("2026-00", "2026-13", "0000-01", "0001-01", "9999-12", "26-03"):
        with pytest.raises(BadMonth):
            parse_month(wrong)
    assert [cell(v) for v in (True, None, 0.125, 2.0, ["a", "b"], 12)] == ["是", "", "0.125", "2", "a、b", "12"]


def test_a_chart_reads_in_the_largest_unit_its_highest_bar_reaches() -> None:
    assert chart_unit(0) == (1.0, "B") and chart_unit(1023) == (1.0, "B")
    assert chart_unit(1024) == (1024.0, "KiB")
    assert chart_unit(6.3 * 2**20) == (2.0**20, "MiB")
    assert chart_unit(3 * 2**50) == (2.0**40, "TiB")  # TiB is the largest unit
