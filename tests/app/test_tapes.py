"""The tapes service (app/tapes.py) on the emulated library, through its SCSI interface."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.errors import BadRequest, Unknown
from app.facade import make_app
from app.tapes import Tapes
from kernel.errors import EXIT_DEVICE, EXIT_NOT_FOUND, EXIT_STATE, EXIT_USAGE, TafError, describe
from ledger.domain import BackupGroup
from media.errors import BadInput, NotFound, Refused
from tape import volume_io
from tape.drive import Drive
from tape.drive_types import DrivePolicy
from tape.transports.emulated import EmulatedTransport
from tape.volume_errors import ForeignTape
from tests.media.story import write_package

FAST = DrivePolicy(retry_base=0.01, retry_max=0.05)


@pytest.fixture
def library(taf_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Services over a fresh four-slot emulated library with 4 MiB cartridges."""
    monkeypatch.setenv("VTL_CAPACITY", "4M")
    monkeypatch.setenv("VTL_SLOTS", "4")
    from bootstrap import build

    services = build()
    yield services
    services.close()


@pytest.fixture
def tapes(library: Any) -> Tapes:
    return make_app(library).tapes


def recent(services: Any, count: int) -> list[tuple[str, str]]:
    """(event, actor) of the newest `count` ledger events, oldest first."""
    return [(line.event, line.actor) for line in reversed(make_app(services).audit.recent_events(count))]


def refused_with(error: BaseException, code: int, *words: str) -> None:
    """A refusal a face reports as one Chinese line with this exit code."""
    report = describe(error)
    assert isinstance(error, TafError) and report.exit_code == code, report
    assert all(word in report.message for word in words), report.message


def emulated_drive(services: Any) -> Drive:
    """Drive 0 opened behind the service's back, to look at or change what is on the tape."""
    drive = Drive(EmulatedTransport(services.settings.vtl_dir, 0), policy=FAST)
    drive.mount(prevent_removal=False)
    return drive


# -- devices and drive acts ---------------------------------------------------------------------------


def test_devices_are_the_emulated_drive_and_changer_created_on_first_use(tapes: Tapes, library: Any) -> None:
    found = tapes.devices()
    assert [(d.path, d.kind, d.product) for d in found] == [("emulated:0", "drive", "ULT3580-HH9"),
                                                            ("emulated（机械手）", "changer", "3573-TL")]
    assert (library.settings.vtl_dir / "library.json").exists()


def test_a_device_name_the_service_cannot_use_is_a_usage_error(tapes: Tapes) -> None:
    with pytest.raises(TafError) as raised:
        tapes.drive_status(actor="王工", device="/dev/nst0")
    refused_with(raised.value, EXIT_USAGE, "/dev/sgN")


def test_load_status_rewind_and_unload_are_records_and_ledger_events_naming_the_actor(tapes: Tapes,
                                                                                      library: Any) -> None:
    said: list[str] = []
    loaded = tapes.load("taf002l9", actor="王工", on_message=said.append)
    assert (loaded.barcode, loaded.drive, loaded.unloaded) == ("TAF002L9", "emulated:0", None)
    assert loaded.medium.barcode == "TAF002L9" and loaded.medium.medium_type == "98h"
    status = tapes.drive_status(actor="王工")
    assert (status.state, status.product, status.medium.barcode if status.medium else None) == (
        "ready", "ULT3580-HH9", "TAF002L9")
    assert tapes.rewind(actor="王工").block == 0
    unloaded = tapes.unload(actor="王工")
    assert (unloaded.barcode, unloaded.location) == ("TAF002L9", "slot:2")
    assert tapes.drive_status(actor="王工").state == "empty"
    assert [event for event in recent(library, 5)] == [
        ("Cartridge.Registered", "王工"), ("Drive.CartridgeLoaded", "王工"), ("Cartridge.Loaded", "王工"),
        ("Drive.CartridgeUnloaded", "王工"), ("Cartridge.Unloaded", "王工")]


