"""`settings`, `ledger log`, `projections rebuild`, `audit verify` and `user add` from the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_settings_show_lists_runtime_settings_with_their_source(cli) -> None:  # noqa: ANN001
    assert cli("settings", "set", "default_retention_months", "8").code == 0
    result = cli("settings", "show", "--json")
    assert result.code == 0
    rows = {row["key"]: row for row in result.json()["settings"]}
    assert rows["default_retention_months"] == {"key": "default_retention_months", "value": 8, "source": "台账",
                                                "label": "默认存活期", "text": "8 个月"}
    assert rows["monthly_backup_cron"]["value"] == "0 2 1 * *"
    assert rows["monthly_backup_cron"]["source"] == ".env/环境"
    assert rows["capacity_alert_pct"]["source"] == "内置默认"
    text = cli("settings", "show")
    assert "运行时设置" in text.out and "default_retention_months" in text.out


def test_settings_set_records_the_acting_user(cli, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("TAF_USER", "王工")
    result = cli("settings", "set", "monthly_backup_cron", "0 1 1 * *", "--json")
    assert result.json() == {"ok": True, "key": "monthly_backup_cron", "value": "0 1 1 * *", "text": "0 1 1 * *"}
    log = cli("ledger", "log", "--json").json()["events"]
    assert log[0]["actor"] == "王工"
    assert log[0]["summary"] == "设置 每月全量备份时间（monthly_backup_cron）由 0 2 1 * * 改为 0 1 1 * *"


def test_bad_setting_values_change_nothing(cli) -> None:  # noqa: ANN001
    before = cli("ledger", "log", "--json").json()["head"]
    bad = cli("settings", "set", "monthly_backup_cron", "61 * * * *")
    assert bad.code == 2 and "cron" in bad.err
    unknown = cli("settings", "set", "colour", "blue")
    assert unknown.code == 2 and "未知的设置项：colour" in unknown.err
    assert cli("ledger", "log", "--json").json()["head"] == before


def test_the_gateway_token_is_masked_everywhere(cli, taf_env) -> None:  # noqa: ANN001
    token = "test-token-0123456789abcdef"
    assert cli("settings", "set", "dingtalk_api_key", token).code == 0
    outputs = [cli("settings", "show", "--json").out, cli("ledger", "log").out, cli("ledger", "log", "--json").out]
    assert all(token not in text for text in outputs)
    assert any("test…cdef" in text for text in outputs)


def test_user_add_generates_a_password_shown_once(cli) -> None:  # noqa: ANN001
    result = cli("user", "add", "alice", "--role", "管理员", "--json")
    assert result.code == 0
    payload = result.json()
    assert payload["role"] == "管理员" and len(payload["password"]) >= 12
    duplicate = cli("user", "add", "alice", "--role", "admin")
    assert duplicate.code == 3 and "用户已存在：alice" in duplicate.err


def test_user_add_reads_the_password_from_stdin(cli) -> None:  # noqa: ANN001
    result = cli("user", "add", "bob", "--role", "auditor", stdin="long-enough-pw\n")
    assert result.code == 0 and "初始密码" not in result.out and "审计员" in result.out
    short = cli("user", "add", "carol", "--role", "operator", stdin="short\n")
    assert short.code == 2 and "至少需要 8 个字符" in short.err
    bad_role = cli("user", "add", "dave", "--role", "root")
    assert bad_role.code == 2 and "角色" in bad_role.err


def test_projections_rebuild_by_name_and_all(cli) -> None:  # noqa: ANN001
    cli("settings", "set", "active_groups", "5")
    everything = cli("projections", "rebuild", "--json").json()
    assert {"audit_log", "settings", "inventory", "groups"} <= set(everything["rebuilt"])
    assert "chain" not in everything["rebuilt"]
    named = cli("projections", "rebuild", "chain")
    assert named.code == 0 and "chain" in named.out
    unknown = cli("projections", "rebuild", "nope")
    assert unknown.code == 2 and "没有名为 nope 的读模型" in unknown.err


def test_ledger_log_limit_is_checked(cli) -> None:  # noqa: ANN001
    cli("settings", "set", "active_groups", "5")
    assert len(cli("ledger", "log", "--limit", "1", "--json").json()["events"]) == 1
    assert cli("ledger", "log", "--limit", "0").code == 2
    assert "（无记录）" not in cli("ledger", "log").out


def test_a_bad_configuration_stops_with_one_chinese_line(cli, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("MONTHLY_BACKUP_CRON", "0 2 1 *")
    result = cli("ledger", "log")
    assert result.code == 78
    assert result.err.strip().count("\n") == 0 and "MONTHLY_BACKUP_CRON" in result.err


def test_a_database_that_went_away_is_reported_in_chinese(cli, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/taf")
    result = cli("ledger", "log")
    assert result.code == 69
    assert "数据库无法访问" in result.err


def test_unknown_commands_and_arguments_give_usage_errors(cli) -> None:  # noqa: ANN001
    assert cli("ledger", "frobnicate").code == 2
    assert cli("settings").code == 2


def test_main_py_runs_as_a_script(taf_env) -> None:  # noqa: ANN001
    env = {**os.environ, "DATA_DIR": str(taf_env / "data")}
    result = subprocess.run([sys.executable, "main.py", "settings", "show", "--json"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "settings" in json.loads(result.stdout)


def test_user_role_and_disable_from_the_command_line(cli, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("TAF_USER", "alice")
    assert cli("user", "add", "alice", "--role", "管理员").code == 0
    assert cli("user", "add", "bob", "--role", "operator", stdin="long-enough-pw\n").code == 0
    changed = cli("user", "role", "bob", "--role", "审计员")
    assert changed.code == 0 and "用户 bob 现在是审计员" in changed.out, changed.err
    same = cli("user", "role", "bob", "--role", "auditor")
    assert same.code != 0 and "已经是审计员" in same.err
    last_admin = cli("user", "role", "alice", "--role", "operator")
    assert last_admin.code != 0 and "唯一一位启用的管理员" in last_admin.err

    unconfirmed = cli("user", "disable", "bob")
    assert unconfirmed.code == 2 and "--yes" in unconfirmed.err
    assert {u["name"]: u["enabled"] for u in cli("user", "list", "--json").json()["users"]}["bob"] is True
    disabled = cli("user", "disable", "bob", "--yes", "--json")
    assert disabled.code == 0 and disabled.json()["enabled"] is False
    assert cli("user", "disable", "bob", "--yes").code != 0
    own = cli("user", "disable", "alice", "--yes")
    assert own.code != 0 and "不能停用自己" in own.err
    users = {u["name"]: u for u in cli("user", "list", "--json").json()["users"]}
    assert users["bob"]["enabled"] is False and users["bob"]["role"] == "审计员" and users["alice"]["enabled"] is True
