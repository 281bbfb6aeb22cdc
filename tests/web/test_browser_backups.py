"""The backup pages in a real browser against the real service: `python main.py` (web and worker) on
a free port over a fresh data folder, its emulated drive standalone (VTL_SLOTS=0: somebody brings
each cartridge), Debian's Chromium driven by Playwright.

An operator picks a test folder in the server's folder browser and starts a backup; the job asks
for a cartridge, and the request shows on the job page and on the dashboard; `python main.py vtl
insert` (another process, the same environment) puts one in; the request disappears from the
dashboard and the job's bars run to done — all without reloading either page. Screenshots at
1366×768 go to the artifacts folder (see test_browser.py).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.web import test_browser
from tests.web.seed import source_tree
from tests.web.test_browser import SMALL, fits_the_width, screenshot, settled
from tests.web.test_serve import ROOT, serving

browser = test_browser.browser  # one Chromium for this module too
JOB_SECONDS = 60  # what a step of the job may take on a busy machine


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """`python main.py` serving a fresh installation with a standalone drive; its address, the first
    administrator's password, the environment it runs in and the folder to back up."""
    folder = tmp_path_factory.mktemp("service")
    source = source_tree(folder / "源数据" / "财务", files=40)
    with serving(folder, VTL_SLOTS="0", COMPRESSION_LEVEL="1", BACKUP_ALLOWED_ROOTS=str(folder / "源数据")) as running:
        yield {**running, "source": source}


def vtl_insert(service: dict[str, Any], barcode: str) -> str:
    done = subprocess.run([sys.executable, "main.py", "vtl", "insert", barcode], cwd=ROOT, env=service["env"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def never_reloaded(page: Page) -> bool:
    """True while the page is the same document it was when `mark` was set on it."""
    return bool(page.evaluate("window.tafMark === 14"))


def test_a_backup_asks_for_a_tape_on_the_dashboard_and_runs_to_done_without_a_reload(browser, service) -> None:  # noqa: ANN001
    base = service["base"]
    context = browser.new_context(viewport=SMALL, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{base}/login?next=/backups")
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码").fill(service["password"])
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{base}/backups")

    # Pick the folder in the server's folder browser (only what BACKUP_ALLOWED_ROOTS holds is offered).
    browser_box = page.locator("#folder-browser")
    expect(browser_box.get_by_role("button", name=str(service["source"].parent))).to_be_visible()
    settled(page)
    browser_box.get_by_role("button", name=str(service["source"].parent)).click()
    expect(browser_box.locator(".folder", has_text="财务")).to_be_visible()
    settled(page)
    browser_box.locator(".folder", has_text="财务").get_by_role("button", name="选择").click()
    expect(page.locator("#sources")).to_have_value(str(service["source"]))
    assert fits_the_width(page)
    screenshot(page, "backups-form")
    page.get_by_role("button", name="开始备份").click()
    expect(page).to_have_url(re.compile(rf"{base}/backups/[0-9a-f-]{{36}}$"))
    job_id = page.url.rsplit("/", 1)[1]
    page.evaluate("window.tafMark = 14")

    # The empty standalone drive: the job asks for a cartridge, on its page and on the dashboard.
    expect(page.locator("#job-progress .request")).to_contain_text("装入驱动器", timeout=JOB_SECONDS * 1000)
    expect(page.locator("#job-summary")).to_contain_text("等待换盘")
    screenshot(page, "backup-job-waiting")
    dashboard = context.new_page()
    dashboard.goto(f"{base}/")
    banner = dashboard.locator(".request-banner")
    expect(banner).to_contain_text(job_id[:8])
    expect(banner).to_contain_text("python main.py vtl insert")
    dashboard.evaluate("window.tafMark = 14")
    assert fits_the_width(dashboard)
    screenshot(dashboard, "dashboard-tape-request")

    assert "TAF001L9" in vtl_insert(service, "TAF001L9")
    expect(banner).to_have_count(0, timeout=JOB_SECONDS * 1000)
    overall = page.get_by_role("progressbar", name="总进度")
    expect(overall).to_have_attribute("aria-valuenow", "100", timeout=JOB_SECONDS * 1000)
    expect(page.locator("#job-progress")).to_contain_text("完成")
    expect(page.get_by_role("progressbar", name="写入磁带")).to_have_attribute("aria-valuenow", "100")
    expect(page.locator("#job-summary")).to_contain_text("成功")  # reloaded at the last milestone
    expect(page.locator("#job-events")).to_contain_text("已换上磁带 TAF001L9")
    assert never_reloaded(page) and never_reloaded(dashboard)
    expect(dashboard.locator("#recent-jobs")).to_contain_text("成功")  # reloaded when the job ended
    screenshot(page, "backup-job-done")

    dashboard.reload()
    expect(dashboard.locator(".chart svg")).to_be_visible()  # the job's speed and compression, drawn by ECharts
    expect(dashboard.locator("#live")).to_contain_text("TAF001L9")  # the cartridge left in the drive
    screenshot(dashboard, "dashboard-after-backup")
    page.goto(f"{base}/backups")
    expect(page.locator("#history")).to_contain_text("成功 1")
    screenshot(page, "backups-history")
    context.close()
