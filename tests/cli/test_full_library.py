"""A foreign cartridge put in through the import/export slot of a full library (issue 13, item 6):
it can be unloaded again — back where it came from — and a backup passes it over for the next
blank cartridge instead of waiting for the operator. On the emulator, through its SCSI interface."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tape.drive import Drive
from tape.drive_types import DrivePolicy
from tape.transports.emulated import EmulatedTransport
from tests.backup.jobkit import make_tree, set_job_settings

FAST = DrivePolicy(retry_base=0.01, retry_max=0.05)


@pytest.fixture
def full(cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch, taf_env: Path) -> Callable[..., Any]:
    """Two slots, both holding blank TAF cartridges, and FOR001L9 — another program's tape — loaded
    into the drive from the import/export slot."""
    set_job_settings(monkeypatch, VTL_SLOTS="2")
    monkeypatch.setenv("TAF_USER", "王工")
    assert cli("vtl", "insert", "FOR001L9").code == 0
    assert cli("drive", "load", "FOR001L9").code == 0
    drive = Drive(EmulatedTransport(taf_env / "data" / "vtl", 0), policy=FAST)
    try:
        drive.mount(prevent_removal=False)
        drive.write_block(b"VOL1LTFS" + bytes(512))  # not a TAF label: never overwritten unasked
        drive.write_filemarks(1)
    finally:
        drive.close()
    return cli


def places(cli: Callable[..., Any]) -> dict[str, str]:
    return {c["barcode"]: c["location_text"] for c in cli("vtl", "list", "--json").json()["cartridges"]}


def test_the_foreign_cartridge_goes_back_to_the_import_export_slot_it_came_from(full: Callable[..., Any]) -> None:
    cli = full
    unloaded = cli("drive", "unload")
    assert unloaded.code == 0, unloaded.err
    assert unloaded.out.strip() == "磁带 FOR001L9 已卸出，现在位置：导入/导出口 1"
    assert places(cli) == {"TAF001L9": "槽位 1", "TAF002L9": "槽位 2", "FOR001L9": "导入/导出口 1"}
    [event] = [e for e in cli("ledger", "log", "--json").json()["events"] if e["event"] == "Cartridge.Unloaded"]
    assert event["summary"] == "磁带从驱动器 emulated:0 卸出（现在位置：导入/导出口 1）" and event["actor"] == "王工"
    assert cli("tape", "list", "--json").json()["cartridges"][0]["location"] == "ie:1"
    # The operator can now take it out, and put a cartridge of ours in its place.
    assert cli("vtl", "eject").out.strip() == "已取出磁带：FOR001L9"


def test_a_backup_passes_the_foreign_cartridge_over_and_writes_the_next_blank_one(
    full: Callable[..., Any], taf_env: Path
) -> None:
    cli = full
    assert cli("settings", "set", "tape_change_pause_minutes", "1").code == 0  # a wait would end the test
    source = make_tree(taf_env / "源数据", 5, big=False)
    done = cli("backup", "run", "--source", str(source), "--group", "2026-05", "--level", "0", "--wait")
    assert done.code == 0, done.out + done.err
    assert "使用磁带：TAF001L9；" in done.out
    assert "磁带：磁带 FOR001L9 不是 TAF 的磁带，不会覆盖，已跳过" in done.out  # passed over, said once
    events = [e["event"] for e in cli("ledger", "log", "--limit", "200", "--json").json()["events"]]
    assert "BackupJob.TapeChangeRequested" not in events  # nobody was asked for a tape
    assert places(cli)["FOR001L9"] == "导入/导出口 1"  # put back where it came from, untouched
    inventory = {c["barcode"]: c for c in cli("tape", "list", "--json").json()["cartridges"]}
    assert inventory["FOR001L9"]["package_count"] == 0 and inventory["TAF001L9"]["package_count"] >= 1
