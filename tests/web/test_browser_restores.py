"""恢复 in a real browser against the real service: `python main.py` (web and worker) on a free port over
a fresh data folder with its emulated library, Debian's Chromium driven by Playwright.

An operator backs up a test folder from the backups page, then on the restore page finds a file by
a Chinese fragment of its name, puts it on the restore list, reads the plan (which cartridge, where
it is, what is read, how long), starts the restore into a target folder and watches the worker run
it to the result, without reloading; the restored bytes are the source's. Screenshots at 1366×768 go
to the artifacts folder (see test_browser.py).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.web import test_browser
from tests.web.test_browser import SMALL, fits_the_width, screenshot
from tests.web.test_serve import serving

browser = test_browser.browser  # one Chromium for this module too
JOB_SECONDS = 90  # what a backup or a restore of the test folder may take on a busy machine
WANTED = "二〇二六年度预算（终稿）.xlsx"


def source_folder(root: Path) -> Path:
    """Chinese names, a few folders, one file whose name holds the fragment searched for."""
    for number in range(12):
        folder = root / f"部门{number % 3}" / "报告"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"周报{number:02d}.txt").write_text(f"第{number}周：一切正常。\n" * 40, encoding="utf-8")
    (root / "部门1" / WANTED).write_bytes(os.urandom(48 * 1024) + "预算".encode() * 500)
    return root


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """`python main.py` serving a fresh installation with its emulated library: the address, the first
    administrator's password and the folders to back up from and restore into."""
    folder = tmp_path_factory.mktemp("restore-service")
    source = source_folder(folder / "源数据" / "财务")
    with serving(folder, VTL_SLOTS="4", VTL_CAPACITY="64M", COMPRESSION_LEVEL="1",
                 BACKUP_ALLOWED_ROOTS=str(folder / "源数据")) as running:
        yield {**running, "source": source, "target": folder / "恢复到这里"}


def sign_in(page: Page, service: dict[str, Any], where: str) -> None:
    page.goto(f"{service['base']}/login?next={where}")
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码").fill(service["password"])
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{service['base']}{where}")


def back_up(page: Page, service: dict[str, Any]) -> None:
    """The test folder backed up from the backups page, run by the worker to the end."""
    sign_in(page, service, "/backups")
    page.locator("#sources").fill(str(service["source"]))
    page.get_by_role("button", name="开始备份").click()
    expect(page).to_have_url(re.compile(rf"{service['base']}/backups/[0-9a-f-]{{36}}$"))
    expect(page.get_by_role("progressbar", name="总进度")).to_have_attribute("aria-valuenow", "100",
                                                                            timeout=JOB_SECONDS * 1000)
    expect(page.locator("#job-summary")).to_contain_text("成功")


def test_a_file_found_by_a_chinese_fragment_is_planned_restored_and_identical(browser, service) -> None:  # noqa: ANN001
    base, source, target = service["base"], service["source"], service["target"]
    page = browser.new_page(viewport=SMALL, locale="zh-CN")
    back_up(page, service)

    page.goto(f"{base}/restores")
    group = page.locator(".timeline-item.current .timeline-name")
    expect(group).to_have_text(re.compile(r"^\d{4}-\d{2}$"))
    # The tree opens by itself down to where it branches: / → the folders above the source → 财务.
    tree = page.locator("#tree")
    expect(tree.locator("summary", has_text="部门2")).to_be_visible()
    tree.locator("summary", has_text="部门0").click()
    expect(tree.locator("summary", has_text="报告").first).to_be_visible()
    assert fits_the_width(page)
    screenshot(page, "restores-browse")

    page.get_by_role("tab", name="搜索").click()
    page.get_by_label("文件名或路径片段").fill("年度预算")
    page.get_by_role("button", name="搜索", exact=True).click()
    results = page.locator("#search-results")
    expect(results.locator("mark")).to_have_text("年度预算")
    wanted = str(source / "部门1" / WANTED)
    results.get_by_label(f"选择 {wanted}").check()
    expect(page.locator("#selection-count")).to_have_text("1")
    expect(page.locator("#selection")).to_contain_text(WANTED)
    assert fits_the_width(page)
    screenshot(page, "restores-search")

    page.get_by_role("button", name="生成恢复计划").click()
    plan = page.locator("#plan .plan-card")
    expect(plan).to_contain_text("需要 1 盘磁带")
    step = plan.locator(".plan-steps tbody tr")
    expect(step).to_have_count(1)
    expect(step).to_contain_text(re.compile(r"TAF\d{3}L9"))
    expect(step.locator(".tag")).to_contain_text(re.compile("驱动器|槽位"))
    assert fits_the_width(page)
    screenshot(page, "restores-plan")

    plan.get_by_label("恢复到服务器上的目录").fill(str(target))
    plan.get_by_role("button", name="按此计划开始恢复").click()
    expect(page).to_have_url(re.compile(rf"{base}/restores/[0-9a-f-]{{36}}$"))
    page.evaluate("window.tafMark = 14")
    expect(page.locator("#job-summary .result")).to_contain_text("恢复完成", timeout=JOB_SECONDS * 1000)
    expect(page.locator("#job-summary .tape-bytes")).not_to_have_text("0 B")
    expect(page.get_by_role("progressbar", name="总进度")).to_have_attribute("aria-valuenow", "100")
    assert page.evaluate("window.tafMark === 14")  # followed live, never reloaded
    assert fits_the_width(page)
    screenshot(page, "restore-job")

    restored = target.joinpath(*Path(wanted).parts[1:])
    assert restored.read_bytes() == Path(wanted).read_bytes()
    assert [p.name for p in target.rglob("*") if p.is_file()] == [WANTED]  # one file asked, one file restored

    page.goto(f"{base}/restores")
    expect(page.locator("table").last).to_contain_text("成功")
    page.close()
