"""The weekly read-back verification (B6): a sample of the newest completed backup, checked on tape."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backup.verify import verify_job
from ledger import clock
from notify.outbox import notify_event


def verify_latest(services: Any, slot: datetime, sample: int = 1) -> dict[str, Any] | None:
    services.projector.catch_up(["jobs"])
    done = [row for row in services.jobs.rows(limit=200) if row["kind"] != "restore"
            and row["status"] in {"succeeded", "partial"}]
    if not done:
        return None
    job_id = done[0]["job_id"]
    result = verify_job(services, job_id, actor="scheduler", sample=sample)
    for number, mismatch in enumerate(result["mismatches"]):
        barcode, _, detail = mismatch.partition(" ")
        notify_event(services, "verification_mismatch",
                     {"cartridge": barcode, "package": detail, "tape_file": "—", "expected_sha256": "—",
                      "actual_sha256": "—", "verified_at": clock.now(), "job_id": job_id},
                     cause=f"verify:{job_id}:{slot:%Y-%m-%d}:{number}")
    return result
