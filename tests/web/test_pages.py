"""The layout, the dashboard and the pages the App serves today, the JSON API and the static files."""

from __future__ import annotations

import hashlib
import re
from html import escape
from pathlib import Path

from app.facade import make_app
from tests.web.conftest import headers, sign_in
from web.pages import NAVIGATION

WEB = Path(__file__).resolve().parents[2] / "web"
CDN = re.compile(r"cdn\.|jsdelivr|unpkg|cdnjs|googleapis|bootcdn|staticfile\.org", re.IGNORECASE)


def said(services: object, event: str) -> str:
    """The Chinese sentence the ledger's newest `event` is described with (wherever it is shown)."""
    return next(line.summary for line in make_app(services).audit.recent_events(50) if line.event == event)


def test_the_dashboard_shows_the_ledger_recent_operations_and_settings(client, web_services) -> None:  # noqa: ANN001
    make_app(web_services).settings.change("active_groups", "5", actor="张工")
    sign_in(client, "operator")
    page = client.get("/")
    assert page.status_code == 200 and 'lang="zh-CN"' in page.text
    head = make_app(web_services).audit.head_id()
    assert f'<div class="kpi-value">{head}</div>' in page.text
    assert escape(said(web_services, "Settings.SettingChanged")) in page.text and "张工" in page.text
    assert '<span class="kpi-unit">/ 5 组</span>' in page.text  # the active groups setting in force
    assert 'hx-get="/dashboard/chain"' in page.text and 'sse-connect="/dashboard/live"' in page.text
    chain = client.get("/dashboard/chain", headers={"hx-request": "true"})
    verdict = make_app(web_services).audit.verify_chain()
    assert "哈希链完整" in chain.text and verdict.head in chain.text


def test_the_dashboard_api_answers_what_the_page_shows(client, web_services) -> None:  # noqa: ANN001
    sign_in(client, "auditor")
    body = client.get("/api/v1/dashboard").json()
    assert body["events"] == make_app(web_services).audit.head_id()
    assert body["recent"][0]["event"] == "User.LoggedIn" and body["groups_kept"] == 6 and body["min_scratch"] == 2
    assert [drive["device"] for drive in body["live"]["drives"] if drive["kind"] == "drive"] == ["emulated:0"]
    assert {folder["label"] for folder in body["resources"]["folders"]} == {"数据目录", "暂存区"}
    chain = client.get("/api/v1/dashboard/chain").json()
    assert chain["ok"] is True and chain["checked"] == body["events"]


def test_the_layout_links_each_served_page_and_marks_the_others(client, web_app) -> None:  # noqa: ANN001
    sign_in(client, "auditor")
    page = client.get("/logs").text
    served = {path for path, methods in web_app.route_handler_method_map.items() if "GET" in methods}
    for entry in NAVIGATION:
        if entry.path in served:
            assert f'href="{entry.path}"' in page, entry.label
        else:
            assert f'title="此页面尚未提供">{entry.label}<small>未开放</small>' in page, entry.label
    assert 'class="nav-item active" aria-current="page">日志' in page
    assert "auditor" in page and "审计员" in page and "退出" in page


def test_settings_are_changed_by_an_administrator_only_and_recorded(client, web_services) -> None:  # noqa: ANN001
    sign_in(client, "operator")
    assert 'hx-post="/settings/' not in client.get("/settings").text
    sign_in(client, "admin")
    page = client.get("/settings").text
    assert 'hx-post="/settings/active_groups"' in page and "启动配置" in page and "用户" in page
    row = client.post("/settings/active_groups", data={"value": "7"}, headers=headers(client, **{"hx-request": "true"}))
    assert row.status_code == 200 and "已保存并记入台账" in row.text and 'value="7"' in row.text
    latest = make_app(web_services).audit.recent_events(1)[0]
    assert latest.actor == "admin" and latest.event == "Settings.SettingChanged" and "active_groups" in latest.summary
    changed = client.put("/api/v1/settings/compression_level", json={"value": "5"}, headers=headers(client))
    assert changed.status_code == 200 and changed.json() == {"key": "compression_level", "shown": 5, "by": "admin"}


