"""日志 (R11): the operation log (the ledger, as its read model describes each event in Chinese), the
tape command log (each SCSI command with its outcome, `tape.log` beside LOG_FILE), the system log
(LOG_FILE) and the notification log — one line shape for all four, filtered by time, level, user,
cartridge and job, newest first, and followed from a cursor (for a live view).

Filters mean what each log can say: the operation log matches a cartridge or a job by the events of
that aggregate and the events that name it, a user by who acted; the tape log has no barcodes or
users in its lines, so a cartridge means "while it was loaded" and a job "while it ran" (from the
ledger), or a line that names it; the system and notification logs match the text.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from app.errors import BadRequest
from app.log_files import FileCursor, FileEntry, follow, tail
from app.notifications import LogEntry
from config import Settings
from config.logging_setup import tape_log_file
from ledger.application import Ledger
from ledger.domain import Cartridge
from projections.audit import AuditLogView, Browse, Subject
from projections.audit_text import event_label
from projections.notifications import NotificationLogView
from projections.runner import Projector

KINDS = {"operation": "操作日志", "tape": "磁带日志", "system": "系统日志", "notification": "通知日志"}
LEVELS = {"debug": "调试", "info": "信息", "warning": "警告", "error": "错误"}
_RANK = {"debug": 0, "info": 1, "warning": 2, "error": 3}
_FILE_LEVELS = {"DEBUG": "debug", "INFO": "info", "WARNING": "warning", "ERROR": "error", "CRITICAL": "error"}
# How the operation log's events rank: a failure is an error, what needs a look a warning, the rest information.
ERROR_EVENTS = ("Job.Failed", "Drive.CommandFailed", "Notification.Failed")
WARNING_EVENTS = ("BackupJob.WarningRecorded", "BackupJob.TapeChangeRequested", "BackupJob.VerificationSkipped",
                  "RestoreJob.TapeRequested", "Notification.AttemptFailed", "User.LoginFailed", "Job.Cancelled",
                  "Job.Paused", "Cartridge.Retired")
_LOADS = ("Cartridge.Loaded", "Cartridge.Unloaded")
_JOB_ENDS = ("Job.Completed", "Job.Failed", "Job.Cancelled")
TAIL_BUDGET = 32 << 20  # bytes of log files one search reads at most (3 rotated files and more)
FOLLOW_BUDGET = 4 << 20  # bytes one look at a followed file reads at most (more comes with the next look)
NOTIFICATION_SCAN = 5000  # the newest notifications a search looks through
FOLLOWED_ROWS = 500
# A line of the tape command log (`tape.tapelog.LoggingTransport._emit`).
TAPE_LINE = re.compile(r"^(?P<device>\S+) (?P<command>.+?) CDB=\[(?P<cdb>[0-9A-Fa-f ]*)\] 数据=(?P<data>\d+) 字节 "
                       r"残余=(?P<residue>-?\d+) 状态=(?P<status>.+?)(?: 检测数据=(?P<sense>.+?))? "
                       r"用时=(?P<duration>[\d.]+) 秒(?: 结果=(?P<outcome>.*))?$")
BAD_TIME = "时间“{text}”无效：请写日期（2026-03-15）或日期和时间（2026-03-15 14:30）"


@dataclass(frozen=True)
class LogQuery:
    since: str = ""  # a date (from its start) or a date and time, local unless it names its zone
    until: str = ""  # a date (to its end) or a date and time
    level: str = ""  # at least: debug, info, warning, error; empty for all
    user: str = ""
    cartridge: str = ""  # a barcode
    job: str = ""  # a job number (or its first characters)
    limit: int = 200


@dataclass(frozen=True)
class LogLine:
    """One line of any log: when, how serious, who or what wrote it, about what, what it says."""

    at: str  # ISO 8601 with the zone
    level: str  # debug, info, warning, error
    level_label: str
    source: str  # who acted (operation), the device (tape), the logger (system), the phone (notification)
    subject: str  # the event type, the SCSI command, the notification's kind
    message: str  # in Chinese, as written
    details: dict[str, str] = field(default_factory=dict)  # the rest of its fields, by name


@dataclass(frozen=True)
class LogPage:
    kind: str
    kind_label: str
    lines: list[LogLine]  # newest first
    cursor: str  # pass as `after` to get only what is newer
    complete: bool  # False: more lines may match than were read (the limit, or the bytes a search reads)


class LogsDeps(Protocol):
    """The settings (where the log files are), the ledger and its operation and notification logs."""

    @property
    def settings(self) -> Settings: ...

    @property
    def ledger(self) -> Ledger: ...

    @property
    def projector(self) -> Projector: ...

    @property
    def audit(self) -> AuditLogView: ...

    @property
    def notification_log(self) -> NotificationLogView: ...


def moment(text: str, *, end: bool = False) -> datetime | None:
    """A date or a date and time as an aware moment; a bare date is its start (or, `end`, the next day's)."""
    value = text.strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadRequest(BAD_TIME.format(text=text)) from None
    if not 1900 <= parsed.year <= 9000:  # beyond, the arithmetic of time zones overflows
        raise BadRequest(BAD_TIME.format(text=text))
    if end and len(value) == 10:
        parsed += timedelta(days=1)
    return parsed.astimezone() if parsed.tzinfo is None else parsed


def _utc(value: datetime | None) -> str:
    """A moment as the operation log keeps its times (ISO 8601 in UTC), for comparing as text."""
    return value.astimezone(UTC).isoformat() if value else ""


@dataclass(frozen=True)
class _Checked:
    query: LogQuery
    since: datetime | None
    until: datetime | None
    rank: int


def check(kind: str, query: LogQuery) -> _Checked:
    if kind not in KINDS:
        raise BadRequest(f"没有名为 {kind} 的日志。可选：{'、'.join(KINDS)}")
    if query.level and query.level not in LEVELS:
        raise BadRequest(f"未知的级别“{query.level}”。可选：{'、'.join(LEVELS)}")
    if not 1 <= query.limit <= 5000:
        raise BadRequest("条数必须在 1 到 5000 之间")
    return _Checked(query, moment(query.since), moment(query.until, end=True), _RANK.get(query.level, 0))


class Logs:
    def __init__(self, deps: LogsDeps) -> None:
        self._deps = deps

    def log_file(self, kind: str) -> Path:
        """Where the system log (LOG_FILE) or the tape command log (beside it) is written."""
        log_file = self._deps.settings.log_file
        return log_file if kind == "system" else tape_log_file(log_file)

    def read(self, kind: str, query: LogQuery) -> LogPage:
        """The newest lines of the `kind` log that `query` admits, newest first."""
        checked = check(kind, query)
        if kind == "operation":
            return self._operations(checked, after=0)
        if kind == "notification":
            return self._notifications(checked, after=-1)
        accept = self._file_filter(kind, checked)
        found = tail(self.log_file(kind), accept, query.limit, TAIL_BUDGET)
        return LogPage(kind, KINDS[kind], [_file_line(kind, entry) for entry in found.entries], str(found.cursor),
                       found.complete)

    def newer(self, kind: str, query: LogQuery, after: str) -> LogPage:
        """The lines written after `after` (a page's cursor) that `query` admits, newest first."""
        checked = check(kind, query)
        if kind in {"operation", "notification"}:
            if not re.fullmatch(r"[0-9]{1,18}", after.strip()):  # an event number a store can compare
                raise BadRequest(f"无法识别的日志位置“{after}”：应为上次答复中的 cursor")
            position = int(after)
            if kind == "operation":
                return self._operations(checked, after=position)
            return self._notifications(checked, after=position)
        entries, cursor = follow(self.log_file(kind), FileCursor.parse(after), FOLLOW_BUDGET)
        accept = self._file_filter(kind, checked)
        lines = [_file_line(kind, entry) for entry in reversed(entries) if accept(entry)]
        return LogPage(kind, KINDS[kind], lines[:query.limit], str(cursor), len(lines) <= query.limit)

    # --- the operation log ---------------------------------------------------------------------

    def _operations(self, checked: _Checked, *, after: int) -> LogPage:
        query = checked.query
        self._deps.projector.catch_up(["audit_log"])
        head = self._deps.audit.position()
        if after and head <= after:  # nothing new: a followed log costs one look at the ledger
            return LogPage("operation", KINDS["operation"], [], str(after), True)
        subjects = [subject for subject in (_cartridge(query.cartridge), _job(query.job)) if subject]
        levels = ERROR_EVENTS if checked.rank >= _RANK["error"] else (
            ERROR_EVENTS + WARNING_EVENTS if checked.rank == _RANK["warning"] else ())
        rows = self._deps.audit.browse(Browse(
            since=_utc(checked.since), until=_utc(checked.until), actor=query.user.strip(), subjects=subjects,
            events=levels, after=after, upto=head, limit=query.limit + 1, newest_first=not after))
        more = len(rows) > query.limit
        rows = rows[:query.limit]
        if after:
            rows.reverse()
            cursor = rows[0]["id"] if more else head
        else:
            cursor = head
        return LogPage("operation", KINDS["operation"], [_operation_line(row) for row in rows], str(cursor), not more)

    # --- the notification log --------------------------------------------------------------------

    def _notifications(self, checked: _Checked, *, after: int) -> LogPage:
        query = checked.query
        self._deps.projector.catch_up(["notifications"])
        rows = [LogEntry(**row) for row in
                self._deps.notification_log.recent(FOLLOWED_ROWS if after >= 0 else NOTIFICATION_SCAN)]
        newest = max([after, *(row.queued_seq for row in rows)])
        words = [text.strip() for text in (query.user, query.cartridge, query.job) if text.strip()]
        lines = [_notification_line(row) for row in rows
                 if row.queued_seq > after and _within(checked, moment(row.queued_at))
                 and _RANK[_notification_level(row)] >= checked.rank
                 and all(word in _notification_text(row) for word in words)]
        return LogPage("notification", KINDS["notification"], lines[:query.limit], str(newest),
                       len(lines) <= query.limit)

    # --- the log files ---------------------------------------------------------------------------

    def _file_filter(self, kind: str, checked: _Checked) -> Callable[[FileEntry], bool]:
        query = checked.query
        words = [text.strip() for text in (query.user, query.cartridge, query.job) if text.strip()]
        windows: dict[str, list[tuple[datetime, datetime]]] = {}
        if kind == "tape":  # its lines name neither: a cartridge while loaded, a job while it ran
            if query.cartridge.strip():
                windows[query.cartridge.strip()] = self._windows(_cartridge(query.cartridge), _LOADS)
            if query.job.strip():
                windows[query.job.strip()] = self._windows(_job(query.job), None)

        def accept(entry: FileEntry) -> bool:
            if _RANK[_FILE_LEVELS.get(entry.level, "info")] < checked.rank or not _within(checked, entry.at):
                return False
            text = entry.text
            return all(word in text or any(_logged_within(entry.at, *window) for window in windows.get(word, ()))
                       for word in words)

        return accept

    def _windows(self, subject: Subject | None, loads: tuple[str, ...] | None) -> list[tuple[datetime, datetime]]:
        """When a cartridge was in a drive, or a job ran, as (after, until) moments from the operation
        log. A load's commands (the robot's move, the drive's mount) come before the ledger records
        it: a cartridge's time starts after the event before its load. A job's starts at its first
        event and ends at its last."""
        if subject is None:
            return []
        self._deps.projector.catch_up(["audit_log"])
        own = Subject(subject.aggregates, "", subject.prefix)
        rows = self._deps.audit.browse(Browse(subjects=[own], events=loads or (), limit=100_000, newest_first=False))
        windows: list[tuple[datetime, datetime]] = []
        start: datetime | None = None
        for row in rows:
            at = datetime.fromisoformat(row["at"])
            if start is None and (row["event"] == "Cartridge.Loaded" if loads else True):
                before = self._deps.audit.browse(Browse(before=int(row["id"]), limit=1)) if loads else []
                start = datetime.fromisoformat(before[0]["at"]) if before else at - timedelta(microseconds=1)
            elif start is not None and (row["event"] == "Cartridge.Unloaded" if loads else row["event"] in _JOB_ENDS):
                windows.append((start, at))
                start = None
        if start is not None:
            windows.append((start, datetime.now().astimezone() + timedelta(days=1)))
        return windows


def _logged_within(logged: datetime, after: datetime, until: datetime) -> bool:
    """A line logged (to the millisecond, cut) at `logged` was written after `after` and by `until`."""
    return after.replace(microsecond=after.microsecond // 1000 * 1000) < logged <= until


def _within(checked: _Checked, at: datetime | None) -> bool:
    if at is None:
        return True
    return (checked.since is None or at >= checked.since) and (checked.until is None or at < checked.until)


def _cartridge(barcode: str) -> Subject | None:
    barcode = barcode.strip()
    return Subject([str(Cartridge.create_id(barcode=barcode))], barcode) if barcode else None


def _job(job: str) -> Subject | None:
    job = job.strip()
    if not job:
        return None
    try:
        return Subject([str(uuid.UUID(job))], job)
    except ValueError:
        return Subject((), job, prefix=job)


def _operation_line(row: dict[str, Any]) -> LogLine:
    event = str(row["event"])
    level = "error" if event in ERROR_EVENTS else "warning" if event in WARNING_EVENTS else "info"
    return LogLine(str(row["at"]), level, LEVELS[level], str(row["actor"]), event, str(row["summary"]),
                   {"number": str(row["id"]), "label": event_label(event), "category": str(row["category"]),
                    "aggregate_id": str(row["aggregate_id"])})


def _notification_level(row: LogEntry) -> str:
    if row.status == "failed":
        return "error"
    return "warning" if row.status == "queued" and row.last_error else "info"


def _notification_text(row: LogEntry) -> str:
    return " ".join((row.phone, row.title, row.content, row.cause, row.dedupe_key))


def _notification_line(row: LogEntry) -> LogLine:
    level = _notification_level(row)
    return LogLine(row.queued_at, level, LEVELS[level], row.phone, row.kind_label, row.title, {
        "status": row.status_label, "attempts": str(row.attempts), "last_error": row.last_error or "",
        "cause": row.cause, "task_id": row.task_id or "", "finished_at": row.finished_at or row.delivered_at or ""})


def _file_line(kind: str, entry: FileEntry) -> LogLine:
    level = _FILE_LEVELS.get(entry.level, "info")
    if kind == "tape":
        command = tape_command(entry.message)
        if command is not None:
            details = {key: value for key, value in command.items() if key not in {"device", "command", "outcome"}}
            if entry.more:
                details["more"] = "\n".join(entry.more)
            return LogLine(entry.at.isoformat(), level, LEVELS[level], command["device"], command["command"],
                           command["outcome"], details)
    return LogLine(entry.at.isoformat(), level, LEVELS[level], entry.logger, "", entry.text, {})


def tape_command(message: str) -> dict[str, str] | None:
    """A line of the tape command log (`tape.tapelog`) as its fields, or None for another message."""
    found = TAPE_LINE.match(message)
    if not found:
        return None
    fields = {key: value or "" for key, value in found.groupdict().items()}
    fields["outcome"] = fields["outcome"] or ("成功" if fields["status"] == "GOOD" else fields["status"])
    return fields

