"""What every screen of the console shares: the frame, drawing from the session, and running acts.

An act (a tape operation, a job command) runs in a thread worker — `@work(thread=True,
exclusive=True)`, harlequin's and Dolphie's model — and posts `ActFinished` when it is done, so the
screen keeps drawing while the drive takes minutes. The act is handed the `App` in the worker: making
the connection (after the database was out of reach) is blocking work too, and its failure is the
act's failure, said in Chinese, not the console's end. Drive acts are refused while another drive
act runs, or while a job holds the drive.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer

from app.facade import App
from kernel.errors import describe
from tui.messages import ActFinished, ActProgress
from tui.prose import Para
from tui.session import ConsoleSession
from tui.text import COLUMNS, clock_time, text
from tui.widgets import LiveTable, ProblemBar, RequestBar, ScreenStrip, TitleBar

if TYPE_CHECKING:
    from tui.app import TafConsole

Describe = Callable[[Any], str]
Call = Callable[[App], Any]  # one `App` verb, given the application once the worker has it


class ConsoleScreen(Screen[None]):
    MODE: ClassVar[str]
    AUTO_FOCUS: ClassVar[str | None] = "LiveTable"

    def compose(self) -> ComposeResult:
        yield TitleBar(id="title")
        yield ProblemBar(id="problems")
        yield RequestBar(id="request-bar")
        with Vertical(id="body"):
            yield from self.body()
        yield ScreenStrip(self.MODE)
        yield Footer(compact=True, show_command_palette=False)

    def body(self) -> ComposeResult:
        yield from ()

    @property
    def console(self) -> TafConsole:
        return self.app  # type: ignore[return-value]

    @property
    def session(self) -> ConsoleSession:
        return self.console.session

    # -- drawing ----------------------------------------------------------------------------------

    def on_screen_resume(self) -> None:
        self.redraw()

    def redraw(self) -> None:
        """Draw the frame and the screen's own part from the session (not before the screen is
        composed, nor while it is being taken down)."""
        if not self.query(TitleBar):
            return
        session = self.session
        snapshot = session.snapshot
        updated = text("updated", time=clock_time(snapshot.taken_at)) if snapshot else text("not_yet")
        self.query_one(TitleBar).show(self.MODE, session.actor, updated)
        self.query_one(ProblemBar).show(session.problems())
        self.query_one(RequestBar).show(session.requests)
        self.query_one(ScreenStrip).show(len(session.requests))
        self.draw()

    def draw(self) -> None:
        """The screen's own part (tables, panels) from the session."""

    def flash(self) -> None:
        self.query_one(RequestBar).flash()

    # -- acts -------------------------------------------------------------------------------------

    def act(self, title: str, call: Call, done: Describe, *, drive: bool = False) -> None:
        """Run `call(app)` in a worker; `done(result)` is the line the operator reads when it succeeds.
        A drive act waits for no one: it is refused while another one runs or a job holds the drive."""
        if drive:
            refusal = self.console.drive_refusal()
            if refusal:
                self.notify(refusal, severity="warning")
                return
            self.console.drive_act = title
        self.console.refresh_bindings()
        self._act(title, call, lambda result: ActFinished(title, done(result), drive=drive), drive)

    def read(self, title: str, call: Call, found: Callable[[Any], Message]) -> None:
        """Read something in a worker (a search, a plan, the devices); `found(result)` is the message
        the screen gets back. A failure is reported like a failed act."""
        self._read(title, call, found)

    @work(thread=True, exclusive=True, group="act", exit_on_error=False)
    def _act(self, title: str, call: Call, finished: Callable[[Any], Message], drive: bool) -> None:
        self._call(title, call, finished, drive)

    @work(thread=True, exclusive=True, group="read", exit_on_error=False)
    def _read(self, title: str, call: Call, found: Callable[[Any], Message]) -> None:
        self._call(title, call, found, False)

    def _call(self, title: str, call: Call, finished: Callable[[Any], Message], drive: bool) -> None:
        """The body of both workers, in their thread: one `App` call, one message back."""
        try:
            result = call(self.session.app)
        except Exception as error:
            line = text("failed_act", act=title, message=describe(error).message)
            self.post_message(ActFinished(title, line, failed=True, drive=drive))
            return
        self.post_message(finished(result))

    def progress_of(self, title: str) -> Callable[[Any], None]:
        """An observer for a long act's progress (called in the worker's thread)."""

        def observe(progress: Any) -> None:
            self.post_message(ActProgress(title, progress.fraction))

        return observe

    def notes_of(self, title: str) -> Callable[[str], None]:
        """A listener for what the drive says while an act waits for it (called in the worker's thread)."""

        def hear(note: str) -> None:
            self.post_message(ActProgress(title, None, note))

        return hear

    def on_act_finished(self, message: ActFinished) -> None:
        if message.drive:
            self.console.drive_act = None
            self.console.read_drive()
        self.session.note(message.line)
        self.notify(message.line, severity="error" if message.failed else "information",
                    timeout=10 if message.failed else 5)
        self.console.refresh_session()
        self.redraw()


class TableScreen(ConsoleScreen):
    """A screen that is one live table (columns `COLUMNS[MODE]`) with a detail line under it for
    the row under the cursor."""

    def body(self) -> ComposeResult:
        yield from self.above()
        yield LiveTable(COLUMNS[self.MODE], id=f"{self.MODE}-table")
        yield Para(id=f"{self.MODE}-detail", classes="detail")

    def above(self) -> ComposeResult:
        """What comes above the table (a filter)."""
        yield from ()

    @property
    def table(self) -> LiveTable:
        return self.query_one(LiveTable)

    def detail(self) -> str:
        """The detail line for the row under the cursor (or what to say when there is none)."""
        return ""

    def draw_detail(self) -> None:
        self.query_one(f"#{self.MODE}-detail", Para).update(self.detail())

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self.draw_detail()
