"""What a backup job looks like to the faces: one dictionary from the job aggregate."""

from __future__ import annotations

from typing import Any

from ledger.domain.job import STATUS_NAMES


def job_summary(job: Any) -> dict[str, Any]:
    figures = dict(job.figures or {})
    return {
        "job_id": str(job.id), "status": job.status, "status_text": STATUS_NAMES.get(job.status, job.status),
        "group": job.group, "sources": list(job.sources), "files": figures.get("files", job.planned.get("files", 0)),
        "bytes_in": figures.get("bytes_in", job.planned.get("bytes_in", 0)),
        "bytes_packed": figures.get("bytes_packed", 0), "packages": len(job.packages),
        "cartridges": list(job.cartridges), "seconds": figures.get("seconds", 0.0),
        "warnings": len(job.warnings) if not figures else figures.get("warnings", 0),
        "warning_list": list(job.warnings), "reason": job.reason, "chain_head": figures.get("chain_head", ""),
        "tape_notes": list(figures.get("tape_notes", [])),
    }
