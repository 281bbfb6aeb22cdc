"""The 设置 page and its htmx fragments over TestClient: every tab for every role, forms only for
administrators, the token masked everywhere, and each form's refusal in Chinese with nothing recorded."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from app.facade import make_app
from tests.web.conftest import headers, sign_in

TOKEN = "page-token-0123456789abcdef"
HTMX = {"hx-request": "true"}
PHONE = "13800000051"


def head(services: Any) -> int:
    return int(services.ledger.head_id())


def post(client: TestClient[Litestar], path: str, data: dict[str, Any]) -> Any:
    return client.post(path, data=data, headers=headers(client, **HTMX))


@pytest.fixture
def admin(client: TestClient[Litestar]) -> TestClient[Litestar]:
    sign_in(client, "admin")
    return client


def test_every_role_sees_every_tab_and_only_an_administrator_gets_forms(client, web_services) -> None:  # noqa: ANN001
    make_app(web_services).settings.change("dingtalk_api_key", TOKEN, actor="admin")
    make_app(web_services).notifications.add_recipient("值班", PHONE, actor="admin")
    for role in ("operator", "auditor"):
        sign_in(client, role)
        page = client.get("/settings").text
        for tab in ("系统参数", "计划任务", "钉钉通知", "用户与令牌", "版本与修改历史"):
            assert f">{tab}</button>" in page, (role, tab)
        assert "每月 1 日 02:00" in page and "值班" in page and "page…cdef" in page and "启动配置" in page
        assert not re.search(r"hx-(post|put|delete)=", page) and "<form class=\"inline-edit\"" not in page, role
        assert TOKEN not in page
    sign_in(client, "admin")
    page = client.get("/settings").text
    for form in ('hx-post="/settings/dingtalk"', 'hx-post="/settings/notifications/test"', 'hx-post="/settings/recipients"',
                 'hx-post="/settings/schedules/monthly_backup_cron"', 'hx-post="/settings/users"',
                 'hx-post="/settings/templates/backup_succeeded"', 'hx-post="/settings/compression_level"'):
        assert form in page, form
    assert TOKEN not in page and "当前 page…cdef，留空则不修改" in page


def test_a_malformed_schedule_is_refused_naming_it_and_a_good_one_is_saved(admin, web_services) -> None:  # noqa: ANN001
    preview = admin.get("/settings/schedules/preview", params={"key": "monthly_backup_cron", "value": "0 2 1 * * *"},
                        headers=HTMX)
    assert preview.status_code == 200 and 'class="field-error"' in preview.text
    assert "每月全量备份时间（monthly_backup_cron）的值无效" in preview.text and "实际有 6 个" in preview.text
    good = admin.get("/settings/schedules/preview", params={"key": "monthly_backup_cron", "value": "0 1 1 * *"},
                     headers=HTMX)
    assert "每月 1 日 01:00" in good.text and good.text.count("（周") == 5

    before = head(web_services)
    refused = post(admin, "/settings/schedules/monthly_backup_cron", {"value": "0 2 32 * *"})
    assert refused.status_code == 400 and refused.headers["hx-retarget"] == "#flash"
    assert "每月全量备份时间（monthly_backup_cron）的值无效" in refused.text and "第 3 个字段（日）“32”无效" in refused.text
    not_a_schedule = post(admin, "/settings/schedules/active_groups", {"value": "5"})
    assert not_a_schedule.status_code == 400 and "不是计划任务的设置项" in not_a_schedule.text
    assert head(web_services) == before
    saved = post(admin, "/settings/schedules/monthly_backup_cron", {"value": "0 1 1 * *"})
    assert saved.status_code == 200 and 'id="schedule-monthly_backup_cron"' in saved.text
    assert "每月 1 日 01:00" in saved.text and "已保存并记入台账" in saved.text and "台账" in saved.text


def test_a_setting_row_is_saved_in_words_and_a_boolean_is_chosen(admin) -> None:  # noqa: ANN001
    row = post(admin, "/settings/max_volume_size", {"value": "322122547200"})
    assert row.status_code == 200 and "300.0 GiB（322122547200 字节）" in row.text and "已保存并记入台账" in row.text
    switch = post(admin, "/settings/auto_erase_expired", {"value": "否"})
    assert '<option value="否" selected>' in switch.text


def test_the_gateway_form_refuses_a_bad_address_before_touching_the_token(admin, web_services) -> None:  # noqa: ANN001
    before = head(web_services)
    refused = post(admin, "/settings/dingtalk", {"url": "gateway.local:5555", "token": TOKEN})
    assert refused.status_code == 400 and "钉钉网关地址（dingtalk_api_url）的值无效" in refused.text
    assert head(web_services) == before and web_services.secret("dingtalk_api_key") == ""
    saved = post(admin, "/settings/dingtalk", {"url": "http://127.0.0.1:5555", "token": TOKEN})
    assert saved.status_code == 200 and "已保存并记入台账" in saved.text and "page…cdef" in saved.text
    assert TOKEN not in saved.text and web_services.secret("dingtalk_api_key") == TOKEN
    kept = post(admin, "/settings/dingtalk", {"url": "http://127.0.0.1:5556", "token": ""})  # empty: the token stays
    assert kept.status_code == 200 and web_services.secret("dingtalk_api_key") == TOKEN
    assert make_app(web_services).settings.history(1)[0].new == "http://127.0.0.1:5556"
    before = head(web_services)
    same = post(admin, "/settings/dingtalk", {"url": "http://127.0.0.1:5556/", "token": " "})
    assert same.status_code == 200 and "没有改动，未记入台账" in same.text and "已保存" not in same.text
    assert head(web_services) == before


def test_the_test_button_without_a_gateway_says_so(admin, web_services) -> None:  # noqa: ANN001
    refused = post(admin, "/settings/notifications/test", {"phone": PHONE})
    assert refused.status_code == 409 and "未配置钉钉网关" in refused.text and refused.headers["hx-retarget"] == "#flash"


def test_recipients_are_added_edited_and_removed_in_the_card(admin, web_services) -> None:  # noqa: ANN001
    before = head(web_services)
    none_ticked = post(admin, "/settings/recipients", {"name": "值班", "phone": PHONE})
    assert none_ticked.status_code == 400 and "请至少勾选一种接收的事件" in none_ticked.text
    bad_phone = post(admin, "/settings/recipients", {"name": "值班", "phone": "5551234", "events": ["backup_failed"]})
    assert bad_phone.status_code == 400 and "不是中国大陆手机号" in bad_phone.text
    assert head(web_services) == before

    added = post(admin, "/settings/recipients", {"name": "值班", "phone": PHONE, "events": ["backup_failed", "erase_done"]})
    assert added.status_code == 200 and 'id="recipients"' in added.text and "已保存" in added.text
    [entry] = make_app(web_services).notifications.recipients()
    assert entry.events == ["backup_failed", "erase_done"]
    editing = admin.get(f"/settings/recipients/{entry.id}/edit", headers=HTMX)
    assert editing.status_code == 200 and 'class="editing"' in editing.text
    assert 'value="erase_done" checked' in editing.text and 'value="backup_succeeded">' in editing.text
    missing = admin.get("/settings/recipients/00000000-0000-0000-0000-000000000000/edit", headers=HTMX)
    assert missing.status_code == 404 and "找不到接收人" in missing.text
    changed = post(admin, f"/settings/recipients/{entry.id}", {"name": "夜班", "phone": PHONE, "events": "system_exception"})
    assert changed.status_code == 200 and "夜班" in changed.text and "系统异常" in changed.text
    assert make_app(web_services).notifications.recipients()[0].events == ["system_exception"]
    removed = admin.delete(f"/settings/recipients/{entry.id}", headers=headers(admin, **HTMX))
    assert removed.status_code == 200 and "已删除接收人 夜班" in removed.text and "还没有通知接收人" in removed.text


def test_a_template_is_previewed_as_typed_and_saved(admin, web_services) -> None:  # noqa: ANN001
    editor = admin.get("/settings/templates/capacity_threshold", headers=HTMX)
    assert editor.status_code == 200 and "容量告警" in editor.text and 'class="message-preview"' in editor.text
    before = head(web_services)
    shown = post(admin, "/settings/templates/capacity_threshold/preview", {"title": "告警 {{ nosuch }}", "content": "x"})
    assert shown.status_code == 200 and 'class="field-error"' in shown.text and "nosuch" in shown.text
    fine = post(admin, "/settings/templates/capacity_threshold/preview", {"title": "【告警】容量", "content": "**满了**"})
    assert fine.status_code == 200 and "【告警】容量" in fine.text and "**满了**" in fine.text
    assert head(web_services) == before
    refused = post(admin, "/settings/templates/capacity_threshold", {"title": "{% if %}", "content": "x"})
    assert refused.status_code == 400 and refused.headers["hx-retarget"] == "#flash" and head(web_services) == before
    saved = post(admin, "/settings/templates/capacity_threshold", {"title": "【告警】容量", "content": "**满了**"})
    assert saved.status_code == 200 and "已保存并记入台账" in saved.text and "已自定义" in saved.text
    assert make_app(web_services).notifications.template("capacity_threshold").content == "**满了**"


def test_users_and_tokens_in_the_tab(admin, client, web_services) -> None:  # noqa: ANN001
    added = post(admin, "/settings/users", {"name": "robot", "role": "auditor", "password": ""})
    assert added.status_code == 200 and "已添加用户 robot（审计员）" in added.text and 'class="secret-once"' in added.text
    role = post(admin, "/settings/users/robot/role", {"role": "operator"})
    assert role.status_code == 200 and make_app(web_services).users.entry("robot").role == "operator"
    before = head(web_services)
    bad_days = post(admin, "/settings/users/robot/tokens", {"label": "x", "days": "一周"})
    assert bad_days.status_code == 400 and "有效天数“一周”不是整数" in bad_days.text and head(web_services) == before
    issued = post(admin, "/settings/users/robot/tokens", {"label": "脚本", "days": ""})
    assert issued.status_code == 200 and 'id="issued-token"' in issued.text and "吊销前一直有效" in issued.text
    token = re.search(r'id="issued-token">([^<]+)<', issued.text).group(1)  # type: ignore[union-attr]
    listed = admin.get("/settings/users/robot/tokens", headers=HTMX)
    assert token not in listed.text and "脚本" in listed.text  # shown once, then only its id and label
    token_id = make_app(web_services).users.tokens("robot")[0].token_id
    revoked = admin.delete(f"/settings/users/robot/tokens/{token_id}", headers=headers(admin, **HTMX))
    assert revoked.status_code == 200 and f"已吊销令牌 {token_id}" in revoked.text
    disabled = post(admin, "/settings/users/robot/disable", {})
    assert disabled.status_code == 200 and "已停用" in disabled.text
    myself = post(admin, "/settings/users/admin/disable", {})
    assert myself.status_code == 409 and "不能停用自己" in myself.text

    sign_in(client, "auditor")
    cards = [client.get(path, headers=HTMX).text for path in ("/settings/users", "/settings/users/robot/tokens")]
    assert all("hx-post" not in card and "hx-delete" not in card for card in cards)
    assert "robot" in cards[0] and token_id in cards[1]


def test_the_history_fragment_filters_by_setting(admin, web_services) -> None:  # noqa: ANN001
    post(admin, "/settings/active_groups", {"value": "7"})
    post(admin, "/settings/compression_level", {"value": "3"})
    everything = admin.get("/settings/history", headers=HTMX).text
    assert "活动备份组数" in everything and "压缩级别（LZMA2）" in everything
    only = admin.get("/settings/history", params={"key": "compression_level"}, headers=HTMX).text
    assert "压缩级别（LZMA2）" in only and "活动备份组数" not in only
    assert '<span class="old">9</span><span class="arrow">→</span><span class="new">3</span>' in only
    nothing = admin.get("/settings/history", params={"key": "verify_cron"}, headers=HTMX).text
    assert "这一项还没有修改记录" in nothing
