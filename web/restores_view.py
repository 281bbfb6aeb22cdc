"""What the restore pages and API read and send: the request and answer schemas, the plan as a page
and the API show it (where each cartridge is, in words), a request handed to the worker, and each
page's context gathered part by part (a part that cannot be asked says why; the rest is shown).

A selection is a list of full paths as `restore.selection` reads them: a file, or a folder with
everything below it. The browser keeps it while the operator browses and searches (`taf.js`) and
sends it as repeated `path` fields; the plan shown is the one that runs (its paths are sent again
with the start form, under one idempotency key).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from app.audit import EventLine
from app.backups import JobRow
from app.catalog import FileVersion, FolderEntry, FolderPage, GroupEntry
from app.errors import BadRequest
from app.facade import App
from app.restores import RestorePreview, RestoreRequested
from app.system import HealthCheck
from kernel.errors import describe
from ledger.domain.job import FINISHED, STATUS_NAMES
from web import messages
from web.backups_view import PAUSABLE, STOPPABLE, job_events
from web.parts import Parts

HISTORY = 30
SINGLE_FOLDERS_OPENED = 32  # how deep the tree opens a chain of lone folders by itself
# A job still only requested this long after it was, with no progress, has not reached a worker (its
# queue was down, or no worker runs): its page offers to hand it over again.
UNCLAIMED_SECONDS = 60


# -- the API's schemas ---------------------------------------------------------------------------------


@dataclass
class PlanRequest:
    """A selection to plan (POST /api/v1/restores/plan)."""

    paths: list[str]  # full paths (a file, or a folder with everything below it), or `/` for everything
    group: str = ""  # YYYY-MM: that group's versions; empty: each path's newest version


@dataclass
class RestoreRequest:
    """A restore to run (POST /api/v1/restores): recorded with its plan, then handed to the worker."""

    paths: list[str]
    target: str  # a folder on the server; each file goes to target + its full path
    group: str = ""
    on_conflict: str = "skip"  # skip, rename or overwrite a file already in the target
    idempotency_key: str | None = None  # the same key never makes a second job


@dataclass(frozen=True)
class PlanPackage:
    package_id: str
    tape_file: int  # the tape file to LOCATE to
    payload_block: int  # the block its data starts at
    payload_blocks: int
    bytes: int
    files: int  # selected files in it


@dataclass(frozen=True)
class PlanStep:
    order: int
    barcode: str
    location: str  # drive:0, slot:3, ie:1, shelf, offsite:…, or "" when unknown
    location_text: str  # the same in words: 驱动器 0, 槽位 3 …
    instruction: str  # what the operator does for it, in Chinese
    packages: list[PlanPackage]  # in tape order
    bytes_to_read: int
    seconds: float


@dataclass(frozen=True)
class Plan:
    """Which cartridges, in what order, where each is now, what is read from each and how long it takes (B3)."""

    summary: str
    files: int
    file_bytes: int
    folders: int
    links: int
    bytes_to_read: int  # from tape: the solid blocks needed (whole packages without a recorded layout)
    seconds: float  # estimated, by the drive's timing model
    cartridges: list[str]
    steps: list[PlanStep]
    missing: list[str]  # cartridges whose place is not known


@dataclass(frozen=True)
class RestoreAccepted:
    """The job is recorded with its plan and (unless `queue_problem`) queued for the worker."""

    job_id: str
    created: bool  # False: the idempotency key named an earlier job, returned as it is
    status: str
    status_text: str
    device: str  # the drive it was checked against
    queued: bool
    queue_problem: str  # why it could not be queued ("" when queued): resume it once the worker is back
    plan: Plan
    status_url: str  # GET: the job, its result and latest progress
    events_url: str  # GET: live progress (SSE)


# -- the page's forms ----------------------------------------------------------------------------------


@dataclass
class PlanForm:
    """The selection, as the page sends it: one `path` field per selected path."""

    path: list[str] | str = field(default_factory=list)
    group: str = ""


@dataclass
class RestoreForm:
    """The start form under a plan: the plan's paths again, the target and what to do on a conflict."""

    path: list[str] | str = field(default_factory=list)
    group: str = ""
    target: str = ""
    on_conflict: str = "skip"
    key: str = ""


def selection(paths: list[str] | str) -> list[str]:
    """The selected paths, in order, each once (a form sends one path as a plain string)."""
    items = [paths] if isinstance(paths, str) else paths
    return list(dict.fromkeys(item.strip() for item in items if item.strip()))


def check_status(status: str) -> str:
    if status and status not in STATUS_NAMES:
        raise BadRequest(messages.RESTORE_STATUS_UNKNOWN.format(status=status, choices="、".join(STATUS_NAMES)))
    return status


# -- the plan and the request ----------------------------------------------------------------------------


def location_text(location: str) -> str:
    kind, _, where = location.partition(":")
    if kind not in messages.LOCATIONS:
        return messages.LOCATION_UNKNOWN
    text = messages.LOCATIONS[kind].format(where=where)
    return f"{text}（{where}）" if kind == "offsite" and where else text


def plan_of(preview: RestorePreview) -> Plan:
    plan = preview.plan
    steps = [PlanStep(step.order, step.barcode, step.location, location_text(step.location), step.instruction,
                           [PlanPackage(p.package_id, p.tape_file, p.payload_block, p.payload_blocks, p.bytes, len(p.files))
                            for p in step.packages], step.bytes_to_read, step.seconds)
             for step in plan.steps]
    return Plan(plan.summary, plan.files, plan.file_bytes, preview.folders, preview.links, plan.bytes_to_read,
                plan.seconds, plan.cartridges, steps, list(plan.missing))


