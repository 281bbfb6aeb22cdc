"""The 磁带 page and its htmx fragments: what each role is offered, the inventory filtered and sorted,
the act dialogs, an act answered with a panel that follows it over SSE, a refusal swapped into the
message area, recorded changes that make the page reload its parts, the retention previews, and the
devices with a cartridge being optimised."""

from __future__ import annotations

import json
import re
from typing import Any

from litestar.testing import TestClient

from app.facade import make_app
from tests.web import test_tapes_api
from tests.web.conftest import headers, sign_in
from tests.web.test_tapes_api import ended

library = test_tapes_api.library  # the story's services and client, fixtures of this area
tapes_client = test_tapes_api.tapes_client

HTMX = {"hx-request": "true"}


def htmx(client: Any) -> dict[str, str]:
    return headers(client, **HTMX)


def test_each_role_is_offered_what_it_may_do(tapes_client) -> None:  # noqa: ANN001
    sign_in(tapes_client, "auditor")
    page = tapes_client.get("/tapes").text
    assert "共 4 盘" in page and "已过期 1" in page and "TAF001L9" in page and "槽位 1" in page
    assert "现在（2026-11-01 起）" in page and "所含备份组轮换后" in page and "存活期 12 个月（本盘单独设定）" in page
    assert 'hx-get="/tapes/devices"' in page and "下次月度备份" in page
    assert "1 条告警" in page and "警告·读取告警</strong>：任务结束后清洗驱动器" in page and "良好" in page
    assert "TAF001L9 的操作" not in page and "保存默认存活期" not in page
    assert "只有管理员可以修改默认存活期" in page

    sign_in(tapes_client, "operator")
    page = tapes_client.get("/tapes").text
    assert "TAF001L9 的操作" in page and "保存默认存活期" not in page

    sign_in(tapes_client, "admin")
    assert "保存默认存活期" in tapes_client.get("/tapes").text


def test_the_inventory_fragment_filters_sorts_and_carries_the_sort_to_the_filter_form(tapes_client) -> None:  # noqa: ANN001
    sign_in(tapes_client, "auditor")
    shown = tapes_client.get("/tapes/inventory?sort=free&order=desc&place=slot", headers=HTMX).text
    assert re.findall(r'data-barcode="(\w+)"', shown) == ["TAF002L9", "TAF003L9", "TAF001L9", "TAF004L9"]
    by_health = tapes_client.get("/tapes/inventory?sort=health", headers=HTMX).text
    assert re.findall(r'data-barcode="(\w+)"', by_health) == ["TAF002L9", "TAF003L9", "TAF001L9", "TAF004L9"]
    assert 'id="sort-fields" hx-swap-oob="true"' in shown and 'name="sort" value="free"' in shown
    assert "显示符合条件的" not in shown  # all four are in slots
    only = tapes_client.get("/tapes/inventory?status=scratch", headers=HTMX).text
    assert re.findall(r'data-barcode="(\w+)"', only) == ["TAF004L9"] and "显示符合条件的 1 盘" in only
    bad = tapes_client.get("/tapes/inventory?place=moon", headers=HTMX)
    assert bad.status_code == 400 and bad.headers["hx-retarget"] == "#flash" and "未知的位置：moon" in bad.text


def test_the_erase_dialog_asks_for_the_barcode_and_warns_of_the_interlock(tapes_client) -> None:  # noqa: ANN001
    sign_in(tapes_client, "operator")
    expired = tapes_client.get("/tapes/TAF001L9/dialog?act=erase", headers=HTMX).text
    assert 'data-type-back="TAF001L9"' in expired and "无法撤销" in expired and "互锁" not in expired
    held = tapes_client.get("/tapes/taf002l9/dialog?act=erase", headers=HTMX).text
    assert "互锁：这盘磁带仍保存活动备份组 2026-11" in held
    relabel = tapes_client.get("/tapes/TAF003L9/dialog?act=label", headers=HTMX).text
    assert "已有标签" in relabel and 'data-type-back="TAF003L9"' in relabel
    unknown = tapes_client.get("/tapes/TAF001L9/dialog?act=explode", headers=HTMX)
    assert unknown.status_code == 400 and "未知的操作：explode" in unknown.text
    assert tapes_client.get("/tapes/NOPE01L9/dialog?act=move", headers=HTMX).status_code == 404


