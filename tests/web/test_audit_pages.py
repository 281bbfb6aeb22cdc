"""审计: the chain verified on demand (an altered event named), the event browser with its filters and
each event's stored fields, the monthly reports, and the read-only replay as of a past moment."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta
from html import escape
from typing import Any

from ledger.sqlite_guard import remove_immutability_triggers
from tests.web.conftest import sign_in


def alter_event(services: Any, number: int) -> None:
    """Rewrite event `number` in the database behind the ledger's back (its cartridge's pool changed)."""
    ledger = services.ledger
    stored = ledger.recorder.select_notifications(number, 1, stop=number)[0]
    event = ledger.mapper.to_domain_event(stored)
    event.__dict__["pool"] = "forged"
    forged = ledger.mapper.to_stored_event(event).state
    path = services.settings.database["path"]
    remove_immutability_triggers(path)
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (forged, number))


def test_verification_shows_the_head_and_names_the_first_altered_event(client, web_services) -> None:  # noqa: ANN001
    ledger = web_services.ledger
    ledger.register_cartridge("TAF021L9", capacity_bytes=18 * 10**12, by="李工")
    sign_in(client, "auditor")  # an auditor may run the verification: it reads and changes nothing
    intact = client.get("/api/v1/audit/verify").json()
    head = ledger.head_id()
    assert intact["ok"] and intact["chain"]["checked"] == head and intact["chain"]["first_bad"] is None
    assert len(intact["chain"]["head"]) == 64 and "磁带索引" in intact["summary"] and "audit verify" in intact["tapes"]
    shown = client.get("/audit/verify", headers={"hx-request": "true"}).text
    assert "哈希链完整" in shown and intact["chain"]["head"] in shown
    page = client.get("/audit").text
    assert 'hx-get="/audit/verify"' in page and "重新校验" in page
    # The read models by their Chinese titles; the names commands take only as a tooltip.
    models = page.split("<dt>读模型</dt>", 1)[1].split("</dd>", 1)[0]
    assert '<span title="catalog">文件目录</span>' in models and "操作日志" in models
    assert ">catalog<" not in models and "audit_log、" not in models

    registered = next(line["id"] for line in client.get("/api/v1/events", params={"subject": "TAF021L9"}).json()["events"])
    alter_event(web_services, registered)
    broken = client.get("/api/v1/audit/verify").json()
    assert not broken["ok"] and broken["chain"]["first_bad"] == registered
    assert f"第 {registered} 号事件" in broken["chain"]["message"]
    shown = client.get("/audit/verify", headers={"hx-request": "true"}).text
    assert "哈希链损坏" in shown and f'href="/audit?before={registered + 1}&amp;limit=1"' in shown
    one = client.get("/audit", params={"before": registered + 1, "limit": 1}).text
    assert "登记磁带 TAF021L9" in one and f'hx-get="/audit/events/{registered}"' in one


def test_the_event_browser_filters_by_aggregate_subject_type_user_and_time(client, web_services) -> None:  # noqa: ANN001
    ledger = web_services.ledger
    for barcode in ("TAF022L9", "TAF023L9"):
        ledger.register_cartridge(barcode, capacity_bytes=18 * 10**12, by="李工")
    ledger.request_backup("audit-job", kind="manual", sources=["/srv/财务"], group="2026-12", params={}, by="operator")
    sign_in(client, "auditor")

    def shown(**params: Any) -> list[dict[str, Any]]:
        answer = client.get("/api/v1/events", params=params)
        assert answer.status_code == 200, answer.text
        return list(answer.json()["events"])

    everything = shown(limit=1000)
    assert [row["id"] for row in everything] == sorted((row["id"] for row in everything), reverse=True)
    cartridges = shown(aggregate="Cartridge")
    assert [row["summary"] for row in cartridges] == ["登记磁带 TAF023L9（L9，池 默认）", "登记磁带 TAF022L9（L9，池 默认）"]
    assert cartridges[0]["category"] == "磁带" and cartridges[0]["event_label"] == "登记磁带"
    assert [row["event"] for row in shown(aggregate="Job")] == ["BackupJob.Requested"]
    assert [row["summary"] for row in shown(subject="TAF022L9")] == ["登记磁带 TAF022L9（L9，池 默认）"]
    assert {row["event"] for row in shown(event="User.Created")} == {"User.Created"}
    assert {row["actor"] for row in shown(user="李工")} == {"李工"} and len(shown(user="李工")) == 2
    assert shown(since=str(date.today() + timedelta(days=1))) == []
    assert len(shown(since=str(date.today()), until=str(date.today()), limit=1000)) == len(everything)
    first = client.get("/api/v1/events", params={"limit": 2}).json()
    assert first["more"] and len(first["events"]) == 2
    older = shown(limit=2, before=first["events"][-1]["id"])
    assert older[0]["id"] == first["events"][-1]["id"] - 1

    assert client.get("/api/v1/events", params={"aggregate": "Kitchen"}).status_code == 400
    unknown = client.get("/api/v1/events", params={"event": "Cartridge.Painted"})
    assert unknown.status_code == 400 and "未知的事件类型“Cartridge.Painted”" in unknown.json()["detail"]
    missing = client.get("/api/v1/events/99999")
    assert missing.status_code == 404 and "台账中没有第 99999 号事件" in missing.json()["detail"]

    page = client.get("/audit", params={"aggregate": "Cartridge"}).text
    assert "登记磁带 TAF023L9" in page and "备份组 2026-12" not in page and '<option value="Cartridge" selected>' in page
    fragment = client.get("/audit", params={"user": "李工"}, headers={"hx-request": "true", "hx-target": "events"}).text
    assert "<html" not in fragment and "TAF022L9" in fragment and "TAF023L9" in fragment


def test_each_event_shows_its_stored_fields_with_secrets_hidden(client, web_services) -> None:  # noqa: ANN001
    ledger = web_services.ledger
    ledger.register_cartridge("TAF024L9", capacity_bytes=18 * 10**12, location="槽位 4", by="李工")
    sign_in(client, "auditor")
    registered = client.get("/api/v1/events", params={"subject": "TAF024L9"}).json()["events"][0]
    raw = client.get(f"/api/v1/events/{registered['id']}").json()
    assert raw["row"] == registered and raw["topic"].endswith(":Cartridge.Registered") and raw["originator_version"] == 1
    assert raw["fields"]["barcode"] == "TAF024L9" and raw["fields"]["capacity_bytes"] == 18 * 10**12
    assert raw["fields"]["by"] == "李工" and raw["fields"]["originator_id"] == registered["aggregate_id"]
    fragment = client.get(f"/audit/events/{registered['id']}", headers={"hx-request": "true"}).text
    assert "capacity_bytes" in fragment and "18000000000000" in fragment and escape("槽位 4") in fragment

    created = client.get("/api/v1/events", params={"event": "User.Created", "subject": "auditor"}).json()["events"][0]
    user = client.get(f"/api/v1/events/{created['id']}").json()
    assert user["fields"]["password_hash"] == "（已隐藏）" and user["fields"]["name"] == "auditor"
    assert "scrypt" not in client.get(f"/audit/events/{created['id']}").text


def test_the_monthly_reports_are_linked_and_served_in_each_format(client, web_services) -> None:  # noqa: ANN001
    web_services.ledger.register_cartridge("TAF025L9", capacity_bytes=18 * 10**12, by="李工")
    month = date.today().strftime("%Y-%m")
    sign_in(client, "auditor")
    assert client.get("/api/v1/audit/reports").json()[0] == {
        "month": month, "links": {form: f"/audit/reports/{month}?format={form}" for form in ("html", "csv", "json")}}
    page = client.get("/audit").text
    assert f'href="/audit/reports/{month}?format=html"' in page and "月度报告" in page

    html = client.get(f"/audit/reports/{month}")
    assert html.headers["content-type"].startswith("text/html") and f"TAF 月度报告 {month}" in html.text
    assert html.headers["content-disposition"].startswith("inline")
    table = client.get(f"/audit/reports/{month}", params={"format": "csv"})
    assert table.headers["content-type"].startswith("text/csv") and table.headers["content-disposition"].startswith("attachment")
    data = client.get(f"/api/v1/audit/reports/{month}").json()
    assert data["format"] == "json" and json.loads(data["content"])["month"] == month
    assert client.get("/api/v1/audit/reports/2026-13").status_code == 400
    assert client.get("/audit/reports/0001-01").status_code == 400


def test_the_replay_shows_the_system_as_it_was_and_changes_nothing(client, web_services) -> None:  # noqa: ANN001
    ledger = web_services.ledger
    ledger.register_cartridge("TAF026L9", capacity_bytes=18 * 10**12, location="槽位 6", by="李工")
    then = ledger.head_id()
    ledger.register_cartridge("TAF027L9", capacity_bytes=18 * 10**12, location="槽位 7", by="李工")
    sign_in(client, "auditor")
    head = ledger.head_id()

    replayed = client.get("/api/v1/audit/replay", params={"until": str(then), "view": "inventory"}).json()
    assert replayed["position"] == then and replayed["views"] == ["inventory"]
    assert [row["barcode"] for row in replayed["cartridges"]] == ["TAF026L9"]
    page = client.get("/audit/replay", params={"until": str(then)}).text
    assert f"台账回放至第 {then} 号事件" in page and "TAF026L9" in page and "TAF027L9" not in page
    assert "磁带库存" in page and "生效的设置" in page
    assert ledger.head_id() == head  # read only: nothing was recorded

    form = client.get("/audit/replay").text
    assert 'name="until"' in form and "台账回放至" not in form
    bad = client.get("/api/v1/audit/replay", params={"until": "上周"})
    assert bad.status_code == 400 and "until" in bad.json()["detail"]
    assert client.get("/api/v1/audit/replay", params={"until": str(head + 5)}).status_code == 400