def test_a_swap_records_the_drive_and_both_cartridges_in_one_save(tapes: Tapes, library: Any) -> None:
    tapes.load("TAF001L9", actor="王工")
    head = library.ledger.head_id()
    swapped = tapes.load("TAF003L9", actor="王工")
    assert swapped.unloaded == "TAF001L9"
    saved = list(library.ledger.notifications(head))
    mapper = library.ledger.mapper
    names = [type(mapper.to_domain_event(n)).__qualname__ for n in saved]
    assert names == ["Cartridge.Registered", "Drive.CartridgeUnloaded", "Drive.CartridgeLoaded",
                     "Cartridge.Loaded", "Cartridge.Unloaded"]
    assert library.ledger.cartridge("TAF001L9").location == "slot:1"
    assert library.ledger.drive(library.settings.host_name, "emulated:0").loaded == "TAF003L9"


def test_unknown_barcodes_and_an_empty_drive_are_refused_and_change_nothing(tapes: Tapes, library: Any) -> None:
    tapes.devices()
    tapes.drive_status(actor="王工")  # registers the drive
    head = library.ledger.head_id()
    with pytest.raises(NotFound) as unknown:
        tapes.load("NOPE01L9", actor="王工")
    refused_with(unknown.value, EXIT_NOT_FOUND, "找不到条码为 NOPE01L9 的磁带")
    with pytest.raises(Refused) as empty:
        tapes.unload(actor="王工")
    refused_with(empty.value, EXIT_STATE, "驱动器中没有磁带")
    with pytest.raises(TafError) as nothing_loaded:
        tapes.label(actor="王工")
    refused_with(nothing_loaded.value, EXIT_DEVICE, "驱动器中没有磁带")
    assert library.ledger.head_id() == head


# -- label ----------------------------------------------------------------------------------------------


def test_label_writes_the_label_and_its_refusals_change_nothing(tapes: Tapes, library: Any) -> None:
    tapes.load("TAF001L9", actor="王工")
    head = library.ledger.head_id()
    with pytest.raises(BadRequest) as confirm_alone:
        tapes.label(actor="王工", confirm="TAF001L9")
    refused_with(confirm_alone.value, EXIT_USAGE, "确认条码", "强制覆盖")
    with pytest.raises(BadInput) as tiny:
        tapes.label(actor="王工", block_size=1024)
    refused_with(tiny.value, EXIT_USAGE, "块大小 1024 字节不可用")
    assert library.ledger.head_id() == head

    labelled = tapes.label(actor="王工", pool="月度")
    assert (labelled.barcode, labelled.volume_serial, labelled.label_sequence, labelled.pool, labelled.previous) == (
        "TAF001L9", "TAF001", 1, "月度", "blank")
    assert labelled.block_size == library.settings.default_block_size
    assert recent(library, 1) == [("Cartridge.Labelled", "王工")]


def test_a_foreign_tape_needs_force_and_its_barcode_typed_back(tapes: Tapes, library: Any) -> None:
    tapes.load("TAF002L9", actor="王工")
    drive = emulated_drive(library)
    drive.write_block(b"VOL1LTFS" + bytes(512))
    drive.write_filemarks(1)
    drive.close()
    head = library.ledger.head_id()
    with pytest.raises(ForeignTape) as foreign:
        tapes.label(actor="王工")
    refused_with(foreign.value, EXIT_STATE, "不是本系统写的")
    asked: list[str] = []

    def answer_wrong(prompt: str) -> str:
        asked.append(prompt)
        return "TAF003L9"

    with pytest.raises(Refused) as wrong:
        tapes.label(actor="王工", force=True, ask=answer_wrong)
    refused_with(wrong.value, EXIT_STATE, "确认条码不符，未做任何改动（需要输入 TAF002L9）")
    assert asked == ["请输入条码 TAF002L9 以确认清除这盘磁带："]
    assert library.ledger.head_id() == head
    assert volume_io.inspect(emulated_drive(library), find_end=False).kind is volume_io.VolumeKind.FOREIGN

    forced = tapes.label(actor="王工", force=True, confirm="taf002l9")
    assert forced.previous == "foreign" and forced.label_sequence == 1


# -- erase ----------------------------------------------------------------------------------------------


