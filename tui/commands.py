"""One registry of what the operator can do: it makes each screen's key bindings (shown in the
footer) and the command palette's entries, so a key and its palette entry never drift apart
(posting's `commands.py`, Dolphie's `CommandPalette.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from rich.align import Align
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.command import CommandList, CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.widgets.option_list import Option

from tui.text import SCREEN_TITLES, text

if TYPE_CHECKING:
    from tui.app import TafConsole


@dataclass(frozen=True)
class Command:
    screen: str  # the mode it belongs to
    key: str
    action: str  # an action of that screen
    title: str  # the footer's word and the palette's name
    help: str  # the palette's explanation
    show: bool = True  # in the footer


SCREEN_KEYS = {"drive": "f1", "tapes": "f2", "jobs": "f3", "restore": "f4", "requests": "f5"}

COMMANDS: tuple[Command, ...] = (
    Command("drive", "r", "refresh", "刷新", "重新读取驱动器状态（不移动磁带）"),
    Command("drive", "l", "load", "装带", "带库把一盘磁带装入驱动器"),
    Command("drive", "u", "unload", "卸带", "卸下驱动器中的磁带（带库放回原槽位，单机驱动器弹出）"),
    Command("drive", "w", "rewind", "倒带", "把驱动器中的磁带倒回开头"),
    Command("drive", "b", "label", "贴标签", "为驱动器中的磁带写入 TAF 标签"),
    Command("drive", "e", "erase", "擦除", "擦除驱动器中的整盘磁带（需再次输入条码）"),
    Command("drive", "h", "health", "健康", "读取驱动器和磁带的健康状况与 TapeAlert 告警"),
    Command("drive", "d", "devices", "设备", "选择要使用的磁带设备"),
    Command("tapes", "slash", "filter", "筛选", "按条码、状态、位置或备份组筛选磁带"),
    Command("tapes", "m", "move", "记录位置", "记录所选磁带现在放在哪里（异地、磁带架）"),
    Command("jobs", "n", "start_backup", "新备份", "按配置的备份源开始一次备份"),
    Command("jobs", "p", "pause", "暂停", "暂停所选任务（在安全点停下）"),
    Command("jobs", "o", "resume", "继续", "继续所选的已暂停或中断的任务"),
    Command("jobs", "x", "cancel", "取消", "取消所选任务"),
    Command("restore", "slash", "search", "搜索", "在文件目录中按路径片段搜索"),
    Command("restore", "space", "choose", "选择", "选择或取消选择所在行的文件", show=False),
    Command("restore", "a", "select_all", "全选", "选择或取消选择全部搜索结果"),
    Command("restore", "v", "plan", "计划", "查看恢复计划：哪些磁带、顺序、位置和预计时间"),
    Command("restore", "g", "start_restore", "开始恢复", "恢复所选文件到指定文件夹"),
    Command("requests", "a", "answer", "应答", "已按请求装入磁带：应答，让等待的任务继续"),
)


def bindings(screen: str) -> list[BindingType]:
    """The key bindings of one screen, from the registry."""
    return [Binding(c.key, c.action, c.title, show=c.show, tooltip=c.help) for c in COMMANDS if c.screen == screen]


def screen_bindings() -> list[BindingType]:
    """F1–F5: each screen a key away, from anywhere (shown in the screen strip above the footer)."""
    return [Binding(key, f"app.switch_mode('{mode}')", SCREEN_TITLES[mode], show=False, priority=True)
            for mode, key in SCREEN_KEYS.items()]


class ConsoleCommands(Provider):
    """Everything in the registry, from any screen: picking an act switches to its screen first."""

    @property
    def console(self) -> TafConsole:
        return self.app  # type: ignore[return-value]

    def _entries(self) -> list[tuple[str, str, Callable[[], Any]]]:
        entries: list[tuple[str, str, Callable[[], Any]]] = [
            (f"{SCREEN_TITLES[mode]}（{key.upper()}）", text("switch_to", screen=SCREEN_TITLES[mode]),
             partial(self.console.switch_mode_now, mode)) for mode, key in SCREEN_KEYS.items()]
        entries += [(f"{SCREEN_TITLES[c.screen]}：{c.title}", c.help, partial(self.console.run_command, c))
                    for c in COMMANDS]
        entries.append(("退出", "退出控制台（任务在后台任务进程中照常运行）", partial(self.console.quit_now)))
        return entries

    async def discover(self) -> Hits:
        for title, help_text, callback in self._entries():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._entries():
            score = max(matcher.match(title), matcher.match(help_text) * 0.8)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, text=title, help=help_text)


class ConsolePalette(CommandPalette):
    """Textual's command palette, in Chinese."""

    def __init__(self) -> None:
        super().__init__(placeholder=text("palette_placeholder"), id="--command-palette")

    def _start_no_matches_countdown(self, search_value: str) -> None:
        """As Textual's own (show "no matches" after a short wait), with the words in Chinese."""
        self._stop_no_matches_countdown()

        def show_no_matches() -> None:
            if not search_value:
                self._list_visible = False
                return
            self.query_one(CommandList).add_option(
                Option(Align.center(Text(text("palette_nothing"), style="not bold")), disabled=True,
                       id=self._NO_MATCHES))
            self._list_visible = True

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show_no_matches)
