"""The 磁带 API on the emulated library, through its SCSI interface: the inventory filtered and sorted,
the acts (load, unload, label, erase) accepted with 202 and run beside the request, the interlock and
the barcode typed back refused in Chinese with nothing recorded, moves, retention with its preview
before saving, the default retention for administrators only, and the devices on this host.

`shelf_story` and `library` are shared with the page and browser tests of this area.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from app.facade import make_app
from kernel.progress import Progress
from ledger import clock
from tape.drive_health import AlertNote, HealthSnapshot
from tape.scsi.tapealert import flag
from tests.media.story import open_group, rotate_out, write_package
from tests.web.conftest import PASSWORD, ROLES, headers, sign_in
from web.app import create_app

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # the story's today: every date below is judged from it
ACT_SECONDS = 60  # what one act may take on a busy machine (never asserted: a deadline for waiting)


def _at(year: int, month: int) -> datetime:
    return datetime(year, month, 1, 12, tzinfo=UTC)


def shelf_story(services: Any) -> None:
    """Four labelled cartridges in slots 1–4 of the emulated library, told in the ledger:

    - TAF001L9 holds 2025-03 (rotated out), written 2025-03-01: expired under the default 6 months;
    - TAF002L9 holds 2026-11, one of the six active groups 2026-06 … 2026-11: the interlock keeps it;
    - TAF003L9 holds 2026-05 (rotated out) with its own 12 months: free on 2027-05-01;
    - TAF004L9 is blank.
    TAF002L9's last health snapshot carries TapeAlert 01h (读取告警); TAF003L9's is clean.
    Then the clock runs from NOW and the retention check marks TAF001L9 expired.
    """
    ledger = services.ledger
    manual = clock.ManualClock(_at(2025, 3))
    clock.set_clock(manual)
    for slot in range(1, 5):
        code = f"TAF00{slot}L9"
        cartridge = ledger.register_cartridge(code, capacity_bytes=8 << 20, location=f"slot:{slot}", by="张工")
        cartridge.label(code[:6], pool="default", block_size=262144, by="张工")
        if slot == 3:
            cartridge.change_retention(12, by="张工")
        ledger.save(cartridge)
    open_group(ledger, "2025-03")
    write_package(ledger, "TAF001L9", "2025-03", size=3 << 20)
    manual.moment = _at(2026, 5)
    open_group(ledger, "2026-05")
    write_package(ledger, "TAF003L9", "2026-05", size=1 << 20)
    for month in range(6, 12):
        manual.moment = _at(2026, month)
        open_group(ledger, f"2026-{month:02d}")
    write_package(ledger, "TAF002L9", "2026-11", size=5 << 20)
    rotate_out(ledger, "2025-03")
    rotate_out(ledger, "2026-05")
    for code, alerts in (("TAF002L9", [AlertNote.of(flag(0x01), False)]), ("TAF003L9", [])):
        snapshot = HealthSnapshot(taken_at=_at(2026, 11).isoformat(), drive_serial="10WT895647", barcode=code,
                                  alerts=alerts)
        ledger.record_health(code, snapshot.to_dict(), by="张工")
    clock.start_at(NOW)
    make_app(services).lifecycle.check(actor="测试")


@pytest.fixture
def library(taf_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Services over a four-slot emulated library of 8 MiB cartridges, the story told, a user per role."""
    monkeypatch.setenv("VTL_CAPACITY", "8M")
    monkeypatch.setenv("VTL_SLOTS", "4")
    from bootstrap import build

    services = build()
    shelf_story(services)
    for role in ROLES:
        make_app(services).users.add(role, role, PASSWORD, actor="测试")
    yield services
    services.close()


@pytest.fixture
def tapes_client(library: Any) -> Iterator[TestClient[Litestar]]:
    with TestClient(app=create_app(library)) as test_client:
        yield test_client


def ended(services: Any, act_id: str) -> Progress:
    """The act's last progress, once it has finished (done or failed)."""
    deadline = time.monotonic() + ACT_SECONDS
    while True:
        latest = services.progress.latest(act_id)
        if latest is not None and latest.finished:
            return latest
        assert time.monotonic() < deadline, f"磁带操作 {act_id} 没有结束：{latest}"
        time.sleep(0.05)


def inventory(client: TestClient[Litestar]) -> dict[str, dict[str, Any]]:
    return {row["barcode"]: row for row in client.get("/api/v1/cartridges").json()}