def request_and_start(taf: App, paths: list[str], target: str, *, actor: str, group: str = "",
                      on_conflict: str = "skip", key: str | None = None) -> RestoreAccepted:
    """Record the restore with its plan, then hand it to the worker; a job recorded while the queue
    is down says so (it is resumed from its page once the worker is back)."""
    requested: RestoreRequested = taf.restores.request(paths, target, actor=actor, on_conflict=on_conflict,
                                                       group=group, key=key or None, confined=True)
    problem = ""
    if requested.created:  # an earlier request under the same key was handed over then
        try:
            taf.restores.start(requested.job_id)
        except Exception as error:  # the queue is down: the job waits in the ledger, nothing is lost
            problem = messages.RESTORE_QUEUE_FAILED.format(message=describe(error).message)
    return RestoreAccepted(requested.job_id, requested.created, requested.status, requested.status_text,
                           requested.device, not problem, problem, plan_of(requested.preview),
                           f"/api/v1/restores/{requested.job_id}", f"/api/v1/jobs/{requested.job_id}/events")


# -- the pages' context -----------------------------------------------------------------------------------


def chosen_group(groups: list[GroupEntry], wanted: str) -> GroupEntry | None:
    """The group to browse: the one asked for, else the newest holding files."""
    named = {group.name: group for group in groups}
    if wanted in named:
        return named[wanted]
    holding = [group for group in groups if group.files]
    return holding[-1] if holding else None


def restores_page(taf: App, group: str) -> dict[str, Any]:
    """The restore page: the groups on their timeline, the one browsed, the restore history."""
    parts = Parts()
    groups: list[GroupEntry] = parts.get("groups", taf.catalog.groups, [])
    jobs: list[JobRow] = parts.get("restore_history", lambda: taf.restores.history(limit=HISTORY), [])
    return {
        "groups": groups,
        "group": chosen_group(groups, group),
        "jobs": jobs,
        "problems": parts.problems,
        "groups_failed": parts.failed("groups"),
    }


def plan_context(taf: App, paths: list[str], group: str) -> dict[str, Any]:
    """A plan to show, with the start form that runs exactly it."""
    return {"plan": plan_of(taf.restores.plan(paths, group=group)), "paths": paths, "group": group,
            "key": uuid.uuid4().hex, "conflict_modes": messages.CONFLICT_MODES}


def job_page(taf: App, job_id: str) -> dict[str, Any]:
    """One restore: its state, plan, result and latest progress, its ledger events and the controls
    that apply; while it has not finished, whether the worker that runs it is alive."""
    shown = taf.restores.status(job_id)
    parts = Parts()
    events: list[EventLine] = parts.get("events", lambda: taf.restores.events(shown.job_id), [])
    health: list[HealthCheck] = [] if shown.status in FINISHED else parts.get("health", taf.system.health, [])
    worker_down = [check for check in health if not check.ok]
    unclaimed = shown.status == "requested" and shown.progress is None and (
        bool(worker_down) or waited(shown.requested_at) >= UNCLAIMED_SECONDS)
    return {"job": shown, "progress": shown.progress, **job_events(events), "worker_down": worker_down,
            "can_cancel": shown.status in STOPPABLE, "can_pause": shown.status in PAUSABLE,
            "can_resume": shown.status == "paused" or unclaimed, "problems": parts.problems,
            "conflict_modes": messages.CONFLICT_MODES}


def waited(since: str) -> float:
    """Seconds since an ISO moment (0 when it cannot be read)."""
    try:
        moment = datetime.fromisoformat(since)
    except ValueError:
        return 0.0
    return (datetime.now(moment.tzinfo or timezone.utc) - moment).total_seconds()


def opened_folder(taf: App, group: str, path: str, *, offset: int, limit: int) -> tuple[FolderPage, list[FolderEntry]]:
    """A folder for the tree; when it holds one folder and nothing else, that folder is opened instead,
    down to where the tree branches (/ → srv → 数据), and the folders passed are returned with it."""
    folder = taf.catalog.folder(group, path, offset=offset, limit=limit)
    passed: list[FolderEntry] = []
    while (offset == 0 and folder.total == 1 and folder.children[0].kind == "dir"
           and len(passed) < SINGLE_FOLDERS_OPENED):
        passed.append(folder.children[0])
        folder = taf.catalog.folder(group, passed[-1].path, limit=limit)
    return folder, passed


def passed_label(passed: list[FolderEntry]) -> tuple[str, str]:
    """The folders opened on the way as one name (/srv/数据, C:/Users, 2024/财务), cut before its last
    folder: a long one is shortened on the left, so the folder the tree opens at stays readable."""
    label = "/".join(entry.name for entry in passed)
    label = label[1:] if label.startswith("//") else label  # the root "/" is a name of its own
    cut = label.rstrip("/").rfind("/") + 1
    return label[:cut], label[cut:]


def highlighted(path: str, fragment: str) -> tuple[str, str, str]:
    """`path` cut around the first place `fragment` matches (ASCII letters in either case), for <mark>."""
    at = path.lower().find(fragment.lower()) if fragment else -1
    if at < 0:
        return path, "", ""
    return path[:at], path[at:at + len(fragment)], path[at + len(fragment):]


def search_rows(files: list[FileVersion], fragment: str) -> list[dict[str, Any]]:
    return [{"file": file, "parts": highlighted(file.path, fragment)} for file in files]
