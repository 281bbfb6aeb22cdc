"""`vtl …` and `drive …` from the command line, against the emulated library, with their ledger records."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tape import volume_io
from tape.drive import Drive
from tape.drive_types import DrivePolicy
from tape.transports.emulated import EmulatedTransport

FAST = DrivePolicy(retry_base=0.01, retry_max=0.05)


@pytest.fixture
def tape_cli(cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    monkeypatch.setenv("VTL_CAPACITY", "4M")
    monkeypatch.setenv("VTL_SLOTS", "4")
    monkeypatch.setenv("TAF_USER", "王工")
    return cli


def events(cli: Callable[..., Any], limit: int = 50) -> list[dict[str, Any]]:
    return list(reversed(cli("ledger", "log", "--limit", str(limit), "--json").json()["events"]))


def names(cli: Callable[..., Any]) -> list[str]:
    return [e["event"] for e in events(cli)]


def head(cli: Callable[..., Any]) -> int:
    return int(cli("ledger", "log", "--json").json()["head"])


@pytest.fixture
def vtl_root(taf_env: Path) -> Path:
    return taf_env / "data" / "vtl"


@pytest.fixture
def raw_drive(vtl_root: Path) -> Iterator[Callable[[], Drive]]:
    """The same emulated drive opened directly, to put data on a tape behind the CLI's back."""
    opened: list[Drive] = []

    def open_it() -> Drive:
        drive = Drive(EmulatedTransport(vtl_root, 0), policy=FAST)
        drive.mount(prevent_removal=False)
        opened.append(drive)
        return drive

    yield open_it
    for drive in opened:
        drive.close()


# -- vtl --------------------------------------------------------------------------------------------


def test_vtl_create_list_and_refuse_a_second_create(tape_cli: Callable[..., Any]) -> None:
    made = tape_cli("vtl", "create", "--drives", "2", "--slots", "3", "--capacity", "8M", "--early-warning", "20",
                    "--json")
    assert made.code == 0, made.err
    body = made.json()
    assert len(body["drives"]) == 2 and len(body["slots"]) == 3 and len(body["cartridges"]) == 3
    assert body["cartridges"][0]["capacity"] == 8 << 20 and body["cartridges"][0]["early_warning_pct"] == 20
    again = tape_cli("vtl", "create")
    assert again.code == 3 and "已存在" in again.err
    listing = tape_cli("vtl", "list")
    assert listing.code == 0 and "TAF003L9" in listing.out and "槽位 3" in listing.out


def test_the_first_drive_command_creates_the_library_from_settings(tape_cli: Callable[..., Any],
                                                                   vtl_root: Path) -> None:
    result = tape_cli("drive", "list", "--json")
    assert result.code == 0, result.err
    devices = result.json()["devices"]
    assert [(d["kind"], d["product"]) for d in devices] == [("drive", "ULT3580-HH9"), ("changer", "3573-TL")]
    assert devices[0]["path"] == "emulated:0" and (vtl_root / "library.json").exists()
    slots = tape_cli("vtl", "list", "--json").json()["slots"]
    assert [s["barcode"] for s in slots] == ["TAF001L9", "TAF002L9", "TAF003L9", "TAF004L9"]


def test_vtl_insert_eject_protect_and_faults(tape_cli: Callable[..., Any]) -> None:
    tape_cli("vtl", "list")
    inserted = tape_cli("vtl", "insert", "NEW001L9", "--json").json()
    assert inserted == {"ok": True, "barcode": "NEW001L9", "location": "ie:1", "where": "导入/导出口 1",
                        "created": True}
    assert tape_cli("vtl", "protect", "NEW001L9").code == 0
    assert tape_cli("vtl", "eject", "--json").json() == {"ok": True, "ejected": ["NEW001L9"]}
    assert tape_cli("vtl", "eject").code == 3  # nothing waiting in the I/E slot
    missing = tape_cli("vtl", "eject", "NOPE01L9")
    assert missing.code == 4 and "NOPE01L9" in missing.err
    for kind, extra in (("unit_attention", []), ("medium_error", ["--at-object", "3", "--operation", "read"]),
                        ("not_ready", ["--seconds", "1"]), ("volume_overflow", ["--at-object", "9"]),
                        ("transfer_limit", ["--limit", "128K"]), ("deferred_error", ["--asc", "0C"])):
        assert tape_cli("vtl", "fault", "set", kind, "--drive", "0", *extra).code == 0, kind
    listed = tape_cli("vtl", "fault", "list", "--json").json()["faults"]
    assert {f["kind"] for f in listed} >= {"medium_error", "not_ready", "transfer_limit"}
    assert tape_cli("vtl", "fault", "clear", "medium_error", "--json").json()["removed"] == 1
    assert tape_cli("vtl", "fault", "clear", "--json").json()["removed"] == len(listed) - 1
    assert tape_cli("vtl", "fault", "set", "gremlins").code == 3
    assert tape_cli("vtl", "fault", "set", "medium_error").code == 3  # needs --at-object


