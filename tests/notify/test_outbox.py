"""The ledger as the outbox: queueing per recipient, and delivery through the stand-in over HTTP."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from ledger.secrets import mask
from notify.dispatch import OutcomeKind, RetryPolicy, dispatch_once
from notify.gateway import GatewayClient
from notify.outbox import LedgerOutbox, dispatch_pending, notify_event, queue_message, user_template
from notify.standin import StandIn
from notify.templates import DEFAULT_TEMPLATES, EventKind
from tests.media.story import at, manual_clock
from tests.notify.conftest import CLIENT_TIMEOUT, OTHER_PHONE, PHONE, STALL, TOKEN

FAST = RetryPolicy(base=1.0, cap=8.0, max_attempts=20)
FAILURE = {"component": "数据库", "host": "taf-01", "occurred_at": at(2026, 5, 3), "message": "连接中断"}


def configure_gateway(services: Any, url: str, token: str = TOKEN) -> None:
    services.ledger.change_setting("dingtalk_api_url", url, old=services.effective("dingtalk_api_url"), by="admin")
    services.ledger.change_secret("dingtalk_api_key", ciphertext=services.secret_box.seal(token), hint=mask(token),
                                  old_hint="", by="admin")


def add_recipients(services: Any) -> None:
    services.ledger.add_recipient("值班", PHONE, ["system_exception", "backup_failed"], by="admin")
    services.ledger.add_recipient("主管", OTHER_PHONE, ["system_exception"], by="admin")
    services.ledger.add_recipient("旁观", "13800000009", ["backup_succeeded"], by="admin")


def dispatch(services: Any, manual: Any, **options: Any) -> Any:
    return dispatch_pending(services, manual(), policy=FAST, timeout=CLIENT_TIMEOUT, **options)


def test_an_event_is_queued_once_to_each_interested_recipient(services) -> None:  # noqa: ANN001
    add_recipients(services)
    gone = services.ledger.add_recipient("离职", "13800000005", ["system_exception"], by="admin")
    gone.remove(by="admin")
    services.ledger.save(gone)

    queued = notify_event(services, EventKind.SYSTEM_EXCEPTION, FAILURE, "db:outage-1")
    assert [(n.phone, n.created) for n in queued] == [(PHONE, True), (OTHER_PHONE, True)]
    assert queued[0].title == "【TAF】系统异常：数据库"
    again = notify_event(services, "system_exception", FAILURE, "db:outage-1")
    assert [(n.id, n.created) for n in again] == [(queued[0].id, False), (queued[1].id, False)]
    assert notify_event(services, EventKind.CAPACITY_THRESHOLD, {}, "disk:1") == []

    services.catch_up()
    rows = services.notification_log.by_cause("db:outage-1")
    assert [(r["phone"], r["status"], r["dedupe_key"]) for r in rows] == [
        (PHONE, "queued", f"db:outage-1:system_exception:{PHONE}"),
        (OTHER_PHONE, "queued", f"db:outage-1:system_exception:{OTHER_PHONE}"),
    ]
    assert "连接中断" in rows[0]["content"]


def test_user_templates_come_from_the_settings(sqlite_services) -> None:  # noqa: ANN001
    services = sqlite_services
    kind = EventKind.SYSTEM_EXCEPTION
    assert user_template(services, kind) is None
    services.ledger.change_setting("template.system_exception", "**{{ component }}** 出错：{{ message }}",
                                   old=None, by="admin")
    template = user_template(services, kind)
    assert template.content.startswith("**{{ component }}**") and template.title == DEFAULT_TEMPLATES[kind].title
    services.ledger.change_setting("template.system_exception.title", "告警 {{ host }}", old=None, by="admin")
    [notice] = queue_message(services, kind, FAILURE, "t1", [PHONE])
    assert notice.title == "告警 taf-01"
    services.ledger.change_setting("template.system_exception",
                                   json.dumps({"title": "JSON 标题", "content": "JSON 内容 {{ host }}"}),
                                   old=None, by="admin")
    assert user_template(services, kind).content == "JSON 内容 {{ host }}"
    assert user_template(services, kind).title == "告警 {{ host }}"  # the .title key wins

    services.ledger.change_setting("template.system_exception", "{% if %}", old=None, by="admin")
    [broken] = queue_message(services, kind, FAILURE, "t2", [PHONE])
    assert broken.fallback_reason and "默认模板" in broken.fallback_reason
    services.catch_up()
    assert "连接中断" in services.notification_log.by_id(broken.id)["content"]


def test_without_a_gateway_nothing_is_sent_and_nothing_is_lost(sqlite_services) -> None:  # noqa: ANN001
    services = sqlite_services
    add_recipients(services)
    notify_event(services, EventKind.SYSTEM_EXCEPTION, FAILURE, "c")
    run = dispatch_pending(services, at(2026, 5, 3))
    assert run.enabled is False and "通知功能未启用" in run.message and run.report.outcomes == ()
    services.catch_up()
    assert len(services.notification_log.pending()) == 2


def test_pending_notifications_are_delivered_and_recorded(services, standin: StandIn) -> None:  # noqa: ANN001
    manual = manual_clock(at(2026, 5, 3))
    configure_gateway(services, standin.url)
    add_recipients(services)
    queued = notify_event(services, EventKind.SYSTEM_EXCEPTION, FAILURE, "c")
    run = dispatch(services, manual)
    assert run.enabled and run.message == ""
    assert run.report.delivered == [n.id for n in queued]
    assert [(m["phone"], m["title"]) for m in standin.messages] == [(PHONE, "【TAF】系统异常：数据库"),
                                                                  (OTHER_PHONE, "【TAF】系统异常：数据库")]
    assert all(r["authorized"] for r in standin.received)
    rows = services.notification_log.by_cause("c")
    assert [(r["status"], r["attempts"]) for r in rows] == [("delivered", 1), ("delivered", 1)]
    assert {r["task_id"] for r in rows} == {m["task_id"] for m in standin.messages}
    assert dispatch(services, manual).report.outcomes == ()  # nothing left to do
    services.catch_up()
    events = [row["summary"] for row in reversed(services.audit.recent(20, "通知"))]
    assert "第 1 次发送通知，等待网关确认" in events and any(e.startswith("通知已送达") for e in events)


def test_a_gateway_outage_ends_with_everything_delivered_once_in_order(services, standin: StandIn) -> None:  # noqa: ANN001
    manual = manual_clock(at(2026, 5, 3))
    configure_gateway(services, standin.url)
    add_recipients(services)
    causes = [f"outage:{n}" for n in range(4)]
    for cause in causes:
        notify_event(services, EventKind.SYSTEM_EXCEPTION, {**FAILURE, "message": cause}, cause)
        manual.advance(seconds=1)

    standin.fail("503", count=3)
    first = dispatch(services, manual)
    assert first.report.retrying and "暂时不可用" in (first.message or "")
    assert not standin.messages
    for _ in range(30):
        manual.advance(seconds=10)
        if not dispatch(services, manual).report.outcomes:
            break
    for phone in (PHONE, OTHER_PHONE):
        sent = [m["content"] for m in standin.messages if m["phone"] == phone]
        assert [next(c for c in causes if c in text) for text in sent] == causes  # each once, in order
    rows = services.notification_log.recent(100)
    assert len(rows) == 8 and {r["status"] for r in rows} == {"delivered"}
    assert max(r["attempts"] for r in rows) >= 2  # the first one really went through the retries


def test_a_lost_reply_is_found_at_the_gateway_instead_of_sent_twice(sqlite_services, standin: StandIn) -> None:  # noqa: ANN001
    services = sqlite_services
    manual = manual_clock(at(2026, 5, 3))
    configure_gateway(services, standin.url)
    [notice] = queue_message(services, EventKind.TEST_MESSAGE, {"sent_by": "admin", "sent_at": manual()}, "t",
                             [PHONE])
    standin.fail("lost_reply", count=1, sleep=STALL)
    first = dispatch(services, manual)
    assert first.report.retrying == [notice.id] and len(standin.messages) == 1
    manual.advance(seconds=60)
    second = dispatch(services, manual)
    assert [o.kind for o in second.report.outcomes] == [OutcomeKind.ALREADY_DELIVERED]
    assert len(standin.messages) == 1
    row = services.notification_log.by_id(notice.id)
    assert row["status"] == "delivered" and row["task_id"] == standin.messages[0]["task_id"]


class _CrashAfterSend:
    """A gateway whose process dies right after the gateway took the message."""

    def __init__(self, client: GatewayClient) -> None:
        self.client = client

    def send(self, *args: Any, **kwargs: Any) -> Any:
        self.client.send(*args, **kwargs)
        raise KeyboardInterrupt  # stands for the process being killed

    def messages(self, *args: Any, **kwargs: Any) -> Any:
        return self.client.messages(*args, **kwargs)


def test_the_write_ahead_record_survives_a_crash_and_prevents_a_resend(services, standin: StandIn) -> None:  # noqa: ANN001
    manual = manual_clock(at(2026, 5, 3))
    configure_gateway(services, standin.url)
    [notice] = queue_message(services, EventKind.TEST_MESSAGE, {"sent_by": "admin", "sent_at": manual()}, "t",
                             [PHONE])
    with GatewayClient(standin.url, TOKEN, timeout=CLIENT_TIMEOUT) as client, pytest.raises(KeyboardInterrupt):
        dispatch_once(LedgerOutbox(services), _CrashAfterSend(client), manual(), policy=FAST)
    stored = services.ledger.notification(notice.id)
    assert (stored.status, stored.attempts) == ("queued", 1)
    [pending] = LedgerOutbox(services).list_pending(manual())
    assert pending.attempts == 1 and pending.next_attempt_at > manual()

    manual.advance(seconds=60)
    run = dispatch(services, manual)
    assert run.report.delivered == [notice.id] and len(standin.messages) == 1


def test_a_permanent_refusal_fails_one_message_without_holding_the_next(sqlite_services, standin: StandIn) -> None:  # noqa: ANN001
    services = sqlite_services
    manual = manual_clock(at(2026, 5, 3))
    configure_gateway(services, standin.url)
    standin.unknown_phones.add(PHONE)
    [refused] = queue_message(services, EventKind.TEST_MESSAGE, {"sent_by": "a", "sent_at": manual()}, "t1", [PHONE])
    [later] = queue_message(services, EventKind.TEST_MESSAGE, {"sent_by": "b", "sent_at": manual()}, "t2",
                            [OTHER_PHONE])
    run = dispatch(services, manual)
    assert run.report.failed == [refused.id] and run.report.delivered == [later.id]
    row = services.notification_log.by_id(refused.id)
    assert row["status"] == "failed" and "未找到手机号" in row["last_error"] and row["attempts"] == 1
    stored = services.ledger.notification(refused.id)
    assert stored.status == "failed"


def test_a_claimed_attempt_is_told_from_a_failed_one_and_cannot_be_claimed_twice(sqlite_services) -> None:  # noqa: ANN001
    services = sqlite_services
    manual = manual_clock(at(2026, 5, 3))
    [notice] = queue_message(services, EventKind.TEST_MESSAGE, {"sent_by": "a", "sent_at": manual()}, "t", [PHONE])
    outbox = LedgerOutbox(services)
    later = manual() + timedelta(minutes=1)
    assert outbox.claim(notice.id, 1, later)
    assert not outbox.claim(notice.id, 1, later)  # a second dispatcher that listed it too: not its to send
    outbox.mark_retry(notice.id, 1, later, "钉钉网关暂时出错（HTTP 500）")
    [pending] = outbox.list_pending(manual())
    assert (pending.attempts, pending.next_attempt_at) == (1, later)
    outbox.mark_failed(notice.id, "放弃")
    outbox.mark_delivered(notice.id, "task_late")  # too late: the story is closed
    assert outbox.list_pending(manual()) == []
    services.catch_up()
    events = [row["event"] for row in reversed(services.audit.recent(10, "通知"))]
    assert events == ["Notification.Queued", "Notification.AttemptStarted", "Notification.AttemptFailed",
                      "Notification.Failed"]
