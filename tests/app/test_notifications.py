"""The notifications service (app/notifications.py) against a real store and the gateway stand-in on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.errors import BadRequest
from app.facade import make_app
from app.notifications import NoRecipients, Notifications
from ledger.domain.people import NOTIFY_EVENTS
from ledger.errors import InvalidValue, NotFound
from notify.gateway import GatewayNotConfigured
from notify.standin import StandIn, start_standin
from notify.templates import DEFAULT_TEMPLATES, EventKind, TemplateError

TOKEN = "app-test-token"
PHONE = "13800000000"
OTHER_PHONE = "13800000001"


@pytest.fixture
def standin() -> Iterator[StandIn]:
    with start_standin(TOKEN) as running:
        yield running


@pytest.fixture
def online(taf_env: Path, standin: StandIn, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Services whose gateway is the stand-in (`sqlite_services` has none configured)."""
    monkeypatch.setenv("DINGTALK_API_URL", standin.url)
    monkeypatch.setenv("DINGTALK_API_KEY", TOKEN)
    from bootstrap import build

    services = build()
    yield services
    services.close()


def service(services: Any) -> Notifications:
    return make_app(services).notifications


def recent_events(services: Any, count: int) -> list[tuple[str, str]]:
    """(event, actor) of the newest `count` ledger events, oldest first."""
    return [(line.event, line.actor) for line in reversed(make_app(services).audit.recent_events(count))]


def test_recipients_are_added_changed_and_removed_as_ledger_events_naming_who(services: Any) -> None:
    notifications = service(services)
    added = notifications.add_recipient("值班", PHONE, ["backup_failed", "系统异常"], actor="李工")
    assert (added.events, added.updated_by, added.event_labels) == (["backup_failed", "system_exception"], "李工",
                                                            ["备份失败", "系统异常"])
    everyone = notifications.add_recipient("主管", OTHER_PHONE, actor="李工")
    assert everyone.events == list(NOTIFY_EVENTS)
    assert notifications.recipients() == [added, everyone]

    changed = notifications.update_recipient(added.id[:8], phone="138-0000-0002", actor="王工")
    assert (changed.name, changed.phone, changed.events, changed.updated_by) == ("值班", "13800000002", added.events, "王工")
    removed = notifications.remove_recipient(added.id, actor="王工")
    assert removed.removed and removed.updated_by == "王工"

    assert [(r.name, r.phone) for r in notifications.recipients()] == [("主管", OTHER_PHONE)]
    assert recent_events(services, 4) == [("Recipient.Added", "李工"), ("Recipient.Added", "李工"),
                                         ("Recipient.Updated", "王工"), ("Recipient.Removed", "王工")]
    with pytest.raises(NotFound, match="找不到接收人"):
        notifications.remove_recipient(added.id, actor="王工")  # already gone


def test_bad_recipient_input_is_refused_in_chinese_and_changes_nothing(services: Any) -> None:
    notifications = service(services)
    kept = notifications.add_recipient("值班", PHONE, ["backup_failed"], actor="李工")
    head = services.ledger.head_id()
    with pytest.raises(InvalidValue, match="通知事件的值无效：未知事件 lunch"):
        notifications.add_recipient("某人", PHONE, ["lunch"], actor="李工")
    with pytest.raises(InvalidValue, match="手机号的值无效：“not-a-phone”不是中国大陆手机号"):
        notifications.add_recipient("某人", "not-a-phone", actor="李工")
    for not_mobile in ("12800138000", "1380013800", "138001380001", "+1 415 555 0100", "010-12345678"):
        with pytest.raises(InvalidValue, match="应为 11 位数字，以 13–19 开头"):
            notifications.add_recipient("某人", not_mobile, actor="李工")
    with pytest.raises(InvalidValue, match="手机号的值无效"):
        notifications.update_recipient(kept.id, phone="12", actor="李工")
    with pytest.raises(InvalidValue, match="未知事件 lunch"):
        notifications.update_recipient(kept.id, events=["lunch"], actor="李工")
    with pytest.raises(BadRequest, match="请至少修改"):
        notifications.update_recipient(kept.id, actor="李工")
    with pytest.raises(NotFound):
        notifications.update_recipient(kept.id[:3], name="x", actor="李工")  # too short to name anyone
    with pytest.raises(NotFound):
        notifications.remove_recipient("zzzz", actor="李工")
    assert services.ledger.head_id() == head
    [row] = notifications.recipients()
    assert (row.name, row.phone, row.events) == ("值班", PHONE, ["backup_failed"])


