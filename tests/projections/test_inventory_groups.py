"""Inventory, groups, notification log and recipients views — on SQLite and on PostgreSQL."""

from __future__ import annotations

from projections.audit_text import describe
from tests.media.story import (
    OTHER_PHONE,
    PHONE,
    at,
    labelled,
    manual_clock,
    open_group,
    rotate_out,
    write_package,
)


def test_the_inventory_follows_a_cartridge_from_registration_to_erase(services) -> None:  # noqa: ANN001
    manual = manual_clock(at(2026, 1, 5))
    ledger = services.ledger
    ledger.register_cartridge("CLN001CU", media_type="CLN", by="admin")
    labelled(ledger, "TAF001L9")
    services.catch_up()
    row = services.inventory.by_barcode("TAF001L9")
    assert row["status"] == "scratch" and row["volume_serial"] == "TAF001" and row["label_sequence"] == 1
    assert row["groups"] == [] and row["last_written_at"] is None and row["retention_months"] is None
    assert row["capacity_bytes"] == 18_000_000_000_000 and row["location"] == "slot:1" and row["worm"] is False
    assert services.inventory.by_barcode("CLN001CU")["status"] == "cleaning"

    cartridge = ledger.cartridge("TAF001L9")
    cartridge.loaded("nst0", by="admin")
    ledger.save(cartridge)
    manual.advance(days=1)
    write_package(ledger, "TAF001L9", "2026-01", size=700)
    write_package(ledger, "TAF001L9", "2026-01", size=300)
    write_package(ledger, "TAF001L9", "2026-02", size=5)
    cartridge = ledger.cartridge("TAF001L9")
    cartridge.mark_full(bytes_written=1005, reason="早期预警")
    cartridge.unloaded("nst0", location="slot:4", by="admin")
    cartridge.change_retention(12, by="admin")
    cartridge.record_health({"tapealert": [], "mounts": 3})
    ledger.save(cartridge)
    services.catch_up()
    row = services.inventory.by_barcode("TAF001L9")
    assert row["status"] == "full" and row["location"] == "slot:4"
    assert row["bytes_written"] == 1005 and row["package_count"] == 3
    assert row["groups"] == ["2026-01", "2026-02"] and row["retention_months"] == 12
    assert row["last_written_at"].startswith("2026-01-06") and row["health"] == {"mounts": 3, "tapealert": []}
    assert [r["barcode"] for r in services.inventory.by_status("full")] == ["TAF001L9"]

    cartridge = ledger.cartridge("TAF001L9")
    cartridge.expire(reason="存活期已过")
    ledger.save(cartridge)
    services.catch_up()
    assert services.inventory.by_barcode("TAF001L9")["status"] == "expired"
    cartridge = ledger.cartridge("TAF001L9")
    cartridge.erase("short", active_groups=[], by="admin")
    ledger.save(cartridge)
    services.catch_up()
    row = services.inventory.by_barcode("TAF001L9")
    assert row["status"] == "scratch" and row["label_sequence"] == 1 and row["groups"] == []
    assert row["bytes_written"] == 0 and row["package_count"] == 0 and row["last_written_at"] is None
    assert [r["barcode"] for r in services.inventory.all()] == ["CLN001CU", "TAF001L9"]
    assert services.inventory.by_barcode("NOPE00L9") is None


def test_the_groups_view_knows_runs_rotation_and_which_cartridges_hold_each_group(services) -> None:  # noqa: ANN001
    manual = manual_clock(at(2026, 1, 1, 2))
    ledger = services.ledger
    labelled(ledger, "TAF001L9")
    labelled(ledger, "TAF002L9")
    open_group(ledger, "2026-01", by="scheduler")
    write_package(ledger, "TAF001L9", "2026-01")
    write_package(ledger, "TAF002L9", "2026-01")
    group = ledger.group("2026-01")
    group.add_run(job_id="job-second", run_number=2)
    group.add_cartridge("TAF003L9")  # recorded by the backup layer before the tape's first package
    ledger.save(group)
    manual.advance(days=31)
    open_group(ledger, "2026-02")
    write_package(ledger, "TAF002L9", "2026-02")
    services.catch_up()

    first = services.groups.by_name("2026-01")
    assert first["active"] is True and first["runs"] == 2 and first["run_ids"] == ["job-2026-01", "job-second"]
    assert first["cartridges"] == ["TAF001L9", "TAF002L9", "TAF003L9"]
    assert first["opened_by"] == "scheduler" and first["opened_at"].startswith("2026-01-01")

    manual.advance(days=1)
    rotate_out(ledger, "2026-01")
    cartridge = ledger.cartridge("TAF001L9")
    cartridge.erase("short", active_groups=["2026-02"], by="admin")
    ledger.save(cartridge)
    services.catch_up()
    first = services.groups.by_name("2026-01")
    assert first["active"] is False and first["rotated_out_at"].startswith("2026-02-02")
    assert first["rotation_reason"] == "活动备份组超过 6 个"
    assert first["cartridges"] == ["TAF002L9", "TAF003L9"]  # the erased tape no longer holds it
    assert [g["name"] for g in services.groups.active()] == ["2026-02"]
    assert [g["name"] for g in services.groups.all()] == ["2026-01", "2026-02"]
    assert services.groups.by_name("2025-12") is None


