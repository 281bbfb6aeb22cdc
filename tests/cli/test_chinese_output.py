"""Issue 13 item 10: every word an operator reads is Chinese; internals never leak.

A representative run of the command line on a fresh installation with a real backup on the
emulated library, every output line checked for English outside identifiers (`tests.cli.english`);
then each leak that was reported: job kinds, settings echoed as `False`, the operating system's and
the database's English, a closed pipe, a ledger event that cannot be read, raw event names and
"system" in the operation log, a verification's "结果 True".
"""

from __future__ import annotations

import inspect
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.domain import Aggregate

from ledger.sqlite_guard import remove_immutability_triggers
from projections.audit_text import SENTENCES, describe
from tests.cli.english import english_lines, english_words
from tests.cli.kit import GROUP, small_library

Cli = Callable[..., Any]
ROOT = Path(__file__).resolve().parents[2]


def test_the_checker_catches_what_operators_saw() -> None:
    for leaked in ("类型 manual", "已修改 scheduler_enabled = False", "错误：EACCES: Permission denied",
                   "内部错误：BrokenPipeError", "内部错误：MapperDeserialisationError", "Error: 5", "drive empty"):
        assert english_words(leaked), leaked
    for fine in ("磁带 TAF001L9 在 emulated:0", "事件 Settings.SettingChanged", "/srv/数据/report.docx",
                 "请运行 python main.py audit verify", "3.0 GiB（3221225472 字节）", "操作人 cli:root"):
        assert english_words(fine) == [], fine


