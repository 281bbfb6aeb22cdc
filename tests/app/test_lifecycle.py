"""The lifecycle service (app/lifecycle.py) over the ledger and its views, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from app.facade import make_app
from app.lifecycle import CannotPreview, Lifecycle
from kernel.errors import EXIT_FAILURE, describe
from tests.media.story import PHONE, at, backup_month, labelled, manual_clock, rotate_out


def lifecycle_of(services: Any) -> Lifecycle:
    return make_app(services).lifecycle


def seven_months(services: Any) -> None:
    """TAF001L9 holds 2026-01 (rotated out in July); TAF002L9 holds 2026-02…2026-07; TAF003L9 is blank."""
    manual = manual_clock(at(2026, 1, 1))
    ledger = services.ledger
    for barcode in ("TAF001L9", "TAF002L9", "TAF003L9"):
        labelled(ledger, barcode)
    backup_month(ledger, manual, at(2026, 1, 1), "TAF001L9")
    for month in range(2, 8):
        backup_month(ledger, manual, at(2026, month, 1), "TAF002L9")
    rotate_out(ledger, "2026-01")


def test_status_says_when_each_tape_becomes_free_and_why(services: Any) -> None:
    seven_months(services)
    status = lifecycle_of(services).status(at(2026, 7, 2))
    rows = {entry.barcode: entry for entry in status.cartridges}
    assert (rows["TAF001L9"].reason, rows["TAF001L9"].free_when) == ("expired", "现在（2026-07-01 起）")
    assert rows["TAF001L9"].expired and "最后写入于 2026-01-01" in rows["TAF001L9"].explanation
    assert (rows["TAF002L9"].status_label, rows["TAF002L9"].free_when) == ("使用中", "所含备份组轮换后")
    assert rows["TAF002L9"].groups == [f"2026-0{m}" for m in range(2, 8)]
    assert (rows["TAF003L9"].status_label, rows["TAF003L9"].free_when) == ("空白", "现在（空白）")
    assert rows["TAF001L9"].retention_months is None and rows["TAF001L9"].retention_in_force == 6
    groups = {group.name: group for group in status.groups}
    assert not groups["2026-01"].active and groups["2026-01"].rotated_out_at is not None
    assert groups["2026-07"].active and groups["2026-07"].runs == 1


def test_the_preview_follows_the_schedule_and_settings_in_force(sqlite_services: Any) -> None:
    services = sqlite_services
    seven_months(services)
    shown = lifecycle_of(services).preview(at(2026, 7, 2))
    assert shown.next_backup_text == "2026-08-01 02:00" and shown.group == "2026-08"
    assert (shown.rotating_out, shown.erased, shown.keep, shown.auto_erase) == (["2026-02"], ["TAF001L9"], 6, True)
    assert any("TAF001L9" in line.sentence for line in shown.items)

    make_app(services).settings.change("active_groups", "4", actor="admin")
    make_app(services).settings.change("auto_erase_expired", "false", actor="admin")
    shown = lifecycle_of(services).preview(at(2026, 7, 2))
    assert shown.rotating_out == ["2026-02", "2026-03", "2026-04"] and shown.erased == []
    assert shown.keep == 4 and not shown.auto_erase


def test_a_preview_against_a_clock_before_the_newest_group_is_refused_in_chinese(sqlite_services: Any) -> None:
    services = sqlite_services
    seven_months(services)
    head = services.ledger.head_id()
    with pytest.raises(CannotPreview) as refused:
        lifecycle_of(services).preview(at(2025, 11, 2))
    report = describe(refused.value)
    assert report.exit_code == EXIT_FAILURE and report.message.startswith("无法预览：备份组只能按月份向前推进")
    assert services.ledger.head_id() == head


def test_the_check_marks_expired_tapes_once_naming_who_ran_it(services: Any) -> None:
    seven_months(services)
    lifecycle = lifecycle_of(services)
    summary = lifecycle.check(actor="王工", now=at(2026, 7, 2))
    assert (summary.checked, summary.by, [barcode for barcode, _ in summary.expired]) == (3, "王工", ["TAF001L9"])
    [line] = make_app(services).audit.recent_events(1)
    assert (line.event, line.actor) == ("Cartridge.Expired", "系统") and "执行人 王工" in line.summary

    head = services.ledger.head_id()
    again = lifecycle.check(actor="王工", now=at(2026, 7, 3))
    assert again.expired == [] and again.already_expired == ["TAF001L9"]
    assert services.ledger.head_id() == head
    assert {e.barcode: e.status for e in lifecycle.status(at(2026, 7, 3)).cartridges}["TAF001L9"] == "expired"


def test_an_interlock_conflict_is_reported_and_queued_once_a_day(sqlite_services: Any) -> None:
    services = sqlite_services
    seven_months(services)
    services.ledger.add_recipient("值班", PHONE, ["system_exception"], by="admin")
    services.ledger.change_retention("TAF002L9", 1, by="admin")  # shorter than its groups' life
    lifecycle = lifecycle_of(services)
    first = lifecycle.check(actor="scheduler", now=at(2026, 9, 2))
    assert [barcode for barcode, _ in first.alerts] == ["TAF002L9"] and first.notifications == 1
    assert lifecycle.check(actor="scheduler", now=at(2026, 9, 2, 18)).notifications == 0
    assert "TAF002L9" in lifecycle.preview(at(2026, 9, 2)).alerts[0]
