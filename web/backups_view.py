"""What the backup pages and API read and send: the request and answer schemas, the checks of the
face's own input (a form's lines, a level typed as text, a filter's choices), and each page's
context gathered part by part (a part that cannot be asked says why; the rest is shown)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from app.audit import EventLine
from app.backups import COMPLETED, BackupStatus, JobHistory, Started
from app.errors import BadRequest
from app.facade import App
from ledger.domain.job import STATUS_NAMES
from web import messages
from web.dashboard_data import figures_chart, job_figures
from web.parts import Parts

KINDS = {"manual": "手动", "monthly": "每月全量"}
STOPPABLE = frozenset({"requested", "running", "waiting_tape", "paused", "interrupted"})  # may be cancelled
PAUSABLE = frozenset({"requested", "running", "waiting_tape"})
RESUMABLE = frozenset({"paused", "interrupted"})  # interrupted: marked running, its process gone
SHOWN_EVENTS = 200  # a job's newest events on its page


@dataclass
class BackupRequest:
    """A new backup job (POST /api/v1/backups)."""

    sources: list[str]  # absolute folders on the server, within BACKUP_ALLOWED_ROOTS
    group: str = "auto"  # YYYY-MM, or auto for this month
    level: int | None = None  # LZMA2 preset 0–9; None: COMPRESSION_LEVEL in force
    idempotency_key: str | None = None  # the same key never makes a second job


@dataclass
class CancelRequest:
    reason: str = ""


@dataclass(frozen=True)
class BackupAccepted:
    """The job is recorded and queued for the worker."""

    job_id: str
    created: bool  # False: the idempotency key named an earlier job, returned as it is
    status: str
    status_text: str
    status_url: str  # GET: the job and its latest progress
    events_url: str  # GET: live progress (SSE)


@dataclass
class NewBackupForm:
    """The new-job form on /backups: sources one per line."""

    sources: str = ""
    group: str = "auto"
    level: str = ""
    key: str = ""


@dataclass(frozen=True)
class HistoryQuery:
    status: str = ""
    kind: str = ""
    group: str = ""
    since: str = ""
    until: str = ""
    limit: int = 50

    def __post_init__(self) -> None:
        if self.status and self.status not in STATUS_NAMES:
            raise BadRequest(f"未知的任务状态：{self.status}。可选：{'、'.join(STATUS_NAMES)}")
        if self.kind and self.kind not in KINDS:
            raise BadRequest(f"未知的发起方式：{self.kind}。可选：{'、'.join(KINDS)}")


@dataclass(frozen=True)
class Statistics:
    """What the listed jobs add up to, beyond the App's totals: how fast and how well they packed."""

    completed: int
    failed: int
    seconds: float
    bytes_per_second: float  # read in, over the completed jobs' time
    ratio: float | None  # bytes on tape / bytes read in
    chart: dict[str, Any] = field(default_factory=dict)


def accepted(started: Started) -> BackupAccepted:
    return BackupAccepted(started.job_id, started.created, started.status,
                          STATUS_NAMES.get(started.status, started.status), f"/api/v1/backups/{started.job_id}",
                          f"/api/v1/jobs/{started.job_id}/events")


def given_sources(sources: list[str]) -> list[str]:
    """The folders given, blanks dropped; at least one."""
    chosen = [source.strip() for source in sources if source.strip()]
    if not chosen:
        raise BadRequest(messages.SOURCES_REQUIRED)
    return chosen


def form_sources(text: str) -> list[str]:
    """The form's folders, one per line."""
    return given_sources(text.splitlines())


def parse_level(text: str) -> int | None:
    value = text.strip()
    if not value:
        return None
    if not value.isdigit() or not 0 <= int(value) <= 9:
        raise BadRequest(messages.LEVEL_INVALID)
    return int(value)


def statistics(history: JobHistory) -> Statistics:
    completed = [job for job in history.jobs if job.status in COMPLETED]
    seconds = sum(float(job.figures.get("seconds") or 0) for job in completed)
    return Statistics(len(completed), history.by_status.get("failed", 0), seconds,
                      history.bytes_in / seconds if seconds else 0.0,
                      history.bytes_packed / history.bytes_in if history.bytes_in else None,
                      figures_chart(job_figures(list(reversed(history.jobs)), []), restores=False))


def new_job_context(taf: App) -> dict[str, Any]:
    """The form's choices: the roots to browse, the groups, the level in force; and the jobs running."""
    parts = Parts()
    settings = parts.get("health", lambda: {row.key: row.value for row in taf.settings.show().runtime}, {})
    return {
        "roots": parts.get("sources", lambda: taf.backups.folders(""), None),
        "groups": [g.name for g in parts.get("groups", taf.catalog.groups, []) if g.active][::-1],
        "default_level": settings.get("compression_level", ""),
        "running": parts.get("jobs", taf.backups.unfinished, []),
        "key": uuid.uuid4().hex,  # one per form shown: sending it twice makes one job
        "problems": parts.problems,
        "kinds": KINDS,
    }


def job_events(events: list[EventLine]) -> dict[str, Any]:
    """A job's events as its page lists them: in order, the newest SHOWN_EVENTS of them."""
    return {"events": events[-SHOWN_EVENTS:], "event_count": len(events)}


def job_page(taf: App, job_id: str) -> dict[str, Any]:
    """One job: its summary and latest progress, its ledger events and the controls that apply."""
    shown: BackupStatus = taf.backups.status(job_id)
    events = taf.backups.events(shown.summary.job_id)
    status = shown.summary.status
    return {"job": shown.summary, "progress": shown.progress, **job_events(events), "can_cancel": status in STOPPABLE, "can_pause": status in PAUSABLE,
            "can_resume": status in RESUMABLE}