def refused(answer: Any, status: int, *words: str) -> None:
    assert answer.status_code == status, answer.text
    detail = answer.json()["detail"]
    assert all(word in detail for word in words), detail


# -- the inventory ------------------------------------------------------------------------------------------


def test_the_inventory_says_where_each_cartridge_is_and_when_it_becomes_free(tapes_client) -> None:  # noqa: ANN001
    sign_in(tapes_client, "auditor")
    rows = inventory(tapes_client)
    assert list(rows) == ["TAF001L9", "TAF002L9", "TAF003L9", "TAF004L9"]
    first = rows["TAF001L9"]
    assert (first["status"], first["status_label"], first["location"], first["location_text"]) == (
        "expired", "已过期", "slot:1", "槽位 1")
    assert first["groups"] == ["2025-03"] and first["label_sequence"] == 1 and first["bytes_written"] == 3 << 20
    assert first["free_when"] == "现在（2026-11-01 起）" and "已于 2025-09-01 到期" in first["explanation"]
    assert rows["TAF002L9"]["free_when"] == "所含备份组轮换后" and "活动备份组 2026-11" in rows["TAF002L9"]["explanation"]
    assert (rows["TAF003L9"]["retention_months"], rows["TAF003L9"]["free_when"]) == (12, "2027-05-01")
    [alert] = rows["TAF002L9"]["health"]["alerts"]
    assert (alert["title"], alert["severity"]) == ("读取告警", "警告") and "清洗驱动器" in alert["advice"]
    one = tapes_client.get("/api/v1/cartridges/taf004l9").json()
    assert (one["barcode"], one["status"], one["free_when"]) == ("TAF004L9", "scratch", "现在（空白）")


def test_the_inventory_filters_and_sorts_and_refuses_unknown_choices_in_chinese(tapes_client) -> None:  # noqa: ANN001
    sign_in(tapes_client, "auditor")
    barcodes = lambda query: [row["barcode"] for row in tapes_client.get(f"/api/v1/cartridges?{query}").json()]  # noqa: E731
    assert barcodes("status=expired") == ["TAF001L9"]
    assert barcodes("q=2026-11") == ["TAF002L9"]
    assert barcodes("place=slot&status=active") == ["TAF002L9", "TAF003L9"]
    assert barcodes("place=offsite") == []
    assert barcodes("sort=free") == ["TAF004L9", "TAF001L9", "TAF003L9", "TAF002L9"]
    assert barcodes("sort=used&order=desc") == ["TAF002L9", "TAF001L9", "TAF003L9", "TAF004L9"]
    refused(tapes_client.get("/api/v1/cartridges?status=lost"), 400, "未知的状态：lost")
    refused(tapes_client.get("/api/v1/cartridges?sort=colour"), 400, "未知的排序列：colour")
    refused(tapes_client.get("/api/v1/cartridges/NOPE01L9"), 404, "台账中没有条码为 NOPE01L9 的磁带")


# -- erase: the typed confirmation, the interlock, the act beside the request --------------------------------


def test_an_expired_cartridge_is_erased_beside_the_request_and_returns_to_scratch(tapes_client, library) -> None:  # noqa: ANN001
    sign_in(tapes_client, "operator")
    answer = tapes_client.post("/api/v1/cartridges/TAF001L9/erase", json={"confirm": "taf001l9", "long": True},
                               headers=headers(tapes_client))
    assert answer.status_code == 202, answer.text
    act = answer.json()
    assert (act["act"], act["act_text"], act["barcode"], act["device"]) == ("erase", "擦除磁带", "TAF001L9", "emulated:0")
    assert act["events_url"] == f"/api/v1/jobs/{act['act_id']}/events"
    last = ended(library, act["act_id"])
    assert (last.phase, last.message) == ("done", "磁带 TAF001L9 已长擦除，回到空白池")
    assert last.device_fraction == 1.0  # the drive reported how far it was, to the end
    assert tapes_client.get(act["progress_url"]).json()["phase"] == "done"
    after = inventory(tapes_client)["TAF001L9"]
    assert (after["status"], after["groups"], after["bytes_written"]) == ("scratch", [], 0)
    assert after["location_text"] == "驱动器 emulated:0"  # the robot loaded it to erase it
    erased = [line for line in make_app(library).audit.recent_events(20) if line.event == "Cartridge.Erased"]
    assert [line.actor for line in erased] == ["operator"]