def test_a_test_message_reaches_every_recipient_through_the_gateway(online: Any, standin: StandIn) -> None:
    notifications = service(online)
    notifications.add_recipient("值班", PHONE, ["backup_failed"], actor="李工")
    notifications.add_recipient("主管", OTHER_PHONE, actor="李工")
    sent = notifications.send_test(actor="李工")
    assert sent.ok and (sent.queued, sent.delivered) == (2, 2)
    assert [(d.phone, d.outcome_label, d.title) for d in sent.run.outcomes] == [
        (PHONE, "已送达", "【TAF】测试消息"), (OTHER_PHONE, "已送达", "【TAF】测试消息")]
    assert sorted(m["phone"] for m in standin.messages) == [PHONE, OTHER_PHONE]
    assert all("发送人：李工" in m["content"] for m in standin.messages)

    one = notifications.send_test("138 0000 0003", actor="李工")
    assert one.ok and [d.phone for d in one.run.outcomes] == ["13800000003"]
    log = notifications.recent(3)
    assert [(e.phone, e.kind_label, e.status_label) for e in log] == [
        ("13800000003", "测试消息", "已送达"), (OTHER_PHONE, "测试消息", "已送达"), (PHONE, "测试消息", "已送达")]
    assert all(e.task_id for e in log)
    assert notifications.dispatch().outcomes == []  # nothing left waiting


def test_without_a_gateway_or_recipients_a_test_message_is_refused_before_anything_is_queued(
        sqlite_services: Any, online: Any) -> None:
    with pytest.raises(GatewayNotConfigured, match="未配置钉钉网关地址"):
        service(sqlite_services).send_test(actor="李工")
    assert service(sqlite_services).recent(10) == []
    with pytest.raises(NoRecipients, match="还没有通知接收人"):
        service(online).send_test(actor="李工")
    with pytest.raises(InvalidValue, match="手机号"):
        service(online).send_test("bad", actor="李工")
    assert service(online).recent(10) == []


def test_dispatch_keeps_messages_while_the_gateway_is_off_or_down_and_delivers_them_later(
        online: Any, standin: StandIn) -> None:
    notifications = service(online)
    notifications.add_recipient("值班", PHONE, actor="李工")
    standin.fail("503", seconds=3600)
    sent = notifications.send_test(actor="李工")
    assert not sent.ok and [d.outcome_label for d in sent.run.outcomes] == ["暂未送达，稍后重试"]
    assert [e.status_label for e in notifications.recent(5)] == ["待发送"]
    standin.recover()
    from ledger import clock

    clock.start_at(clock.now().replace(year=clock.now().year + 1))  # well past every backoff
    run = notifications.dispatch()
    assert run.enabled and run.delivered == 1 and [d.outcome for d in run.outcomes] == ["delivered"]
    assert [e.status for e in notifications.recent(5)] == ["delivered"]


def test_dispatch_without_a_gateway_tries_nothing_and_says_why(sqlite_services: Any) -> None:
    run = service(sqlite_services).dispatch()
    assert not run.enabled and "通知功能未启用" in run.message and run.outcomes == []
    with pytest.raises(BadRequest, match="条数必须是正整数"):
        service(sqlite_services).recent(0)


def test_templates_are_listed_shown_changed_with_a_record_and_used(online: Any, standin: StandIn) -> None:
    notifications = service(online)
    kinds = notifications.template_kinds()
    assert [k.kind for k in kinds] == [k.value for k in EventKind]
    assert ("test_message", "测试消息", False) in [(k.kind, k.label, k.customised) for k in kinds]
    shown = notifications.template("test_message")
    assert (shown.title, shown.customised) == (DEFAULT_TEMPLATES[EventKind.TEST_MESSAGE].title, False)
    assert shown.variables == ("sent_by", "sent_at")

    changed = notifications.set_template("test_message", title="【值班】测试 {{ sent_by }}", actor="王工")
    assert changed.customised and changed.title == "【值班】测试 {{ sent_by }}"
    assert changed.content == DEFAULT_TEMPLATES[EventKind.TEST_MESSAGE].content
    assert {event for event, _ in recent_events(online, 2)} == {"Settings.SettingChanged"}
    assert {actor for _, actor in recent_events(online, 2)} == {"王工"}
    assert notifications.preview_template("test_message").title == "【值班】测试 管理员 admin"
    assert notifications.preview_template("test_message", content="只有 {{ sent_by }}").content == "只有 管理员 admin"

    notifications.send_test(PHONE, actor="李工")
    assert [m["title"] for m in standin.messages] == ["【值班】测试 李工"]


def test_a_template_that_does_not_render_or_an_unknown_kind_is_refused_and_changes_nothing(online: Any) -> None:
    notifications = service(online)
    head = online.ledger.head_id()
    with pytest.raises(TemplateError, match="未知的变量：nosuch"):
        notifications.set_template("test_message", content="{{ nosuch }}", actor="王工")
    with pytest.raises(TemplateError, match="未知的通知类型“lunch”"):
        notifications.set_template("lunch", title="x", actor="王工")
    with pytest.raises(TemplateError, match="未知的通知类型"):
        notifications.template("lunch")
    with pytest.raises(TemplateError, match="语法错误"):
        notifications.preview_template("test_message", title="{% if %}")
    with pytest.raises(TemplateError, match="未知的变量：nosuch"):
        notifications.preview_template("test_message", content="{{ nosuch }}")  # not shown as empty
    with pytest.raises(BadRequest, match="标题或内容"):
        notifications.set_template("test_message", actor="王工")
    assert online.ledger.head_id() == head
    assert not notifications.template("test_message").customised
