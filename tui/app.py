"""`python main.py tui`: the Textual console at the drive host.

Five screens (驱动器, 磁带, 任务, 恢复, 待处理), each a key away (F1–F5) and all in the command palette
(Ctrl+P). The console calls only `App` verbs and reads the progress store; it sends no SCSI command
of its own. State lives in a `ConsoleSession` refreshed on a timer by a thread worker that
reschedules itself only when the last read has finished (Dolphie's `WorkerManager`), so reads
never pile up and the screen never waits for the database or the drive.
"""

from __future__ import annotations

from typing import ClassVar, cast

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.timer import Timer

from app.pending import OperatorRequest
from tui.commands import Command, ConsoleCommands, ConsolePalette, screen_bindings
from tui.messages import DriveRead, SessionRead
from tui.screens import SCREENS
from tui.screens.base import ConsoleScreen
from tui.screens.drive import DriveScreen
from tui.session import ConsoleSession
from tui.text import TITLE, short_id, text

REFRESH_SECONDS = 2.0
DRIVE_SECONDS = 10.0


class WholeCellScrollBars(ScrollBarRender):
    """Scrollbar thumbs drawn in whole cells of colour: Textual's eighth-block ends are East-Asian
    "ambiguous" width, two cells in some CJK terminals, and push the line out of the window."""

    VERTICAL_BARS: ClassVar[list[str]] = [" "] * 8
    HORIZONTAL_BARS: ClassVar[list[str]] = [" "] * 8


class TafConsole(App[int]):
    TITLE = TITLE
    CSS_PATH = "console.tcss"
    MODES = SCREENS  # type: ignore[assignment]
    DEFAULT_MODE = "drive"
    COMMANDS = {ConsoleCommands}
    BINDINGS = [
        *screen_bindings(),
        Binding("ctrl+q", "quit", text("quit"), priority=True),
        Binding("q", "quit", text("quit"), show=False),
        Binding("ctrl+p", "command_palette", text("palette"), priority=True),
    ]

    def __init__(self, session: ConsoleSession, *, refresh_seconds: float = REFRESH_SECONDS,
                 drive_seconds: float = DRIVE_SECONDS) -> None:
        super().__init__()
        ScrollBar.renderer = WholeCellScrollBars  # Textual's documented way: one renderer for all
        self.session = session
        self.refresh_seconds = refresh_seconds
        self.drive_seconds = drive_seconds
        self.drive_act: str | None = None  # the tape act running now, if any
        self._next_refresh: Timer | None = None

    def on_mount(self) -> None:
        self.refresh_session()
        self.set_interval(self.drive_seconds, self._poll_drive)

    # -- the session --------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="session", exit_on_error=False)
    def refresh_session(self) -> None:
        """Read jobs, inventory and requests in a worker; the result comes back as `SessionRead`."""
        self.post_message(SessionRead(self.session.fetch()))

    def on_session_read(self, message: SessionRead) -> None:
        new = self.session.apply(message.snapshot)
        screen = self.console_screen()
        if screen is not None:
            screen.redraw()
            if new:
                self.announce(screen, new)
        if self._next_refresh is not None:
            self._next_refresh.stop()
        self._next_refresh = self.set_timer(self.refresh_seconds, self.refresh_session)

    def announce(self, screen: ConsoleScreen, new: list[OperatorRequest]) -> None:
        """A new operator request: ring, flash the request bar and pop a notice on the open screen."""
        self.bell()
        screen.flash()
        for request in new:
            self.notify(text("new_request", kind=request.kind_text, text=request.text),
                        title=text("new_request_title"), severity="warning", timeout=15)

    def console_screen(self) -> ConsoleScreen | None:
        """The screen the operator sees (under any dialog open on it)."""
        return next((s for s in reversed(self.screen_stack) if isinstance(s, ConsoleScreen)), None)

    # -- the drive ----------------------------------------------------------------------------------

    def drive_refusal(self) -> str:
        """Why a drive act must not start now ("" if it may)."""
        if self.drive_act:
            return text("drive_act_busy", act=self.drive_act)
        holder = self.session.job_on_drive()
        if holder is not None:
            return text("drive_busy_act", kind=holder.kind_text, job=short_id(holder.job_id))
        return ""

    def read_drive(self) -> None:
        """Read the drive's status, unless an act or a job is using it."""
        if self.drive_refusal():
            screen = self.console_screen()
            if screen is not None:
                screen.redraw()
            return
        # One question to the drive at a time: a drive that takes minutes to answer is not asked again
        # meanwhile (Dolphie's rule: the next poll only once the last has come back).
        if not any(worker.group == "drive-read" and worker.is_running for worker in self.workers):
            self._read_drive()

    @work(thread=True, exclusive=True, group="drive-read", exit_on_error=False)
    def _read_drive(self) -> None:
        self.post_message(DriveRead(self.session.read_drive()))

    def on_drive_read(self, message: DriveRead) -> None:
        self.session.drive = message.reading
        screen = self.console_screen()
        if screen is not None:
            screen.redraw()

    def _poll_drive(self) -> None:
        if isinstance(self.console_screen(), DriveScreen):
            self.read_drive()

    # -- commands -----------------------------------------------------------------------------------

    def action_command_palette(self) -> None:
        if self.use_command_palette and not ConsolePalette.is_open(cast(App[object], self)):
            self.push_screen(ConsolePalette())

    async def switch_mode_now(self, mode: str) -> None:
        await self.switch_mode(mode)

    async def run_command(self, command: Command) -> None:
        """A palette entry: go to its screen, then do it there."""
        if self.current_mode != command.screen:
            await self.switch_mode(command.screen)
        await self.screen.run_action(command.action)

    async def quit_now(self) -> None:
        await self.action_quit()

    async def action_quit(self) -> None:
        if self.drive_act:
            self.notify(text("drive_act_busy", act=self.drive_act), severity="warning")
            return
        self.exit(0)

    def action_help_quit(self) -> None:
        self.notify(text("quit_hint"))
