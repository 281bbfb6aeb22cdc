"""`report monthly` (issue 17): the month of the scripted history as HTML, CSV and JSON, the HTML
opened offline in Debian's headless Chromium, and the scheduled report on the first of the month."""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from jobs.report_render import SUMMARY_LABELS, cell
from ledger.rules.locations import location_text
from tests.conftest import run_cli
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[2]


def artifacts() -> Path:
    folder = Path(os.environ.get("TAF_TEST_ARTIFACTS") or ROOT / "tests" / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def csv_tables(text: str) -> dict[str, list[list[str]]]:
    """The CSV's tables by title (their rows, below the header row): each is a title row, a header row and
    its rows, then an empty row."""
    tables: dict[str, list[list[str]]] = {}
    rows = list(csv.reader(io.StringIO(text)))
    start = 0
    for end in [*[i for i, row in enumerate(rows) if not row], len(rows)]:
        block = rows[start:end]
        assert len(block) >= 2 and len(block[1]) > 1  # the header row
        tables[block[0][0]] = block[2:]
        start = end + 1
    return tables


def report(month: str, form: str, out: Path) -> Path:
    made = run_cli("report", "monthly", month, "--format", form, "--out", str(out))
    assert made.code == 0, made.err
    return out


def test_march_report_tells_the_month_with_its_evidence(audit_copy: dict[str, Any], tmp_path: Path) -> None:
    shown = json.loads(report("2026-03", "json", tmp_path / "月报.json").read_text(encoding="utf-8"))
    summary = shown["summary"]
    assert (summary["groups_made"], summary["backup_jobs"], summary["jobs_succeeded"], summary["jobs_failed"]) == (1, 2, 1, 1)
    assert summary["erases"] == 1 and summary["restores"] == 1 and summary["chain_verifies"]
    assert (summary["notifications_sent"], summary["notifications_failed"]) == (2, 1)
    [erase] = shown["erases"]
    assert erase["barcode"] == "TAF001L9" and erase["rule"] == "expired" and "已过期" in erase["evidence"]
    assert "存活期检查" in erase["expired_record"]
    [restore] = shown["restores"]
    assert restore["requested_by"] == "审计员王" and restore["selection"][0].endswith("凭证03.txt")
    assert [(c["by"], c["subject"], c["old"], c["new"]) for c in shown["changes"]] == [
        ("管理员李", "设置 compression_level", "1", "2")]
    [failure] = [p for p in shown["problems"] if p["kind"] == "失败"]
    assert failure["job_id"] == audit_copy["jobs"]["failed"] and "备份源不存在" in failure["text"]
    assert [c["barcode"] for c in shown["cartridges"]] == ["TAF001L9"]
    january = json.loads(report("2026-01", "json", tmp_path / "一月.json").read_text(encoding="utf-8"))
    assert ("管理员张", "设置 default_retention_months", "6", "1") in [
        (c["by"], c["subject"], c["old"], c["new"]) for c in january["changes"]]


def test_the_html_report_opens_offline_and_shows_the_figures_of_the_csv_and_the_json(
        audit_copy: dict[str, Any], tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    page_file = report("2026-03", "html", tmp_path / "月报-2026-03.html")
    tables = csv_tables(report("2026-03", "csv", tmp_path / "月报.csv").read_text(encoding="utf-8-sig"))
    shown = json.loads(report("2026-03", "json", tmp_path / "月报.json").read_text(encoding="utf-8"))
    text = page_file.read_text(encoding="utf-8")
    assert "http://" not in text and "https://" not in text and "<script" not in text

    requested: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
            page.on("request", lambda request: requested.append(request.url))
            page.goto(page_file.as_uri())
            page.screenshot(path=str(artifacts() / "report-monthly-2026-03.png"), full_page=True)
            in_page = page.eval_on_selector_all(
                "table[data-section]",
                "ts => Object.fromEntries(ts.map(t => [t.dataset.section, [...t.querySelectorAll('tbody tr')]"
                ".filter(r => !r.querySelector('td.empty')).map(r => [...r.cells].map(c => c.textContent))]))")
            heading = page.title()
        finally:
            browser.close()
    assert requested == [page_file.as_uri()]  # the page itself, nothing from any network
    assert heading == "TAF 月度报告 2026-03"

    titles = {"summary": "概要", "groups": "备份组", "cartridges": "写入的磁带及其位置", "jobs": "备份任务与吞吐",
              "problems": "失败与警告", "restores": "恢复（谁要了什么）", "erases": "擦除及其依据",
              "changes": "存活期与设置的变更", "notifications": "通知（送达与失败）", "chain": "月底的台账链头"}
    for section, title in titles.items():
        assert in_page[section] == tables[title], section
    figures = {row[0]: row[2] for row in tables["概要"]}
    assert set(figures) == set(SUMMARY_LABELS)
    for key, value in shown["summary"].items():
        assert figures[key] == cell(value), key
    for row, job in zip(tables["备份任务与吞吐"], shown["jobs"], strict=True):
        assert row[0] == job["job_id"]
        assert row[7:12] == [cell(job[k]) for k in ("files", "bytes_in", "bytes_on_tape", "compression_ratio", "seconds")]
    assert tables["月底的台账链头"][0][:2] == [str(shown["chain"]["position"]), shown["chain"]["head"]]
    for row, cartridge in zip(tables["写入的磁带及其位置"], shown["cartridges"], strict=True):
        # Places in words in the tables, as codes in the JSON.
        assert [row[0], row[4], row[6]] == [cartridge["barcode"], location_text(cartridge["location_at_month_end"]),
                                            location_text(cartridge["location_now"])]
        assert not row[4].startswith(("drive:", "slot:"))


def test_a_month_that_is_not_yyyy_mm_is_refused(audit_copy: dict[str, Any]) -> None:
    for month in ("2026-13", "三月", "2026/03"):
        refused = run_cli("report", "monthly", month)
        assert refused.code == 2 and "YYYY-MM" in refused.err


def test_the_first_of_the_month_sends_last_month_s_report_only_when_switched_on(
        audit_copy: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    from bootstrap import build
    from jobs.handlers import scheduled_handlers
    from jobs.schedule import SCHEDULES, due

    slot = datetime(2026, 4, 1, 6, 30)
    services = build()
    try:
        cron = {schedule.name: str(services.effective(schedule.cron_key)) for schedule in SCHEDULES}
        assert "monthly_report" in [s.name for s, _ in due(slot, lambda s: cron.get(s.name, s.cron_key))]
        handler = scheduled_handlers()["monthly_report"]
        assert services.effective("monthly_report_enabled") is False
        assert handler(services, slot) is None
        assert run_cli("settings", "set", "monthly_report_enabled", "是").code == 0
        assert run_cli("settings", "set", "monthly_report_enabled", "也许").code == 2
        sent = handler(services, slot)
        assert sent.month == "2026-03" and sent.queued == 1 and Path(sent.path).is_file()
        assert handler(services, slot).queued == 0  # the same month is never sent twice
        services.projector.catch_up(["notifications"])
        [notice] = [n for n in services.notification_log.recent(50) if n["kind"] == "monthly_report"]
        assert notice["title"] == "【TAF】月度报告：2026-03" and sent.path in notice["content"]
    finally:
        services.close()
    code = run_cli("audit", "verify", "--no-tapes", "--json")
    assert code.code == 0
    assert [c["ok"] for c in code.json()["heads"] if "月度报告" in c["subject"]] == [True]
