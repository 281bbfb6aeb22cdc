"""磁带 and 恢复 over a tree backed up on two cartridges: filter the inventory and record where a
cartridge went; search the catalog, pick files, see the plan, restore them and watch the job."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import Input

from tests.tui.kit import ACTOR, ThreadQueue, connection, console, drive, reported, shows, until
from tui.widgets import LiveTable


def test_the_inventory_filters_as_typed_and_a_cartridge_location_is_recorded(lib_services: Any,
                                                                              backed_up: Any) -> None:
    app = console(lambda: connection(lib_services))

    async def scenario(pilot: Any) -> None:
        await pilot.press("f2")
        screen = await shows(pilot, "TAF002L9")
        assert "TAF001L9" in screen and "2026-05" in screen and "所含备份组轮换后" in screen
        await pilot.press("slash", *"taf002")
        await until(pilot, lambda: app.screen.query_one(LiveTable).row_count == 1, "筛选后只剩一盘")
        await pilot.press("enter")  # back to the table, on the one row left
        screen = await shows(pilot, "磁带 TAF002L9 最后写入于")  # the rules' sentence for the row chosen
        assert "存活期 6 个月" in screen and "2026-05" in screen
        await pilot.press("m")
        app.screen.query_one("#answer", Input).value = "异地保险柜"
        await pilot.press("enter")
        await reported(pilot, "已记录 TAF002L9 的位置：异地保险柜")
        await shows(pilot, "异地保险柜")

    drive(app, scenario)
    assert lib_services.ledger.cartridge("TAF002L9").location == "异地保险柜"


def test_search_pick_plan_and_restore_then_watch_it_finish(lib_services: Any, backed_up: Any,
                                                           tmp_path: Path) -> None:
    queue = ThreadQueue(lib_services)
    app = console(lambda: connection(lib_services, queue))
    target = tmp_path / "恢复到"

    async def scenario(pilot: Any) -> None:
        await pilot.press("f4")
        await shows(pilot, "没有进行中的恢复任务")
        await pilot.press("g")  # nothing chosen yet: nothing happens but a hint
        await pilot.press("slash")
        app.screen.query_one("#restore-search", Input).value = "报告"
        await pilot.press("enter")
        screen = await shows(pilot, "季度总结.docx")  # the folders 报告, 报告/2024 and the two files in them
        assert "找到 4 个文件版本" in screen and "已选 0 项" in screen
        await pilot.press("a")
        await shows(pilot, "已选 4 项")
        await pilot.press("space")  # the row under the cursor is left out, then taken again
        await shows(pilot, "已选 3 项")
        await pilot.press("space", "v")
        screen = await shows(pilot, "恢复计划：2 个文件")
        assert "1. TAF00" in screen and "预计" in screen
        await pilot.press("g")
        await shows(pilot, "恢复到的文件夹")
        app.screen.query_one("#target", Input).value = str(target)
        await pilot.click("#ok")
        await reported(pilot, "已提交恢复任务")
        await until(pilot, lambda: any(line.kind == "restore" and line.row.status == "succeeded"
                                       for line in app.session.jobs), "恢复完成", timeout=120)
        await shows(pilot, "成功")

    drive(app, scenario)
    queue.join()
    restored = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())
    assert sorted(name.rsplit("/", 1)[-1] for name in restored) == sorted(["季度总结.docx", "财务 报表.xlsx"])
    requests = [e for e in lib_services.ledger.events.get(lib_services.ledger.restore_job(
        queue.results[0].job_id).id) if type(e).__name__ == "Requested"]
    assert requests[0].by == ACTOR
