"""The 设置 page in a real browser: Debian's Chromium driven by Playwright, against the app served by
uvicorn on 127.0.0.1 and the DingTalk gateway stand-in on 127.0.0.1 (notify.standin).

An administrator points TAF at the stand-in and sends a test message, which the stand-in receives,
and sees the gateway's answer; adds, edits and deletes a recipient; is refused a malformed cron
with the schedule named and nothing changed; previews a template as they type; adds a user and
issues a token shown once. An auditor sees the same page and can change nothing. Screenshots at
1366×768 go to the artifacts folder (see test_browser.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from app.facade import make_app
from notify.standin import StandIn, start_standin
from tests.web import test_browser
from tests.web.seed import installed, served
from tests.web.test_browser import SMALL, fits_the_width, screenshot, settled, signed_in

browser = test_browser.browser  # one Chromium for this module too
TOKEN = "standin-token-for-settings-0042"
PHONE = "13800000021"


@pytest.fixture(scope="module")
def standin() -> Iterator[StandIn]:
    with start_standin(TOKEN) as running:
        yield running


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    """The app on uvicorn in a thread, over a fresh SQLite ledger with one user per role and no gateway."""
    folder = tmp_path_factory.mktemp("browser-settings")
    with pytest.MonkeyPatch.context() as patch:
        services = installed(patch, folder)
        with served(services) as base:
            yield base, services


def standin_url(services: Any) -> str:
    return str(make_app(services).settings.history(1, "dingtalk_api_url")[0].new)


def settings_tab(page: Page, base: str, tab: str) -> None:
    page.goto(f"{base}/settings")
    page.get_by_role("tab", name=tab).click()
    expect(page.get_by_role("tab", name=tab)).to_have_attribute("aria-selected", "true")


def test_a_test_message_reaches_the_gateway_stand_in_and_its_answer_is_shown(browser: Browser, server, standin) -> None:  # noqa: ANN001
    base, services = server
    page = signed_in(browser, base, "admin")
    settings_tab(page, base, "钉钉通知")
    assert page.url.endswith("/settings#dingtalk")
    gateway = page.locator("#gateway")
    gateway.get_by_label("网关地址").fill(standin.url)
    gateway.get_by_label("网关令牌（API Key）").fill(TOKEN)
    gateway.get_by_role("button", name="保存网关设置").click()
    expect(page.locator("#gateway")).to_contain_text("已保存并记入台账")
    hint = page.locator("#token-hint")
    expect(hint).to_contain_text("…")
    assert TOKEN not in page.content()  # never shown back in full, not even in an attribute

    page.locator("#gateway").get_by_label("测试手机号（留空则发给全部接收人）").fill(PHONE)
    page.get_by_role("button", name="发送测试消息").click()
    result = page.locator("#test-result")
    expect(result).to_contain_text("测试消息已送达：1/1")
    received = [message for message in standin.messages if message["phone"] == PHONE]
    assert len(received) == 1 and "测试消息" in received[0]["title"] and "admin" in received[0]["content"]
    expect(result).to_contain_text(received[0]["task_id"])  # the gateway's task, as it answered
    expect(result).to_contain_text("completed")  # the task's state, asked of the gateway
    expect(result).to_contain_text("已送达")
    assert fits_the_width(page)
    screenshot(page, "settings-dingtalk")

    # The stand-in refuses a wrong token: the page shows the gateway's refusal, nothing is delivered.
    page.locator("#gateway").get_by_label("网关令牌（API Key）").fill("a-wrong-token-000000")
    page.get_by_role("button", name="保存网关设置").click()
    expect(page.locator("#token-hint")).to_have_text("a-wr…0000")  # the card shown again, with the new token
    page.locator("#gateway").get_by_label("测试手机号（留空则发给全部接收人）").fill(PHONE)
    page.get_by_role("button", name="发送测试消息").click()
    expect(page.locator("#test-result")).to_contain_text("测试消息未全部送达：0/1")
    expect(page.locator("#test-result .answer")).to_contain_text("令牌")
    assert len([message for message in standin.messages if message["phone"] == PHONE]) == 1
    make_app(services).settings.change("dingtalk_api_key", TOKEN, actor="测试")  # back, for the other tests
    page.close()


def test_a_recipient_is_added_edited_and_deleted(browser: Browser, server) -> None:  # noqa: ANN001
    base, services = server
    notifications = make_app(services).notifications
    page = signed_in(browser, base, "admin")
    page.on("dialog", lambda dialog: dialog.accept())  # the confirmation before deleting
    settings_tab(page, base, "钉钉通知")
    form = page.locator("#recipients form.add")
    form.get_by_label("姓名").fill("值班 张工")
    form.get_by_label("手机号").fill("138-0000-0031")
    form.get_by_label("备份成功").uncheck()
    form.get_by_role("button", name="添加接收人").click()
    row = page.locator("#recipients tbody tr", has_text="值班 张工")
    expect(row).to_contain_text("13800000031")
    expect(row).to_contain_text("备份失败")
    expect(row).not_to_contain_text("备份成功")
    [added] = [entry for entry in notifications.recipients() if entry.name == "值班 张工"]
    assert added.phone == "13800000031" and "backup_succeeded" not in added.events and added.updated_by == "admin"

    # A phone that is no mainland mobile number is refused in Chinese, and nothing is added.
    head = services.ledger.head_id()
    form = page.locator("#recipients form.add")
    form.get_by_label("姓名").fill("某人")
    form.get_by_label("手机号").fill("12345")
    form.get_by_role("button", name="添加接收人").click()
    expect(page.locator("#flash .alert-error")).to_contain_text("不是中国大陆手机号")
    assert services.ledger.head_id() == head
    page.locator("#flash .close").click()

    row.get_by_role("button", name="编辑").click()
    editing = page.locator("#recipients tr.editing")
    editing.get_by_label("手机号").fill("13800000032")
    editing.get_by_label("月度报告").uncheck()
    assert fits_the_width(page)
    screenshot(page, "settings-recipient-edit")
    editing.get_by_role("button", name="保存修改").click()
    row = page.locator("#recipients tbody tr", has_text="值班 张工")
    expect(row).to_contain_text("13800000032")
    expect(row).to_contain_text("已保存")
    expect(row).not_to_contain_text("月度报告")
    [changed] = [entry for entry in notifications.recipients() if entry.id == added.id]
    assert changed.phone == "13800000032" and "monthly_report" not in changed.events

    row.get_by_role("button", name="删除").click()
    expect(page.locator("#recipients")).to_contain_text("已删除接收人 值班 张工")
    expect(page.locator("#recipients tbody")).not_to_contain_text("13800000032")
    assert all(entry.id != added.id for entry in notifications.recipients())
    events = [(line.event, line.actor) for line in make_app(services).audit.recent_events(3)]
    assert events == [("Recipient.Removed", "admin"), ("Recipient.Updated", "admin"), ("Recipient.Added", "admin")]
    page.close()


def test_a_malformed_cron_is_refused_naming_the_schedule_and_nothing_changes(browser: Browser, server) -> None:  # noqa: ANN001
    base, services = server
    page = signed_in(browser, base, "admin")
    settings_tab(page, base, "计划任务")
    block = page.locator("#schedule-monthly_backup_cron")
    expect(block).to_contain_text("每月 1 日 02:00")
    expect(block.locator(".runs li")).to_have_count(5)
    before = block.locator(".schedule-now").inner_text()
    head = services.ledger.head_id()

    field = block.get_by_label("每月全量备份时间（cron 表达式）")
    field.fill("61 2 1 * *")  # minute 61
    preview = page.locator("#preview-monthly_backup_cron")
    expect(preview).to_contain_text("每月全量备份时间（monthly_backup_cron）的值无效")  # as one types
    expect(preview).to_contain_text("分钟")
    block.get_by_role("button", name="保存").click()
    alert = page.locator("#flash .alert-error")
    expect(alert).to_contain_text("每月全量备份时间（monthly_backup_cron）的值无效")
    expect(alert).to_contain_text("第 1 个字段（分钟）“61”无效")
    assert fits_the_width(page)
    screenshot(page, "settings-cron-refused")
    assert services.ledger.head_id() == head  # nothing recorded
    assert make_app(services).settings.schedules()[0].expression == "0 2 1 * *"
    page.reload()
    page.get_by_role("tab", name="计划任务").click()
    assert page.locator("#schedule-monthly_backup_cron .schedule-now").inner_text() == before

    # A good one: its words and next runs as one types, then saved with a record naming who.
    field = page.locator("#schedule-monthly_backup_cron").get_by_label("每月全量备份时间（cron 表达式）")
    field.fill("30 1 * * 1-5")
    expect(page.locator("#preview-monthly_backup_cron")).to_contain_text("每周一至周五 01:30")
    page.locator("#schedule-monthly_backup_cron").get_by_role("button", name="保存").click()
    block = page.locator("#schedule-monthly_backup_cron")
    expect(block).to_contain_text("已保存并记入台账")
    expect(block.locator(".cron-words")).to_contain_text("每周一至周五 01:30")
    runs = block.locator(".runs li").all_inner_texts()
    assert len(runs) == 5 and all("01:30" in run and "周六" not in run and "周日" not in run for run in runs)
    latest = make_app(services).audit.recent_events(1)[0]
    assert latest.actor == "admin" and "monthly_backup_cron" in latest.summary
    screenshot(page, "settings-schedules")
    page.close()


def test_templates_preview_as_one_types_and_users_get_roles_and_tokens(browser: Browser, server) -> None:  # noqa: ANN001
    base, services = server
    settings = make_app(services).settings
    if not settings.history(1, "dingtalk_api_url"):  # the gateway test ran in another worker's server
        settings.change("dingtalk_api_url", "http://127.0.0.1:9/", actor="admin")
        settings.change("dingtalk_api_key", TOKEN, actor="admin")
    page = signed_in(browser, base, "admin")
    page.on("dialog", lambda dialog: dialog.accept())
    settings_tab(page, base, "钉钉通知")
    page.locator("#templates").get_by_role("button", name="备份失败").click()
    editor = page.locator("#templates")
    expect(editor.locator(".template-editor h3")).to_contain_text("备份失败")
    # The editor just swapped in: typing before htmx has settled it would find no listener yet.
    settled(page)
    editor.get_by_label("标题").fill("【机房】备份失败 {{ job_id }}")
    preview = page.locator("#template-preview")
    expect(preview.locator(".message-title")).to_contain_text("【机房】备份失败 ")
    expect(preview.locator(".message-title")).not_to_contain_text("{{")
    editor.get_by_label("标题").fill("【机房】{{ nosuch }}")
    expect(preview).to_contain_text("nosuch")  # the reason it would not render, in place of the preview
    editor.get_by_label("标题").fill("【机房】备份失败 {{ job_id }}")
    editor.get_by_role("button", name="保存模板").click()
    expect(page.locator("#templates")).to_contain_text("已保存并记入台账")
    expect(page.locator("#templates .kind.active")).to_contain_text("已自定义")
    assert make_app(services).notifications.template("backup_failed").title == "【机房】备份失败 {{ job_id }}"
    assert fits_the_width(page)
    screenshot(page, "settings-templates")

    page.get_by_role("tab", name="用户与令牌").click()
    form = page.locator("#users-card form.user-form")
    form.get_by_label("用户名").fill("robot")
    form.get_by_label("角色").select_option("auditor")
    form.get_by_role("button", name="添加用户").click()
    card = page.locator("#users-card")
    expect(card).to_contain_text("已添加用户 robot（审计员）")
    password = card.locator(".secret-once").inner_text()
    assert len(password) >= 12
    make_app(services).users.sign_in("robot", password, source="测试")  # the password shown once works
    robot = card.locator("tr", has_text="robot")
    robot.get_by_label("robot 的角色").select_option("operator")
    expect(page.locator("#users-card tr", has_text="robot")).to_contain_text("已保存")
    assert make_app(services).users.entry("robot").role == "operator"

    page.locator("#users-card tr", has_text="robot").get_by_role("button", name="API 令牌").click()
    tokens = page.locator("#tokens")
    tokens.get_by_label("用途").fill("监控脚本")
    tokens.get_by_label("有效天数").fill("30")
    tokens.get_by_role("button", name="签发令牌").click()
    issued = page.locator("#issued-token").inner_text()
    assert make_app(services).users.authenticate_token(issued).name == "robot"
    expect(tokens.locator("tbody")).to_contain_text("监控脚本")
    screenshot(page, "settings-users")
    tokens.get_by_role("button", name="吊销").click()
    expect(page.locator("#tokens")).to_contain_text("已吊销令牌")
    expect(page.locator("#issued-token")).to_have_count(0)  # shown once, gone after
    page.locator("#users-card tr", has_text="robot").get_by_role("button", name="停用").click()
    expect(page.locator("#users-card tr", has_text="robot")).to_contain_text("已停用")
    assert make_app(services).users.who("robot") is None

    page.get_by_role("tab", name="版本与修改历史").click()
    history = page.locator("#history")
    expect(history).to_contain_text("钉钉网关令牌")
    expect(history.locator("tbody tr").first).to_contain_text("通知模板")  # saved after the page loaded: fetched anew
    page.get_by_label("只看这一项设置的修改").select_option("dingtalk_api_url")
    expect(history.locator("tbody tr")).to_have_count(1)
    expect(history).to_contain_text(f"未设置→{standin_url(services)}")
    assert TOKEN not in page.content()
    assert fits_the_width(page)
    screenshot(page, "settings-history")
    page.close()


def test_an_auditor_sees_every_tab_and_can_change_nothing(browser: Browser, server) -> None:  # noqa: ANN001
    base, services = server
    # A gateway token whose hint the auditor sees: set here, whichever of this module's tests ran
    # before in this worker process.
    make_app(services).settings.change("dingtalk_api_key", TOKEN, actor="admin")
    page = signed_in(browser, base, "auditor")
    page.goto(f"{base}/settings")
    for tab in ("系统参数", "计划任务", "钉钉通知", "用户与令牌", "版本与修改历史"):
        settled(page)
        page.get_by_role("tab", name=tab).click()
        panel = page.locator("[data-settings-panel]:not([hidden])")
        expect(panel).to_be_visible()
        settled(page)  # a panel's parts load with htmx: count the forms once they are in
        assert panel.locator("form[hx-post], [hx-delete], button[hx-post]").count() == 0, tab
        assert fits_the_width(page), tab
    page.get_by_role("tab", name="计划任务").click()
    expect(page.locator("#schedule-retention_check_cron")).to_contain_text("每天 03:00")
    page.get_by_role("tab", name="钉钉通知").click()
    expect(page.locator("#gateway")).to_contain_text("…")
    screenshot(page, "settings-auditor")
    page.close()


def test_the_settings_page_fits_1366x768_for_an_operator(browser: Browser, server) -> None:  # noqa: ANN001
    base, _ = server
    page = signed_in(browser, base, "operator", SMALL)
    page.goto(f"{base}/settings#about")
    expect(page.get_by_role("tab", name="版本与修改历史")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#panel-about")).to_contain_text("TAF 版本")
    assert fits_the_width(page)
    page.close()