def test_an_erase_needs_acknowledging_and_publishes_its_progress(tapes: Tapes, library: Any) -> None:
    tapes.load("TAF001L9", actor="王工")
    tapes.label(actor="王工")
    head = library.ledger.head_id()
    with pytest.raises(BadRequest) as unacknowledged:
        tapes.erase(actor="王工", acknowledged=False)
    refused_with(unacknowledged.value, EXIT_USAGE, "擦除会清除磁带上的全部数据")
    assert library.ledger.head_id() == head

    fractions: list[float] = []
    erased = tapes.erase(actor="王工", acknowledged=True, long=True,
                         on_progress=lambda state: fractions.append(state.fraction))
    assert (erased.barcode, erased.mode, erased.label_sequence) == ("TAF001L9", "long", 1)
    assert erased.progress_id == "erase-TAF001L9"
    published = library.progress.latest(erased.progress_id)
    assert published is not None and (published.phase, published.fraction) == ("done", 1.0)
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert recent(library, 1) == [("Cartridge.Erased", "王工")]


def test_a_cartridge_holding_an_active_group_is_never_erased_or_relabelled(tapes: Tapes, library: Any) -> None:
    tapes.load("TAF001L9", actor="王工")
    tapes.label(actor="王工")
    library.ledger.save(BackupGroup(name="2026-05", by="王工"))
    write_package(library.ledger, "TAF001L9", "2026-05")
    head = library.ledger.head_id()
    with pytest.raises(TafError) as erase:
        tapes.erase(actor="王工", acknowledged=True, confirm="TAF001L9")
    refused_with(erase.value, EXIT_STATE, "拒绝擦除磁带 TAF001L9", "活动备份组 2026-05")
    with pytest.raises(Refused) as relabel:
        tapes.label(actor="王工", force=True, confirm="TAF001L9")
    refused_with(relabel.value, EXIT_STATE, "活动备份组 2026-05")
    assert library.ledger.head_id() == head
    assert volume_io.read_label(emulated_drive(library)) is not None  # the label is still on the tape


def test_erasing_backups_of_a_rotated_out_group_needs_the_barcode_typed_back(tapes: Tapes, library: Any) -> None:
    tapes.load("TAF001L9", actor="王工")
    tapes.label(actor="王工")
    group = BackupGroup(name="2026-01", by="王工")
    group.rotate_out(reason="演练", by="王工")
    library.ledger.save(group)
    write_package(library.ledger, "TAF001L9", "2026-01")
    head = library.ledger.head_id()
    with pytest.raises(Refused) as unconfirmed:
        tapes.erase(actor="王工", acknowledged=True)
    refused_with(unconfirmed.value, EXIT_STATE, "擦除前需要再次输入条码 TAF001L9 确认", "未做任何改动")
    with pytest.raises(Refused) as mistyped:
        tapes.erase(actor="王工", acknowledged=True, ask=lambda prompt: "TAF002L9\n")
    refused_with(mistyped.value, EXIT_STATE, "确认条码不符")
    assert library.ledger.head_id() == head
    erased = tapes.erase(actor="王工", acknowledged=True, ask=lambda prompt: "taf001l9\n")
    assert erased.mode == "short" and library.ledger.cartridge("TAF001L9").groups == []


# -- health and raw -----------------------------------------------------------------------------------


def test_a_failed_write_is_recorded_and_health_explains_its_tapealerts_in_chinese(tapes: Tapes,
                                                                                   library: Any) -> None:
    tapes.load("TAF001L9", actor="王工")
    tapes.vtl_set_fault("medium_error", drive=0, at_object=0, operation="write")
    with pytest.raises(TafError) as failed:
        tapes.label(actor="王工")
    refused_with(failed.value, EXIT_DEVICE, "写入磁带失败")
    assert "Drive.CommandFailed" in [event for event, _ in recent(library, 3)]
    assert tapes.vtl_clear_faults().removed == 1
    health = tapes.health(actor="王工")
    assert health.barcode == "TAF001L9" and health.maximum_mib == 4
    assert [(a.code, a.title, a.severity) for a in health.alerts] == [(3, "硬错误", "警告"), (6, "写入失败", "严重")]
    assert recent(library, 1) == [("Cartridge.HealthRecorded", "王工")]
    assert library.ledger.cartridge("TAF001L9").health["alerts"][1]["title"] == "写入失败"


