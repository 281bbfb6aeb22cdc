"""恢复: search the catalog, pick files, see the plan (cartridges, order, where each is, ETA), run
it and watch it. The search and the plan are read in workers; the restore runs in the worker
process, and its progress comes back through the session like any job's."""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import Input

from app.facade import App
from tui import commands
from tui.dialogs import RestoreDialog, RestoreTarget
from tui.messages import Found
from tui.prose import Para
from tui.screens.base import ConsoleScreen
from tui.text import COLUMNS, NOTHING, bar, eta, short_id, size, text
from tui.widgets import LiveTable

# Plain ASCII: a round or check mark is East-Asian "ambiguous" width and misaligns CJK terminals.
CHOSEN, NOT_CHOSEN = Text("[x]"), Text("[ ]")
SEARCH_LIMIT = 200
PATH_WIDTH = 44  # cells: the table still fits 80 columns


def tail(path: str, width: int = PATH_WIDTH) -> str:
    """The end of a long path, which tells files apart (the start is the same source folder)."""
    if cell_len(path) <= width:
        return path
    while cell_len(path) > width - 3:
        path = path[1:]
    return "..." + path


def plan_text(preview: Any) -> str:
    plan = preview.plan
    lines = [text("restore_plan_head", files=plan.files, file_bytes=size(plan.file_bytes),
                  cartridges=len(plan.steps), bytes=size(plan.bytes_to_read), eta=eta(plan.seconds))]
    lines += [text("restore_plan_step", order=step.order, barcode=step.barcode, location=step.location_text,
                   packages=len(step.packages), bytes=size(step.bytes_to_read), eta=eta(step.seconds))
              for step in plan.steps]
    if plan.missing:
        lines.append(text("restore_plan_missing", paths="、".join(plan.missing)))
    return "\n".join(lines)


class RestoreScreen(ConsoleScreen):
    MODE = "restore"
    BINDINGS = commands.bindings("restore")

    def body(self) -> ComposeResult:
        yield Input(placeholder=text("restore_search"), id="restore-search")
        yield Para(text("restore_hint"), id="restore-found")
        yield LiveTable(COLUMNS["restore"], id="restore-table")
        yield Para(id="restore-plan", classes="detail")
        yield Para(id="restore-watch")

    def on_mount(self) -> None:
        self.found: dict[str, Any] = {}  # row key -> file version
        self.selected: set[str] = set()
        self.more = False
        self.target = ""

    def draw(self) -> None:
        self.query_one("#restore-watch", Para).update(self._watch())

    def _watch(self) -> Text:
        line = next((job for job in self.session.jobs if job.kind == "restore"), None)
        if line is None:
            return Text(text("restore_no_job"), style="dim")
        progress = line.progress
        shown = Text(text("restore_watch", job=short_id(line.job_id), status=line.row.status_text,
                          phase=progress.phase_label if progress and line.unfinished else "", bar=""))
        if progress is not None and line.unfinished:
            shown.append_text(bar(progress.fraction, 12))
            if progress.request:
                shown.append(f"  {progress.request}", style="yellow")
        return shown

    # -- searching and choosing ---------------------------------------------------------------------

    def action_search(self) -> None:
        self.query_one("#restore-search", Input).focus()

    @on(Input.Submitted, "#restore-search")
    def _submitted(self, event: Input.Submitted) -> None:
        fragment = event.value.strip()
        self.read(text("restore_search_act"), lambda app: app.catalog.search(fragment, limit=SEARCH_LIMIT),
                  lambda result: Found("search", result))

    def on_found(self, message: Found) -> None:
        if message.what == "search":
            self._show_found(message.value.files, message.value.limit_reached)
        elif message.what in ("plan", "plan-then-restore"):
            paths, group, preview = message.value
            self._planned(paths, group, preview, then_restore=message.what == "plan-then-restore")

    def _show_found(self, files: list[Any], more: bool) -> None:
        self.found = {f"{index:05d}": version for index, version in enumerate(files)}
        self.selected.clear()
        self.more = more
        table = self.query_one(LiveTable)
        table.clear()
        table.sync({key: self._cells(key) for key in self.found})
        self.query_one("#restore-plan", Para).update("")
        self._count()
        table.focus()

    def _cells(self, key: str) -> tuple[Any, ...]:
        version = self.found[key]
        path = version.path + ("/" if version.kind == "dir" else "")
        return (CHOSEN if key in self.selected else NOT_CHOSEN, tail(path), version.group,
                size(version.size) if version.kind == "file" else NOTHING, "、".join(version.cartridges))

    def _count(self) -> None:
        if not self.found:
            self.query_one("#restore-found", Para).update(text("restore_none"))
            return
        self.query_one("#restore-found", Para).update(text(
            "restore_found", count=len(self.found), more=text("restore_more") if self.more else "",
            selected=len(self.selected)))

    def action_choose(self) -> None:
        key = self.query_one(LiveTable).current_key
        if key is None or key not in self.found:
            return
        self.selected.symmetric_difference_update({key})
        self.query_one(LiveTable).update_cell(key, "mark", CHOSEN if key in self.selected else NOT_CHOSEN)
        self._count()

    def action_select_all(self) -> None:
        everything = set(self.found)
        self.selected = set() if self.selected == everything else everything
        table = self.query_one(LiveTable)
        for key in self.found:
            table.update_cell(key, "mark", CHOSEN if key in self.selected else NOT_CHOSEN)
        self._count()

    def _choice(self) -> tuple[list[str], str] | None:
        """The selected paths and their backup group, or None with the reason shown."""
        versions = [self.found[key] for key in sorted(self.selected)]
        if not versions:
            self.notify(text("restore_nothing_selected"), severity="warning")
            return None
        groups = {version.group for version in versions}
        if len(groups) > 1:
            self.notify(text("restore_mixed_groups"), severity="warning")
            return None
        return [version.path for version in versions], groups.pop()

    # -- planning and restoring ---------------------------------------------------------------------

    def action_plan(self) -> None:
        self._plan("plan")

    def action_start_restore(self) -> None:
        self._plan("plan-then-restore")

    def _plan(self, purpose: str) -> None:
        choice = self._choice()
        if choice is None:
            return
        paths, group = choice
        self.read(text("restore_plan_act"), lambda app: app.restores.plan(paths, group=group),
                  lambda preview: Found(purpose, (paths, group, preview)))

    def _planned(self, paths: list[str], group: str, preview: Any, then_restore: bool) -> None:
        self.query_one("#restore-plan", Para).update(plan_text(preview))
        if not then_restore:
            return
        plan = preview.plan
        summary = text("restore_prompt", count=len(paths), cartridges=len(plan.steps), bytes=size(plan.bytes_to_read),
                       eta=eta(plan.seconds))
        self.app.push_screen(RestoreDialog(summary, self.target),
                             lambda target: self._restore(paths, group, target))

    def _restore(self, paths: list[str], group: str, target: RestoreTarget | None) -> None:
        if target is None:
            return
        self.target = target.target
        actor = self.session.actor

        def request_and_start(app: App) -> Any:
            restores = app.restores
            requested = restores.request(paths, target.target, actor=actor, on_conflict=target.on_conflict,
                                         group=group)
            if requested.created:
                restores.start(requested.job_id)
            return requested

        self.act(text("restore_title"), request_and_start,
                 lambda requested: text("restore_requested", job=short_id(requested.job_id)))
