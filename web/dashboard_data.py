"""仪表盘的数据: what the App and the progress store can tell at a glance, gathered part by part.

Two layers: `live` (the drives, the jobs running with their progress and the operator requests —
what the page's SSE stream re-renders every second) and `gather` (all of it, for the page and
`GET /api/v1/dashboard`). Each part that cannot be asked (the drive, the queue or the database
down) becomes a `Problem` in Chinese, and the rest is still shown.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from app.audit import EventLine
from app.backups import COMPLETED, JobRow
from app.catalog import GroupEntry
from app.facade import App
from app.system import HealthCheck, Resources
from kernel.progress import Progress, ProgressStore
from web import messages
from web.charts import speed_chart
from web.formatting import size, when
from web.parts import Parts, Problem

RECENT_OPERATIONS = 12
RECENT_JOBS = 5
FIGURE_JOBS = 30  # finished jobs on the speed and ratio charts
STALE_SECONDS = 10.0  # a running job whose progress is older than this may have lost its process
UNFINISHED = frozenset({"requested", "running", "waiting_tape"})
MEDIUM_STATES = {"empty": "空闲（无磁带）", "loading": "正在装载", "ready": "已就绪", "unloaded": "已插入、未装载"}


@dataclass(frozen=True)
class DriveView:
    device: str
    kind: str  # drive or changer
    model: str  # vendor and product
    serial: str | None
    cartridge: str | None  # the cartridge in it (emulated library), or the running job's
    state_text: str
    job_id: str | None  # the job using it now, when it can be told
    problem: str | None


@dataclass(frozen=True)
class RunningJob:
    job_id: str
    kind: str  # backup or restore
    kind_text: str  # 手动备份, 每月全量, 恢复
    status: str
    status_text: str
    group: str
    requested_by: str
    requested_at: str
    progress: Progress | None  # the last the job published; None before it started
    phase_label: str  # what it is doing, in Chinese ("" before it started)
    percent: int  # how far the whole job is, 0–100
    stale: bool  # running, but its progress has not moved for STALE_SECONDS


@dataclass(frozen=True)
class RequestView:
    """A job waiting for a person (`App.pending`): which cartridge, or why none will do, and what to do."""

    job_id: str
    kind: str  # backup or restore
    kind_text: str
    request: str  # in the job's own words
    waiting: str  # what waits on it: 备份任务 2026-05（2 个源）…
    since: str  # when it began to wait (ISO, UTC)
    stalled: bool  # nobody polls the drive for it: the answer (已装入) resumes it
    advice: str
    hint: str  # for an emulated library, the command that puts a cartridge in


@dataclass(frozen=True)
class Live:
    drives: list[DriveView]
    jobs: list[RunningJob]
    requests: list[RequestView]
    problems: list[Problem]
    checked_at: float

    @property
    def signature(self) -> str:
        """What the jobs are, in kind: which run and in what state (not how far)."""
        return ";".join(f"{job.job_id}:{job.status}" for job in self.jobs)

    @property
    def latest(self) -> float:
        """The newest progress among the jobs (the stream's event id), else when this was read."""
        stamps = [job.progress.updated_at for job in self.jobs if job.progress]
        return max(stamps, default=self.checked_at)


@dataclass(frozen=True)
class Alert:
    level: str  # error or warning
    text: str
    link: str  # where to act on it


@dataclass(frozen=True)
class JobFigure:
    """One finished job's speed (and, for a backup, its compression) for the charts."""

    job_id: str
    kind: str  # backup or restore
    finished_at: str
    bytes_per_second: float
    ratio: float | None  # bytes on tape / bytes read in (backup); None for a restore


@dataclass(frozen=True)
class Dashboard:
    version: str
    events: int  # events in the ledger
    live: Live
    paused: list[JobRow]
    active_groups: list[GroupEntry]
    groups_kept: int  # the active_groups setting in force
    cartridges: int  # in the inventory (cleaning and retired ones not counted)
    scratch: int  # of which blank and free to write
    min_scratch: int
    alerts: list[Alert]
    resources: Resources | None
    health: list[HealthCheck]
    figures: list[JobFigure]
    recent_jobs: list[JobRow]
    recent: list[EventLine]
    problems: list[Problem] = field(default_factory=list)


def job_kind_text(row: JobRow) -> str:
    return messages.JOB_KINDS.get(row.kind, row.kind) + ("" if row.kind == "restore" else "备份")


def drive_views(taf: App, jobs: list[RunningJob], parts: Parts) -> list[DriveView]:
    devices = parts.get("drive", taf.tapes.devices, [])
    drives = [device for device in devices if device.kind == "drive"]
    running = [job for job in jobs if job.status in {"running", "waiting_tape"}]
    # One drive and one running job: the job is on that drive (one drive runs one job, R15).
    sole = running[0] if len(drives) == 1 and len(running) == 1 else None
    views = []
    for device in devices:
        in_use = sole if device.kind == "drive" and sole is not None else None
        cartridge = device.barcode or (in_use.progress.current_cartridge if in_use and in_use.progress else None)
        state = device.problem or (MEDIUM_STATES.get(device.medium or "", "") if device.kind == "drive" else "机械手")
        views.append(DriveView(device.path, device.kind, f"{device.vendor} {device.product}".strip(), device.serial,
                               cartridge or None, state or "状态未知", in_use.job_id if in_use else None, device.problem))
    return views


def running_jobs(taf: App, store: ProgressStore, parts: Parts, now: float) -> list[RunningJob]:
    rows = parts.get("jobs", taf.backups.unfinished, [])
    rows += parts.get("jobs", lambda: [row for row in taf.restores.history(limit=20) if row.status in UNFINISHED], [])
    jobs = []
    for row in rows:
        progress = store.latest(row.job_id)
        stale = (progress is not None and not progress.finished and row.status == "running"
                 and now - progress.updated_at > STALE_SECONDS)
        jobs.append(RunningJob(row.job_id, "restore" if row.kind == "restore" else "backup", job_kind_text(row),
                               row.status, row.status_text, row.group, row.requested_by, row.requested_at, progress,
                               progress.phase_label if progress else "",
                               round(100 * progress.fraction) if progress else 0, stale))
    return jobs


def operator_requests(taf: App, parts: Parts, emulated: bool) -> list[RequestView]:
    return [RequestView(ask.job_id, ask.kind, ask.kind_text, ask.text or messages.TAPE_WAITING, ask.waiting,
                        ask.since.isoformat(), ask.stalled,
                        messages.STALLED_ADVICE if ask.stalled else messages.TAPE_ADVICE.get(ask.kind, ""),
                        messages.EMULATED_HINT if emulated else "")
            for ask in parts.get("jobs", taf.pending.requests, [])]


def live(taf: App, store: ProgressStore, now: float | None = None) -> Live:
    """The drives, the jobs running or waiting, and what they ask of the operator."""
    parts = Parts()
    moment = now or time.time()
    jobs = running_jobs(taf, store, parts, moment)
    drives = drive_views(taf, jobs, parts)
    emulated = any(drive.device.startswith("emulated") for drive in drives)
    requests = operator_requests(taf, parts, emulated)
    return Live(drives, jobs, requests, parts.problems, moment)


def job_figures(backups: list[JobRow], restores: list[JobRow]) -> list[JobFigure]:
    """Speed (bytes read in per second) and compression of finished jobs, oldest first."""
    figures = []
    for row in [*backups, *restores]:
        f = row.figures
        seconds = float(f.get("seconds") or 0)
        if row.status not in COMPLETED or seconds <= 0:
            continue
        if row.kind == "restore":
            figures.append(JobFigure(row.job_id, "restore", row.finished_at or "", int(f.get("bytes", 0)) / seconds, None))
        else:
            read_in = int(f.get("bytes_in", 0))
            ratio = int(f.get("bytes_packed", 0)) / read_in if read_in else None
            figures.append(JobFigure(row.job_id, "backup", row.finished_at or "", read_in / seconds, ratio))
    return sorted(figures, key=lambda figure: figure.finished_at)


def alerts(health: list[HealthCheck], resources: Resources | None, scratch: int, minimum: int, cartridges: int,
           recent: list[JobRow], paused: list[JobRow], running: list[RunningJob]) -> list[Alert]:
    found = [Alert("error", messages.ALERT_SERVICE.format(check=c.check, detail=c.detail), "/") for c in health if not c.ok]
    for folder in resources.folders if resources else []:
        if folder.over_threshold:
            found.append(Alert("warning", messages.ALERT_DISK.format(label=folder.label, used=folder.used_percent,
                                                                    threshold=resources.threshold_percent if resources else 0,
                                                                    free=size(folder.free)), "/"))
    if cartridges and scratch < minimum:
        found.append(Alert("warning", messages.ALERT_SCRATCH_LOW.format(scratch=scratch, minimum=minimum), "/tapes"))
    finished = [row for row in recent if row.finished_at]
    if finished and finished[0].status == "failed":
        found.append(Alert("error", messages.ALERT_JOB_FAILED.format(job=finished[0].job_id[:8], reason=finished[0].reason or "—"),
                           f"/backups/{finished[0].job_id}"))
    found += [Alert("warning", messages.ALERT_JOB_PAUSED.format(job=row.job_id[:8], reason=row.reason or "—"),
                    f"/backups/{row.job_id}") for row in paused]
    found += [Alert("error", messages.ALERT_JOB_INTERRUPTED.format(job=job.job_id[:8]), f"/backups/{job.job_id}")
              for job in running if job.status == "interrupted"]
    return found


def gather(taf: App, store: ProgressStore, version: str) -> Dashboard:
    parts = Parts()
    now_live = live(taf, store)
    settings = parts.get("health", lambda: {row.key: row.value for row in taf.settings.show().runtime}, {})
    inventory = parts.get("tapes", taf.tapes.inventory, [])
    counted = [entry for entry in inventory if entry.status not in {"cleaning", "retired"}]
    scratch = sum(1 for entry in counted if entry.status == "scratch")
    minimum = int(settings.get("min_scratch_cartridges") or 0)
    history = parts.get("history", lambda: taf.backups.history(limit=FIGURE_JOBS).jobs, [])
    restores = parts.get("figures", lambda: taf.restores.history(limit=FIGURE_JOBS), [])
    paused = parts.get("history", lambda: taf.backups.history(status="paused", limit=10).jobs, [])
    resources = parts.get("resources", taf.system.resources, None)
    health = parts.get("health", taf.system.health, [])
    return Dashboard(
        version=version,
        events=parts.get("events", taf.audit.head_id, 0),
        live=now_live,
        paused=paused,
        active_groups=[g for g in parts.get("groups", taf.catalog.groups, []) if g.active],
        groups_kept=int(settings.get("active_groups") or 0),
        cartridges=len(counted),
        scratch=scratch,
        min_scratch=minimum,
        alerts=alerts(health, resources, scratch, minimum, len(counted), history, paused, now_live.jobs),
        resources=resources,
        health=health,
        figures=job_figures(history, restores),
        recent_jobs=history[:RECENT_JOBS],
        recent=parts.get("events", lambda: taf.audit.operations(RECENT_OPERATIONS), []),
        problems=[*now_live.problems, *parts.problems],
    )


def figures_chart(figures: list[JobFigure], *, restores: bool = True) -> dict[str, Any]:
    """The ECharts option for the speed and compression chart (dashboard; the backups page without
    restores), in MiB/s or, when every job was slower than that, KiB/s."""
    unit, scale = ("MiB/s", 1 << 20) if max((f.bytes_per_second for f in figures), default=0) >= 1 << 20 else ("KiB/s", 1 << 10)

    def speeds(kind: str) -> list[float | None]:
        return [round(f.bytes_per_second / scale, 1) if f.kind == kind else None for f in figures]

    series = {"备份速度": speeds("backup"), **({"恢复速度": speeds("restore")} if restores else {})}
    return speed_chart([when(f.finished_at)[5:16] for f in figures], series,
                       [round(100 * f.ratio, 1) if f.ratio is not None else None for f in figures], unit=unit)
