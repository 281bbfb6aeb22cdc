"""磁带: the inventory, filterable — where each cartridge is, and when it becomes free and why."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.widgets import Input

from tui import commands
from tui.dialogs import Ask
from tui.screens.base import TableScreen
from tui.text import NOTHING, size, text


def matches(entry: Any, words: list[str]) -> bool:
    """Every word of the filter appears in the barcode, status, location or a group."""
    haystack = " ".join([entry.barcode, entry.status, entry.status_label or "", entry.location,
                         entry.location_text, entry.pool, entry.pool_text, *entry.groups]).lower()
    return all(word in haystack for word in words)


def row(entry: Any) -> tuple[str, ...]:
    used = f"{100 * entry.bytes_written / entry.capacity_bytes:.0f}%" if entry.capacity_bytes else size(
        entry.bytes_written)
    return (entry.barcode, entry.status_label or entry.status, entry.location_text or NOTHING,
            "、".join(entry.groups) or NOTHING, used, entry.free_when)


class TapesScreen(TableScreen):
    MODE = "tapes"
    BINDINGS = commands.bindings("tapes")

    def above(self) -> ComposeResult:
        yield Input(placeholder=text("tapes_filter"), id="tapes-filter")

    def draw(self) -> None:
        words = self.query_one("#tapes-filter", Input).value.lower().split()
        shown = [entry for entry in self.session.inventory if matches(entry, words)]
        self.table.sync({entry.barcode: row(entry) for entry in shown}, sort="barcode")
        self.draw_detail()

    def detail(self) -> str:
        total = len(self.session.inventory)
        entry = self.session.cartridge(self.table.current_key)
        if not total:
            return text("tapes_empty")
        if entry is None:
            return text("tapes_count", shown=self.table.row_count, total=total)
        # The rules' sentence says where the cartridge stands and why (its retention, the groups it holds).
        return text("tapes_detail", explanation=entry.explanation, used=size(entry.bytes_written),
                    capacity=size(entry.capacity_bytes), packages=entry.package_count)

    @on(Input.Changed, "#tapes-filter")
    def _filtered(self) -> None:
        self.draw()

    @on(Input.Submitted, "#tapes-filter")
    def _filter_done(self) -> None:
        self.table.focus()

    def action_filter(self) -> None:
        self.query_one("#tapes-filter", Input).focus()

    def action_move(self) -> None:
        barcode = self.table.current_key
        if not barcode:
            self.notify(text("tapes_select"), severity="warning")
            return
        entry = self.session.cartridge(barcode)
        self.app.push_screen(Ask(text("move_title", barcode=barcode), text("move_prompt"),
                                 value=entry.location_text if entry else ""), lambda place: self._move(barcode, place))

    def _move(self, barcode: str, place: str | None) -> None:
        if not place:
            return
        actor = self.session.actor
        self.act(text("act_move"), lambda app: app.tapes.move(barcode, place, actor=actor),
                 lambda moved: text("done_move", barcode=moved.barcode, location=moved.location_text))
