"""磁带 in a real browser: Debian's Chromium, headless, driven by Playwright, against the app served by
uvicorn on 127.0.0.1 over a fresh installation whose emulated library holds four 8 MiB cartridges
(`shelf_story`: one expired, one holding an active backup group, one with its own retention, one blank).

An operator erases the expired cartridge through the typed confirmation and sees it come back as
blank without reloading; is refused, with the interlock's reason, erasing the one holding an active
group; changes a cartridge's retention after reading the preview of what it will do; an administrator
does the same with the default retention. Screenshots at 1366×768 go to the artifacts folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from app.facade import make_app
from tests.web import test_browser
from tests.web.conftest import PASSWORD, ROLES
from tests.web.seed import fresh_installation, served
from tests.web.test_browser import SMALL, fits_the_width, screenshot
from tests.web.test_tapes_api import ACT_SECONDS, shelf_story

browser = test_browser.browser  # one Chromium for this module too


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    from bootstrap import build

    folder = tmp_path_factory.mktemp("browser-tapes")
    with pytest.MonkeyPatch.context() as patch:
        fresh_installation(patch, folder, VTL_CAPACITY="8M", VTL_SLOTS="4")
        services = build()
        shelf_story(services)
        for role in ROLES:
            make_app(services).users.add(role, role, PASSWORD, actor="测试")
        with served(services) as base:
            yield base, services


def tapes_page(browser: Any, base: str, name: str) -> Page:
    page = browser.new_page(viewport=SMALL, locale="zh-CN")
    page.goto(f"{base}/login?next=/tapes")
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{base}/tapes")
    expect(page.locator("#devices")).to_contain_text("TAF 使用")  # loaded after the page, by htmx
    return page


def open_dialog(page: Page, barcode: str, act: str) -> Any:
    page.get_by_label(f"{barcode} 的操作").click()
    page.locator(f"#tape-{barcode} .menu-items").get_by_role("button", name=act, exact=True).click()
    dialog = page.locator("#tape-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("h2")).to_contain_text(barcode)
    return dialog


def events(services: Any, kind: str) -> list[tuple[str, str]]:
    return [(line.event, line.actor) for line in make_app(services).audit.recent_events(100) if line.event == kind]


def test_an_expired_cartridge_is_erased_through_the_typed_confirmation_and_returns_to_scratch(
        browser, server) -> None:  # noqa: ANN001
    base, services = server
    page = tapes_page(browser, base, "operator")
    row = page.locator("#tape-TAF001L9")
    expect(row.locator(".tag-tape-expired")).to_have_text("已过期")
    assert fits_the_width(page)
    screenshot(page, "tapes-inventory")

    dialog = open_dialog(page, "TAF001L9", "擦除")
    erase = dialog.get_by_role("button", name="擦除磁带 TAF001L9")
    expect(erase).to_be_disabled()
    dialog.get_by_label("请输入条码 TAF001L9 确认").fill("TAF001")
    expect(erase).to_be_disabled()  # not the barcode yet
    dialog.get_by_label("请输入条码 TAF001L9 确认").fill("taf001l9")
    dialog.get_by_label("长擦除").check()
    expect(erase).to_be_enabled()
    screenshot(page, "tapes-erase-confirm")
    page.evaluate("window.tafMark = 15")
    erase.click()

    expect(dialog).to_be_hidden()
    panel = page.locator("#tape-act")
    expect(panel.locator(".act-message")).to_have_text("磁带 TAF001L9 已长擦除，回到空白池", timeout=ACT_SECONDS * 1000)
    expect(panel.get_by_role("progressbar", name="操作进度")).to_have_attribute("aria-valuenow", "100")
    expect(row.locator(".tag-tape-scratch")).to_have_text("空白")  # the inventory reloaded itself
    expect(row).to_contain_text("驱动器 emulated:0")
    assert page.evaluate("window.tafMark === 15")  # followed live, never reloaded
    assert fits_the_width(page)
    screenshot(page, "tapes-erased")
    assert events(services, "Cartridge.Erased") == [("Cartridge.Erased", "operator")]
    page.close()


def test_erasing_a_cartridge_holding_an_active_group_is_refused_with_the_reason_and_changes_nothing(
        browser, server) -> None:  # noqa: ANN001
    base, services = server
    page = tapes_page(browser, base, "operator")
    head = services.ledger.head_id()
    dialog = open_dialog(page, "TAF002L9", "擦除")
    expect(dialog.get_by_role("status")).to_contain_text("互锁：这盘磁带仍保存活动备份组 2026-11")
    dialog.get_by_label("请输入条码 TAF002L9 确认").fill("TAF002L9")
    dialog.get_by_role("button", name="擦除磁带 TAF002L9").click()

    expect(page.locator("#flash .alert-error")).to_contain_text("拒绝擦除磁带 TAF002L9：它仍保存活动备份组 2026-11")
    expect(dialog).to_be_hidden()
    expect(page.locator("#tape-TAF002L9 .tag-tape-active")).to_have_text("使用中")
    expect(page.locator("#tape-act")).to_be_empty()  # no act started
    assert fits_the_width(page)
    screenshot(page, "tapes-erase-refused")
    assert services.ledger.head_id() == head
    page.close()


def test_a_retention_change_shows_its_preview_before_it_is_saved(browser, server) -> None:  # noqa: ANN001
    base, services = server
    page = tapes_page(browser, base, "operator")
    head = services.ledger.head_id()
    dialog = open_dialog(page, "TAF003L9", "修改存活期")
    dialog.get_by_label("存活期（月").fill("3")
    preview = dialog.locator("#retention-preview .preview-card")
    expect(preview).to_contain_text("尚未保存")
    expect(preview).to_contain_text("磁带 TAF003L9 的存活期：12 个月 → 3 个月。")
    expect(preview).to_contain_text("保存后立即标记为已过期")
    expect(preview).to_contain_text("下次备份（2027-01-01 02:00）前将多擦除：TAF003L9。")
    screenshot(page, "tapes-retention-preview")
    assert services.ledger.head_id() == head  # seen, not saved

    dialog.get_by_role("button", name="保存存活期").click()
    expect(page.locator("#flash .alert-ok")).to_contain_text("存活期已由 12 个月改为 3 个月，存活期已到，已标记为已过期")
    expect(page.locator("#tape-TAF003L9 .tag-tape-expired")).to_have_text("已过期")
    expect(page.locator("#tape-TAF003L9")).to_contain_text("存活期 3 个月（本盘单独设定）")
    assert events(services, "Cartridge.RetentionChanged")[0] == ("Cartridge.RetentionChanged", "operator")  # the newest
    page.close()


def test_an_administrator_previews_and_saves_the_default_retention(browser, server) -> None:  # noqa: ANN001
    base, services = server
    page = tapes_page(browser, base, "admin")
    head = services.ledger.head_id()
    form = page.locator("#default-retention")
    form.get_by_label("新的默认存活期（月）").fill("24")
    preview = page.locator("#default-retention-preview .preview-card")
    expect(preview).to_contain_text("默认存活期：6 个月 → 24 个月")
    expect(preview).to_contain_text("磁带 TAF002L9 的存活期结束日由 2027-05-01 改为 2028-11-01")
    assert services.ledger.head_id() == head
    assert fits_the_width(page)
    preview.scroll_into_view_if_needed()
    screenshot(page, "tapes-default-retention")
    form.get_by_role("button", name="保存默认存活期").click()
    expect(page.locator("#flash .alert-ok")).to_contain_text("默认存活期已改为 24 个月")
    expect(page.locator("#retention dl")).to_contain_text("24 个月")  # the card reloaded itself
    latest = make_app(services).audit.recent_events(1)[0]
    assert (latest.event, latest.actor) == ("Settings.SettingChanged", "admin")
    page.close()
