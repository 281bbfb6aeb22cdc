"""The weekly read-back verification (B6): a sample of the newest completed backup, checked on tape.

Only a package that was read and found wrong raises an alert: "校验不一致" when its bytes differ,
"备份无法恢复" when they are intact but its files do not come back. Nobody is asked for a cartridge:
one that could not be reached (another cartridge in a standalone drive, not in the library, the
drive held by a job, a device error) is recorded with the job's verification and why — as
`VerificationSkipped` when nothing at all could be read — and never reported as a mismatch.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from jobs.ports import JobServices
from ledger import clock
from notify.outbox import QueuedNotice, deliver_now, notify_event
from restore.verify import DAMAGED, UNRESTORABLE, verify_job

_ALERTS = {DAMAGED: "verification_mismatch", UNRESTORABLE: "verification_unrestorable"}


def _tape_file(services: JobServices, barcode: str, package_id: str) -> Any:
    for event in services.ledger.packages_on(barcode):
        if event.package_id == package_id:
            return event
    return None


def alert_findings(services: JobServices, result: dict[str, Any], cause: str) -> list[QueuedNotice]:
    """Queue one alert per package found wrong (to each recipient who asked), and try to deliver
    them at once; returns what was queued."""
    queued: list[QueuedNotice] = []
    for number, finding in enumerate(result["findings"]):
        kind = _ALERTS.get(finding["kind"])
        if kind is None:
            continue
        event = _tape_file(services, finding["cartridge"], finding["package_id"])
        context = {"cartridge": finding["cartridge"], "package": finding["package_id"],
                   "tape_file": event.tape_file if event is not None else "—",
                   "detail": finding["text"], "verified_at": clock.now(), "job_id": result["job_id"]}
        if kind == "verification_mismatch":
            context.update(expected_sha256=event.payload_sha256 if event is not None else "—", actual_sha256="—")
        queued.extend(notify_event(services, kind, context, cause=f"{cause}:{number}"))
    if queued:
        deliver_now(services, clock.now(), queued)
    return queued


def verify_latest(services: JobServices, slot: datetime, sample: int = 1) -> dict[str, Any] | None:
    services.projector.catch_up(["jobs"])
    done = [row for row in services.jobs.rows(limit=200) if row["kind"] != "restore"
            and row["status"] in {"succeeded", "partial"}]
    if not done:
        return None
    job_id = done[0]["job_id"]
    # A different package each week (the week's number picks it), so in time every one is read.
    result = verify_job(services, job_id, actor="scheduler", sample=sample, rotation=slot.toordinal() // 7)
    alert_findings(services, result, cause=f"verify:{job_id}:{slot:%Y-%m-%d}")
    return result