@pytest.fixture
def installation(cli: Cli, taf_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    small_library(monkeypatch)
    monkeypatch.setenv("HOST_NAME", "host-1")
    source = taf_env / "源数据"
    (source / "报告").mkdir(parents=True)
    (source / "报告" / "季度总结.txt").write_text("第一季度", encoding="utf-8")
    (source / "大文件.bin").write_bytes(bytes(range(256)) * 1200)
    return source


def test_a_representative_run_of_the_command_line_prints_no_english(installation: Path, cli: Cli,
                                                                    taf_env: Path) -> None:
    source = installation
    commands: list[tuple[str, ...]] = [
        ("settings", "show"), ("settings", "set", "scheduler_enabled", "false"),
        ("settings", "set", "max_volume_size", "322122547200"), ("settings", "set", "default_retention_months", "7"),
        ("settings", "set", "active_groups", "零"), ("user", "add", "王工", "--role", "操作员"),
        ("user", "add", "李工", "--role", "老板"), ("user", "list"), ("user", "token", "王工", "--label", "巡检脚本"),
        ("user", "token", "王工", "--list"), ("notify", "recipients", "add", "值班", "13800138000"),
        ("notify", "recipients", "add", "值班", "12345"), ("notify", "recipients", "list"),
        ("notify", "test", "--phone", "13800138000"), ("notify", "dispatch"), ("notify", "log"),
        ("vtl", "list"), ("drive", "list"), ("drive", "status"),
        ("backup", "run", "--source", str(source), "--group", GROUP, "--wait"), ("backup", "list"),
        ("catalog", "search", "报告"), ("catalog", "tree", GROUP, str(source)),
        ("catalog", "tree", GROUP, str(source / "没有这个")), ("restore", "plan", str(source / "报告")),
        ("restore", "run", str(source / "报告"), "--target", str(taf_env / "恢复"), "--wait"),
        ("restore", "plan", "/不存在"), ("backup", "status", "7f0c8a9e-0000-4000-8000-000000000000"),
        ("lifecycle", "status"), ("lifecycle", "preview"), ("lifecycle", "check"),
        ("ledger", "log", "--limit", "200"), ("audit", "verify"), ("projections", "rebuild"),
    ]
    leaks = []
    for command in commands:
        result = cli(*command)
        # A generated password is a secret, not prose — even when it happens to hold only letters.
        shown = re.sub(r"(初始密码[^：]*：)\S+", r"\1", result.out + result.err)
        leaks += [f"{' '.join(command)}: {line}" for line in english_lines(shown)]
    job = cli("backup", "list", "--json").json()["jobs"][0]["job_id"]
    for command in (("backup", "status", job), ("backup", "verify", job)):
        result = cli(*command)
        leaks += [f"{' '.join(command)}: {line}" for line in english_lines(result.out + result.err)]
    assert leaks == []
    assert "手动" in cli("backup", "list").out


def test_settings_are_echoed_in_chinese_with_their_units(cli: Cli) -> None:
    off = cli("settings", "set", "scheduler_enabled", "false")
    assert off.code == 0 and "已修改 启用计划任务（scheduler_enabled）为 否" in off.out and "False" not in off.out
    cap = cli("settings", "set", "max_volume_size", "322122547200")
    assert "为 300.0 GiB（322122547200 字节）" in cap.out
    shown = cli("settings", "show").out
    assert any("启用计划任务" in line and "否" in line for line in shown.splitlines())
    assert any("默认存活期" in line and "6 个月" in line for line in shown.splitlines())
    assert cli("settings", "show", "--json").json()["settings"][-1]["text"]
    log = cli("ledger", "log", "--json").json()["events"]
    assert log[0]["summary"] == "设置 单盘写入上限（max_volume_size）由 不限（0） 改为 300.0 GiB（322122547200 字节）"
    assert log[1]["summary"] == "设置 启用计划任务（scheduler_enabled）由 是 改为 否"


def test_every_runtime_setting_has_a_chinese_name() -> None:
    from app.settings import runtime_keys
    from ledger.domain.settings_text import setting_name

    assert [key for key in runtime_keys() if setting_name(key) == key] == []


def test_operating_system_errors_are_chinese_and_their_detail_goes_to_the_log(
        cli: Cli, taf_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.settings import SettingsService

    def denied(self: Any) -> None:
        raise PermissionError(13, "EACCES: Permission denied", "/srv/机密")

    monkeypatch.setattr(SettingsService, "show", denied)
    result = cli("settings", "show")
    assert result.code == 1
    assert result.err == "错误：没有权限访问 /srv/机密（请检查文件或设备的访问权限）\n"
    assert "Permission denied" in (taf_env / "logs" / "application.log").read_text(encoding="utf-8")


def test_a_job_the_operating_system_stops_fails_with_a_chinese_reason(cli: Cli, taf_env: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    small_library(monkeypatch)
    blocker = taf_env / "挡路的文件"
    blocker.write_text("不是文件夹", encoding="utf-8")
    monkeypatch.setenv("STAGING_DIR", str(blocker / "暂存"))  # a staging folder that cannot be made
    source = taf_env / "源数据"
    source.mkdir()
    (source / "报告.txt").write_text("第一季度", encoding="utf-8")

    failed = cli("backup", "run", "--source", str(source), "--group", GROUP, "--wait")

    assert failed.code == 1, failed.out + failed.err
    [reason] = [line for line in failed.out.splitlines() if line.startswith("  原因：")]
    assert reason.startswith(f"  原因：文件或设备操作失败 {blocker / '暂存'}") and reason.endswith("：不是文件夹")
    assert english_lines(failed.out + failed.err) == []
    [event] = [e for e in cli("ledger", "log", "--json").json()["events"] if e["event"] == "Job.Failed"]
    assert event["summary"] == "任务失败：" + reason.removeprefix("  原因：")
    assert "NotADirectoryError" in (taf_env / "logs" / "application.log").read_text(encoding="utf-8")


def test_an_unreachable_database_is_chinese_without_the_drivers_words(cli: Cli, taf_env: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/taf")  # nothing listens on port 1
    result = cli("ledger", "log")
    assert result.code == 69, result.err
    assert result.err.startswith("错误：数据库无法访问（请检查 DATABASE_URL") and english_lines(result.err) == []
    assert "127.0.0.1" in (taf_env / "logs" / "application.log").read_text(encoding="utf-8")  # libpq's words


def test_a_closed_pipe_ends_quietly_with_141(taf_env: Path) -> None:
    for key, value in (("default_retention_months", "7"), ("active_groups", "5")):
        assert subprocess.run([sys.executable, "main.py", "settings", "set", key, value], cwd=ROOT,
                              capture_output=True).returncode == 0
    reader = subprocess.Popen([sys.executable, "main.py", "settings", "show"], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    assert reader.stdout is not None and reader.stderr is not None
    reader.stdout.close()  # like `| head -0`: nobody reads what it prints
    errors = reader.stderr.read()
    assert reader.wait(timeout=60) == 141
    assert errors == b""


def test_an_event_that_cannot_be_read_is_named_and_points_at_audit_verify(cli: Cli, taf_env: Path) -> None:
    for key, value in (("default_retention_months", "7"), ("active_groups", "5")):
        assert cli("settings", "set", key, value).code == 0
    database = taf_env / "data" / "ledger.db"
    remove_immutability_triggers(database)
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE stored_events SET state = x'00' WHERE rowid = 2")
    rebuilt = cli("projections", "rebuild")
    assert rebuilt.code == 6
    assert rebuilt.err == ("错误：台账中的第 2 号事件（Settings.SettingChanged）无法读取：内容已损坏或被改动"
                           "（请运行 python main.py audit verify 查看台账哈希链，找出被改动的事件）\n")
    verified = cli("audit", "verify")
    assert verified.code == 6 and "第 2 号事件" in verified.out
    assert cli("ledger", "log").code == 6


def test_the_operation_log_names_tokens_and_who_signed_in(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.facade import make_app
    from bootstrap import build

    services = build()
    try:
        make_app(services).users.ensure_first_admin()  # as the first start does: the system acts
    finally:
        services.close()
    monkeypatch.setenv("TAF_USER", "张工")
    assert cli("user", "add", "王工", "--role", "操作员", stdin="一个足够长的密码\n").code == 0
    issued = cli("user", "token", "王工", "--label", "巡检脚本", "--json").json()
    assert cli("user", "token", "王工", "--revoke", issued["token_id"]).code == 0
    services = build()
    try:
        users = make_app(services).users
        users.sign_in("王工", "一个足够长的密码", source="10.0.0.8")
        with pytest.raises(Exception, match="用户名或密码不正确"):
            users.sign_in("王工", "错误的密码", source="10.0.0.9")
    finally:
        services.close()
    lines = [(e["actor"], e["event"], e["summary"]) for e in cli("ledger", "log", "--json").json()["events"]]
    assert lines == [
        ("王工", "User.LoginFailed", "登录失败（来自 10.0.0.9）：密码不正确"),
        ("王工", "User.LoggedIn", "用户登录（来自 10.0.0.8）"),
        ("张工", "User.TokenRevoked", f"吊销 API 令牌 {issued['token_id']}"),
        ("张工", "User.TokenIssued", f"签发 API 令牌 {issued['token_id']}（用途：巡检脚本；有效期：吊销前一直有效）"),
        ("张工", "User.Created", "创建用户 王工（操作员）"),
        ("系统", "User.Created", "创建用户 admin（管理员）"),
    ]


def test_a_verification_reads_as_words_not_a_python_bool() -> None:
    line = describe("BackupJob.Verified", {"ok": True, "checked": 3, "files_checked": 10, "mismatches": []})
    assert line.startswith("读回校验：检查 3 个数据包、10 个文件，") and "True" not in line and "结果" not in line


def _event_names() -> set[str]:
    """Every event a TAF aggregate records, as the ledger names it (`Cartridge.Labelled`)."""
    import ledger.domain as domain

    names = set()
    for module in (domain.base, domain.cartridge, domain.drive, domain.group, domain.job, domain.notification,
                   domain.people, domain.settings):
        for cls in vars(module).values():
            if not (inspect.isclass(cls) and issubclass(cls, Aggregate) and cls.__module__ == module.__name__):
                continue
            inherited = {name for base in cls.__mro__[1:] for name in vars(base)}
            for name, member in vars(cls).items():
                if (inspect.isclass(member) and issubclass(member, Aggregate.Event) and name not in inherited
                        and name not in {"Event", "Created"}):
                    names.add(f"{cls.__name__}.{name}")
    return names


def test_every_event_has_a_chinese_sentence_in_the_operation_log() -> None:
    assert _event_names() - set(SENTENCES) == set()
