"""The web UI in a real browser: Debian's Chromium, headless, driven by Playwright, against the app
served by uvicorn on 127.0.0.1.

Screenshots of every page at 1366×768 (and the dashboard at 1920×1080) are saved to the folder named
by TAF_TEST_ARTIFACTS, by default tests/artifacts/ (git-ignored), as web-<page>-<width>x<height>.png.
One server and one browser serve the whole module, to keep it quick.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from app.facade import make_app
from kernel.progress import Progress
from tests.web.conftest import PASSWORD
from tests.web.seed import installed, served
from web.app import create_app
from web.pages import NAVIGATION

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--lang=zh-CN", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SMALL = {"width": 1366, "height": 768}
LARGE = {"width": 1920, "height": 1080}


def artifacts() -> Path:
    folder = Path(os.environ.get("TAF_TEST_ARTIFACTS") or ROOT / "tests" / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any, Any]]:
    """The app on uvicorn in a thread, over a fresh SQLite ledger with one user per role."""
    folder = tmp_path_factory.mktemp("browser")
    with pytest.MonkeyPatch.context() as patch:
        services = installed(patch, folder)
        taf = make_app(services)
        taf.settings.change("active_groups", "6", actor="admin")
        taf.settings.change("compression_level", "7", actor="admin")
        for number in range(1, 4):  # something for the inventory and job pages to show
            services.ledger.register_cartridge(f"TAF00{number}L9", capacity_bytes=18 * 10**12, location="槽位 " + str(number),
                                               by="张工")
        services.ledger.request_backup("browser-monthly", kind="manual", sources=["/srv/财务"], group="2026-12",
                                       params={}, by="operator")
        services.catch_up()
        app = create_app(services)
        with served(services, app) as base:
            yield base, services, app


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def signed_in(browser: Browser, base: str, name: str, viewport: dict[str, int] = SMALL) -> Page:
    page = browser.new_page(viewport=viewport, locale="zh-CN")
    page.goto(f"{base}/")
    expect(page).to_have_url(f"{base}/login?next=/")
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{base}/")
    return page


def settled(page: Page) -> None:
    """Wait until htmx has loaded and settled what it swapped in: a click or a keystroke before that
    finds no listener on the new elements (seen on a loaded machine)."""
    page.wait_for_function("() => window.htmx && !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")


def screenshot(page: Page, name: str) -> Path:
    size = page.viewport_size or SMALL
    path = artifacts() / f"web-{name}-{size['width']}x{size['height']}.png"
    page.screenshot(path=str(path))
    return path


def fits_the_width(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_signing_in_shows_the_dashboard_and_every_page_fits_1366x768(browser, server) -> None:  # noqa: ANN001
    base, services, app = server
    login = browser.new_page(viewport=SMALL, locale="zh-CN")
    login.goto(f"{base}/login")
    expect(login.get_by_role("heading", name="TAF 企业级磁带备份系统")).to_be_visible()
    screenshot(login, "login")
    login.close()

    page = signed_in(browser, base, "operator")
    expect(page.get_by_role("heading", name="仪表盘")).to_be_visible()
    expect(page.get_by_text("哈希链完整")).to_be_visible()  # the fragment htmx loaded after the page
    expect(page.locator("#live")).to_contain_text("emulated:0")  # the drives, pushed over SSE as they change
    changed = next(line.summary for line in make_app(services).audit.recent_events(50)
                   if line.event == "Settings.SettingChanged" and "compression_level" in line.summary)
    expect(page.get_by_text(changed)).to_be_visible()
    expect(page.locator(".who")).to_contain_text("operator")
    expect(page.locator(".who")).to_contain_text("操作员")
    assert fits_the_width(page)
    screenshot(page, "dashboard")
    served = app.state["served_pages"]
    for entry in NAVIGATION[1:]:
        if entry.path not in served:
            continue
        page.locator("nav").get_by_role("link", name=entry.label, exact=True).click()
        expect(page).to_have_url(f"{base}{entry.path}")
        expect(page.get_by_role("heading", name=entry.label, exact=True)).to_be_visible()
        if entry.path == "/audit":
            expect(page.get_by_text("哈希链完整")).to_be_visible()
        assert fits_the_width(page), entry.path
        screenshot(page, entry.path.strip("/"))
    page.close()

    large = signed_in(browser, base, "auditor", LARGE)
    expect(large.locator("#live")).to_contain_text("emulated:0")
    assert fits_the_width(large)
    screenshot(large, "dashboard")
    large.close()


def test_an_administrator_changes_a_setting_in_place_and_signs_out(browser, server) -> None:  # noqa: ANN001
    base, services, _ = server
    page = signed_in(browser, base, "admin")
    page.goto(f"{base}/settings")
    row = page.locator("#setting-default_retention_months")
    row.locator("input[name=value]").fill("8")
    row.get_by_role("button", name="保存").click()  # htmx, with the CSRF header from <body hx-headers>
    expect(page.locator("#setting-default_retention_months")).to_contain_text("已保存并记入台账")
    latest = make_app(services).audit.recent_events(1)[0]
    assert latest.actor == "admin" and latest.event == "Settings.SettingChanged"
    assert "default_retention_months" in latest.summary and "8" in latest.summary

    bad = page.locator("#setting-active_groups")
    bad.locator("input[name=value]").fill("很多")
    bad.get_by_role("button", name="保存").click()
    expect(page.locator("#flash .alert-error")).to_contain_text("不是整数")  # the error fragment, in place
    screenshot(page, "settings-admin")

    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(f"{base}/login")
    page.goto(f"{base}/settings")
    expect(page).to_have_url(f"{base}/login?next=/settings")
    page.close()


def test_the_browser_receives_a_jobs_progress_over_sse(browser, server) -> None:  # noqa: ANN001
    base, services, _ = server
    services.progress.publish(Progress("browser-job", phase="done", message="完成了", updated_at=time.time()))
    page = signed_in(browser, base, "auditor")
    received = page.evaluate("""() => new Promise((resolve) => {
        const source = new EventSource('/api/v1/jobs/browser-job/events');
        const seen = [];
        source.addEventListener('progress', (e) => seen.push(JSON.parse(e.data).message));
        source.addEventListener('done', (e) => { source.close(); resolve([...seen, e.data, e.lastEventId]); });
    })""")
    assert received[:2] == ["完成了", "完成"] and float(received[2]) > 0
    page.close()