def test_the_logs_and_audit_pages_list_the_ledger(client, web_services) -> None:  # noqa: ANN001
    make_app(web_services).settings.change("active_groups", "4", actor="李工")
    sign_in(client, "auditor")
    logs = client.get("/logs").text
    assert "操作日志" in logs and escape(said(web_services, "Settings.SettingChanged")) in logs and "通知日志" in logs
    audit = client.get("/audit").text
    assert "Settings.SettingChanged" in audit and "audit_log" in audit


def test_the_openapi_document_and_its_browser_are_served_without_a_cdn(client) -> None:  # noqa: ANN001
    document = client.get("/api/v1/schema/openapi.json").json()
    assert {"/api/v1/me", "/api/v1/dashboard", "/api/v1/jobs/{job_id}/events"} <= set(document["paths"])
    assert not any(path in document["paths"] for path in ("/", "/login", "/settings"))
    assert set(document["components"]["securitySchemes"]) == {"apiToken", "session"}
    browser = client.get("/api/v1/schema").text
    assert "<code>/api/v1/dashboard</code>" in browser and "/api/v1/schema/openapi.json" in browser
    assert "<script" not in browser and not CDN.search(browser)


def test_every_static_file_a_page_uses_is_served_and_no_page_names_a_cdn(client) -> None:  # noqa: ANN001
    sign_in(client, "admin")
    pages = [client.get(path).text for path in ("/", "/settings", "/logs", "/audit")] + [client.get("/login").text]
    assets = {match for text in pages for match in re.findall(r'(?:src|href)="(/static/[^"]+)"', text)}
    assert {"/static/vendor/htmx.min.js", "/static/vendor/echarts.min.js", "/static/css/taf.css"} <= {
        asset.split("?")[0] for asset in assets}
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    for text in pages:
        assert not CDN.search(text)
    for template in (WEB / "templates").rglob("*.html"):
        assert not CDN.search(template.read_text(encoding="utf-8")), template


def test_the_vendored_files_are_the_ones_the_readme_lists(client) -> None:  # noqa: ANN001
    vendor = WEB / "static" / "vendor"
    rows = re.findall(r"^\| `([^`]+)` \|.*\| `([0-9a-f]{64})` \|$", (vendor / "README.md").read_text(encoding="utf-8"),
                      re.MULTILINE)
    assert {name for name, _ in rows} >= {"htmx.min.js", "htmx-ext-sse.min.js", "echarts.min.js"}
    for name, digest in rows:
        assert hashlib.sha256((vendor / name).read_bytes()).hexdigest() == digest, name
    assert client.get("/static/vendor/htmx.min.js").headers["content-type"].startswith(("text/javascript",
                                                                                        "application/javascript"))


def test_the_backup_restore_and_tape_pages_list_what_the_app_knows(client, web_services) -> None:  # noqa: ANN001
    web_services.ledger.register_cartridge("TAF001L9", capacity_bytes=18 * 10**12, location="槽位 1", by="张工")
    web_services.ledger.request_backup("web-test", kind="manual", sources=["/srv/财务"], group="2026-12", params={},
                                       by="operator")
    web_services.catch_up()
    sign_in(client, "auditor")
    tapes = client.get("/tapes").text
    assert "TAF001L9" in tapes and "槽位 1" in tapes and "16.4 TiB" in tapes and "共 1 盘" in tapes
    backups = client.get("/backups").text
    assert "手动" in backups and "2026-12" in backups and "operator" in backups and "已提交 1" in backups
    restores = client.get("/restores").text
    assert "还没有备份组" in restores and "还没有恢复任务" in restores
    dashboard = client.get("/api/v1/dashboard").json()
    assert dashboard["cartridges"] == 1 and dashboard["scratch"] == 1
    assert dashboard["live"]["jobs"][0]["group"] == "2026-12" and dashboard["recent_jobs"][0]["status"] == "requested"
