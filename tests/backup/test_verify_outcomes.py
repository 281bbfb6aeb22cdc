"""Issue 13, item 1: a verification that cannot reach its cartridge never cries wolf.

On a standalone drive holding another cartridge: the weekly verification records that it was
skipped and why (ledger, `backup status`, `backup list`, the operation log), and sends nothing;
`backup verify` at the console asks for the right cartridge and carries on once it is in, or —
told not to wait — says what it could not read and exits 3; only data read back wrong is a
mismatch (exit 1, an alert: tests/backup/test_verify_restorable.py).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from backup import service
from jobs.handlers import scheduled_handlers
from tests.backup.jobkit import make_tree, set_job_settings, start_main_py

PHONE = "13800000000"
SUNDAY = datetime(2026, 6, 7, 4, 0)


@pytest.fixture
def standalone(taf_env: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """A standalone drive with a finished backup on TAF001L9 — and TAF002L9 in the drive now."""
    from bootstrap import build
    from tests.conftest import run_cli

    env = set_job_settings(monkeypatch, VTL_SLOTS="0")
    services = build()
    assert run_cli("notify", "recipients", "add", "值班", PHONE).code == 0
    assert run_cli("vtl", "insert", "TAF001L9").code == 0
    job, _ = service.request_backup(services, [str(make_tree(taf_env / "源", 20, big=False))], group="2026-05")
    summary = service.run(services, str(job.id), poll_seconds=0.05)
    assert summary["status"] == "succeeded" and summary["cartridges"] == ["TAF001L9"], summary
    assert run_cli("vtl", "eject", "TAF001L9").code == 0
    assert run_cli("vtl", "insert", "TAF002L9").code == 0
    yield {"services": services, "job": str(job.id), "env": env}
    services.close()


def job_events(services: Any, job_id: str) -> list[Any]:
    return list(services.ledger.events.get(services.ledger.backup_job(job_id).id))


def loaded(services: Any) -> str | None:
    from tape.emulator import Library

    with Library.open(services.settings.vtl_dir) as library:
        return library.status().drives[0].barcode


def notices(services: Any) -> list[str]:
    services.projector.catch_up(["notifications"])
    return [row["kind"] for row in services.notification_log.recent(20)]


def test_the_weekly_verification_skips_a_cartridge_it_cannot_reach_and_says_why_without_an_alert(
        standalone: dict[str, Any], cli: Callable[..., Any]) -> None:
    services, job_id = standalone["services"], standalone["job"]

    result = scheduled_handlers()["verify"](services, SUNDAY)

    assert result["outcome"] == "skipped" and result["checked"] == 0 and result["mismatches"] == []
    assert result["unreadable"] == ["TAF001L9 无法读取：驱动器中是磁带 TAF002L9，请装入该磁带后重新校验"
                                    "（1 个数据包未能检查）"]
    assert notices(services) == ["backup_succeeded"]  # no "校验不一致", no "备份无法恢复"
    [skipped] = [e for e in job_events(services, job_id) if type(e).__name__ == "VerificationSkipped"]
    assert skipped.by == "scheduler" and skipped.unreadable == result["unreadable"]
    assert not [e for e in job_events(services, job_id) if type(e).__name__ == "Verified"]

    status = cli("backup", "status", job_id)
    assert status.code == 0
    assert "读回校验：已跳过：磁带都未能读取，没有检查任何数据（不是数据不一致）" in status.out
    listed = cli("backup", "list")
    assert "读回校验" in listed.out and "已跳过" in listed.out
    history = cli("backup", "list", "--json").json()["jobs"]
    assert history[0]["verification"]["outcome"] == "skipped" and history[0]["verification"]["unreadable"] == 1
    log = cli("ledger", "log", "--limit", "5")
    assert "读回校验未能进行，数据是否完好未知：TAF001L9 无法读取：驱动器中是磁带 TAF002L9" in log.out
    [row] = [e for e in cli("ledger", "log", "--limit", "5", "--json").json()["events"]
             if e["event"] == "BackupJob.VerificationSkipped"]
    assert row["actor"] == "计划任务" and "scheduler" not in log.out  # who, in words
    # Nobody was asked, so nothing was moved: the other cartridge is still in the drive.
    assert loaded(services) == "TAF002L9"
    assert services.ledger.drive(services.settings.host_name, "emulated:0").reserved_by is None


def test_the_weekly_verification_skips_while_a_job_holds_the_drive(standalone: dict[str, Any]) -> None:
    services = standalone["services"]
    services.ledger.book_drive(services.settings.host_name, "emulated:0", "另一个任务")

    result = scheduled_handlers()["verify"](services, SUNDAY)

    assert result["outcome"] == "skipped"
    assert "无法使用驱动器" in result["unreadable"][0] and "另一个任务" in result["unreadable"][0]
    assert notices(services) == ["backup_succeeded"]


def test_verify_at_the_console_told_not_to_wait_says_what_it_could_not_read_and_exits_3(
        standalone: dict[str, Any], cli: Callable[..., Any]) -> None:
    services, job_id = standalone["services"], standalone["job"]

    result = cli("backup", "verify", job_id, "--wait-minutes", "0")

    assert result.code == 3, result.out + result.err
    assert result.out.splitlines()[0] == "读回校验：校验已跳过：1 盘磁带都未能读取，没有检查任何数据（不是数据不一致）"
    assert "未能检查：TAF001L9 无法读取：驱动器中是磁带 TAF002L9" in result.out
    assert "发现" not in result.out
    assert "读回校验没有完成：有磁带未能读取（不是数据不一致）" in result.err
    assert [type(e).__name__ for e in job_events(services, job_id)][-1] == "VerificationSkipped"
    # The same with --json: one document, its exit code in it (README "退出码"), the reason on stderr.
    as_json = cli("backup", "verify", job_id, "--wait-minutes", "0", "--json")
    body = as_json.json()
    assert as_json.code == body["exit_code"] == 3 and body["outcome"] == "skipped" and body["mismatches"] == []
    assert "有磁带未能读取（不是数据不一致）" in body["error"] and "读回校验没有完成" in as_json.err
    everything = cli("backup", "verify", "--all", "--wait-minutes", "0", "--json")
    assert everything.code == everything.json()["exit_code"] == 3
    assert everything.json()["unreadable_cartridges"] == ["TAF001L9"]
    assert notices(services) == ["backup_succeeded"]


def test_verify_at_the_console_asks_for_the_cartridge_and_carries_on_once_it_is_in(
        standalone: dict[str, Any], cli: Callable[..., Any]) -> None:
    services, job_id = standalone["services"], standalone["job"]
    verifying = start_main_py("backup", "verify", job_id, env=standalone["env"])
    lines: queue.Queue[str] = queue.Queue()
    assert verifying.stdout is not None
    reader = threading.Thread(target=lambda: [lines.put(line) for line in verifying.stdout], daemon=True)  # type: ignore[union-attr]
    reader.start()

    # The wrong cartridge comes out and the operator is told which one to bring — at once.
    asked = lines.get(timeout=60)
    assert asked.strip() == "请将磁带 TAF001L9 装入驱动器"
    assert cli("vtl", "eject", "TAF002L9").code == 0
    assert cli("vtl", "insert", "TAF001L9").code == 0

    verifying.wait(timeout=120)
    reader.join(timeout=10)
    shown = "".join(lines.queue)
    assert verifying.returncode == 0, shown + (verifying.stderr.read() if verifying.stderr else "")
    assert "读回校验：检查 1 个数据包" in shown and "全部可以恢复" in shown
    [verified] = [e for e in job_events(services, job_id) if type(e).__name__ == "Verified"]
    assert verified.ok and verified.checked == 1 and verified.unreadable == []
    assert notices(services) == ["backup_succeeded"]
