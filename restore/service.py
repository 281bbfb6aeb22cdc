"""The restore use case as the CLI and the web call it: plan, request, run, cancel, look.

- `plan_for(services, selection, group)`: the selection resolved and its B3 plan, nothing changed.
- `request(...)`: checks everything first (target, conflict mode, group, that something matches),
  then creates the job (idempotent by key) and records its plan, pinned to the catalog position.
- `run(...)`: executes the job in this process (`--wait`, the detached runner, a worker).
- `cancel`, `pause`, `status` (with the live progress a running job publishes, from any process).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kernel.progress import Observer
from ledger.domain import RestoreJob
from media.devices import DeviceSession, open_session
from restore import messages
from restore.errors import BadRequest, NothingFound, Refused
from restore.execute import RestoreSummary, execute
from restore.files import CONFLICT_MODES
from restore.layouts import planned_reads
from restore.plan import FileRow, RestorePlan, make_plan
from restore.ports import RestoreServices
from restore.selection import file_rows, resolve
from restore.whereabouts import whereabouts


@dataclass(frozen=True)
class Preview:
    rows: list[dict[str, Any]]
    plan: RestorePlan

    @property
    def folders(self) -> int:
        return sum(1 for r in self.rows if r["kind"] == "dir")

    @property
    def links(self) -> int:
        return sum(1 for r in self.rows if r["kind"] == "symlink")


def plan_for(services: RestoreServices, selection: Sequence[str], group: str = "", as_of: int = 0) -> Preview:
    services.projector.catch_up(["catalog", "inventory"])
    rows = resolve(services.catalog, list(selection), group, as_of=as_of)
    if not rows:
        raise NothingFound(messages.text("nothing_matched", selection="、".join(selection)),
                           messages.text("nothing_matched_advice"))
    wanted = [FileRow.from_catalog(r) for r in file_rows(rows)]
    plan = make_plan(wanted, whereabouts(services), block_size=services.settings.default_block_size,
                     partial=planned_reads(services.ledger, wanted))
    return Preview(rows, plan)


def check_target(target: str | Path) -> Path:
    if not str(target).strip():
        raise BadRequest(messages.text("target_missing"))
    path = Path(target).expanduser().absolute()
    if path.exists() and not path.is_dir():
        raise BadRequest(messages.text("target_is_file", target=path), messages.text("target_is_file_advice"))
    return path


def check_conflict(on_conflict: str) -> str:
    if on_conflict not in CONFLICT_MODES:
        raise BadRequest(messages.text("bad_conflict", value=on_conflict))
    return on_conflict


def request(services: RestoreServices, selection: Sequence[str], target: str | Path, *, on_conflict: str = "skip",
            group: str = "", by: str, key: str | None = None) -> tuple[RestoreJob, bool, Preview]:
    """Create the restore job (or return the one `key` already names); nothing is created on bad input."""
    path = check_target(target)
    check_conflict(on_conflict)
    services.projector.catch_up(["catalog", "inventory"])
    as_of = services.catalog.position()  # the catalog as now seen: a resumed job restores these versions
    preview = plan_for(services, selection, group, as_of=as_of)
    plan = preview.plan
    job, created = services.ledger.request_restore(
        key or uuid.uuid4().hex, selection=list(selection), target=str(path), on_conflict=on_conflict, group=group,
        by=by, plan={"as_of": as_of, "files": plan.files, "packages": len(plan.packages),
                     "bytes_to_read": plan.bytes_to_read, "cartridges": plan.cartridges})
    return job, created, preview


def session_factory(services: RestoreServices, device: str, actor: str, changer: str | None = None) -> Callable[[], DeviceSession]:
    return lambda: open_session(services, device, actor, changer_spec=changer)


def run(services: RestoreServices, job_id: str, *, device: str, actor: str, changer: str | None = None,
        progress: Observer | None = None, poll_seconds: float = 2.0,
        stop: threading.Event | None = None, tape_pause_seconds: float | None = None) -> RestoreSummary:
    """Run the job here and now; a paused job is resumed first."""
    job = services.ledger.restore_job(job_id)
    if job.status == "paused":
        job = services.ledger.resume_restore(str(job.id), by=actor)
    return execute(services, str(job.id), session_factory(services, device, actor, changer), progress=progress,
                   poll_seconds=poll_seconds, stop=stop, actor=actor, tape_pause_seconds=tape_pause_seconds)


def cancel(services: RestoreServices, job_id: str, *, by: str, reason: str = "") -> RestoreJob:
    job = services.ledger.restore_job(job_id)
    if job.finished:
        raise Refused(messages.text("job_finished", job=job_id, status=messages.status_name(job.status)))
    return services.ledger.cancel_restore(str(job.id), by=by, reason=reason)


def pause(services: RestoreServices, job_id: str, *, by: str, reason: str = "") -> RestoreJob:
    return services.ledger.pause_restore(job_id, by=by, reason=reason)


def _pause_reason(services: RestoreServices, job: RestoreJob) -> str:
    """Why the job is paused: the reason of its last pause (the aggregate keeps only the state)."""
    reason = ""
    for event in services.ledger.events.get(job.id):
        if type(event).__qualname__.endswith("Paused"):
            reason = getattr(event, "reason", "") or ""
    return reason


def status(services: RestoreServices, job_id: str) -> dict[str, Any]:
    job = services.ledger.restore_job(job_id)
    reason = job.reason or (_pause_reason(services, job) if job.status == "paused" else "")
    return {
        "job_id": str(job.id), "status": job.status, "status_text": messages.status_name(job.status),
        "selection": list(job.selection), "group": job.group, "target": job.target,
        "on_conflict": job.on_conflict, "requested_by": job.requested_by,
        "requested_at": job.created_on.isoformat(), "updated_at": job.modified_on.isoformat(),
        "planned": dict(job.planned), "packages_done": len(job.done_packages),
        "tape_bytes_read": job.tape_bytes_read, "waiting_for": job.waiting_for if job.status in ("waiting_tape", "paused") else "", "reason": reason,
        "figures": dict(job.figures), "warnings": list(job.warnings),
        "progress": _live(services, str(job.id)),
    }


def _live(services: RestoreServices, job_id: str) -> dict[str, Any] | None:
    progress = services.progress.latest(job_id)
    return progress.to_dict() if progress is not None else None