def test_an_erase_of_a_cartridge_holding_an_active_group_is_refused_with_the_interlocks_reason(
        tapes_client, library) -> None:  # noqa: ANN001
    sign_in(tapes_client, "operator")
    head = library.ledger.head_id()
    answer = tapes_client.post("/api/v1/cartridges/TAF002L9/erase", json={"confirm": "TAF002L9"},
                               headers=headers(tapes_client))
    refused(answer, 409, "拒绝擦除磁带 TAF002L9：它仍保存活动备份组 2026-11")
    label = tapes_client.post("/api/v1/cartridges/TAF002L9/label", json={"confirm": "TAF002L9"},
                              headers=headers(tapes_client))
    refused(label, 409, "拒绝重新贴标签磁带 TAF002L9：它仍保存活动备份组 2026-11")
    assert library.ledger.head_id() == head and inventory(tapes_client)["TAF002L9"]["status"] == "active"


def test_an_erase_needs_the_barcode_typed_back_and_bad_input_records_nothing(tapes_client, library) -> None:  # noqa: ANN001
    sign_in(tapes_client, "operator")
    head = library.ledger.head_id()
    post = lambda path, body: tapes_client.post(path, json=body, headers=headers(tapes_client))  # noqa: E731
    refused(post("/api/v1/cartridges/TAF001L9/erase", {"confirm": "TAF003L9"}), 400,
            "确认条码不符，未做任何改动（需要输入 TAF001L9")
    refused(post("/api/v1/cartridges/TAF001L9/erase", {"confirm": " "}), 400, "请再次输入条码 TAF001L9 确认")
    refused(post("/api/v1/cartridges/TAF001L9/erase", {"long": True}), 400, "参数")
    refused(post("/api/v1/cartridges/TAF 01/erase", {"confirm": "TAF 01"}), 400, "条码“TAF 01”无效")
    refused(post("/api/v1/cartridges/TAF004L9/label", {}), 400, "请再次输入条码 TAF004L9 确认")
    refused(post("/api/v1/cartridges/TAF001L9/load", {"device": "/dev/nst0"}), 400, "/dev/sgN")
    assert library.ledger.head_id() == head
    assert all(not name.startswith("tape-") for name in _published(library))


def _published(services: Any) -> list[str]:
    folder = services.settings.data_dir / "progress"
    return [path.stem for path in folder.glob("*.json")] if folder.exists() else []


# -- load, unload, label; one act at a time; a drive a job holds --------------------------------------------


def test_load_label_and_unload_run_beside_the_request_and_name_the_operator(tapes_client, library) -> None:  # noqa: ANN001
    sign_in(tapes_client, "operator")
    post = lambda path, body=None: tapes_client.post(path, json=body, headers=headers(tapes_client))  # noqa: E731
    loaded = post("/api/v1/cartridges/TAF004L9/load")
    assert loaded.status_code == 202, loaded.text
    assert ended(library, loaded.json()["act_id"]).message == "磁带 TAF004L9 已装入驱动器 emulated:0"
    assert inventory(tapes_client)["TAF004L9"]["location"] == "drive:emulated:0"

    labelled = post("/api/v1/cartridges/TAF004L9/label", {"confirm": "TAF004L9", "pool": "异地"})
    assert labelled.status_code == 202, labelled.text
    last = ended(library, labelled.json()["act_id"])
    assert last.phase == "done" and "已写入标签" in last.message and "第 2 次，池 异地" in last.message
    row = inventory(tapes_client)["TAF004L9"]
    assert (row["label_sequence"], row["pool"]) == (2, "异地")

    unloaded = post("/api/v1/devices/unload", {"device": "emulated:0"})
    assert unloaded.status_code == 202 and unloaded.json()["barcode"] is None
    assert ended(library, unloaded.json()["act_id"]).message == "磁带 TAF004L9 已卸下，放回槽位 4"
    assert inventory(tapes_client)["TAF004L9"]["location"] == "slot:4"
    acts = [(line.event, line.actor) for line in make_app(library).audit.recent_events(30)
            if line.event in {"Cartridge.Loaded", "Cartridge.Labelled", "Cartridge.Unloaded"}]
    assert {actor for _, actor in acts} == {"operator"} and len(acts) == 3