# -- load, status, unload ---------------------------------------------------------------------------


def test_load_status_rewind_unload_are_recorded_with_the_actor(tape_cli: Callable[..., Any]) -> None:
    loaded = tape_cli("drive", "load", "TAF002L9")
    assert loaded.code == 0, loaded.err
    assert "磁带 TAF002L9 已装入驱动器 emulated:0" in loaded.out
    status = tape_cli("drive", "status", "--json").json()
    assert status["state"] == "ready" and status["barcode"] == "TAF002L9" and status["product"] == "ULT3580-HH9"
    assert tape_cli("drive", "status").out.count("TAF002L9") == 1
    assert tape_cli("drive", "rewind", "--json").json()["block"] == 0
    unloaded = tape_cli("drive", "unload", "--json").json()
    assert unloaded == {"ok": True, "barcode": "TAF002L9", "location": "slot:2", "location_text": "槽位 2"}
    recorded = [(e["event"], e["actor"]) for e in events(tape_cli) if e["event"] != "Drive.Registered"]
    assert recorded == [
        ("Cartridge.Registered", "王工"), ("Drive.CartridgeLoaded", "王工"), ("Cartridge.Loaded", "王工"),
        ("Drive.CartridgeUnloaded", "王工"), ("Cartridge.Unloaded", "王工"),
    ]
    assert tape_cli("drive", "status", "--json").json()["state"] == "empty"


def test_loading_a_second_cartridge_swaps_and_records_both(tape_cli: Callable[..., Any]) -> None:
    tape_cli("drive", "load", "TAF001L9")
    swapped = tape_cli("drive", "load", "TAF003L9", "--json").json()
    assert swapped["unloaded"] == "TAF001L9" and swapped["barcode"] == "TAF003L9"
    slots = tape_cli("vtl", "list", "--json").json()["slots"]
    assert slots[0]["barcode"] == "TAF001L9" and slots[2]["barcode"] is None
    assert names(tape_cli)[-5:] == ["Cartridge.Registered", "Drive.CartridgeUnloaded", "Drive.CartridgeLoaded",
                                    "Cartridge.Loaded", "Cartridge.Unloaded"]
    unloaded = [e for e in events(tape_cli) if e["event"] == "Cartridge.Unloaded"]
    assert unloaded[-1]["actor"] == "王工"


def test_unknown_barcode_and_empty_drive_change_nothing(tape_cli: Callable[..., Any]) -> None:
    tape_cli("drive", "list")
    before = head(tape_cli)
    unknown = tape_cli("drive", "load", "NOPE01L9")
    assert unknown.code == 4 and "找不到条码为 NOPE01L9" in unknown.err
    empty = tape_cli("drive", "label")
    assert empty.code == 7 and "驱动器中没有磁带" in empty.err and empty.err.count("\n") == 1
    assert tape_cli("drive", "unload").code == 3
    assert head(tape_cli) == before + 1  # only the drive's own registration