def test_a_raw_cdb_comes_back_as_the_drive_said_and_bad_hex_is_refused(tapes: Tapes, library: Any) -> None:
    tapes.load("TAF001L9", actor="王工")
    position = tapes.raw("34 06 00 00 00 00 00 00 00 00", actor="王工", data_in=32)
    assert (position.failed, position.status, position.data) == (False, 0, "80" + "00" * 31)
    head = library.ledger.head_id()
    with pytest.raises(BadInput) as bad:
        tapes.raw("zz", actor="王工")
    refused_with(bad.value, EXIT_USAGE, "CDB 不是有效的十六进制")
    assert library.ledger.head_id() == head
    unknown = tapes.raw("FF 00 00 00 00 00", actor="王工")
    assert unknown.failed and "驱动器不支持这个命令" in unknown.sense_text


# -- inventory and move ---------------------------------------------------------------------------------


def test_the_inventory_shows_each_cartridge_with_its_place_capacity_and_verdict(tapes: Tapes, library: Any) -> None:
    tapes.load("TAF001L9", actor="王工")
    tapes.label(actor="王工", pool="月度")
    tapes.load("TAF002L9", actor="王工")
    entries = {entry.barcode: entry for entry in tapes.inventory()}
    assert list(entries) == ["TAF001L9", "TAF002L9"]
    first, second = entries["TAF001L9"], entries["TAF002L9"]
    assert (first.status, first.status_label, first.pool, first.location) == ("scratch", "空白", "月度", "slot:1")
    assert (first.location_text, second.location_text) == ("槽位 1", "驱动器 emulated:0")
    assert second.location == "drive:emulated:0" and second.capacity_bytes == 4 << 20
    assert first.bytes_remaining == 4 << 20 and first.free_when == "现在（空白）"
    assert first.retention_months is None and first.retention_in_force == 6 and first.reason == "scratch"


def test_move_records_where_a_cartridge_went_and_refuses_what_it_cannot(tapes: Tapes, library: Any) -> None:
    tapes.load("TAF001L9", actor="王工")
    moved = tapes.move(" taf001l9 ", "异地库房 A3", actor="李工")
    assert (moved.barcode, moved.location, moved.by) == ("TAF001L9", "异地库房 A3", "李工")
    assert moved.location_text == "异地库房 A3"  # the operator's own words, shown as given
    assert tapes.move("TAF001L9", "offsite:银行保险柜", actor="李工").location_text == "异地（银行保险柜）"
    assert recent(library, 2) == [("Cartridge.Moved", "李工"), ("Cartridge.Moved", "李工")]
    head = library.ledger.head_id()
    with pytest.raises(Unknown) as unknown:
        tapes.move("NOPE01L9", "异地库房", actor="李工")
    refused_with(unknown.value, EXIT_NOT_FOUND, "NOPE01L9")
    with pytest.raises(BadRequest) as nowhere:
        tapes.move("TAF001L9", "  ", actor="李工")
    refused_with(nowhere.value, EXIT_USAGE, "放到了哪里")
    assert library.ledger.head_id() == head


# -- the emulated library by hand -----------------------------------------------------------------------


