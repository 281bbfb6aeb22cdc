"""The same view tests on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from ledger import clock
from projections.audit import AuditLogView
from projections.runner import ProjectionThread, Projector
from projections.settings_view import SettingsView
from projections.store import DuplicateTracking, SqliteViewStore


def change(services, key: str, value: object, by: str = "admin") -> None:  # noqa: ANN001
    services.ledger.change_setting(key, value, old=services.effective(key), by=by)


def test_the_audit_log_follows_the_ledger_in_chinese(services) -> None:  # noqa: ANN001
    change(services, "default_retention_months", 9, by="张工")
    services.ledger.register_cartridge("TAF001L9", by="张工")
    services.catch_up()
    rows = services.audit.recent(10)
    assert [r["event"] for r in rows] == ["Cartridge.Registered", "Settings.SettingChanged", "Settings.Created"]
    assert rows[0]["summary"] == "登记磁带 TAF001L9（L9，池 默认）"
    assert rows[1]["summary"] == "设置 默认存活期（default_retention_months）由 6 个月 改为 9 个月"
    assert rows[1]["actor"] == "张工" and rows[1]["category"] == "配置"
    assert [r["event"] for r in services.audit.recent(10, "磁带")] == ["Cartridge.Registered"]


def test_the_settings_view_shows_the_value_in_force(services) -> None:  # noqa: ANN001
    change(services, "monthly_backup_cron", "0 1 1 * *")
    change(services, "monthly_backup_cron", "30 1 1 * *", by="李工")
    services.catch_up()
    assert services.settings_view.values() == {"monthly_backup_cron": "30 1 1 * *"}
    assert services.settings_view.rows()[0]["changed_by"] == "李工"


def test_each_event_is_applied_exactly_once(services) -> None:  # noqa: ANN001
    change(services, "active_groups", 5)
    assert services.catch_up() == 2 + 1 + 2  # audit and chain see both events, settings its one change
    assert services.catch_up() == 0
    view = services.audit
    last = services.ledger.head_id()
    with pytest.raises(DuplicateTracking), view.store.transaction() as cursor:
        view.store.set_tracking(cursor, view.name, last, previous=last - 1)
    with pytest.raises(DuplicateTracking), view.store.transaction() as cursor:
        view.store.set_tracking(cursor, view.name, last + 1, previous=0)
    assert view.position() == last
    assert len(view.recent(50)) == 2


def test_a_replayed_batch_rolls_back_the_rows_with_the_tracking(services) -> None:  # noqa: ANN001
    change(services, "active_groups", 4)
    services.catch_up()
    view = services.settings_view
    notification = list(services.ledger.notifications())[-1]
    event = services.ledger.mapper.to_domain_event(notification)
    forged = type(event)(originator_id=event.originator_id, originator_version=event.originator_version,
                         timestamp=event.timestamp, key="active_groups", old=4, new=99, by="x")
    with pytest.raises(DuplicateTracking), view.store.transaction() as cursor:
        view.store.set_tracking(cursor, view.name, notification.id, previous=notification.id - 1)
        view.apply(cursor, [(forged, notification)])
    assert view.values() == {"active_groups": 4}


def test_a_rebuild_gives_the_same_rows(services) -> None:  # noqa: ANN001
    for months in (7, 8, 9):
        change(services, "default_retention_months", months)
    services.ledger.register_cartridge("TAF002L9")
    services.catch_up()
    before = (services.audit.recent(100), services.settings_view.rows(), services.chain.head())
    # A rebuild applies exactly what a fresh projector would, view by view (the chain excepted).
    fresh_store = SqliteViewStore(":memory:")
    fresh = Projector(services.ledger, [type(v)(fresh_store) for v in services.projector.views if v.rebuild_with_all])
    assert services.projector.rebuild() == fresh.catch_up() >= 5 + 3
    fresh_store.close()
    after = (services.audit.recent(100), services.settings_view.rows(), services.chain.head())
    assert after == before


def test_two_projectors_racing_apply_every_event_once(services) -> None:  # noqa: ANN001
    for months in range(2, 40):
        change(services, "default_retention_months", months)
    second = Projector(services.ledger, [AuditLogView(services.store)], batch=7)
    services.projector.batch = 5
    threads = [threading.Thread(target=services.projector.catch_up, args=(["audit_log"],)),
               threading.Thread(target=second.catch_up)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [row["id"] for row in services.audit.recent(1000)]
    assert sorted(ids) == list(range(1, services.ledger.head_id() + 1))


def test_state_as_of_a_past_moment_is_rebuilt_in_memory(services) -> None:  # noqa: ANN001
    manual = clock.ManualClock(datetime(2026, 1, 10, tzinfo=UTC))
    clock.set_clock(manual)
    change(services, "default_retention_months", 7)
    manual.advance(days=30)
    change(services, "default_retention_months", 11)
    memory = SqliteViewStore(":memory:")
    past = Projector(services.ledger, [SettingsView(memory)], until=datetime(2026, 1, 20, tzinfo=UTC))
    past.catch_up()
    assert past.view("settings").values() == {"default_retention_months": 7}
    memory.close()


def test_the_projection_thread_keeps_views_current(services) -> None:  # noqa: ANN001
    thread = ProjectionThread(services.projector, interval=0.05)
    thread.start()
    try:
        change(services, "active_groups", 3)
        deadline = datetime.now().timestamp() + 10
        while services.settings_view.values() != {"active_groups": 3}:
            assert datetime.now().timestamp() < deadline, "视图没有跟上台账"
            thread.stopped.wait(0.05)
    finally:
        thread.stop()
    assert not thread.errors
