"""What a backup job looks like to the faces: one dictionary from the job aggregate."""

from __future__ import annotations

from typing import Any

from backup.messages_job import text
from ledger.domain.job import STATUS_NAMES

INTERRUPTED = "interrupted"  # shown, never stored: the ledger says running, but its process is gone


def interrupted_reason(job_id: str) -> str:
    """Why an interrupted job is not running, and the command that resumes it."""
    return text("interrupted", command=f"python main.py backup resume {job_id}")


def _pause_reason(job: Any) -> str:
    return str(getattr(job, "pause_reason", "") or "") if job.status == "paused" else ""


def job_summary(job: Any, *, interrupted: bool = False) -> dict[str, Any]:
    """The job as the faces show it; `interrupted` (backup.service.interrupted) when its process died."""
    figures = dict(job.figures or {})
    status = INTERRUPTED if interrupted else job.status
    return {
        "job_id": str(job.id), "status": status, "status_text": STATUS_NAMES.get(status, status),
        "group": job.group, "sources": list(job.sources), "files": figures.get("files", job.planned.get("files", 0)),
        "bytes_in": figures.get("bytes_in", job.planned.get("bytes_in", 0)),
        "bytes_packed": figures.get("bytes_packed", 0), "packages": len(job.packages),
        "cartridges": list(job.cartridges), "seconds": figures.get("seconds", 0.0),
        "warnings": len(job.warnings) if not figures else figures.get("warnings", 0),
        "warning_list": list(job.warnings),
        "reason": interrupted_reason(str(job.id)) if interrupted else job.reason or _pause_reason(job),
        "chain_head": figures.get("chain_head", ""), "tape_notes": list(figures.get("tape_notes", [])),
        "waiting_for": job.waiting_for if job.status == "waiting_tape" and not interrupted else "",
        "verification": dict(getattr(job, "last_verification", None) or {}),
    }
