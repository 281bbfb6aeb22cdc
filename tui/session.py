"""The console's state, kept outside the widgets: what it last read, and how to read it again.

`ConsoleSession.fetch()` runs in a worker thread (it only calls `App` verbs and reads the progress
store) and returns a new immutable `Snapshot`; the console applies it on its own thread
(`apply`), and every screen draws from the session. Each area is read on its own: a database that
cannot be reached, a drive that does not answer, say so in Chinese in their own place while the
rest keeps working. The connection is made by a factory the composition root passes in (tests
pass their own) and tried again at every refresh until it succeeds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from app.backups import JobRow
from app.facade import App
from app.lifecycle import CartridgeEntry
from app.pending import OperatorRequest
from kernel.errors import EXIT_DATABASE, describe
from kernel.progress import Progress, ProgressStore
from tui.text import text

T = TypeVar("T")
UNFINISHED = frozenset({"requested", "running", "waiting_tape", "paused"})
HOLDS_DRIVE = frozenset({"running", "waiting_tape"})
# What `App.tapes.drive_status` returns (media.results.DriveReport: the console never imports media).
DriveReport = Any


@dataclass(frozen=True)
class Connection:
    """The application and the progress store of one installation, and how to let them go."""

    app: App
    progress: ProgressStore
    close: Callable[[], None] = lambda: None
    host: str = ""  # this drive host's name: jobs of other hosts do not hold its drive


Connect = Callable[[], Connection]


@dataclass(frozen=True)
class JobLine:
    """One backup or restore job as the 任务 screen shows it: the ledger's row and its live progress."""

    row: JobRow
    progress: Progress | None

    @property
    def job_id(self) -> str:
        return self.row.job_id

    @property
    def kind(self) -> str:
        return "restore" if self.row.kind == "restore" else "backup"

    @property
    def kind_text(self) -> str:
        return text(f"kind_{self.kind}")

    @property
    def unfinished(self) -> bool:
        return self.row.status in UNFINISHED

    @property
    def holds_drive(self) -> bool:
        return self.row.status in HOLDS_DRIVE


@dataclass(frozen=True)
class Snapshot:
    """Everything one refresh read; None where an area could not be read (its problem says why)."""

    taken_at: datetime
    jobs: list[JobLine] | None = None
    inventory: list[CartridgeEntry] | None = None
    requests: list[OperatorRequest] | None = None
    problems: dict[str, str] = field(default_factory=dict)  # area -> what went wrong, in Chinese


@dataclass(frozen=True)
class DriveReading:
    """One read of the drive: its report, or why it could not be read."""

    taken_at: datetime
    report: DriveReport | None
    problem: str = ""


class ConsoleSession:
    def __init__(self, connect: Connect, *, actor: str, clock: Callable[[], datetime], device: str | None = None,
                 jobs_shown: int = 20) -> None:
        self._connect = connect
        self._connection: Connection | None = None
        self._lock = threading.Lock()
        self.actor = actor
        self.clock = clock
        self.device = device  # None: the installation's default (TAPE_DEVICE, else emulated:0)
        self.jobs_shown = jobs_shown
        self.snapshot: Snapshot | None = None
        self.drive: DriveReading | None = None
        self.health: dict[str, Any] | None = None  # the last health snapshot read in this session
        self.acts: list[tuple[datetime, str]] = []  # what the operator did here, newest last
        self._seen: set[tuple[str, str, datetime]] | None = None  # requests already announced

    # -- reading (worker threads) ------------------------------------------------------------------

    def connection(self) -> Connection:
        """The connection, made now if it was not yet (raises what the factory raises)."""
        with self._lock:
            if self._connection is None:
                self._connection = self._connect()
            return self._connection

    @property
    def app(self) -> App:
        return self.connection().app

    def fetch(self) -> Snapshot:
        """Read every area once; never raises."""
        now = self.clock()
        try:
            connection = self.connection()
        except Exception as error:
            return Snapshot(now, problems={"database": describe(error).message})
        problems: dict[str, str] = {}
        jobs = _area("jobs", problems, lambda: self._jobs(connection))
        inventory = _area("tapes", problems, connection.app.tapes.inventory)
        requests = _area("requests", problems, connection.app.pending.requests)
        return Snapshot(now, jobs, inventory, requests, problems)

    def _jobs(self, connection: Connection) -> list[JobLine]:
        app, store = connection.app, connection.progress
        rows = [*app.backups.history(limit=self.jobs_shown).jobs, *app.restores.history(limit=self.jobs_shown)]
        rows.sort(key=lambda row: (row.requested_at, row.job_id), reverse=True)
        return [JobLine(row, store.latest(row.job_id) if row.status in UNFINISHED else None)
                for row in rows[:self.jobs_shown]]

    def read_drive(self) -> DriveReading:
        """Ask the drive what it is doing (without moving the tape); never raises."""
        now = self.clock()
        try:
            report = self.app.tapes.drive_status(actor=self.actor, device=self.device)
        except Exception as error:
            return DriveReading(now, None, describe(error).message)
        return DriveReading(now, report)

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    # -- applying (the console's thread) -----------------------------------------------------------

    def apply(self, snapshot: Snapshot) -> list[OperatorRequest]:
        """Keep `snapshot`; return the requests that came since the last one (none the first time:
        what was pending before the console started is shown, not announced)."""
        self.snapshot = snapshot
        if snapshot.requests is None:
            return []
        keys = {_announced(request) for request in snapshot.requests}
        seen, self._seen = self._seen, keys
        return [] if seen is None else [r for r in snapshot.requests if _announced(r) not in seen]

    def note(self, line: str) -> None:
        """Remember an act's outcome for the 最近的操作 list."""
        self.acts.append((self.clock(), line))
        del self.acts[:-20]

    # -- what the screens ask -------------------------------------------------------------------------

    @property
    def jobs(self) -> list[JobLine]:
        return (self.snapshot.jobs if self.snapshot else None) or []

    @property
    def requests(self) -> list[OperatorRequest]:
        return (self.snapshot.requests if self.snapshot else None) or []

    @property
    def inventory(self) -> list[CartridgeEntry]:
        return (self.snapshot.inventory if self.snapshot else None) or []

    def problems(self) -> dict[str, str]:
        """What the last refresh could not read (the drive's own problem is on the 驱动器 screen,
        which reads the drive again whenever it is opened)."""
        return dict(self.snapshot.problems) if self.snapshot else {}

    def job_on_drive(self) -> JobLine | None:
        """The job of this host that holds the drive now (running or waiting for a tape), if any."""
        host = self._connection.host if self._connection is not None else ""
        return next((line for line in self.jobs
                     if line.holds_drive and (not host or not line.row.host or line.row.host == host)), None)

    def cartridge(self, barcode: str | None) -> CartridgeEntry | None:
        if not barcode:
            return None
        return next((entry for entry in self.inventory if entry.barcode == barcode.upper()), None)

    def job(self, job_id: str) -> JobLine | None:
        return next((line for line in self.jobs if line.job_id == job_id), None)


def _announced(request: OperatorRequest) -> tuple[str, str, datetime]:
    """What makes a request new: the same words asked again later are a new request."""
    return request.job_id, request.text, request.since


def _area(name: str, problems: dict[str, str], read: Callable[[], T]) -> T | None:
    """`read()`, or None with what went wrong noted under `name` — under "database" when the
    database is out of reach, so one cause makes one line however many areas it stops."""
    try:
        return read()
    except Exception as error:
        report = describe(error)
        problems["database" if report.exit_code == EXIT_DATABASE else name] = report.message
        return None
