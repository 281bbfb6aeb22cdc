"""What a backup says about the cartridge it finds in a standalone drive, and what it does with an
expired one it reuses — from the operator's side (issue 13, items 3 and 10 and the leftovers):
a cartridge it cannot use is named with the reason in words (never a raw status such as
`active`), and an expired cartridge erased for reuse keeps the pool it was in; and the built-in
pool reads 默认, not `default`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.backup.jobkit import make_tree, set_job_settings, start_main_py
from tests.cli.english import english_lines

Cli = Callable[..., Any]
JANUARY = "2026-01-05T10:00:00+08:00"
MARCH = "2026-03-10T10:00:00+08:00"


@pytest.fixture
def january(cli: Cli, taf_env: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A standalone drive; TAF001L9 labelled into 财务池 and written with group 2026-01 in January."""
    env = set_job_settings(monkeypatch, VTL_SLOTS="0", TAF_USER="王工", TAF_NOW=JANUARY)
    assert cli("vtl", "insert", "TAF001L9").code == 0
    assert cli("drive", "label", "--pool", "财务池").code == 0
    done = cli("backup", "run", "--source", str(make_tree(taf_env / "一月", 5, big=False)), "--group", "2026-01",
               "--wait", "--json")
    assert done.code == 0 and done.json()["cartridges"] == ["TAF001L9"], done.out + done.err
    return {"env": env, "root": taf_env}


def _pools(cli: Cli) -> dict[str, str]:
    return {c["barcode"]: c["pool"] for c in cli("tape", "list", "--json").json()["cartridges"]}


def _wait_lines(running: Any) -> tuple[str, str]:
    assert running.stdout is not None
    return running.stdout.readline().rstrip("\n"), running.stdout.readline().rstrip("\n")


def test_a_cartridge_of_another_group_in_the_drive_is_named_with_the_reason_in_words(
        january: dict[str, Any], cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {**january["env"], "TAF_NOW": MARCH}
    monkeypatch.setenv("TAF_NOW", MARCH)
    source = make_tree(january["root"] / "三月", 5, big=False)
    running = start_main_py("backup", "run", "--source", str(source), "--group", "2026-03", "--wait", env=env)

    reason, instruction = _wait_lines(running)  # TAF001L9 is still in the drive: the job says why not
    assert reason == "磁带 TAF001L9 不能用于本备份组 2026-03（保存着备份组 2026-01 的数据），已跳过"
    assert instruction == "请将一盘新的空白磁带或已过期、可擦除的磁带装入驱动器 emulated:0"
    assert cli("vtl", "eject", "TAF001L9").code == 0  # pushed out by the job; the operator takes it
    assert cli("vtl", "insert", "TAF002L9").code == 0

    out, err = running.communicate(timeout=120)
    assert running.returncode == 0, out + err
    assert "使用磁带：TAF002L9；" in out and f"磁带：{reason}" in out and "active" not in out
    asked = [e for e in cli("ledger", "log", "--limit", "80", "--json").json()["events"]
             if e["event"] == "BackupJob.TapeChangeRequested"]
    assert len(asked) == 1 and reason in asked[0]["summary"]


def test_an_expired_cartridge_reused_by_a_backup_keeps_its_pool(january: dict[str, Any], cli: Cli,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from bootstrap import build

    services = build()
    try:
        group = services.ledger.group("2026-01")
        group.rotate_out(reason="演练：第七个月的备份", by="王工")
        services.ledger.save(group)
    finally:
        services.close()
    monkeypatch.setenv("TAF_NOW", MARCH)
    expired = cli("tape", "retention", "TAF001L9", "1", "--json")
    assert expired.code == 0 and expired.json()["status"] == "expired", expired.out + expired.err
    assert cli("vtl", "eject", "TAF001L9").code == 0  # out of reach, so the erase before the backup skips it

    source = make_tree(january["root"] / "三月", 5, big=False)
    running = start_main_py("backup", "run", "--source", str(source), "--group", "2026-03", "--wait",
                            env={**january["env"], "TAF_NOW": MARCH})
    assert _wait_lines(running)[0] == "没有可写入的磁带"
    assert cli("vtl", "insert", "TAF001L9").code == 0  # the job erases and relabels it itself

    out, err = running.communicate(timeout=120)
    assert running.returncode == 0 and "使用磁带：TAF001L9；" in out, out + err
    assert _pools(cli) == {"TAF001L9": "财务池"}
    summaries = [e["summary"] for e in cli("ledger", "log", "--limit", "80", "--json").json()["events"]
                 if e["event"] in {"Cartridge.Erased", "Cartridge.Labelled"}]
    assert summaries[:2] == ["磁带写入标签 TAF001（第 2 次标记，池 财务池）",
                             "磁带已擦除（快速擦除，原标签第 1 次），回到空白池"]


def test_the_built_in_pool_reads_as_chinese(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VTL_SLOTS", "2")
    assert cli("drive", "load", "TAF001L9").code == 0
    labelled = cli("drive", "label")
    assert labelled.code == 0 and "池 默认" in labelled.out and english_lines(labelled.out) == []
    refused = cli("drive", "label")
    assert refused.code == 3 and "（第 1 次，池 默认），重新贴标签未执行" in refused.err
    listed = cli("tape", "list")
    assert "默认" in listed.out and english_lines(listed.out) == [], listed.out
    assert _pools(cli) == {"TAF001L9": "default"}  # scripts read the code
