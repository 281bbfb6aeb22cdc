"""Issue 13 item 9: one exit-code rule for every job command, the same with `--json`.

succeeded 0, partial 8, failed 1, not ended (cancelled, paused, still waiting) 9 — for `backup run
--wait`, `backup resume --wait`, `restore run --wait`, `restore resume`, and for `backup status` /
`restore status` of a job that has ended (one still under way is no failure of the query: 0).
`backup cancel` and `backup pause` exit 0 when they did what was asked. README "退出码".
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cli.errors import job_exit_code
from kernel.errors import EXIT_FAILURE, EXIT_OK, EXIT_PARTIAL, EXIT_UNFINISHED
from tape.emulator import Library
from tests.cli.kit import GROUP, on_tapes, small_library
from tests.restore.tapes import make_tree

Cli = Callable[..., Any]


@pytest.mark.parametrize(("status", "waited", "code"), [
    ("succeeded", True, 0), ("partial", True, 8), ("failed", True, 1), ("cancelled", True, 9),
    ("paused", True, 9), ("waiting_tape", True, 9), ("requested", True, 9),
    ("succeeded", False, 0), ("partial", False, 8), ("failed", False, 1), ("cancelled", False, 9),
    ("paused", False, 0), ("running", False, 0), ("waiting_tape", False, 0), ("interrupted", False, 0),
])
def test_the_rule(status: str, waited: bool, code: int) -> None:
    assert job_exit_code(status, waited=waited) == code


@pytest.fixture
def library(cli: Cli, taf_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    small_library(monkeypatch)
    return taf_env


def _both(cli: Cli, *args: str) -> tuple[Any, Any]:
    """The command as text and with --json: the exit codes must agree, and say so in the JSON."""
    text, as_json = cli(*args), cli(*args, "--json")
    assert text.code == as_json.code == as_json.json()["exit_code"], (text.out + text.err, as_json.out)
    return text, as_json


def _last_job(cli: Cli) -> str:
    return str(cli("backup", "list", "--json").json()["jobs"][0]["job_id"])


def _events(cli: Cli) -> list[dict[str, Any]]:
    return cli("ledger", "log", "--limit", "200", "--json").json()["events"]


def test_a_backup_that_succeeds_exits_0_and_one_with_warnings_exits_8(library: Path, cli: Cli) -> None:
    source = library / "源"
    source.mkdir()
    (source / "报告.txt").write_text("季度报告", encoding="utf-8")
    done = cli("backup", "run", "--source", str(source), "--group", GROUP, "--wait")
    assert done.code == EXIT_OK and "成功" in done.out, done.out + done.err

    os.mkfifo(source / "管道")  # skipped with a warning: the job ends partial
    partial = cli("backup", "run", "--source", str(source), "--group", GROUP, "--key", "第二次", "--wait", "--json")
    assert partial.code == EXIT_PARTIAL, partial.out + partial.err
    body = partial.json()
    assert (body["status"], body["exit_code"], body["warnings"]) == ("partial", EXIT_PARTIAL, 1)
    text, _ = _both(cli, "backup", "status", body["job_id"])
    assert text.code == EXIT_PARTIAL and "部分成功" in text.out and "已跳过特殊文件（命名管道）" in text.out
    assert "任务完成（部分成功）" in [e["summary"] for e in _events(cli)]


def test_a_backup_that_fails_exits_1(library: Path, cli: Cli) -> None:
    source = library / "源"
    source.mkdir()
    (source / "a.txt").write_text("x")
    failed = cli("backup", "run", "--source", str(source), "--group", GROUP, "--device", "/dev/sg250", "--wait")
    assert failed.code == EXIT_FAILURE and "失败" in failed.out and "无法打开磁带设备 /dev/sg250" in failed.out
    text, as_json = _both(cli, "backup", "status", _last_job(cli))
    assert text.code == EXIT_FAILURE and as_json.json()["status"] == "failed"
    assert any(e["event"] == "Job.Failed" for e in _events(cli))


def test_a_job_that_has_not_ended_exits_9_for_a_waiting_command_and_0_for_a_status_query(
        library: Path, cli: Cli) -> None:
    source = library / "源"
    source.mkdir()
    (source / "a.txt").write_text("x")
    queued = cli("backup", "run", "--source", str(source), "--group", GROUP, "--key", "周报")
    assert queued.code == 0
    job = queued.out.strip()
    _both(cli, "backup", "status", job)  # requested: still under way
    assert cli("backup", "status", job).code == EXIT_OK

    paused = cli("backup", "pause", job, "--json")
    assert paused.code == paused.json()["exit_code"] == EXIT_OK and paused.json()["status"] == "paused"
    assert cli("backup", "status", job).code == EXIT_OK
    # The same key names the paused job: running it here leaves it paused, and says so.
    waited = cli("backup", "run", "--source", str(source), "--group", GROUP, "--key", "周报", "--wait")
    assert waited.code == EXIT_UNFINISHED and "已暂停" in waited.out, waited.out + waited.err

    cancelled = cli("backup", "cancel", job, "--json")
    assert cancelled.code == cancelled.json()["exit_code"] == EXIT_OK
    text, as_json = _both(cli, "backup", "status", job)
    assert text.code == EXIT_UNFINISHED and as_json.json()["status"] == "cancelled"
    assert [e["event"] for e in _events(cli)][:2] == ["Job.Cancelled", "Job.Paused"]


@pytest.fixture
def on_tape(library: Path) -> Path:
    source = library / "源数据"
    source.mkdir()
    make_tree(source)
    on_tapes(source, ["TAF001L9", "TAF002L9"], library / "staging")
    return source


def test_restores_follow_the_same_rule(on_tape: Path, library: Path, cli: Cli) -> None:
    target = library / "恢复"
    done = cli("restore", "run", str(on_tape / "报告"), "--target", str(target), "--wait", "--json")
    assert done.code == EXIT_OK and done.json()["exit_code"] == EXIT_OK and done.json()["ok"]
    text, _ = _both(cli, "restore", "status", done.json()["job_id"])
    assert text.code == EXIT_OK and "成功" in text.out

    # A link planted in the target makes the restore refuse its files: partial, like a backup's warnings.
    planted = library / "别处恢复"
    planted.mkdir()
    outside = library / "外面"
    outside.mkdir()
    (planted / on_tape.parts[1]).symlink_to(outside)
    partial = cli("restore", "run", str(on_tape / "readme.md"), "--target", str(planted), "--wait", "--json")
    assert partial.code == EXIT_PARTIAL, partial.out + partial.err
    assert (partial.json()["status"], partial.json()["exit_code"], partial.json()["ok"]) == ("partial", 8, False)
    text, _ = _both(cli, "restore", "status", partial.json()["job_id"])
    assert text.code == EXIT_PARTIAL and "部分成功" in text.out
    assert list(outside.iterdir()) == []


def test_a_restore_that_fails_exits_1_with_its_reason(on_tape: Path, library: Path, cli: Cli) -> None:
    from bootstrap import build

    services = build()
    try:
        [holder] = [row for row in services.catalog.under(str(on_tape / "readme.md"))]
    finally:
        services.close()
    with Library.open(library / "data" / "vtl") as vtl:
        vtl.set_fault("medium_error", barcode=holder["cartridge"], at_object=holder["payload_block"],
                      operation="read")
    failed = cli("restore", "run", str(on_tape / "readme.md"), "--target", str(library / "t"), "--wait", "--json")
    assert failed.code == EXIT_FAILURE, failed.out + failed.err
    body = failed.json()
    assert (body["status"], body["exit_code"], body["ok"]) == ("failed", EXIT_FAILURE, False)
    assert "恢复任务" in failed.err and "失败" in failed.err
    text, as_json = _both(cli, "restore", "status", body["job_id"])
    assert text.code == EXIT_FAILURE and as_json.json()["status"] == "failed"
