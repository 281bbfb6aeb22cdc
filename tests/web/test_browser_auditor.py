"""An auditor in Debian's Chromium: every page of the navigation is there to read, nothing on any of
them can be used to act (no enabled form or control that changes something, but signing out and
asking for a restore plan), and a POST forged with the auditor's own session and CSRF token is
refused with 403. The logs and the audit pages are read, followed live and photographed at 1366×768
(web-logs-*.png, web-audit-*.png in the test artifacts)."""

from __future__ import annotations

import logging
from typing import Any

from playwright.sync_api import Page, expect

from app.facade import make_app
from tests.web.test_browser import browser, fits_the_width, screenshot, server, signed_in  # noqa: F401
from web.auth.csrf import CSRF_COOKIE, CSRF_HEADER
from web.pages import NAVIGATION

# What an auditor may send with a mutating method: signing out, and asking for a restore plan (B3).
AUDITOR_MAY = {"/logout", "/restores/plan"}
PHONE = "13800000041"

# Every form that would send something other than GET, and every htmx control that would, enabled.
ACTIVE_CONTROLS = """() => {
  const verbs = ["hx-post", "hx-put", "hx-patch", "hx-delete"];
  const off = (el) => el.disabled || !!el.closest("fieldset[disabled]");
  const target = (el) => verbs.map((v) => el.getAttribute(v)).find(Boolean);
  const found = [];
  document.querySelectorAll("form").forEach((form) => {
    const sends = target(form) || ((form.getAttribute("method") || "get").toLowerCase() !== "get"
                                    && (form.getAttribute("action") || location.pathname));
    if (!sends) return;
    const usable = [...form.querySelectorAll("button, input, select, textarea")]
      .filter((el) => el.type !== "hidden" && !off(el));
    if (usable.length) found.push(sends);
  });
  document.querySelectorAll(verbs.map((v) => "[" + v + "]").join(",")).forEach((el) => {
    if (el.tagName !== "FORM" && !off(el)) found.push(target(el));
  });
  return found.map((url) => new URL(url, location.href).pathname);
}"""


def active_controls(page: Page) -> set[str]:
    return set(page.evaluate(ACTIVE_CONTROLS))


def forged_post(page: Page, base: str, path: str, **form: Any) -> Any:
    """A POST as a script on the page could send it: the auditor's cookies and CSRF token."""
    token = next(cookie["value"] for cookie in page.context.cookies() if cookie["name"] == CSRF_COOKIE)
    if form:
        return page.request.post(f"{base}{path}", form={**form, "_csrf_token": token})
    return page.request.post(f"{base}{path}", headers={CSRF_HEADER: token}, data={"sources": ["/srv"]})


def test_an_auditor_sees_every_page_and_can_act_on_none(browser, server) -> None:  # noqa: ANN001, F811
    base, services, app = server
    head = services.ledger.head_id()
    page = signed_in(browser, base, "auditor")
    for entry in NAVIGATION:
        link = page.locator("nav").get_by_role("link", name=entry.label, exact=True)
        expect(link).to_be_visible()  # served: a link, not a greyed "未开放"
        link.click()
        expect(page).to_have_url(f"{base}{entry.path}")
        expect(page.get_by_role("heading", name=entry.label, exact=True)).to_be_visible()
        page.wait_for_load_state("networkidle")
        assert active_controls(page) <= AUDITOR_MAY, f"{entry.label}：审计员可以使用 {active_controls(page) - AUDITOR_MAY}"
        assert fits_the_width(page), entry.path

    for path, form in (("/api/v1/backups", {}), ("/settings/active_groups", {"value": "3"}),
                       ("/api/v1/cartridges/TAF001L9/erase", {}), ("/api/v1/users", {}),
                       ("/dashboard/requests/x/answer", {"wait": "0"})):
        refused = forged_post(page, base, path, **form)
        assert refused.status == 403, f"{path} 对审计员应答 {refused.status}"
        assert "权限不足" in refused.text()
    assert services.ledger.head_id() == head + 1  # only the auditor's own sign-in was recorded
    page.close()


def test_the_logs_and_audit_pages_in_the_browser(browser, server) -> None:  # noqa: ANN001, F811
    base, services, _ = server
    taf = make_app(services)
    taf.tapes.load("TAF001L9", actor="operator")
    taf.tapes.unload(actor="operator")
    logging.getLogger("taf.web").warning("浏览器测试：一条系统警告")
    note, _ = services.ledger.queue_notification(f"browser:backup_failed:{PHONE}", kind="backup_failed", phone=PHONE,
                                                 title="备份失败：财务", content="任务失败", cause="browser")
    services.ledger.notification_failed(str(note.id), "网关拒绝：号码无效")
    page = signed_in(browser, base, "auditor")

    page.goto(f"{base}/logs")
    rows = page.locator("#log-rows")
    expect(rows).to_contain_text("用户登录")
    expect(page.locator(".log-scroll[sse-connect]")).to_have_count(1)
    page.wait_for_timeout(300)  # the live stream connects
    services.ledger.register_cartridge("TAF090L9", capacity_bytes=18 * 10**12, location="槽位 9", by="李工")
    expect(rows.locator("tr").first).to_contain_text("登记磁带 TAF090L9")  # pushed over SSE, no reload
    screenshot(page, "logs-operation")

    page.get_by_role("link", name="磁带日志").click()
    expect(page).to_have_url(f"{base}/logs?kind=tape")
    expect(page.locator("#log-rows")).to_contain_text("MOVE MEDIUM")
    page.get_by_label("磁带").fill("TAF001L9")
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(f"{base}/logs?kind=tape&since=&until=&level=&user=&cartridge=TAF001L9&job=")
    expect(page.locator("#log-rows")).to_contain_text("LOAD/UNLOAD")
    assert fits_the_width(page)
    screenshot(page, "logs-tape")
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 CSV").click()
    assert download.value.suggested_filename.endswith(".csv")

    page.goto(f"{base}/logs?kind=system&level=warning")
    expect(page.locator("#log-rows")).to_contain_text("浏览器测试：一条系统警告")
    screenshot(page, "logs-system")
    page.goto(f"{base}/logs?kind=notification")
    expect(page.locator("#log-rows")).to_contain_text("网关拒绝：号码无效")
    screenshot(page, "logs-notification")

    page.goto(f"{base}/audit")
    expect(page.get_by_text("哈希链完整")).to_be_visible()
    page.get_by_role("button", name="重新校验").click()  # a read: auditors run it
    expect(page.locator("#verdict")).to_contain_text("已校验")
    page.get_by_label("对象类型").select_option("Cartridge")
    expect(page.locator("#events")).to_contain_text("登记磁带 TAF090L9")
    expect(page.locator("#events")).not_to_contain_text("用户登录")
    page.locator("#events details.raw").first.locator("summary").click()
    expect(page.locator("#events .raw-fields").first).to_contain_text("capacity_bytes")
    assert fits_the_width(page)
    screenshot(page, "audit-events")

    page.get_by_role("link", name="回放到某一时刻").click()
    page.get_by_label("时刻").fill(str(services.ledger.head_id() - 1))
    page.get_by_role("button", name="回放").click()
    expect(page.get_by_text("台账回放至第")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("TAF090L9")  # registered after that moment
    assert fits_the_width(page)
    screenshot(page, "audit-replay")
    page.close()