def test_the_notification_log_tells_each_delivery_story(services) -> None:  # noqa: ANN001
    manual_clock(at(2026, 3, 1))
    ledger = services.ledger
    first, _ = ledger.queue_notification("c1:backup_failed:" + PHONE, kind="backup_failed", phone=PHONE,
                                         title="备份失败", content="内容一", cause="c1")
    second, _ = ledger.queue_notification("c1:backup_failed:" + OTHER_PHONE, kind="backup_failed",
                                          phone=OTHER_PHONE, title="备份失败", content="内容二", cause="c1")
    third, _ = ledger.queue_notification("c2:erase_done:" + PHONE, kind="erase_done", phone=PHONE,
                                         title="擦除完成", content="内容三", cause="c2")
    first.start_attempt(1, "2026-03-01T12:01:00+00:00")
    first.deliver("task_1")
    second.start_attempt(1, "2026-03-01T12:01:00+00:00")
    second.attempt_failed(1, "网关暂时出错（HTTP 500）", "2026-03-01T12:01:00+00:00")
    third.fail("钉钉网关拒绝了这条消息")
    ledger.save(first, second, third)
    services.catch_up()

    log = services.notification_log
    rows = {row["id"]: row for row in log.recent(10)}
    assert [row["id"] for row in log.recent(10)] == [str(third.id), str(second.id), str(first.id)]
    assert rows[str(first.id)]["status"] == "delivered" and rows[str(first.id)]["task_id"] == "task_1"
    assert rows[str(first.id)]["attempts"] == 1 and rows[str(first.id)]["delivered_at"] is not None
    assert rows[str(second.id)]["status"] == "queued" and rows[str(second.id)]["attempts"] == 1
    assert rows[str(second.id)]["last_error"] == "网关暂时出错（HTTP 500）"
    assert rows[str(third.id)]["status"] == "failed" and rows[str(third.id)]["attempts"] == 0
    assert [row["id"] for row in log.pending()] == [str(second.id)]
    assert [row["phone"] for row in log.by_cause("c1")] == [PHONE, OTHER_PHONE]
    assert log.by_id(str(first.id))["content"] == "内容一" and log.by_id("nope") is None


def test_notification_events_carry_absolute_attempt_counts(services) -> None:  # noqa: ANN001
    note, _ = services.ledger.queue_notification("k", kind="test_message", phone=PHONE, title="t", content="c")
    note.start_attempt(1, "2026-03-01T12:01:00+00:00")
    note.attempt_failed(1, "超时", "2026-03-01T12:02:00+00:00")  # the same attempt: counted once
    note.start_attempt(2, "2026-03-01T12:04:00+00:00")
    note.deliver("task_9")
    note.deliver("task_10")  # a late second mark changes nothing
    note.fail("迟到的失败")
    services.ledger.save(note)
    again = services.ledger.notification(note.id)
    assert (again.status, again.attempts, again.task_id) == ("delivered", 2, "task_9")
    assert describe("Notification.AttemptFailed", {"attempts": 1, "error": "超时"}) == \
        "通知第 1 次发送未成功，稍后重试：超时"
    assert describe("Notification.Delivered", {"attempts": 2, "task_id": "task_9"}) == \
        "通知已送达（网关任务 task_9，共尝试 2 次）"


def test_the_recipients_view_lists_current_recipients_by_event(services) -> None:  # noqa: ANN001
    ledger = services.ledger
    ops = ledger.add_recipient("值班", PHONE, ["backup_failed", "system_exception"], by="admin")
    boss = ledger.add_recipient("主管", OTHER_PHONE, ["backup_succeeded"], by="admin")
    boss.update(by="李工", events=["backup_succeeded", "backup_failed"])
    ops.remove(by="admin")
    ledger.save(boss, ops)
    services.catch_up()
    view = services.recipients
    assert [r["name"] for r in view.all()] == ["主管"]
    assert [r["name"] for r in view.all(include_removed=True)] == ["值班", "主管"]
    assert [r["phone"] for r in view.for_event("backup_failed")] == [OTHER_PHONE]
    assert view.for_event("system_exception") == []
    assert view.by_id(str(boss.id))["updated_by"] == "李工"


def test_a_rebuild_of_the_lifecycle_views_gives_the_same_rows(services) -> None:  # noqa: ANN001
    manual = manual_clock(at(2026, 1, 1, 2))
    ledger = services.ledger
    labelled(ledger, "TAF001L9", retention=3)
    open_group(ledger, "2026-01")
    write_package(ledger, "TAF001L9", "2026-01")
    manual.advance(days=40)
    rotate_out(ledger, "2026-01")
    ledger.add_recipient("值班", PHONE, ["system_exception"], by="admin")
    note, _ = ledger.queue_notification("k", kind="system_exception", phone=PHONE, title="t", content="c")
    note.start_attempt(1, "2026-02-10T12:00:00+00:00")
    ledger.save(note)
    services.catch_up()

    def snapshot() -> tuple[object, ...]:
        return (services.inventory.all(), services.groups.all(), services.notification_log.recent(100),
                services.recipients.all(include_removed=True))

    before = snapshot()
    assert before[0] and before[1] and before[2] and before[3]
    names = ["inventory", "groups", "notifications", "recipients"]
    assert services.projector.rebuild(names) > 0
    assert snapshot() == before
    assert services.projector.rebuild() > 0  # the blanket rebuild includes them too
    assert snapshot() == before
