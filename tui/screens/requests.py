"""待处理: what waiting jobs ask of the operator ("请将磁带 TAF007L9 装入驱动器") and what waits on
each; answering one, once the cartridge is in, lets the job go on (`App.pending.answer`: a live
job's next look at the drive finds it and the answer reports what it found; a stalled one is
resumed through the worker)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.widgets import DataTable

from tui import commands
from tui.dialogs import Confirm
from tui.screens.base import TableScreen
from tui.text import moment, short_id, text

ANSWER_WAIT_SECONDS = 10.0  # how long an answer waits to hear what the job's next check found


def request_cells(request: Any) -> tuple[Any, ...]:
    status = Text(request.status_text, style="yellow" if request.stalled else "")
    return (short_id(request.job_id), request.kind_text, request.text, status, moment(request.since))


class RequestsScreen(TableScreen):
    MODE = "requests"
    BINDINGS = commands.bindings("requests")

    def draw(self) -> None:
        self.table.sync({request.job_id: request_cells(request) for request in self.session.requests}, sort="since")
        self.draw_detail()

    def _selected(self) -> Any:
        key = self.table.current_key
        return next((request for request in self.session.requests if request.job_id == key), None)

    def detail(self) -> str:
        request = self._selected()
        if request is None:
            return text("requests_empty") if not self.session.requests else ""
        state = text("requests_stalled", status=request.status_text) if request.stalled else text("requests_live")
        return text("requests_detail", waiting=request.waiting, state=state)

    @on(DataTable.RowSelected)
    def _chosen(self) -> None:
        self.action_answer()

    def action_answer(self) -> None:
        request = self._selected()
        if request is None:
            self.notify(text("requests_empty"), severity="warning")
            return
        question = text("answer_prompt", kind=request.kind_text, job=short_id(request.job_id), text=request.text)
        if request.stalled:
            question += "\n" + text("answer_stalled", status=request.status_text)
        self.app.push_screen(Confirm(text("answer_title"), question),
                             lambda ok: self._answer(request.job_id) if ok else None)

    def _answer(self, job_id: str) -> None:
        actor = self.session.actor
        self.notify(text("answer_waiting"), timeout=ANSWER_WAIT_SECONDS)
        self.act(text("act_answer"), lambda app: app.pending.answer(job_id, actor=actor, wait=ANSWER_WAIT_SECONDS),
                 lambda answer: text("answer_sent", text=answer.text))
