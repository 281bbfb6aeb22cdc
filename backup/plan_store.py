"""A job's package plan kept on disk, so a resumed job packs exactly what it planned.

Re-scanning after a crash could see changed files and plan different packages; the plan the job
started with is what the ledger's PackageRecorded events refer to. The file is written before the
`Planned` event and is only ever read by the same program version that wrote it.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path

from backup.plan import PackagePlan


def plan_path(folder: Path, job_id: str) -> Path:
    return folder / "jobs" / job_id / "plan.pickle"


def digest(plans: list[PackagePlan]) -> str:
    return hashlib.sha256("\n".join(f"{p.seq}:{p.package_id}" for p in plans).encode()).hexdigest()


def save_plan(folder: Path, job_id: str, plans: list[PackagePlan], summary: dict[str, int],
              warnings: list[str]) -> None:
    path = plan_path(folder, job_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    with open(temporary, "wb") as handle:
        pickle.dump({"plans": plans, "summary": summary, "warnings": warnings}, handle, protocol=pickle.HIGHEST_PROTOCOL)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def load_plan(folder: Path, job_id: str) -> tuple[list[PackagePlan], dict[str, int], list[str]] | None:
    path = plan_path(folder, job_id)
    try:
        with open(path, "rb") as handle:
            data = pickle.load(handle)  # our own file, written by this program for this job
    except (OSError, pickle.UnpicklingError, EOFError):
        return None
    return data["plans"], data["summary"], data["warnings"]


def discard_plan(folder: Path, job_id: str) -> None:
    """A finished job never resumes: its plan (large for millions of files) can go."""
    plan_path(folder, job_id).unlink(missing_ok=True)
