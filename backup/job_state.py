"""Changing a backup job's state from inside its run, when other processes change it too.

The operator pauses or cancels from the web, the CLI or the TUI at any moment; the run records a
package every few seconds. Each change is made on a fresh copy of the job and saved; if another
process saved the job meanwhile, the save is refused (the aggregate version moved on) and the
change is tried again on the new state — unless that state is paused or cancelled, which stops
the run instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from backup.messages_job import JobStopped, text
from ledger.application import Ledger

STOPPED = frozenset({"paused", "cancelled"})


def change_job(ledger: Ledger, job_id: str, change: Callable[[Any], None], *, attempts: int = 10) -> Any:
    """Apply `change` to the job as the ledger has it now and save it; returns the saved job."""
    def act() -> Any:
        job = ledger.backup_job(job_id)
        if job.status in STOPPED:
            raise JobStopped(text(job.status), status=job.status)
        change(job)
        return job

    return ledger.change(act, what=f"任务 {job_id}", attempts=attempts)
