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
from textual.command import CommandList, CommandPalette, DiscoveryHit, Hit, Hits, Provider, SearchIcon
from textual.widgets.option_list import Option

from tui.text import ACTS, SCREEN_TITLES, text

if TYPE_CHECKING:
    from tui.app import TafConsole


@dataclass(frozen=True)
class Command:
    screen: str  # the mode it belongs to
    key: str
    action: str  # an action of that screen
    show: bool = True  # in the footer

    @property
    def title(self) -> str:
        """The footer's word and the palette's name."""
        return ACTS[f"{self.screen}.{self.action}"][0]

    @property
    def help(self) -> str:
        """The palette's explanation."""
        return ACTS[f"{self.screen}.{self.action}"][1]


SCREEN_KEYS = {"drive": "f1", "tapes": "f2", "jobs": "f3", "restore": "f4", "requests": "f5"}

COMMANDS: tuple[Command, ...] = (
    Command("drive", "r", "refresh"),
    Command("drive", "l", "load"),
    Command("drive", "u", "unload"),
    Command("drive", "w", "rewind"),
    Command("drive", "b", "label"),
    Command("drive", "e", "erase"),
    Command("drive", "h", "health"),
    Command("drive", "d", "devices"),
    Command("tapes", "slash", "filter"),
    Command("tapes", "m", "move"),
    Command("jobs", "n", "start_backup"),
    Command("jobs", "p", "pause"),
    Command("jobs", "o", "resume"),
    Command("jobs", "x", "cancel"),
    Command("restore", "slash", "search"),
    Command("restore", "space", "choose", show=False),
    Command("restore", "a", "select_all"),
    Command("restore", "v", "plan"),
    Command("restore", "g", "start_restore"),
    Command("requests", "a", "answer"),
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
        entries.append((text("quit"), text("quit_help"), partial(self.console.quit_now)))
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

    def on_mount(self) -> None:
        self.query_one(SearchIcon).icon = ">"  # an emoji's width differs from terminal to terminal

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
