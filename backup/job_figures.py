"""What a finished backup job reports: its figures, the warnings its packages met, and the one-line
reason a failed job keeps."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from backup.ports import BackupServices
from backup.recording import MAX_WARNINGS_KEPT
from backup.run_options import Totals
from kernel.errors import describe
from ledger import clock
from ledger.application import Ledger
from ledger.domain import BackupJob


def first_started(ledger: Ledger, job: BackupJob) -> datetime:
    """When the job first started (a resumed job's report covers all of its runs)."""
    event: Any
    for event in ledger.events.get(job.id):
        if type(event).__name__ == "Started":
            return event.timestamp
    return clock.now()


def succeeded_context(ledger: Ledger, job: BackupJob, figures: dict[str, Any], *, run_number: int, host: str,
                      warnings: int) -> dict[str, Any]:
    """The keys the backup_succeeded template reads (notify/templates.py), plus the raw figures."""
    started = first_started(ledger, job)
    finished = clock.now()
    return {**figures, "job_id": str(job.id), "group": job.group, "status": job.status,
            "run_number": run_number, "started_at": started, "finished_at": finished,
            "duration_seconds": (finished - started).total_seconds(), "file_count": figures["files"],
            "bytes_on_tape": figures["bytes_packed"], "host": host, "occurred_at": finished,
            "warnings": warnings}


def job_figures(services: BackupServices, job_id: str, summary: Mapping[str, int], totals: Totals,
                closed_packages: Mapping[str, list[Any]], tape_notes: list[str],
                seconds: float) -> tuple[dict[str, Any], list[str]]:
    """The job's figures, and the warnings its packages recorded (in sequence order).

    `closed_packages` holds the PackageWritten events of the cartridges this run closed: read from
    there, not again from the ledger (a read of a cartridge's packages is one event per package).
    """
    ledger = services.ledger
    job = ledger.backup_job(job_id)
    on_tape = (closed_packages.get(barcode) or ledger.packages_on(barcode) for barcode in job.cartridges)
    events = sorted((event for packages in on_tape for event in packages if event.job_id == job_id),
                    key=lambda event: event.sequence)
    warnings = [line for event in events for line in dict(event.extra or {}).get("warnings", [])]
    services.projector.catch_up(["chain"])
    figures = {"files": summary["files"], "bytes_in": summary["bytes"],
               "bytes_packed": sum(event.payload_bytes for event in events),
               "packages": len(job.packages), "cartridges": list(job.cartridges),
               "seconds": round(seconds, 3), "warnings": 0,
               "tape_notes": tape_notes[:MAX_WARNINGS_KEPT],
               "write_seconds": round(totals.write_seconds, 3),
               "write_rate": round(totals.bytes_written / totals.write_seconds, 1) if totals.write_seconds else 0.0,
               "chain_head": services.chain.head()[1]}
    return figures, warnings


def failure_reason(error: BaseException) -> str:
    """The one line a failed job keeps: our Chinese message, else what kind of fault it was (the
    traceback is in the log, written where the job failed)."""
    # The operating system's and the database's own words are for the log (kernel.errors.describe).
    return describe(error).message
