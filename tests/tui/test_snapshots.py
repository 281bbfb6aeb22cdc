"""Each screen, and the dialogs of the irreversible acts, at 80×24 and 120×40, as SVG snapshots (pytest-textual-snapshot), over a fixed
installation and a fixed clock: the same picture every run. `pytest --snapshot-update` rewrites
them under __snapshots__/ after a deliberate change; look at the SVGs before committing them."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Input

from tests.tui.fixed import NOW, fixed_connection
from tests.tui.kit import console, shows, until

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}
SCREENS = {"drive": ("f1", "TapeAlert 20 需要清洁"), "tapes": ("f2", "TAF005L9"), "jobs": ("f3", "写入磁带"),
           "restore": ("f4", "恢复计划：3 个文件"), "requests": ("f5", "恢复任务（1 项"),
           # the dialogs of the irreversible acts, the typed confirmation showing
           "erase": ("e", "请输入条码 TAF003L9 确认擦除"), "relabel": ("b", "请再次输入条码 TAF003L9 确认")}


async def search_and_plan(pilot: Any) -> None:
    """The 恢复 screen in use: a search, every result chosen, the plan shown."""
    await pilot.press("slash")
    pilot.app.screen.query_one("#restore-search", Input).value = "合同"
    await pilot.press("enter")
    await shows(pilot, "找到 3 个文件版本")
    await pilot.press("a", "v")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("screen", SCREENS)
def test_each_screen_looks_the_same_from_run_to_run(snap_compare: Any, screen: str, size: str) -> None:
    app = console(fixed_connection, clock=lambda: NOW, refresh_seconds=3600, drive_seconds=3600)
    key, settled = SCREENS[screen]

    async def settle(pilot: Any) -> None:
        await until(pilot, lambda: app.session.snapshot is not None and app.session.drive is not None, "首次读取")
        await pilot.press(key)
        if screen == "restore":
            await search_and_plan(pilot)
        if screen == "relabel":
            await pilot.click("#force")
        await shows(pilot, settled)

    assert snap_compare(app, terminal_size=SIZES[size], run_before=settle)
