"""`backup run|status|list|cancel|pause|resume|verify` from the command line, in this process."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.backup.jobkit import make_tree, set_job_settings


@pytest.fixture
def backup_cli(cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    set_job_settings(monkeypatch)
    monkeypatch.setenv("TAF_USER", "王工")
    return cli


def head(cli: Callable[..., Any]) -> int:
    return int(cli("ledger", "log", "--json").json()["head"])


def test_run_without_wait_queues_one_job_per_key(backup_cli: Callable[..., Any], taf_env: Path) -> None:
    source = make_tree(taf_env / "源数据", 3, big=False)
    first = backup_cli("backup", "run", "--source", str(source), "--key", "月度-2026-05", "--json")
    again = backup_cli("backup", "run", "--source", str(source), "--key", "月度-2026-05", "--json")
    assert first.code == 0 and again.code == 0, first.err + again.err
    assert first.json()["created"] is True and again.json()["created"] is False
    assert first.json()["job_id"] == again.json()["job_id"] and again.json()["status"] == "requested"
    listed = backup_cli("backup", "list", "--json").json()["jobs"]
    assert [row["job_id"] for row in listed] == [first.json()["job_id"]]
    assert listed[0]["status"] == "requested" and listed[0]["requested_by"] == "王工"


def test_run_wait_status_and_list_report_the_finished_job(backup_cli: Callable[..., Any], taf_env: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    source = make_tree(taf_env / "源数据", 30, big=False)
    relative = Path("源数据")
    monkeypatch.chdir(taf_env)  # a relative source is stored as an absolute path (a worker runs elsewhere)
    done = backup_cli("backup", "run", "--source", str(relative), "--group", "2026-05", "--level", "0",
                      "--wait", "--json")
    assert done.code == 0, done.err
    summary = done.json()
    assert summary["status"] == "succeeded" and summary["sources"] == [str(source)]
    assert summary["files"] == 30 and summary["packages"] == 1 and summary["cartridges"] == ["TAF001L9"]
    assert summary["group"] == "2026-05" and len(summary["chain_head"]) == 64

    status = backup_cli("backup", "status", summary["job_id"], "--json").json()
    assert status["status"] == "succeeded"
    assert (status["progress"]["phase"], status["progress"]["phase_label"]) == ("done", "完成")
    assert status["progress"]["packages_written"] == 1 and status["progress"]["fraction"] == 1.0
    text = backup_cli("backup", "status", summary["job_id"])
    assert "成功" in text.out and "TAF001L9" in text.out
    listed = backup_cli("backup", "list", "--status", "succeeded", "--json").json()["jobs"]
    assert [(r["job_id"], r["grp"], r["packages"], r["cartridges"]) for r in listed] == [
        (summary["job_id"], "2026-05", 1, ["TAF001L9"])]
    assert listed[0]["figures"]["files"] == 30 and listed[0]["figures"]["write_seconds"] > 0
    assert backup_cli("backup", "list", "--status", "failed", "--json").json()["jobs"] == []
    table = backup_cli("backup", "list")
    assert table.code == 0 and "成功" in table.out and "2026-05" in table.out
    # A finished job cannot be cancelled, paused or resumed.
    for action in ("cancel", "pause", "resume"):
        refused = backup_cli("backup", action, summary["job_id"])
        assert refused.code == 3 and "成功" in refused.err, action


@pytest.mark.parametrize(("args", "code", "message"), [
    (("--source", "{missing}"), 2, "备份源不存在"),
    (("--source", "{file}"), 2, "备份源不是目录"),
    (("--source", "{source}", "--level", "10"), 2, "压缩级别的值无效：10 不在 0–9 之间"),
    (("--source", "{source}", "--group", "2026-13"), 2, "备份组的值无效"),
    (("--source", "{source}", "--group", "上个月"), 2, "备份组的值无效"),
    (("--source", "{source}", "--device", "磁带机"), 2, "磁带机"),
    (("--source", "{source}", "--level", "九"), 2, ""),
])
def test_bad_input_changes_nothing(backup_cli: Callable[..., Any], taf_env: Path, args: tuple[str, ...],
                                   code: int, message: str) -> None:
    source = make_tree(taf_env / "源数据", 2, big=False)
    (taf_env / "文件.txt").write_text("不是目录")
    paths = {"missing": str(taf_env / "不存在"), "file": str(taf_env / "文件.txt"), "source": str(source)}
    before = head(backup_cli)
    result = backup_cli("backup", "run", *[a.format(**paths) for a in args], "--wait")
    assert result.code == code and message in result.err, result.err
    assert head(backup_cli) == before
    assert backup_cli("backup", "list", "--json").json()["jobs"] == []


def test_status_of_an_unknown_job_is_not_found(backup_cli: Callable[..., Any]) -> None:
    result = backup_cli("backup", "status", "00000000-0000-0000-0000-000000000000")
    assert result.code == 4 and "找不到" in result.err


def test_run_wait_says_whom_the_drive_is_busy_with_and_runs_once_it_is_free(
        backup_cli: Callable[..., Any], taf_env: Path) -> None:
    import json
    import threading
    import time

    from bootstrap import build

    source = make_tree(taf_env / "源数据", 3, big=False)
    assert backup_cli("drive", "status").code == 0  # the drive, registered
    services = build()
    host = services.settings.host_name
    services.ledger.book_drive(host, "emulated:0", "另一个任务")  # a job whose process died keeps it
    progress = Path(services.settings.data_dir) / "progress"

    def free_the_drive_once_the_job_waits() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for path in progress.glob("*.json"):
                if json.loads(path.read_text(encoding="utf-8") or "{}").get("phase") == "wait_drive":
                    services.ledger.release_drive(host, "emulated:0", "另一个任务")
                    return
            time.sleep(0.05)

    helper = threading.Thread(target=free_the_drive_once_the_job_waits, daemon=True)
    helper.start()
    done = backup_cli("backup", "run", "--source", str(source), "--wait")
    helper.join(60)
    services.close()
    assert done.code == 0, done.err
    assert "等待驱动器空闲：驱动器" in done.out and "正被任务 另一个任务 使用" in done.out
    assert "成功" in done.out
