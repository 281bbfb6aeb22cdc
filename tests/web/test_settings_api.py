"""`/api/v1/settings`: the settings in force, changing one (administrators only, each change a ledger
event naming who), the schedules in words with their next runs, previewing a cron expression, the
history of every change and the version. Bad input is a Chinese 400 naming the setting, and nothing
is recorded; the DingTalk token is never answered in full."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.web.conftest import headers, sign_in

TOKEN = "dingtalk-secret-token-7f3a9c2e51"


@pytest.fixture
def admin(client: TestClient[Litestar]) -> TestClient[Litestar]:
    sign_in(client, "admin")
    return client


def put(client: TestClient[Litestar], key: str, value: Any) -> Any:
    return client.put(f"/api/v1/settings/{key}", json={"value": value}, headers=headers(client))


def head(services: Any) -> int:
    return int(services.ledger.head_id())


def schedule(client: TestClient[Litestar], key: str) -> dict[str, Any]:
    return next(entry for entry in client.get("/api/v1/settings/schedules").json() if entry["key"] == key)


def test_every_role_reads_the_settings_and_only_an_administrator_changes_them(client, web_services) -> None:  # noqa: ANN001
    for role in ("auditor", "operator"):
        sign_in(client, role)
        view = client.get("/api/v1/settings").json()
        assert {row["key"] for row in view["runtime"]} >= {"compression_level", "monthly_backup_cron", "dingtalk_api_key"}
        before = head(web_services)
        refused = put(client, "compression_level", "3")
        assert refused.status_code == 403 and "权限不足" in refused.json()["detail"]
        assert head(web_services) == before
    sign_in(client, "admin")
    changed = put(client, "solid_block_size", str(128 * 1024 * 1024))
    assert changed.status_code == 200 and changed.json() == {"key": "solid_block_size", "shown": 134217728, "by": "admin"}
    rows = {row["key"]: row for row in client.get("/api/v1/settings").json()["runtime"]}
    assert rows["solid_block_size"] == {"key": "solid_block_size", "value": 134217728, "source": "台账"}


@pytest.mark.parametrize(("key", "value", "said"), [
    ("active_groups", "很多", "活动备份组数（active_groups）的值无效：“很多”不是整数"),
    ("compression_level", "10", "压缩级别（LZMA2）（compression_level）的值无效：10 不在 0–9 之间"),
    ("max_volume_size", "-1", "单盘写入上限（max_volume_size）的值无效"),
    ("capacity_alert_pct", "0", "容量告警阈值（capacity_alert_pct）的值无效"),
    ("auto_erase_expired", "也许", "备份前自动擦除到期磁带（auto_erase_expired）的值无效：“也许”应为 是 或 否"),
    ("dingtalk_api_url", "ftp://gateway", "钉钉网关地址（dingtalk_api_url）的值无效：“ftp://gateway”不是 http(s) 地址"),
    ("monthly_backup_cron", "61 2 1 * *", "每月全量备份时间（monthly_backup_cron）的值无效：cron 表达式“61 2 1 * *”的第 1 个字段（分钟）"),
    ("retention_check_cron", "0 3 * *", "存活期检查时间（retention_check_cron）的值无效：cron 表达式“0 3 * *”应有 5 个字段"),
    ("dingtalk_api_url", "http://127.0.0.1:5555\n", "不能含有控制字符或换行"),
    ("dingtalk_api_key", "to\x00ken", "钉钉网关令牌（dingtalk_api_key）的值无效：不能含有控制字符或换行"),
    ("colour", "blue", "未知的设置项：colour"),
])
def test_a_refused_value_names_the_setting_in_chinese_and_nothing_is_recorded(admin, web_services, key, value,  # noqa: ANN001
                                                                               said) -> None:
    before, shown = head(web_services), admin.get("/api/v1/settings").json()
    answer = put(admin, key, value)
    assert answer.status_code == 400 and said in answer.json()["detail"]
    assert head(web_services) == before and admin.get("/api/v1/settings").json() == shown


def test_malformed_bodies_are_a_400_naming_the_parameter(admin, web_services) -> None:  # noqa: ANN001
    before = head(web_services)
    missing = admin.put("/api/v1/settings/active_groups", json={}, headers=headers(admin))
    assert missing.status_code == 400 and "value" in missing.json()["detail"]
    wrong = admin.put("/api/v1/settings/active_groups", json={"value": ["5"]}, headers=headers(admin))
    assert wrong.status_code == 400 and wrong.json()["detail"].startswith("参数 ")
    assert head(web_services) == before


def test_the_dingtalk_token_is_never_answered_in_full(admin, client, web_services) -> None:  # noqa: ANN001
    changed = put(admin, "dingtalk_api_key", TOKEN)
    assert changed.status_code == 200 and changed.json()["shown"] == "ding…2e51"
    put(admin, "dingtalk_api_key", TOKEN + "-rotated")
    for role in ("admin", "operator", "auditor"):
        sign_in(client, role)
        answers = [client.get(path).text for path in (
            "/api/v1/settings", "/api/v1/settings/history", "/api/v1/settings/history?key=dingtalk_api_key", "/settings")]
        assert all(TOKEN not in text for text in answers), role
        assert all("ding…" in text for text in answers[:3]), role
    history = client.get("/api/v1/settings/history?key=dingtalk_api_key").json()
    assert [(entry["old"], entry["new"]) for entry in history] == [("ding…2e51", "ding…ated"), ("", "ding…2e51")]
    assert "ciphertext" not in client.get("/api/v1/settings/history").text
    # The process that sends uses the token itself: it is sealed in the ledger, not lost.
    assert web_services.secret("dingtalk_api_key") == TOKEN + "-rotated"


def test_a_short_token_shows_nothing_of_itself(admin) -> None:  # noqa: ANN001
    assert put(admin, "dingtalk_api_key", "abc123").json()["shown"] == "****"
    rows = {row["key"]: row for row in admin.get("/api/v1/settings").json()["runtime"]}
    assert rows["dingtalk_api_key"]["value"] == "****"


def test_the_schedules_read_in_words_with_their_next_five_runs(client, web_services) -> None:  # noqa: ANN001
    sign_in(client, "auditor")
    entries = client.get("/api/v1/settings/schedules").json()
    assert [entry["key"] for entry in entries] == ["monthly_backup_cron", "retention_check_cron", "verify_cron",
                                                   "monthly_report_cron"]
    words = {entry["key"]: (entry["expression"], entry["description"], entry["source"]) for entry in entries}
    assert words == {"monthly_backup_cron": ("0 2 1 * *", "每月 1 日 02:00", ".env/环境"),
                     "retention_check_cron": ("0 3 * * *", "每天 03:00", ".env/环境"),
                     "verify_cron": ("0 4 * * 0", "每周日 04:00", "内置默认"),
                     "monthly_report_cron": ("30 6 1 * *", "每月 1 日 06:30", "内置默认")}
    for entry in entries:
        runs = entry["next_runs"]
        assert len(runs) == 5 and runs == sorted(runs) and len(set(runs)) == 5
    assert all(run.endswith("04:00（周日）") for run in schedule(client, "verify_cron")["next_runs"])
    assert all(run[8:10] == "01" and " 02:00" in run for run in schedule(client, "monthly_backup_cron")["next_runs"])

    sign_in(client, "admin")
    assert put(client, "verify_cron", "15 22 * * 1-5").status_code == 200
    changed = schedule(client, "verify_cron")
    assert (changed["description"], changed["source"]) == ("每周一至周五 22:15", "台账")
    assert all(" 22:15" in run and "周六" not in run and "周日" not in run for run in changed["next_runs"])


def test_a_cron_expression_is_previewed_without_being_saved(client, web_services) -> None:  # noqa: ANN001
    sign_in(client, "operator")  # a question, open to every role
    before = head(web_services)
    preview = client.get("/api/v1/settings/schedules/preview",
                         params={"key": "retention_check_cron", "expression": " 30  1 * * 6 "})
    assert preview.status_code == 200
    body = preview.json()
    assert (body["key"], body["label"], body["expression"], body["description"]) == (
        "retention_check_cron", "存活期检查时间", "30 1 * * 6", "每周六 01:30")
    assert len(body["next_runs"]) == 5 and all(run.endswith("01:30（周六）") for run in body["next_runs"])
    assert head(web_services) == before and schedule(client, "retention_check_cron")["expression"] == "0 3 * * *"

    bad = client.get("/api/v1/settings/schedules/preview", params={"key": "retention_check_cron", "expression": "0 0 30 2 *"})
    assert bad.status_code == 400
    assert bad.json()["detail"].startswith("存活期检查时间（retention_check_cron）的值无效：") and "永远不会触发" in bad.json()["detail"]
    other = client.get("/api/v1/settings/schedules/preview", params={"key": "active_groups", "expression": "0 0 * * *"})
    assert other.status_code == 400 and "不是计划任务的设置项" in other.json()["detail"]
    missing = client.get("/api/v1/settings/schedules/preview", params={"key": "verify_cron"})
    assert missing.status_code == 400 and "expression" in missing.json()["detail"]


def test_the_history_says_who_changed_what_when_from_what_to_what(client, web_services) -> None:  # noqa: ANN001
    sign_in(client, "admin")
    assert client.get("/api/v1/settings/history").json() == []
    put(client, "active_groups", "8")
    put(client, "active_groups", "8")  # the same value again: nothing to record
    put(client, "auto_erase_expired", "否")
    put(client, "monthly_backup_cron", "0  1 1 * *")
    sign_in(client, "auditor")
    history = client.get("/api/v1/settings/history").json()
    assert [(e["key"], e["by"], e["old"], e["new"], e["old_text"], e["new_text"]) for e in history] == [
        ("monthly_backup_cron", "admin", "0 2 1 * *", "0 1 1 * *", "0 2 1 * *", "0 1 1 * *"),
        ("auto_erase_expired", "admin", True, False, "是", "否"),
        ("active_groups", "admin", 6, 8, "6 个", "8 个"),
    ]
    assert history[0]["label"] == "每月全量备份时间" and history[0]["at"] >= history[-1]["at"]
    assert history[0]["at"].endswith("+00:00")
    assert [e["key"] for e in client.get("/api/v1/settings/history", params={"limit": 1}).json()] == ["monthly_backup_cron"]
    only = client.get("/api/v1/settings/history", params={"key": "active_groups"}).json()
    assert [(e["old"], e["new"]) for e in only] == [(6, 8)]
    for limit in (0, 1001, "many"):
        refused = client.get("/api/v1/settings/history", params={"limit": limit})
        assert refused.status_code == 400 and "limit" in refused.json()["detail"]


def test_the_version_and_what_the_installation_runs_on(client, web_services) -> None:  # noqa: ANN001
    sign_in(client, "operator")
    about = client.get("/api/v1/settings/version").json()
    assert about["version"] == client.get("/api/v1/health").json()["version"]
    assert about["database"] == "SQLite（内置）" and about["ledger_events"] == head(web_services)
    assert about["python"].count(".") == 2 and about["time_zone"]