def test_an_erase_answers_with_a_panel_that_follows_the_act_live(tapes_client, library) -> None:  # noqa: ANN001
    sign_in(tapes_client, "operator")
    answer = tapes_client.post("/tapes/TAF001L9/erase", data={"confirm": "TAF001L9"}, headers=htmx(tapes_client))
    assert answer.status_code == 200, answer.text
    act_id = re.search(r'sse-connect="/tapes/acts/(tape-erase-\w+)/live"', answer.text).group(1)
    assert "擦除磁带" in answer.text and 'hx-trigger="sse:done"' in answer.text
    assert ended(library, act_id).phase == "done"
    with tapes_client.stream("GET", f"/tapes/acts/{act_id}/live") as stream:
        text = "".join(stream.iter_text())
    assert "event: progress" in text and "磁带 TAF001L9 已快速擦除，回到空白池" in text and "event: done" in text
    assert tapes_client.get("/tapes/acts/tape-erase-nothing/live").status_code == 404
    row = tapes_client.get("/tapes/inventory?q=TAF001L9", headers=HTMX).text
    assert "tag-tape-scratch" in row


def test_a_refusal_goes_to_the_message_area_and_changes_nothing(tapes_client, library) -> None:  # noqa: ANN001
    sign_in(tapes_client, "operator")
    head = library.ledger.head_id()
    held = tapes_client.post("/tapes/TAF002L9/erase", data={"confirm": "TAF002L9"}, headers=htmx(tapes_client))
    assert held.status_code == 409 and held.headers["hx-retarget"] == "#flash"
    assert "拒绝擦除磁带 TAF002L9：它仍保存活动备份组 2026-11" in held.text
    wrong = tapes_client.post("/tapes/TAF001L9/erase", data={"confirm": "TAF001"}, headers=htmx(tapes_client))
    assert wrong.status_code == 400 and "确认条码不符" in wrong.text
    months = tapes_client.post("/tapes/TAF003L9/retention", data={"months": "半年"}, headers=htmx(tapes_client))
    assert months.status_code == 400 and "存活期必须是 1 到 120 之间的整数" in months.text
    place = tapes_client.post("/tapes/TAF003L9/move", data={"destination": "moon"}, headers=htmx(tapes_client))
    assert place.status_code == 400 and "未知的去向：moon" in place.text
    assert library.ledger.head_id() == head


def test_recorded_changes_are_said_and_make_the_page_reload_its_parts(tapes_client, library) -> None:  # noqa: ANN001
    sign_in(tapes_client, "operator")
    moved = tapes_client.post("/tapes/TAF003L9/move", data={"destination": "offsite", "note": " 保险柜  A "},
                              headers=htmx(tapes_client))
    assert moved.status_code == 200 and json.loads(moved.headers["hx-trigger-after-settle"]) == {"tapes-changed": {}}
    assert moved.headers["hx-retarget"] == "#flash" and "磁带 TAF003L9 现在在异地（保险柜 A）" in moved.text
    kept = tapes_client.post("/tapes/TAF003L9/retention", data={"months": "3"}, headers=htmx(tapes_client))
    assert kept.status_code == 200 and "存活期已由 12 个月改为 3 个月，存活期已到，已标记为已过期" in kept.text
    assert make_app(library).tapes.inventory()[2].status == "expired"

    refused = tapes_client.post("/tapes/retention", data={"months": "9"}, headers=htmx(tapes_client))
    assert refused.status_code == 403
    sign_in(tapes_client, "admin")
    saved = tapes_client.post("/tapes/retention", data={"months": "9"}, headers=htmx(tapes_client))
    assert saved.status_code == 200 and "默认存活期已改为 9 个月" in saved.text
    assert "<strong>9</strong> 个月" in tapes_client.get("/tapes/retention", headers=HTMX).text