def test_the_library_by_hand_insert_protect_eject_and_faults(tapes: Tapes, library: Any) -> None:
    with pytest.raises(NotFound) as missing:
        tapes.vtl_faults()
    refused_with(missing.value, EXIT_NOT_FOUND, "找不到模拟磁带库")
    listed = tapes.vtl_list()
    assert listed.changer and [s.barcode for s in listed.slots] == ["TAF001L9", "TAF002L9", "TAF003L9", "TAF004L9"]
    with pytest.raises(Refused) as again:
        tapes.vtl_create()
    refused_with(again.value, EXIT_STATE, "已存在")

    inserted = tapes.vtl_insert("new001l9", actor="王工", write_protect=True)
    assert (inserted.barcode, inserted.where, inserted.created) == ("NEW001L9", "导入/导出口 1", True)
    assert tapes.vtl_protect("NEW001L9", False).write_protect is False
    assert tapes.vtl_eject(actor="王工").ejected == ["NEW001L9"]
    with pytest.raises(Refused):
        tapes.vtl_eject(actor="王工")  # nothing waits in the import/export slot

    with pytest.raises(Refused) as gremlins:
        tapes.vtl_set_fault("gremlins")
    refused_with(gremlins.value, EXIT_STATE, "未知的故障类型：gremlins")
    fault = tapes.vtl_set_fault("not_ready", drive=0, seconds=1).fault
    assert [f.kind for f in tapes.vtl_faults().faults] == ["not_ready"] and fault.id == 1
    assert "medium_error" in tapes.vtl_faults().kinds
    assert tapes.vtl_clear_faults("not_ready").removed == 1


def test_a_new_library_takes_its_shape_from_the_arguments_or_the_settings(tapes: Tapes) -> None:
    made = tapes.vtl_create(drives=2, slots=3, capacity=8 << 20, early_warning_pct=20)
    assert (len(made.drives), len(made.slots), len(made.cartridges)) == (2, 3, 3)
    assert made.cartridges[0].capacity == 8 << 20 and made.cartridges[0].early_warning_pct == 20


def test_a_retention_change_records_old_new_and_who_and_refuses_a_retired_cartridge(tapes: Tapes,
                                                                                      library: Any) -> None:
    tapes.load("TAF001L9", actor="王工")
    first = tapes.change_retention(" taf001l9 ", 3, actor="李工")
    assert (first.barcode, first.old, first.old_in_force, first.new, first.by) == ("TAF001L9", None, 6, 3, "李工")
    assert not first.expired_now and first.cartridge.retention_in_force == 3 and first.cartridge.status == "scratch"
    second = tapes.change_retention("TAF001L9", 9, actor="王工")
    assert (second.old, second.old_in_force, second.new) == (3, 3, 9)
    ledger = library.ledger
    changes = [(e.old, e.old_in_force, e.new, e.by) for e in map(ledger.mapper.to_domain_event, ledger.notifications())
               if type(e).__name__ == "RetentionChanged"]
    assert changes == [(None, 6, 3, "李工"), (3, 3, 9, "王工")]
    assert recent(library, 1) == [("Cartridge.RetentionChanged", "王工")]

    def retire(cartridge: Any) -> Any:
        cartridge.retire(reason="磨损", by="王工")
        return cartridge

    ledger.change(lambda: retire(ledger.cartridge("TAF001L9")), what="磁带 TAF001L9")
    head = ledger.head_id()
    with pytest.raises(TafError) as retired:
        tapes.change_retention("TAF001L9", 12, actor="王工")
    refused_with(retired.value, EXIT_STATE, "已退役", "修改存活期")
    with pytest.raises(TafError) as unknown:
        tapes.change_retention("NOPE01L9", 12, actor="王工")
    refused_with(unknown.value, EXIT_NOT_FOUND, "NOPE01L9")
    assert ledger.head_id() == head


def test_every_act_is_refused_while_another_session_holds_the_drive_and_nothing_changes(
        tapes: Tapes, library: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from media import devices
    from media.devices import open_session

    monkeypatch.setattr(devices, "BUSY_WAIT_SECONDS", 0.2)  # how long an act waits for a glance to end
    tapes.load("TAF001L9", actor="王工")
    head = library.ledger.head_id()
    with open_session(library, "emulated:0", "任务"):  # what a running job (or an act elsewhere) holds
        for act in (lambda: tapes.unload(actor="王工"), lambda: tapes.rewind(actor="王工"),
                    lambda: tapes.load("TAF002L9", actor="王工"), lambda: tapes.drive_status(actor="王工"),
                    lambda: tapes.erase(actor="王工", acknowledged=True, confirm="TAF001L9")):
            with pytest.raises(TafError) as raised:
                act()
            assert "正被其它程序占用" in describe(raised.value).message
    assert library.ledger.head_id() == head
    assert tapes.unload(actor="王工").barcode == "TAF001L9"
