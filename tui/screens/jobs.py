"""任务: running and recent jobs with live bars, rates and ETA; start a backup of the configured
sources; pause, resume and cancel. Jobs run in the worker process, never in the console."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text

from tui import commands
from tui.dialogs import Confirm
from tui.messages import Found
from tui.screens.base import Call, TableScreen
from tui.session import JobLine
from tui.text import NOTHING, bar, eta, moment, rate, short_id, size, text

FINISHED_FRACTION = {"succeeded": 1.0, "partial": 1.0}


def job_cells(line: JobLine) -> tuple[Any, ...]:
    row, progress = line.row, line.progress
    live = progress is not None and line.unfinished
    fraction = progress.fraction if live and progress else FINISHED_FRACTION.get(row.status, 0.0)
    speed = (progress.write_rate or progress.read_rate or progress.pack_rate) if live and progress else 0.0
    remaining = eta(progress.eta_seconds) if live and progress and row.status == "running" else NOTHING
    status = progress.phase_label if live and progress and row.status == "running" else row.status_text
    style = {"failed": "red", "waiting_tape": "yellow", "paused": "yellow", "succeeded": "green"}.get(row.status, "")
    return (short_id(row.job_id), line.kind_text, Text(status, style=style), bar(fraction, 6),
            rate(speed), remaining, moment(row.requested_at))


def job_detail(line: JobLine) -> str:
    row, progress = line.row, line.progress
    # The short number in the head, so the line wraps between words at 80 columns; the whole one
    # last, which the command line takes (backup status, restore status).
    head = text("jobs_head", kind=line.kind_text, job=short_id(row.job_id), group=row.group or NOTHING,
                status=row.status_text)
    if row.status == "requested":
        lines = [head, text("jobs_requested_hint")]
    elif progress is None or not line.unfinished:
        lines = [f"{head}：{row.reason}" if row.reason else head]
    else:
        said = f"，{progress.message}" if progress.message else ""
        lines = [f"{head}：{progress.phase_label}{said}", text(
            "jobs_figures", files_done=progress.files_done or progress.files_scanned,
            files_total=progress.files_total or "?",
            packages=f"{progress.packages_written + progress.packages_read}/{progress.packages_total or '?'}",
            cartridge=progress.current_cartridge or NOTHING, eta=eta(progress.eta_seconds),
            moved=size(progress.bytes_written or progress.bytes_read))]
    return "\n".join([*lines, text("jobs_number", job=row.job_id)])


class JobsScreen(TableScreen):
    MODE = "jobs"
    BINDINGS = commands.bindings("jobs")

    def draw(self) -> None:
        self.table.sync({line.job_id: job_cells(line) for line in self.session.jobs}, sort="requested", reverse=True)
        self.draw_detail()

    def detail(self) -> str:
        line = self._selected()
        return job_detail(line) if line else text("jobs_empty") if not self.session.jobs else ""

    def _selected(self) -> JobLine | None:
        key = self.table.current_key
        return self.session.job(key) if key else None

    # -- acts -------------------------------------------------------------------------------------

    def action_start_backup(self) -> None:
        self.read(text("backup_title"), lambda app: app.settings.show().runtime, lambda rows: Found("settings", rows))

    def on_found(self, message: Found) -> None:
        if message.what == "settings":
            sources = next((list(row.value or []) for row in message.value if row.key == "backup_sources"), [])
            self._ask_backup(sources)

    def _ask_backup(self, sources: list[str]) -> None:
        if not sources:
            self.notify(text("backup_no_sources"), severity="warning", timeout=10)
            return
        question = text("backup_prompt", sources="\n".join(f"  {source}" for source in sources))
        self.app.push_screen(Confirm(text("backup_title"), question),
                             lambda ok: self._start(sources) if ok else None)

    def _start(self, sources: list[str]) -> None:
        actor = self.session.actor
        self.act(text("backup_title"), lambda app: app.backups.start(sources, actor=actor),
                 lambda started: text("jobs_started" if started.created else "jobs_existing",
                                      job=short_id(started.job_id)))

    def _job_or_hint(self) -> JobLine | None:
        line = self._selected()
        if line is None:
            self.notify(text("jobs_select"), severity="warning")
        return line

    def action_pause(self) -> None:
        line = self._job_or_hint()
        if line is not None:
            self._change(line, "pause_title", lambda service, job_id, actor: service.pause(job_id, actor=actor))

    def action_resume(self) -> None:
        line = self._job_or_hint()
        if line is None:
            return
        actor, job_id = self.session.actor, line.job_id
        # A restore goes back to the worker, which resumes a paused one before it runs it.
        call: Call = ((lambda app: app.restores.start(job_id)) if line.kind == "restore" else
                      (lambda app: app.backups.resume(job_id, actor=actor)))
        self.act(text("resume_title"), call,
                 lambda _: text("jobs_resumed", kind=line.kind_text, job=short_id(job_id)))

    def action_cancel(self) -> None:
        line = self._job_or_hint()
        if line is None:
            return
        question = text("cancel_prompt", kind=line.kind_text, job=short_id(line.job_id))
        self.app.push_screen(Confirm(text("cancel_title"), question),
                             lambda ok: self._cancel(line) if ok else None)

    def _cancel(self, line: JobLine) -> None:
        self._change(line, "cancel_title", lambda service, job_id, actor: service.cancel(job_id, actor=actor))

    def _change(self, line: JobLine, title: str, verb: Callable[[Any, str, str], Any]) -> None:
        """Pause or cancel: the same verb of `App.backups` or `App.restores`, by the job's kind."""
        actor, job_id, restore = self.session.actor, line.job_id, line.kind == "restore"
        self.act(text(title), lambda app: verb(app.restores if restore else app.backups, job_id, actor),
                 lambda changed: text("jobs_changed", kind=line.kind_text, job=short_id(job_id),
                                      status=changed.status_text))