def test_a_standalone_drive_has_no_robot(tape_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VTL_SLOTS", "0")
    refused = tape_cli("drive", "load", "TAF001L9")
    assert refused.code == 3 and "没有机械手" in refused.err
    assert tape_cli("vtl", "insert", "TAF001L9", "--json").json()["where"] == "驱动器 emulated:0"
    assert tape_cli("drive", "label", "--barcode", "TAF001L9").code == 0
    unloaded = tape_cli("drive", "unload", "--json").json()
    assert unloaded["barcode"] == "TAF001L9" and unloaded["location"].endswith("ejected")


# Codes an operator must never read: device kinds, medium states and location codes in English.
LEAKS = re.compile(r"\b(drive|changer|empty|unloaded|loading|optimising|ready|slot|shelf|offsite)\b|\bie:\d|drive:")


def readable(text: str) -> str:
    """What a person reads, less the names that stay as they are (device names, the library's folder)."""
    return re.sub(r"emulated(:\d+)?|/\S+", "", text)


def test_every_place_and_state_an_operator_reads_is_chinese(tape_cli: Callable[..., Any]) -> None:
    listed = tape_cli("drive", "list")
    assert listed.code == 0 and not LEAKS.search(readable(listed.out)), listed.out
    assert "驱动器" in listed.out and "机械手（带库）" in listed.out and "无磁带" in listed.out
    loaded = tape_cli("drive", "load", "TAF001L9")
    assert loaded.code == 0, loaded.err
    vtl = tape_cli("vtl", "list")
    assert not LEAKS.search(readable(vtl.out)), vtl.out
    assert "已就绪" in vtl.out and "驱动器 emulated:0" in vtl.out and "槽位 2" in vtl.out
    assert "驱动器 emulated:0" in tape_cli("tape", "list").out
    unloaded = tape_cli("drive", "unload")
    assert unloaded.out.strip() == "磁带 TAF001L9 已卸出，现在位置：槽位 1"
    tape_cli("vtl", "eject", "TAF001L9")
    shelved = tape_cli("tape", "list")
    assert "磁带架" in shelved.out and not LEAKS.search(readable(shelved.out)), shelved.out
    tape_cli("vtl", "insert", "TAF001L9")
    log = tape_cli("ledger", "log", "--limit", "3").out
    assert "磁带移至 导入/导出口 1" in log and "磁带移至 磁带架" in log and not LEAKS.search(readable(log)), log
    recorded = tape_cli("tape", "list", "--json").json()["cartridges"][0]
    assert (recorded["location"], recorded["location_text"]) == ("ie:1", "导入/导出口 1")  # scripts read the code


def test_bad_device_names_are_usage_errors(tape_cli: Callable[..., Any]) -> None:
    st = tape_cli("drive", "status", "--device", "/dev/nst0")
    assert st.code == 2 and "/dev/sgN" in st.err
    missing = tape_cli("drive", "status", "--device", "emulated:7")
    assert missing.code == 7 and "没有编号为 7 的驱动器" in missing.err
    real = tape_cli("drive", "list", "--device", "/dev/sg987", "--json")  # a real device: discovery via sysfs
    assert real.code == 0 and all(d["kind"] in ("drive", "changer") for d in real.json()["devices"])


# -- label ------------------------------------------------------------------------------------------


def test_label_a_blank_tape_then_refuse_a_tape_holding_data(tape_cli: Callable[..., Any],
                                                            raw_drive: Callable[[], Drive], tmp_path: Path) -> None:
    tape_cli("drive", "load", "TAF001L9")
    tiny = tape_cli("drive", "label", "--block-size", "1K")
    assert tiny.code == 2 and "块大小 1024 字节不可用" in tiny.err
    first = tape_cli("drive", "label", "--pool", "月度", "--json")
    assert first.code == 0, first.err
    assert first.json()["volume_serial"] == "TAF001" and first.json()["previous"] == "blank"
    drive = raw_drive()
    volume_io.prepare_append(drive)
    package = tmp_path / "p.7z"
    package.write_bytes(os.urandom(100_000))
    volume_io.write_package(drive, {"package_id": "p", "job_id": "j", "group": "2026-05", "sequence": 1,
                                    "compression": "copy", "created_at": "t"}, [], package, block_size=65536)
    end = drive.locate_end_of_data().block
    drive.close()
    before = head(tape_cli)
    refused = tape_cli("drive", "label")
    assert refused.code == 3 and "已有" in refused.err and "--force" in refused.err
    wrong = tape_cli("drive", "label", "--force", "--confirm", "TAF002L9")
    assert wrong.code == 3 and "确认条码不符" in wrong.err
    unasked = tape_cli("drive", "label", "--force")  # a terminal that answers nothing
    assert unasked.code == 3
    assert tape_cli("drive", "label", "--confirm", "TAF001L9").code == 2  # --confirm needs --force
    assert head(tape_cli) == before
    assert raw_drive().locate_end_of_data().block == end  # the tape is untouched
    typed = tape_cli("drive", "label", "--force", stdin="taf001l9\n")
    assert typed.code == 0, typed.err
    assert "池 月度" in typed.out  # the pool it had, kept
    labelled = [e for e in events(tape_cli) if e["event"] == "Cartridge.Labelled"]
    assert [e["actor"] for e in labelled] == ["王工", "王工"]
    assert "第 2 次标记" in labelled[-1]["summary"]


def test_a_foreign_tape_is_not_ours(tape_cli: Callable[..., Any], raw_drive: Callable[[], Drive]) -> None:
    tape_cli("drive", "load", "TAF002L9")
    drive = raw_drive()
    drive.write_block(b"VOL1LTFS" + bytes(512))
    drive.write_filemarks(1)
    drive.close()
    refused = tape_cli("drive", "label")
    assert refused.code == 3 and "不是本系统写的" in refused.err
    assert "Cartridge.Labelled" not in names(tape_cli)
    forced = tape_cli("drive", "label", "--force", "--confirm", "TAF002L9", "--json")
    assert forced.code == 0 and forced.json()["previous"] == "foreign"


def test_relabelling_any_labelled_tape_needs_force_and_keeps_its_pool(tape_cli: Callable[..., Any],
                                                                     raw_drive: Callable[[], Drive]) -> None:
    tape_cli("drive", "load", "TAF001L9")
    assert tape_cli("drive", "label", "--pool", "财务池").code == 0
    before = head(tape_cli)
    refused = tape_cli("drive", "label")  # an empty TAF tape: nothing to lose, but still ours and labelled
    assert refused.code == 3, refused.err
    assert "磁带 TAF001L9 已有 TAF 标签 TAF001（第 1 次，池 财务池），重新贴标签未执行" in refused.err
    assert "--force" in refused.err and refused.out == ""
    assert head(tape_cli) == before
    assert (label := volume_io.read_label(raw_drive())) is not None and label.label_sequence == 1

    kept = tape_cli("drive", "label", "--force")
    assert kept.code == 0, kept.err
    assert "磁带 TAF001L9 已写入标签 TAF001（第 2 次，池 财务池" in kept.out
    moved = tape_cli("drive", "label", "--force", "--pool", "月度", "--json")
    assert moved.code == 0 and (moved.json()["pool"], moved.json()["label_sequence"]) == ("月度", 3)
    assert (label := volume_io.read_label(raw_drive())) is not None and (label.pool, label.label_sequence) == ("月度", 3)
    labelled = [e["summary"] for e in events(tape_cli) if e["event"] == "Cartridge.Labelled"]
    assert labelled == ["磁带写入标签 TAF001（第 1 次标记，池 财务池）", "磁带写入标签 TAF001（第 2 次标记，池 财务池）",
                        "磁带写入标签 TAF001（第 3 次标记，池 月度）"]
    assert tape_cli("tape", "list", "--json").json()["cartridges"][0]["pool"] == "月度"


def test_a_write_protected_cartridge_is_refused(tape_cli: Callable[..., Any]) -> None:
    tape_cli("vtl", "insert", "WPT001L9", "--write-protect")
    assert tape_cli("drive", "load", "WPT001L9").code == 0
    refused = tape_cli("drive", "label")
    assert refused.code == 3 and "写保护" in refused.err
    erase = tape_cli("drive", "erase", "--yes")
    assert erase.code == 3 and "写保护" in erase.err
    assert not {"Cartridge.Labelled", "Cartridge.Erased"} & set(names(tape_cli))


def test_a_scsi_failure_is_one_line_exit_7_and_recorded(tape_cli: Callable[..., Any]) -> None:
    tape_cli("drive", "load", "TAF001L9")
    tape_cli("vtl", "fault", "set", "medium_error", "--drive", "0", "--at-object", "0", "--operation", "write")
    failed = tape_cli("drive", "label")
    assert failed.code == 7
    line = failed.err.strip()
    assert line.count("\n") == 0 and "写入磁带失败" in line and "清洗驱动器" in line
    recorded = [e for e in events(tape_cli) if e["event"] == "Drive.CommandFailed"]
    assert len(recorded) == 1 and "WRITE(6)" in recorded[0]["summary"]
    assert "Cartridge.Labelled" not in names(tape_cli)
    # The drive raised TapeAlert flags; a later process's health check still reports them, in Chinese.
    tape_cli("vtl", "fault", "clear")
    alerts = tape_cli("drive", "health", "--json").json()["alerts"]
    assert [(a["code"], a["title"]) for a in alerts] == [(3, "硬错误"), (6, "写入失败")]
    assert alerts[1]["severity"] == "严重" and alerts[1]["needs_attention"]


# -- erase and health -------------------------------------------------------------------------------


def test_erase_needs_yes_shows_progress_and_is_recorded(tape_cli: Callable[..., Any]) -> None:
    tape_cli("drive", "load", "TAF001L9")
    tape_cli("drive", "label")
    refused = tape_cli("drive", "erase")
    assert refused.code == 2 and "--yes" in refused.err
    short = tape_cli("drive", "erase", "--yes", "--json")
    assert short.code == 0 and short.json()["mode"] == "short"
    long = tape_cli("drive", "erase", "--long", "--yes")
    assert long.code == 0, long.err
    assert "擦除进度：0%" in long.out and "擦除进度：100%" in long.out and "已完成长擦除" in long.out
    erased = [e for e in events(tape_cli) if e["event"] == "Cartridge.Erased"]
    assert [e["actor"] for e in erased] == ["王工", "王工"]


def test_erase_and_relabel_are_refused_while_the_cartridge_holds_an_active_group(
    tape_cli: Callable[..., Any], raw_drive: Callable[[], Drive]
) -> None:
    from bootstrap import build
    from ledger.domain import BackupGroup

    tape_cli("drive", "load", "TAF001L9")
    tape_cli("drive", "label")
    services = build()
    try:
        cartridge = services.ledger.cartridge("TAF001L9")
        cartridge.record_package(job_id="j", package_id="p", group="2026-05", sequence=1, tape_file=1,
                                 header_block=2, payload_block=4, payload_blocks=1, payload_bytes=10,
                                 payload_sha256="0" * 64, compression="copy", manifest=[])
        services.ledger.save(cartridge, BackupGroup(name="2026-05", by="王工"))
    finally:
        services.close()
    before = head(tape_cli)
    refused = tape_cli("drive", "erase", "--yes")
    assert refused.code == 3 and "活动备份组 2026-05" in refused.err
    relabel = tape_cli("drive", "label", "--force", "--confirm", "TAF001L9")
    assert relabel.code == 3 and "活动备份组 2026-05" in relabel.err
    assert head(tape_cli) == before
    assert volume_io.read_label(raw_drive()) is not None  # the label is still on the tape


def test_health_is_recorded_with_tapealerts_explained(tape_cli: Callable[..., Any]) -> None:
    tape_cli("drive", "load", "TAF004L9")
    result = tape_cli("drive", "health", "--json")
    assert result.code == 0, result.err
    body = result.json()
    assert body["barcode"] == "TAF004L9" and body["maximum_mib"] == 4 and body["load_count"] == 1
    assert body["alerts"] == []
    text = tape_cli("drive", "health")
    assert "TapeAlert：无告警" in text.out
    recorded = [e for e in events(tape_cli) if e["event"] == "Cartridge.HealthRecorded"]
    assert [e["actor"] for e in recorded] == ["王工", "王工"]


# -- raw --------------------------------------------------------------------------------------------


def test_raw_cdb_prints_status_sense_residue_and_data(tape_cli: Callable[..., Any], tmp_path: Path) -> None:
    tape_cli("drive", "load", "TAF001L9")
    position = tape_cli("drive", "raw", "34", "06", "00", "00", "00", "00", "00", "00", "00", "00", "--in", "32",
                        "--json")
    assert position.code == 0, position.err
    assert position.json() == {"status": 0, "sense": "", "residue": 0, "data": "80" + "00" * 31}
    block = tmp_path / "block.bin"
    block.write_bytes(b"RAWDATA!")
    wrote = tape_cli("drive", "raw", "0A0000000800", "--data-out", str(block), "--json")
    assert wrote.json()["status"] == 0
    blank = tape_cli("drive", "raw", "08 00 00 01 00 00", "--in", "256", "--json")  # READ past end of data
    assert blank.code == 7
    body = blank.json()
    sense = bytes.fromhex(body["sense"])
    assert body["status"] == 2 and body["residue"] == 256 and body["data"] == ""
    assert (sense[2] & 0x0F, sense[12], sense[13]) == (0x8, 0x00, 0x05)  # BLANK CHECK, end of data
    text = tape_cli("drive", "raw", "34 06 00 00 00 00 00 00 00 00", "--in", "32")
    assert "状态：0x00（GOOD）" in text.out and "000000  " in text.out


def test_raw_bad_input_and_recorded_failure(tape_cli: Callable[..., Any]) -> None:
    tape_cli("drive", "list")
    before = head(tape_cli)
    for bad in (["zz"], ["12", "34", "5"], ["00", "00"]):
        result = tape_cli("drive", "raw", *bad)
        assert result.code == 2, bad
    assert head(tape_cli) == before + 1  # the drive registration only
    unknown = tape_cli("drive", "raw", "FF 00 00 00 00 00")
    assert unknown.code == 7 and "驱动器不支持这个命令" in unknown.err and "5/20/00" not in unknown.err
    assert "检测数据：" in unknown.out
    failures = [e for e in events(tape_cli) if e["event"] == "Drive.CommandFailed"]
    assert len(failures) == 1 and "OPCODE 0xFF" in failures[0]["summary"]