def test_a_drive_runs_one_act_at_a_time_and_none_while_a_job_holds_it(tapes_client, library) -> None:  # noqa: ANN001
    sign_in(tapes_client, "operator")
    post = lambda path, body=None: tapes_client.post(path, json=body, headers=headers(tapes_client))  # noqa: E731
    erasing = post("/api/v1/cartridges/TAF001L9/erase", {"confirm": "TAF001L9", "long": True})
    assert erasing.status_code == 202
    busy = post("/api/v1/cartridges/TAF004L9/load")  # the long erase holds the drive for seconds of drive time
    refused(busy, 409, "驱动器 emulated:0 正在执行另一项操作", "长擦除磁带 TAF001L9")
    assert ended(library, erasing.json()["act_id"]).phase == "done"

    ledger, host = library.ledger, library.settings.host_name
    job, _ = ledger.request_backup("held", kind="manual", sources=["/srv/财务"], group="2026-12", params={}, by="operator")
    ledger.start_job_on_drive(host, "emulated:0", lambda: ledger.backup_job(str(job.id)))
    head = ledger.head_id()
    refused(post("/api/v1/cartridges/TAF004L9/load"), 423, f"正被任务 {job.id} 使用")
    refused(post("/api/v1/devices/unload"), 423, "一个驱动器同一时间只运行一个任务")
    assert ledger.head_id() == head


# -- moves and retention ---------------------------------------------------------------------------------------


def test_a_move_is_recorded_and_bad_places_are_refused(tapes_client, library) -> None:  # noqa: ANN001
    sign_in(tapes_client, "operator")
    post = lambda path, body: tapes_client.post(path, json=body, headers=headers(tapes_client))  # noqa: E731
    head = library.ledger.head_id()
    refused(post("/api/v1/cartridges/TAF003L9/move", {"location": "  "}), 400, "请说明磁带放到了哪里")
    refused(post("/api/v1/cartridges/NOPE01L9/move", {"location": "shelf"}), 404, "NOPE01L9")
    refused(post("/api/v1/cartridges/TAF003L9/move", {"location": "shelf:\x00柜"}), 400, "不能含控制字符")
    refused(post("/api/v1/cartridges/TAF003L9/move", {"location": "柜" * 201}), 400, "不超过 200 个字")
    assert library.ledger.head_id() == head
    moved = post("/api/v1/cartridges/taf003l9/move", {"location": "offsite:保险柜 A"})
    assert moved.status_code == 200 and moved.json()["location_text"] == "异地（保险柜 A）"
    assert inventory(tapes_client)["TAF003L9"]["location_text"] == "异地（保险柜 A）"
    assert [row["barcode"] for row in tapes_client.get("/api/v1/cartridges?place=offsite").json()] == ["TAF003L9"]


def test_a_cartridges_retention_is_previewed_before_it_is_saved(tapes_client, library) -> None:  # noqa: ANN001
    sign_in(tapes_client, "operator")
    head = library.ledger.head_id()
    shown = tapes_client.get("/api/v1/cartridges/TAF003L9/retention/preview?months=3").json()
    assert (shown["scope"], shown["months_before"], shown["months_after"]) == ("cartridge", 12, 3)
    [change] = shown["changes"]
    assert (change["barcode"], change["effect"], change["free_when_before"]) == ("TAF003L9", "expires", "2027-05-01")
    assert "保存后立即标记为已过期" in change["sentence"]
    assert shown["erased_added"] == ["TAF003L9"] and shown["before"]["erased"] == ["TAF001L9"]
    assert shown["after"]["next_backup_at"].startswith("2027-01-01")
    assert "下次备份（2027-01-01 02:00）前将多擦除：TAF003L9。" in shown["summary"]
    assert library.ledger.head_id() == head  # a preview records nothing

    saved = tapes_client.put("/api/v1/cartridges/TAF003L9/retention", json={"months": 3}, headers=headers(tapes_client))
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert (body["old"], body["new"], body["by"], body["expired_now"]) == (12, 3, "operator", True)
    assert body["cartridge"]["status"] == "expired"


def test_retention_out_of_range_or_not_a_number_is_refused_in_chinese_and_records_nothing(
        tapes_client, library) -> None:  # noqa: ANN001
    sign_in(tapes_client, "admin")
    head = library.ledger.head_id()
    refused(tapes_client.get("/api/v1/cartridges/TAF003L9/retention/preview?months=0"), 400, "超出允许范围")
    refused(tapes_client.get("/api/v1/retention/preview?months=十二"), 400, "存活期必须是 1 到 120 之间的整数")
    refused(tapes_client.get("/api/v1/retention/preview?months=²"), 400, "存活期必须是 1 到 120 之间的整数")
    refused(tapes_client.get("/api/v1/cartridges/NOPE01L9/retention/preview?months=3"), 404, "NOPE01L9")
    refused(tapes_client.put("/api/v1/cartridges/TAF003L9/retention", json={"months": 121},
                             headers=headers(tapes_client)), 400, "存活期必须在 1 到 120 个月之间")
    refused(tapes_client.put("/api/v1/retention", json={"months": 500}, headers=headers(tapes_client)), 400, "120")
    assert library.ledger.head_id() == head


