"""Helpers for the console's tests: the console over real services, a job queue that runs jobs in
threads as the worker would, waiting for what the screen shows, and reading the screen as text."""

from __future__ import annotations

import asyncio
import html
import re
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from multiprocessing import resource_tracker
from typing import Any

from rich.cells import cell_len

from app.facade import make_app
from tui.app import TafConsole
from tui.session import Connection, ConsoleSession

ACTOR = "tui:测试员"
FIXED_NOW = datetime(2026, 5, 1, 9, 30).astimezone()
CELL_WIDTH = 12.2  # pixels per terminal cell in a Textual screenshot


class ThreadQueue:
    """The worker's queue, in this process: each job runs in a thread the way the worker runs it
    (a backup polls the drive every `poll_seconds` while it waits for a cartridge)."""

    def __init__(self, services: Any, **backup_options: Any) -> None:
        # A job's packer processes need multiprocessing's resource tracker, which passes on the
        # process's stderr when it starts — inside a running Textual app that is a capture object
        # with no file (fileno −1). The worker process has a real stderr; here it is started first.
        resource_tracker.ensure_running()
        self.services = services
        self.backup_options = {"poll_seconds": 0.2, **backup_options}
        self.threads: list[threading.Thread] = []
        self.results: list[Any] = []
        self.errors: list[BaseException] = []

    def submit(self, kind: str, job_id: str) -> None:
        thread = threading.Thread(target=self._run, args=(kind, job_id), daemon=True, name=f"job-{job_id[:8]}")
        self.threads.append(thread)
        thread.start()

    def _run(self, kind: str, job_id: str) -> None:
        from backup import service as backups
        from media.devices import device_spec
        from restore import service as restores

        try:
            if kind == "backup":
                self.results.append(backups.run(self.services, job_id, actor="worker", **self.backup_options))
            else:
                self.results.append(restores.run(self.services, job_id, device=device_spec(self.services.settings),
                                                 actor="worker", poll_seconds=0.2))
        except BaseException as error:  # the test reads it; a thread would only print it
            self.errors.append(error)

    def join(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
            assert not thread.is_alive(), "任务线程没有结束"
        assert not self.errors, repr(self.errors)


class WithQueue:
    """The services, with the worker's queue replaced (everything else is the real thing)."""

    def __init__(self, services: Any, queue: Any) -> None:
        self._services = services
        self.job_queue = queue

    def __getattr__(self, name: str) -> Any:
        return getattr(self._services, name)


@contextmanager
def services_with(monkeypatch: Any, **settings: str) -> Iterator[Any]:
    """Real services over an emulated library set up by `settings` (VTL_SLOTS, …), let go after."""
    from bootstrap import build

    for key, value in settings.items():
        monkeypatch.setenv(key, value)
    services = build()
    try:
        yield services
    finally:
        services.close()


def connection(services: Any, queue: Any | None = None) -> Connection:
    deps = WithQueue(services, queue) if queue is not None else services
    return Connection(make_app(deps), services.progress, host=services.settings.host_name)


def console(connect: Callable[[], Connection], *, clock: Callable[[], datetime] = lambda: FIXED_NOW,
            device: str | None = None, refresh_seconds: float = 0.2, drive_seconds: float = 5.0) -> TafConsole:
    session = ConsoleSession(connect, actor=ACTOR, clock=clock, device=device)
    return TafConsole(session, refresh_seconds=refresh_seconds, drive_seconds=drive_seconds)


def drive(app: TafConsole, scenario: Callable[[Any], Awaitable[None]], size: tuple[int, int] = (100, 32)) -> None:
    """Run `scenario(pilot)` against the console, headless, and let it go."""

    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await scenario(pilot)

    asyncio.run(main())


async def until(pilot: Any, condition: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    """Let the console run until `condition()` holds; its value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        await pilot.pause(0.1)
    raise AssertionError(f"等待超时：{what}\n屏幕：\n{screen_text(pilot.app)}")


def screen_text(app: TafConsole) -> str:
    """What the terminal shows, as text: the screenshot the console would save, each piece of text
    put back in its column (a CJK character takes two)."""
    svg = app.export_screenshot()
    lines: dict[float, list[tuple[int, str]]] = {}
    for match in re.finditer(r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', svg, re.DOTALL):
        piece = html.unescape(match.group(3)).replace("\n", "").replace("\xa0", " ")
        lines.setdefault(float(match.group(2)), []).append((round(float(match.group(1)) / CELL_WIDTH), piece))
    shown = []
    for _, pieces in sorted(lines.items()):
        line = ""
        for column, piece in sorted(pieces):
            line += " " * max(0, column - cell_len(line)) + piece
        shown.append(line.rstrip())
    return "\n".join(shown)


async def shows(pilot: Any, words: str, timeout: float = 30.0) -> str:
    """Wait until the screen shows `words`; the screen."""

    def showing() -> str | None:
        screen = screen_text(pilot.app)
        return screen if words in screen else None

    return await until(pilot, showing, f"屏幕显示“{words}”", timeout)


def said(app: TafConsole, words: str) -> str | None:
    """The outcome of an act the console reported (its notice, kept in the session's 最近的操作)."""
    return next((line for _, line in reversed(app.session.acts) if words in line), None)


async def reported(pilot: Any, words: str, timeout: float = 30.0) -> str:
    """Wait until an act's outcome holding `words` is reported; the line."""
    return await until(pilot, lambda: said(pilot.app, words), f"报告“{words}”", timeout)


def notices(app: TafConsole) -> list[str]:
    """The notices (toasts) on screen now; a screenshot leaves them out."""
    return [notification.message for notification in app._notifications]


async def noticed(pilot: Any, words: str, timeout: float = 30.0) -> str:
    return await until(pilot, lambda: next((n for n in notices(pilot.app) if words in n), None),
                       f"提示“{words}”", timeout)
