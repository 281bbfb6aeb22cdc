"""DingTalk through the API: recipients (`/api/v1/recipients`), message templates (`/api/v1/templates`)
and the test message (`/api/v1/notifications/test`) against the gateway stand-in on 127.0.0.1.
Administrators change; everyone reads; bad input is a Chinese 4xx and nothing is recorded."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from app.facade import make_app
from notify.standin import StandIn, start_standin
from tests.web.conftest import headers, sign_in

TOKEN = "web-standin-token-5521"
PHONE = "13800000041"
OTHER = "13900000042"
EVERY_EVENT = ["backup_succeeded", "backup_failed", "tape_change_needed", "system_exception", "capacity_threshold",
               "verification_mismatch", "erase_done", "monthly_report"]


@pytest.fixture
def standin() -> Iterator[StandIn]:
    with start_standin(TOKEN) as running:
        yield running


@pytest.fixture
def admin(client: TestClient[Litestar]) -> TestClient[Litestar]:
    sign_in(client, "admin")
    return client


def head(services: Any) -> int:
    return int(services.ledger.head_id())


def send(client: TestClient[Litestar], method: str, path: str, body: Any = None) -> Any:
    return client.request(method, path, json=body, headers=headers(client))


def gateway(client: TestClient[Litestar], url: str, token: str) -> None:
    for key, value in (("dingtalk_api_url", url), ("dingtalk_api_key", token)):
        assert send(client, "PUT", f"/api/v1/settings/{key}", {"value": value}).status_code == 200


# -- recipients --------------------------------------------------------------------------------------


def test_a_recipient_is_added_changed_and_removed_each_a_ledger_event_naming_who(admin, client, web_services) -> None:  # noqa: ANN001
    added = send(admin, "POST", "/api/v1/recipients", {"name": " 值班 ", "phone": "+86 138-0000-0041",
                                                        "events": ["backup_failed", "系统异常"]})
    assert added.status_code == 201
    entry = added.json()
    assert (entry["name"], entry["phone"], entry["events"], entry["updated_by"], entry["removed"]) == (
        "值班", PHONE, ["backup_failed", "system_exception"], "admin", False)
    everyone = send(admin, "POST", "/api/v1/recipients", {"name": "主管", "phone": OTHER}).json()
    assert everyone["events"] == EVERY_EVENT

    changed = send(admin, "PUT", f"/api/v1/recipients/{entry['id'][:8]}", {"phone": "13800000043"})
    assert changed.status_code == 200 and changed.json()["phone"] == "13800000043"
    assert changed.json()["events"] == ["backup_failed", "system_exception"] and changed.json()["name"] == "值班"
    renamed = send(admin, "PUT", f"/api/v1/recipients/{entry['id']}", {"name": "夜班", "events": ["erase_done"]})
    assert (renamed.json()["name"], renamed.json()["events"]) == ("夜班", ["erase_done"])

    sign_in(client, "auditor")  # everyone reads
    listed = client.get("/api/v1/recipients").json()
    assert [(r["name"], r["phone"]) for r in listed] == [("夜班", "13800000043"), ("主管", OTHER)]
    assert [c["label"] for c in client.get("/api/v1/recipients/events").json()] == [
        "备份成功", "备份失败", "需要换盘", "系统异常", "容量告警", "校验不一致", "擦除完成", "月度报告"]

    sign_in(client, "admin")
    removed = send(client, "DELETE", f"/api/v1/recipients/{entry['id']}")
    assert removed.status_code == 200 and removed.json()["removed"] is True
    again = send(client, "DELETE", f"/api/v1/recipients/{entry['id']}")
    assert again.status_code == 404 and again.json()["detail"] == f"找不到接收人：{entry['id']}"
    assert [r["name"] for r in client.get("/api/v1/recipients").json()] == ["主管"]
    lines = [(line.event, line.actor) for line in make_app(web_services).audit.recent_events(20)
             if line.event.startswith("Recipient.")]
    assert lines == [("Recipient.Removed", "admin"), ("Recipient.Updated", "admin"), ("Recipient.Updated", "admin"),
                     ("Recipient.Added", "admin"), ("Recipient.Added", "admin")]


@pytest.mark.parametrize(("method", "body", "status", "said"), [
    ("POST", {"name": "某人", "phone": "12345678901"}, 400, "手机号的值无效：“12345678901”不是中国大陆手机号"),
    ("POST", {"name": "某人", "phone": "1380000004"}, 400, "不是中国大陆手机号"),
    ("POST", {"name": "某人", "phone": PHONE, "events": ["lunch"]}, 400, "通知事件的值无效：未知事件 lunch"),
    ("POST", {"name": "  ", "phone": PHONE}, 400, "接收人姓名不能为空"),
    ("POST", {"name": "换\n行", "phone": PHONE}, 400, "不能含有换行或控制字符"),
    ("POST", {"name": "长" * 65, "phone": PHONE}, 400, "最多 64 个字符"),
    ("POST", {"phone": PHONE}, 400, "`name`"),
    ("POST", {"name": "某人", "phone": 13800000041}, 400, "参数 phone"),
    ("PUT", {"phone": "999"}, 400, "不是中国大陆手机号"),
    ("PUT", {}, 400, "请至少修改姓名、手机号或接收的事件中的一项"),
    ("PUT", {"events": ["nope"]}, 400, "未知事件 nope"),
])
def test_bad_recipient_input_is_refused_in_chinese_and_nothing_is_recorded(admin, web_services, method, body,  # noqa: ANN001
                                                                           status, said) -> None:
    kept = send(admin, "POST", "/api/v1/recipients", {"name": "值班", "phone": PHONE}).json()
    before = head(web_services)
    path = "/api/v1/recipients" if method == "POST" else f"/api/v1/recipients/{kept['id']}"
    answer = send(admin, method, path, body)
    assert answer.status_code == status and said in answer.json()["detail"]
    assert head(web_services) == before
    assert admin.get("/api/v1/recipients").json() == [kept]


def test_an_unknown_or_too_short_recipient_id_is_not_guessed(admin, web_services) -> None:  # noqa: ANN001
    kept = send(admin, "POST", "/api/v1/recipients", {"name": "值班", "phone": PHONE}).json()
    before = head(web_services)
    assert send(admin, "PUT", f"/api/v1/recipients/{kept['id'][:3]}", {"name": "x"}).status_code == 404
    unknown = send(admin, "DELETE", "/api/v1/recipients/00000000-0000-0000-0000-000000000000")
    assert unknown.status_code == 404 and unknown.json()["detail"].startswith("找不到接收人")
    assert head(web_services) == before


def test_only_an_administrator_changes_recipients_templates_or_sends_a_test(client, web_services) -> None:  # noqa: ANN001
    for role in ("operator", "auditor"):
        sign_in(client, role)
        before = head(web_services)
        for method, path, body in (("POST", "/api/v1/recipients", {"name": "x", "phone": PHONE}),
                                   ("PUT", "/api/v1/templates/test_message", {"title": "x"}),
                                   ("POST", "/api/v1/templates/test_message/preview", {"title": "x"}),
                                   ("POST", "/api/v1/notifications/test", {"phone": PHONE})):
            answer = send(client, method, path, body)
            assert answer.status_code == 403 and "需要 管理员" in answer.json()["detail"], (role, path)
        assert client.get("/api/v1/recipients").status_code == 200 and client.get("/api/v1/templates").status_code == 200
        assert head(web_services) == before


# -- templates ---------------------------------------------------------------------------------------


def test_a_template_is_shown_previewed_and_changed_with_a_record(admin, client, web_services) -> None:  # noqa: ANN001
    kinds = admin.get("/api/v1/templates").json()
    assert len(kinds) == 10 and {"kind": "backup_failed", "label": "备份失败", "customised": False} in kinds
    shown = admin.get("/api/v1/templates/backup_failed").json()
    assert shown["customised"] is False and "job_id" in shown["variables"] and shown["label"] == "备份失败"

    before = head(web_services)
    preview = send(admin, "POST", "/api/v1/templates/backup_failed/preview", {"title": "【机房】{{ job_id }} 失败"})
    assert preview.status_code == 200
    assert preview.json()["title"].startswith("【机房】") and "{{" not in preview.json()["title"]
    assert preview.json()["content"]  # the content in force, rendered with the sample values
    assert head(web_services) == before  # a preview records nothing

    changed = send(admin, "PUT", "/api/v1/templates/backup_failed", {"title": "【机房】{{ job_id }} 失败"})
    assert changed.status_code == 200
    assert (changed.json()["title"], changed.json()["customised"]) == ("【机房】{{ job_id }} 失败", True)
    assert changed.json()["content"] == shown["content"]
    assert {"kind": "backup_failed", "label": "备份失败", "customised": True} in admin.get("/api/v1/templates").json()
    line = make_app(web_services).audit.recent_events(1)[0]
    assert (line.event, line.actor) == ("Settings.SettingChanged", "admin")
    sign_in(client, "auditor")
    assert client.get("/api/v1/templates/backup_failed").json()["title"] == "【机房】{{ job_id }} 失败"
    history = client.get("/api/v1/settings/history").json()
    assert {(e["key"], e["label"], e["by"]) for e in history} == {("template.backup_failed.title", "通知模板", "admin"),
                                                                 ("template.backup_failed", "通知模板", "admin")}


@pytest.mark.parametrize(("method", "path", "body", "said"), [
    ("PUT", "/api/v1/templates/backup_failed", {"content": "{{ nosuch }}"}, "未知的变量：nosuch"),
    ("PUT", "/api/v1/templates/backup_failed", {"title": "{% if %}"}, "标题"),
    ("PUT", "/api/v1/templates/backup_failed", {}, "请至少修改模板的标题或内容"),
    ("PUT", "/api/v1/templates/backup_failed", {"title": "x\x00"}, "不能含有控制字符"),
    ("PUT", "/api/v1/templates/lunch", {"title": "x"}, "未知的通知类型“lunch”"),
    ("PUT", "/api/v1/templates/backup_failed", {"title": 5}, "参数 title"),
    ("POST", "/api/v1/templates/backup_failed/preview", {"content": "{{ nosuch }}"}, "未知的变量：nosuch"),
    ("POST", "/api/v1/templates/lunch/preview", {}, "未知的通知类型“lunch”"),
])
def test_a_template_that_does_not_render_is_refused_and_nothing_changes(admin, web_services, method, path,  # noqa: ANN001
                                                                      body, said) -> None:
    before = head(web_services)
    answer = send(admin, method, path, body)
    assert answer.status_code == 400 and said in answer.json()["detail"]
    assert head(web_services) == before
    assert admin.get("/api/v1/templates/backup_failed").json()["customised"] is False
    unknown = admin.get("/api/v1/templates/lunch")
    assert unknown.status_code == 400 and "未知的通知类型" in unknown.json()["detail"]


# -- the test message --------------------------------------------------------------------------------


def test_a_test_message_goes_through_the_gateway_and_its_answer_comes_back(admin, standin, web_services) -> None:  # noqa: ANN001
    gateway(admin, standin.url, TOKEN)
    send(admin, "POST", "/api/v1/recipients", {"name": "值班", "phone": PHONE})
    send(admin, "POST", "/api/v1/recipients", {"name": "主管", "phone": OTHER})
    sent = send(admin, "POST", "/api/v1/notifications/test")
    assert sent.status_code == 200
    body = sent.json()
    assert body["queued"] == body["delivered"] == 2
    assert sorted(d["phone"] for d in body["run"]["outcomes"]) == [PHONE, OTHER]
    assert {d["outcome_label"] for d in body["run"]["outcomes"]} == {"已送达"}
    tasks = {message["task_id"] for message in standin.messages}
    assert {answer["task_id"] for answer in body["answers"]} == tasks and len(tasks) == 2
    assert {(answer["status"], answer["message"], answer["ok"]) for answer in body["answers"]} == {
        ("completed", "查询成功", True)}
    assert all("admin" in message["content"] for message in standin.messages)
    assert TOKEN not in sent.text

    one = send(admin, "POST", "/api/v1/notifications/test", {"phone": "139 0000 0042"}).json()
    assert [d["phone"] for d in one["run"]["outcomes"]] == [OTHER] and one["delivered"] == 1
    assert len(standin.messages) == 3
    log = make_app(web_services).notifications.recent(3)
    assert [(entry.kind_label, entry.status_label) for entry in log] == [("测试消息", "已送达")] * 3


def test_a_wrong_token_shows_the_gateways_refusal_and_delivers_nothing(admin, standin) -> None:  # noqa: ANN001
    gateway(admin, standin.url, "not-the-token-000")
    sent = send(admin, "POST", "/api/v1/notifications/test", {"phone": PHONE})
    assert sent.status_code == 200
    body = sent.json()
    assert body["delivered"] == 0 and body["answers"] == []
    [outcome] = body["run"]["outcomes"]
    assert outcome["outcome_label"] == "发送失败" and "令牌" in outcome["error"]
    assert standin.messages == [] and all(not request["authorized"] for request in standin.received)


def test_a_test_message_without_a_gateway_a_recipient_or_with_a_bad_phone_is_refused(admin, standin, web_services) -> None:  # noqa: ANN001
    before = head(web_services)
    off = send(admin, "POST", "/api/v1/notifications/test", {"phone": PHONE})
    assert off.status_code == 409 and off.json()["detail"].startswith("未配置钉钉网关")
    assert head(web_services) == before

    gateway(admin, standin.url, TOKEN)
    before = head(web_services)
    nobody = send(admin, "POST", "/api/v1/notifications/test", {})
    assert nobody.status_code == 400 and nobody.json()["detail"].startswith("还没有通知接收人")
    bad = send(admin, "POST", "/api/v1/notifications/test", {"phone": "110"})
    assert bad.status_code == 400 and "不是中国大陆手机号" in bad.json()["detail"]
    wrong = send(admin, "POST", "/api/v1/notifications/test", {"phone": 13800000041})
    assert wrong.status_code == 400 and "phone" in wrong.json()["detail"]
    assert head(web_services) == before and standin.messages == []