def test_the_default_retention_is_previewed_by_anyone_and_changed_by_administrators_only(
        tapes_client, library) -> None:  # noqa: ANN001
    sign_in(tapes_client, "operator")
    now = tapes_client.get("/api/v1/retention").json()
    assert (now["default_months"], now["auto_erase"], now["next"]["erased"]) == (6, True, ["TAF001L9"])
    shown = tapes_client.get("/api/v1/retention/preview?months=24").json()
    assert (shown["scope"], shown["applies_to"], shown["erased_removed"]) == ("default", 3, ["TAF001L9"])
    effects = {change["barcode"]: change["effect"] for change in shown["changes"]}
    assert effects == {"TAF001L9": "no_longer_expired", "TAF002L9": "date_moves"}  # TAF003L9 keeps its own
    refused(tapes_client.put("/api/v1/retention", json={"months": 24}, headers=headers(tapes_client)), 403, "权限不足")

    sign_in(tapes_client, "admin")
    changed = tapes_client.put("/api/v1/retention", json={"months": 24}, headers=headers(tapes_client))
    assert changed.status_code == 200 and changed.json()["by"] == "admin"
    assert tapes_client.get("/api/v1/retention").json()["next"]["erased"] == []
    latest = make_app(library).audit.recent_events(1)[0]
    assert (latest.event, latest.actor) == ("Settings.SettingChanged", "admin") and "24" in latest.summary


# -- devices -----------------------------------------------------------------------------------------------


def test_the_devices_are_the_emulated_drive_and_changer_and_taf_uses_them(tapes_client) -> None:  # noqa: ANN001
    sign_in(tapes_client, "auditor")
    found = tapes_client.get("/api/v1/devices").json()
    assert found["in_use"] == "emulated:0"
    drive, changer = found["devices"]
    assert (drive["path"], drive["kind_text"], drive["product"], drive["used"], drive["state"]) == (
        "emulated:0", "驱动器", "ULT3580-HH9", True, "empty")
    assert (changer["kind_text"], changer["product"], changer["used"]) == ("机械手（带库）", "3573-TL", True)


def test_a_new_lto9_cartridge_being_optimised_shows_its_estimate_and_cannot_be_unloaded(
        tapes_client, library) -> None:  # noqa: ANN001
    taf = make_app(library)
    taf.tapes.vtl_create(first_load_seconds=3600)  # long enough to still run when the devices are read
    taf.tapes.vtl_insert("NEW001L9", actor="张工", drive=0)
    sign_in(tapes_client, "operator")
    [drive] = [d for d in tapes_client.get("/api/v1/devices").json()["devices"] if d["kind"] == "drive"]
    assert drive["state"] == "optimising" and drive["barcode"] == "NEW001L9"
    assert 1 <= drive["remaining_minutes"] <= 40  # counted against IBM's 40-minute average
    assert drive["state_text"] == f"正在进行介质优化，预计还需 {drive['remaining_minutes']} 分钟"
    assert "不要取出磁带" in drive["advice"]
    unload = tapes_client.post("/api/v1/devices/unload", json={}, headers=headers(tapes_client))
    assert unload.status_code == 202
    last = ended(library, unload.json()["act_id"])
    assert last.phase == "failed" and "期间不能卸带" in last.message


def test_the_tape_routes_are_in_the_one_openapi_document_with_their_refusals(tapes_client) -> None:  # noqa: ANN001
    document = tapes_client.get("/api/v1/schema/openapi.json").json()
    paths = document["paths"]
    erase = paths["/api/v1/cartridges/{barcode}/erase"]["post"]
    assert erase["tags"] == ["磁带"] and {"202", "400", "404", "409", "423"} <= set(erase["responses"])
    assert {"/api/v1/cartridges", "/api/v1/cartridges/{barcode}/retention/preview", "/api/v1/devices",
            "/api/v1/devices/unload", "/api/v1/retention", "/api/v1/retention/preview"} <= set(paths)
    assert "put" in paths["/api/v1/retention"] and "put" in paths["/api/v1/cartridges/{barcode}/retention"]
    assert not any(path.startswith("/tapes") for path in paths)  # the pages stay out of the API document
