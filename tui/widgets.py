"""The console's frame and its live table: title line, problem and request bars, the screen strip.

`LiveTable.sync` changes a table row by row, by key — cells that changed, rows that came or went —
never clearing and rebuilding it, so the cursor stays where the operator left it (Dolphie's
`Panels/Processlist.py`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import DataTable, Static

from tui.commands import SCREEN_KEYS
from tui.prose import Para
from tui.text import AREA_NAMES, SCREEN_TITLES, TITLE, text

Cells = Sequence[Any]
FLASHES = 8  # times the request bar changes colour when a request comes
FLASH_SECONDS = 0.4


class LiveTable(DataTable[Any]):
    """A row-cursor table whose rows are kept in step with a mapping of key → cells."""

    def __init__(self, columns: Sequence[tuple[str, str]], *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._columns = columns

    def on_mount(self) -> None:
        for key, label in self._columns:
            self.add_column(label, key=key)

    def sync(self, rows: Mapping[str, Cells], *, sort: str | None = None, reverse: bool = False) -> None:
        """Make the table show `rows` (in the columns' order), changing only what changed; the cursor
        stays on the row it was on, wherever a new row or the sort puts it."""
        changed = False
        current = self.current_key
        with self.app.batch_update():
            for stale in [row_key for row_key in self.rows if row_key.value not in rows]:
                self.remove_row(stale)
                changed = True
            column_keys = [key for key, _ in self._columns]
            for key, cells in rows.items():
                if key in self.rows:
                    for column, new, old in zip(column_keys, cells, self.get_row(key), strict=True):
                        if new != old:
                            self.update_cell(key, column, new, update_width=True)
                else:
                    self.add_row(*cells, key=key)
                    changed = True
            if changed and sort:
                self.sort(sort, reverse=reverse)
            if changed and current is not None and current in rows:
                self.move_cursor(row=self.get_row_index(current), animate=False, scroll=False)

    @property
    def current_key(self) -> str | None:
        """The key of the row under the cursor, if any."""
        if not self.row_count:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return str(row_key.value) if row_key.value is not None else None


class TitleBar(Static):
    """The console's name, the screen, who acts, and when the session was last read."""

    def show(self, screen: str, actor: str, updated: str) -> None:
        line = Text()
        line.append(f" {TITLE}", style="bold")
        line.append(f" · {text('actor', actor=actor)}")
        line.append(f" · {SCREEN_TITLES[screen]}")
        line.append(f" · {updated}", style="dim")
        self.update(line)


class ProblemBar(Para):
    """What cannot be read or reached right now, one line per cause; hidden when all is well."""

    def show(self, problems: Mapping[str, str]) -> None:
        self.display = bool(problems)
        self.update("\n".join(text("problem_area", area=AREA_NAMES.get(area, area), message=message)
                              for area, message in problems.items()))


class RequestBar(Para):
    """The pending operator requests, on every screen; it flashes when a new one comes."""

    def on_mount(self) -> None:
        self._flashes = 0

    def show(self, requests: Sequence[Any]) -> None:
        self.display = bool(requests)
        if requests:
            first = requests[0]
            self.update(text("requests_waiting", count=len(requests), first=f"{first.kind_text} {first.text}"))

    def flash(self) -> None:
        self._flashes = FLASHES
        self._blink()

    def _blink(self) -> None:
        self.set_class(self._flashes % 2 == 1, "-flash")
        if self._flashes > 0:
            self._flashes -= 1
            self.set_timer(FLASH_SECONDS, self._blink)

    @property
    def flashing(self) -> bool:
        return self._flashes > 0


class ScreenStrip(Horizontal):
    """F1–F5 and the screens they open, the open one marked; the pending count on 待处理."""

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        for mode in SCREEN_KEYS:
            label = Static(id=f"strip-{mode}", classes="strip-key")
            label.set_class(mode == self.current, "-current")
            yield label

    def show(self, pending: int) -> None:
        for mode, key in SCREEN_KEYS.items():
            count = f" {pending}" if mode == "requests" and pending else ""
            self.query_one(f"#strip-{mode}", Static).update(f"{key.upper()} {SCREEN_TITLES[mode]}{count}")
            self.query_one(f"#strip-{mode}", Static).set_class(mode == "requests" and pending > 0, "-attention")

    def on_click(self, event: Any) -> None:
        widget = event.widget
        if widget is not None and widget.id and widget.id.startswith("strip-"):
            self.app.switch_mode(widget.id.removeprefix("strip-"))
