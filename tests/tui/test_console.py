"""The console as a whole: five screens a key away, the command palette in Chinese, a database out
of reach said on screen (and the console going on when it comes back), quitting cleanly."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import replace
from typing import Any

from textual.command import CommandInput
from textual.widgets import Input

from tests.tui.kit import connection, console, drive, noticed, reported, screen_text, shows, until
from tui.session import Connection


def test_each_screen_is_a_function_key_away_and_says_where_it_is(library: Any) -> None:
    app = console(lambda: connection(library))

    async def scenario(pilot: Any) -> None:
        await shows(pilot, "驱动器中没有磁带")
        for key, mode, words in (("f2", "tapes", "何时空闲"), ("f3", "jobs", "提交时间"), ("f4", "restore", "搜索路径片段"),
                                 ("f5", "requests", "没有等待处理的请求"), ("f1", "drive", "驱动器中没有磁带")):
            await pilot.press(key)
            screen = await shows(pilot, words)
            assert app.current_mode == mode
            assert "F1 驱动器  F2 磁带  F3 任务  F4 恢复  F5 待处理" in screen
            assert "^p 命令" in screen and "^q 退出" in screen

    drive(app, scenario)


def test_the_command_palette_finds_screens_and_acts_in_chinese_and_runs_them(library: Any) -> None:
    app = console(lambda: connection(library))

    async def scenario(pilot: Any) -> None:
        await shows(pilot, "驱动器中没有磁带")
        await pilot.press("ctrl+p")
        palette = await until(pilot, lambda: app.screen.query(CommandInput), "命令面板")
        assert palette.first().placeholder == "输入命令名称搜索"
        screen = await shows(pilot, "待处理（F5）")
        assert "磁带：记录位置" in screen or "驱动器：装带" in screen
        palette.first().value = "筛选"
        await shows(pilot, "磁带：筛选")
        await pilot.press("enter")
        await until(pilot, lambda: app.current_mode == "tapes" and isinstance(app.focused, Input), "筛选框获得焦点")

        await pilot.press("ctrl+p")
        palette = await until(pilot, lambda: app.screen.query(CommandInput), "命令面板")
        palette.first().value = "没有这个命令"
        await shows(pilot, "没有匹配的命令")
        await pilot.press("escape")

    drive(app, scenario)


def test_a_database_out_of_reach_is_said_on_screen_and_the_console_connects_once_it_is_back(library: Any) -> None:
    back = threading.Event()
    attempts: list[int] = []

    def connect() -> Connection:
        attempts.append(1)
        if not back.is_set():
            raise sqlite3.OperationalError("unable to open database file")
        return connection(library)

    app = console(connect)

    async def scenario(pilot: Any) -> None:
        screen = await shows(pilot, "数据库：数据库无法访问")
        assert "DATABASE_URL" in screen
        await pilot.press("f2")  # the console keeps answering keys meanwhile
        await shows(pilot, "条码")
        await until(pilot, lambda: len(attempts) >= 3, "一再尝试连接")
        back.set()
        await until(pilot, lambda: "数据库无法访问" not in screen_text(app), "数据库恢复后提示消失")
        await pilot.press("f1")
        await shows(pilot, "驱动器中没有磁带")

    drive(app, scenario)


def test_acts_asked_for_while_the_database_is_out_of_reach_fail_in_chinese_and_the_console_goes_on(
        library: Any) -> None:
    # The connection is made in the act's worker, not on the screen's thread: its failure is the
    # act's failure, said like any other, and the console is still there for the next key.
    back = threading.Event()

    def connect() -> Connection:
        if not back.is_set():
            raise sqlite3.OperationalError("unable to open database file")
        return connection(library)

    app = console(connect)

    async def scenario(pilot: Any) -> None:
        await shows(pilot, "数据库：数据库无法访问")
        await pilot.press("u")
        await reported(pilot, "卸带失败：数据库无法访问")
        await pilot.press("d")
        await reported(pilot, "选择磁带设备失败：数据库无法访问")
        await pilot.press("f3", "n")
        await reported(pilot, "开始备份失败：数据库无法访问")
        await pilot.press("f4", "slash", *"报告", "enter")
        await reported(pilot, "搜索文件目录失败：数据库无法访问")
        assert app.is_running
        back.set()
        await pilot.press("f1", "l", *"TAF001L9", "enter")
        await reported(pilot, "已装入 TAF001L9")

    drive(app, scenario)


class FailingInventory:
    """The real tape verbs, except that reading the inventory finds the database gone."""

    def __init__(self, tapes: Any) -> None:
        self._tapes = tapes

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tapes, name)

    def inventory(self) -> Any:
        raise sqlite3.OperationalError("database is locked")


def test_one_area_failing_leaves_the_others_working(standalone: Any) -> None:
    real = connection(standalone)
    broken = Connection(replace(real.app, tapes=FailingInventory(real.app.tapes)), real.progress)
    real.app.backups.start(standalone.settings.backup_sources, actor="测试", wait=True)
    app = console(lambda: broken)

    async def scenario(pilot: Any) -> None:
        await pilot.press("f3")
        screen = await shows(pilot, "数据库：数据库无法访问")
        assert "已提交" in screen  # the jobs were read all the same
        await pilot.press("f1")
        screen = await shows(pilot, "驱动器中没有磁带")  # and so was the drive
        assert "驱动器：" not in screen

    drive(app, scenario)


def test_quitting_leaves_with_exit_code_zero_and_ctrl_c_says_how(library: Any) -> None:
    app = console(lambda: connection(library))

    async def scenario(pilot: Any) -> None:
        await shows(pilot, "驱动器中没有磁带")
        await pilot.press("ctrl+c")
        await noticed(pilot, "按 Ctrl+Q 或 q 退出控制台")
        app.drive_act = "擦除"  # a tape act under way: quitting waits for it
        await pilot.press("q")
        await noticed(pilot, "驱动器正在擦除，请稍候")
        assert app.is_running
        app.drive_act = None
        await pilot.press("q")

    drive(app, scenario)
    assert app.return_code == 0