def test_the_retention_previews_are_fragments_that_record_nothing(tapes_client, library) -> None:  # noqa: ANN001
    sign_in(tapes_client, "auditor")
    head = library.ledger.head_id()
    one = tapes_client.get("/tapes/retention/preview?months=3&barcode=TAF003L9", headers=HTMX).text
    assert "尚未保存" in one and "磁带 TAF003L9 的存活期：12 个月 → 3 个月。" in one
    assert "保存后立即标记为已过期" in one and "下次备份（2027-01-01 02:00）前将多擦除：TAF003L9。" in one
    default = tapes_client.get("/tapes/retention/preview?months=24", headers=HTMX).text
    assert "默认存活期：6 个月 → 24 个月" in default and "不再过期：TAF001L9。" in default
    bad = tapes_client.get("/tapes/retention/preview?months=0", headers=HTMX)
    assert bad.status_code == 400 and "超出允许范围" in bad.text
    assert library.ledger.head_id() == head


def test_the_devices_fragment_shows_which_drive_taf_uses_and_an_optimisation_with_its_estimate(
        tapes_client, library) -> None:  # noqa: ANN001
    taf = make_app(library)
    taf.tapes.vtl_create(first_load_seconds=3600)  # still calibrating when the fragment is read
    taf.tapes.vtl_insert("NEW001L9", actor="张工", drive=0)
    sign_in(tapes_client, "operator")
    shown = tapes_client.get("/tapes/devices", headers=HTMX).text
    assert "TAF 使用 <span class=\"mono\">emulated:0</span>" in shown and "ULT3580-HH9" in shown and "3573-TL" in shown
    assert re.search(r"正在进行介质优化，预计还需 \d+ 分钟", shown) and "NEW001L9" in shown and "不要取出磁带" in shown
    assert "卸下磁带" in shown
    sign_in(tapes_client, "auditor")
    assert "卸下磁带" not in tapes_client.get("/tapes/devices", headers=HTMX).text


def test_load_from_the_menu_and_unload_from_the_devices_answer_with_act_panels(tapes_client, library) -> None:  # noqa: ANN001
    sign_in(tapes_client, "operator")
    loaded = tapes_client.post("/tapes/TAF004L9/load", headers=htmx(tapes_client))  # the menu sends no fields
    assert loaded.status_code == 200, loaded.text
    act_id = re.search(r'sse-connect="/tapes/acts/(tape-load-\w+)/live"', loaded.text).group(1)
    assert ended(library, act_id).message == "磁带 TAF004L9 已装入驱动器 emulated:0"
    shown = tapes_client.get("/tapes/devices", headers=HTMX).text
    assert "TAF004L9" in shown and "已就绪" in shown and "卸下磁带" in shown
    unloaded = tapes_client.post("/tapes/unload", data={"device": "emulated:0"}, headers=htmx(tapes_client))
    act_id = re.search(r'sse-connect="/tapes/acts/(tape-unload-\w+)/live"', unloaded.text).group(1)
    assert ended(library, act_id).message == "磁带 TAF004L9 已卸下，放回槽位 4"


def test_the_inventory_read_once_for_many_pages_follows_the_ledger_at_once(tapes_client, library, monkeypatch) -> None:  # noqa: ANN001
    from web.areas import tapes as tapes_area

    reads: list[int] = []
    real = tapes_area.read_tapes
    monkeypatch.setattr(tapes_area, "read_tapes", lambda taf: reads.append(1) or real(taf))
    sign_in(tapes_client, "auditor")
    for _ in range(3):
        assert "共 4 盘" in tapes_client.get("/tapes").text
        tapes_client.get("/tapes/inventory?status=scratch", headers=HTMX)
        tapes_client.get("/tapes/retention", headers=HTMX)
    assert len(reads) == 1  # one read of the views for every page and part while the ledger stood still
    renders: list[str] = []
    real_render = tapes_area.rendered
    monkeypatch.setattr(tapes_area, "rendered", lambda *args, **kw: renders.append(args[1]) or real_render(*args, **kw))
    with TestClient(app=tapes_client.app) as operator:
        sign_in(operator, "operator")  # a login is an event: the next page reads the inventory again
        for client in (tapes_client, tapes_client, operator, operator):
            page = client.get("/tapes").text
            assert ("TAF001L9 的操作" in page) is (client is operator)  # the body as each role may act
    assert len(renders) == 2  # once per role while the inventory stands still
    reads.clear()
    library.ledger.register_cartridge("TAF009L9", capacity_bytes=8 << 20, by="另一个进程")
    page = tapes_client.get("/tapes").text
    assert "共 5 盘" in page and "TAF009L9" in page and len(reads) == 1
