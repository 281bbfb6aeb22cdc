"""The live table changes row by row: a changed cell is updated in place, a new row is added, a
gone one removed — never cleared and rebuilt — and the cursor stays on the row the operator chose."""

from __future__ import annotations

import asyncio
from typing import Any

from textual.app import App, ComposeResult

from tui.widgets import LiveTable

COLUMNS = (("job", "任务"), ("status", "状态"), ("at", "提交时间"))


class OneTable(App[None]):
    def compose(self) -> ComposeResult:
        yield LiveTable(COLUMNS)


def _keys(table: Any) -> list[str]:
    return [row.key.value for row in table.ordered_rows]


def test_rows_are_updated_in_place_and_the_cursor_stays_on_its_row() -> None:
    async def scenario() -> None:
        app = OneTable()
        async with app.run_test() as pilot:
            table = app.query_one(LiveTable)
            table.sync({"b": ("b", "运行中", "09:00"), "a": ("a", "成功", "08:00"), "c": ("c", "失败", "07:00")},
                       sort="at", reverse=True)
            await pilot.pause()
            await pilot.press("down")  # on "a"
            assert table.current_key == "a"
            kept = {key.value: key for key in table.rows}
            cleared: list[bool] = []
            table.clear = lambda *args, **kwargs: cleared.append(True) or table  # type: ignore[method-assign]

            # "b" moves on, "c" is gone, "d" comes in above everything: the cursor stays on "a".
            table.sync({"b": ("b", "写入磁带", "09:00"), "a": ("a", "成功", "08:00"), "d": ("d", "已提交", "10:00")},
                       sort="at", reverse=True)
            await pilot.pause()
            assert _keys(table) == ["d", "b", "a"]
            assert table.current_key == "a"
            assert table.get_cell("b", "status") == "写入磁带"
            assert {key.value: key for key in table.rows if key.value in kept}["b"] is kept["b"]
            assert not cleared

    asyncio.run(scenario())
