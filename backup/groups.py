"""Opening a backup group for a run, with rotation (R5): six active groups; the seventh rotates
the oldest out. The decision is ledger/rules/rotation's pure function; this applies it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backup.ports import GroupServices
from ledger.domain import BackupGroup
from ledger.rules.rotation import GroupState, decide_rotation


def _states(services: GroupServices) -> list[GroupState]:
    services.projector.catch_up(["groups"])
    return [GroupState(name=row["name"], opened_at=datetime.fromisoformat(row["opened_at"]),
                       active=bool(row["active"]), runs=int(row["runs"]))
            for row in services.groups.all()]


def join_group(services: GroupServices, name: str, job_id: str, by: str) -> int:
    """Open `name` (rotating out the oldest beyond the keep count) or add this run to it.

    Returns the run number within the group. Idempotent for a job that is resumed.
    """
    ledger = services.ledger

    def act() -> tuple[Any, ...] | None:
        group = ledger.find_group(name)
        if group is not None:
            if job_id in group.runs:
                return None  # this job (resumed) joined before: nothing to record
            group.add_run(job_id=job_id, run_number=len(group.runs) + 1)
            return (group,)
        # A new group: open it, and rotate out what the keep count no longer holds, in one save.
        decision = decide_rotation(_states(services), name, keep=int(services.effective("active_groups")))
        group = BackupGroup(name=name, by=by)
        group.add_run(job_id=job_id, run_number=1)
        rotated = []
        for old_name in decision.rotate_out:
            old = ledger.group(old_name)
            old.rotate_out(reason=decision.explanation, by=by)
            rotated.append(old)
        return (group, *rotated)

    ledger.change(act, what=f"备份组 {name}")
    return ledger.group(name).runs.index(job_id) + 1
