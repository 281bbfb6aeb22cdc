"""The running restore's link to its ledger record: is it still wanted, and recording what it did.

Another process (the CLI's `restore cancel`, the web) may cancel or pause the job at any time by
saving an event on it. So the runner never trusts the aggregate it loaded at the start: every
change reloads the job, refuses to record anything on a job that was stopped meanwhile, and
retries once more if it lost a race for the next version. `check()` looks (at most once per
`interval` seconds) and raises `Stopped` when the job should stop.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from ledger.application import Ledger
from ledger.domain import RestoreJob
from restore.errors import Stopped

_STOPPED = ("cancelled", "paused")
_ATTEMPTS = 5


class JobControl:
    def __init__(self, ledger: Ledger, job_id: str, *, stop: threading.Event | None = None,
                 interval: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ledger = ledger
        self.job_id = job_id
        self.stop = stop
        self.interval = interval
        self.clock = clock
        self._checked = float("-inf")

    def job(self) -> RestoreJob:
        return self.ledger.restore_job(self.job_id)

    def live_job(self) -> RestoreJob:
        """The job as the ledger has it now; `Stopped` if it was cancelled or paused."""
        job = self.job()
        if job.status in _STOPPED:
            raise Stopped(job.status)
        return job

    def check(self, *, force: bool = False) -> None:
        """Raise `Stopped` if the job was cancelled or paused (or this process was asked to stop)."""
        if self.stop is not None and self.stop.is_set():
            raise Stopped("paused")
        now = self.clock()
        if not force and now - self._checked < self.interval:
            return
        self._checked = now
        status = self.job().status
        if status in _STOPPED:
            raise Stopped(status)

    def update(self, change: Callable[[RestoreJob], None], *others: Callable[[], Any],
               allow_stopped: bool = False) -> RestoreJob:
        """Apply `change` to a fresh copy of the job and save it with the aggregates `others` give.

        Raises `Stopped` if the job was stopped meanwhile (unless `allow_stopped`, for the
        bookkeeping a stopped job still needs, like releasing its drive).
        """
        def act() -> tuple[Any, ...]:
            job = self.job() if allow_stopped else self.live_job()
            change(job)
            return (job, *[make() for make in others])

        return self.ledger.change(act, what=f"恢复任务 {self.job_id}", attempts=_ATTEMPTS)[0]
