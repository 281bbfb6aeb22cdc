"""The lifecycle use case: status per cartridge, the preview, and the retention check over the ledger."""

from __future__ import annotations

from typing import Any

from ledger.rules import PreviewKind, Reason
from media import lifecycle
from tests.media.story import PHONE, at, backup_month, labelled, manual_clock, rotate_out, write_package


def change(services: Any, key: str, value: object) -> None:
    services.ledger.change_setting(key, value, old=services.effective(key), by="admin")


def verdicts(services: Any, now: Any) -> dict[str, Any]:
    return {row["barcode"]: verdict for row, verdict in lifecycle.status(services, now)}


def seven_months(services: Any) -> Any:
    """TAF001L9 holds 2026-01 (rotated out in July); TAF002L9 holds 2026-02…2026-07, all active."""
    manual = manual_clock(at(2026, 1, 1))
    ledger = services.ledger
    labelled(ledger, "TAF001L9")
    labelled(ledger, "TAF002L9")
    labelled(ledger, "TAF003L9")
    backup_month(ledger, manual, at(2026, 1, 1), "TAF001L9")
    for month in range(2, 8):
        backup_month(ledger, manual, at(2026, month, 1), "TAF002L9")
    rotate_out(ledger, "2026-01")
    return manual


def test_each_cartridge_says_when_it_becomes_free_and_why(services) -> None:  # noqa: ANN001
    seven_months(services)
    found = verdicts(services, at(2026, 7, 2))
    assert found["TAF003L9"].reason is Reason.SCRATCH and "空白磁带" in found["TAF003L9"].explanation
    assert found["TAF002L9"].reason is Reason.ACTIVE_GROUP
    assert "2026-02、2026-03" in found["TAF002L9"].explanation
    # Written 2026-01-01 with the default six months: free from 2026-07-01, which has passed.
    assert found["TAF001L9"].reason is Reason.EXPIRED and found["TAF001L9"].expired
    assert "2026-07-01" in found["TAF001L9"].explanation


def test_an_unset_retention_follows_the_default_in_force(sqlite_services) -> None:  # noqa: ANN001
    services = sqlite_services
    seven_months(services)
    change(services, "default_retention_months", 8)
    found = verdicts(services, at(2026, 7, 2))["TAF001L9"]
    assert found.reason is Reason.RETENTION_PENDING and "2026-09-01" in found.explanation
    services.ledger.change_retention("TAF001L9", 3, by="admin")  # the cartridge's own setting wins
    assert verdicts(services, at(2026, 7, 2))["TAF001L9"].reason is Reason.EXPIRED


def test_a_group_nobody_opened_keeps_its_cartridge_held(sqlite_services) -> None:  # noqa: ANN001
    services = sqlite_services
    manual_clock(at(2025, 1, 1))
    labelled(services.ledger, "TAF009L9")
    write_package(services.ledger, "TAF009L9", "2025-01")  # the group itself was never recorded
    found = verdicts(services, at(2026, 7, 2))["TAF009L9"]
    assert found.reason is Reason.UNKNOWN_GROUP and not found.expired


def test_an_erased_cartridge_is_blank_again_not_expired(sqlite_services) -> None:  # noqa: ANN001
    services = sqlite_services
    seven_months(services)
    cartridge = services.ledger.cartridge("TAF001L9")
    cartridge.erase("short", active_groups=[f"2026-0{m}" for m in range(2, 8)], by="admin")
    services.ledger.save(cartridge)
    assert verdicts(services, at(2026, 7, 2))["TAF001L9"].reason is Reason.SCRATCH


def test_the_preview_uses_the_schedule_and_settings_in_force(sqlite_services) -> None:  # noqa: ANN001
    services = sqlite_services
    seven_months(services)
    shown = lifecycle.preview(services, at(2026, 7, 2))
    assert f"{shown.next_backup_at:%Y-%m-%d %H:%M}" == "2026-08-01 02:00"
    assert shown.decision.group == "2026-08" and shown.rotating_out == ("2026-02",)
    assert shown.erased == ("TAF001L9",)

    change(services, "monthly_backup_cron", "30 1 15 * *")
    change(services, "active_groups", 4)
    change(services, "auto_erase_expired", False)
    shown = lifecycle.preview(services, at(2026, 7, 2))
    assert f"{shown.next_backup_at:%Y-%m-%d %H:%M}" == "2026-07-15 01:30"
    assert shown.decision.group == "2026-07" and shown.decision.is_append
    assert shown.rotating_out == ("2026-02", "2026-03")
    assert shown.erased == ()
    assert [i.subject for i in shown.items if i.kind is PreviewKind.CARTRIDGE_EXPIRED_KEPT] == ["TAF001L9"]


def test_the_check_marks_expired_cartridges_once(services) -> None:  # noqa: ANN001
    seven_months(services)
    summary = lifecycle.check(services, at(2026, 7, 2), by="王工")
    assert summary.checked == 3
    assert [barcode for barcode, _ in summary.expired] == ["TAF001L9"]
    assert summary.already_expired == [] and summary.alerts == [] and summary.notifications == 0
    row = services.inventory.by_barcode("TAF001L9")
    assert row["status"] == "expired"
    services.catch_up()
    reasons = [r["summary"] for r in services.audit.recent(5, "磁带")]
    assert reasons[0].startswith("磁带到期：已过期") and "执行人 王工" in reasons[0]

    head = services.ledger.head_id()
    again = lifecycle.check(services, at(2026, 7, 3), by="王工")
    assert again.expired == [] and again.already_expired == ["TAF001L9"]
    assert services.ledger.head_id() == head


def test_an_interlock_conflict_is_notified_once_a_day(services) -> None:  # noqa: ANN001
    seven_months(services)
    services.ledger.add_recipient("值班", PHONE, ["system_exception"], by="admin")
    services.ledger.change_retention("TAF002L9", 1, by="admin")  # shorter than its groups' life
    summary = lifecycle.check(services, at(2026, 9, 2), by="scheduler")
    assert [barcode for barcode, _ in summary.alerts] == ["TAF002L9"]
    assert "不会被擦除" in summary.alerts[0][1]
    assert summary.notifications == 1
    [note] = services.notification_log.by_cause("interlock:TAF002L9:2026-09-02")
    assert note["kind"] == "system_exception" and note["phone"] == PHONE
    assert "磁带存活期检查" in note["title"] and "TAF002L9" in note["content"]

    assert lifecycle.check(services, at(2026, 9, 2, 18), by="scheduler").notifications == 0
    assert lifecycle.check(services, at(2026, 9, 3), by="scheduler").notifications == 1
    assert services.inventory.by_barcode("TAF002L9")["status"] == "active"  # never marked for erase
