"""Huey tasks: a minutely tick that claims due slots and queues the work, and the work itself.

The handlers (what a monthly backup or a retention check does) are passed in by the composition
root, so this module knows Huey and the schedules, not the concrete store, drive or queue.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from huey import crontab
from huey.api import Huey

from jobs.ports import Handler, JobServices
from jobs.schedule import FIXED, SCHEDULES, Schedule, catch_up_slot, due, slot_key
from ledger import clock

log = logging.getLogger("taf.jobs")


class ScheduledWork:
    """Registers TAF's periodic work on a Huey instance."""

    def __init__(self, huey: Huey, services: Callable[[], JobServices], handlers: dict[str, Handler], *,
                 claim_ttl: int | None = None) -> None:
        self.huey = huey
        self.services = services
        self.handlers = handlers
        self.claim_ttl = claim_ttl
        self._caught_up = False
        self.tick_task = huey.periodic_task(crontab(), name="taf.tick")(self.tick)
        self.run_task = huey.task(retries=3, retry_delay=30, name="taf.run")(self.run)
        # Long jobs (backups, restores) run here, never inside a web request; their state lives in
        # the ledger, so a retry after a crash simply resumes them.
        self.job_task = huey.task(name="taf.job")(self.run_job)

    def cron_of(self, schedule: Schedule) -> str:
        if schedule in FIXED:
            return schedule.cron_key
        return str(self.services().effective(schedule.cron_key))

    def claim(self, key: str) -> bool:
        """True for the first claimant of a slot, across processes sharing the queue storage."""
        return bool(self.huey.put_if_empty(f"taf:slot:{key}", "1", ttl=self.claim_ttl))

    def tick(self, now: datetime | None = None) -> list[str]:
        """Queue every schedule due this minute (once per slot); returns the keys queued."""
        now = now or clock.now()
        services = self.services()
        if not services.effective("scheduler_enabled"):
            return []
        queued = []
        for schedule, slot in due(now, self.cron_of):
            if schedule.name not in self.handlers:
                continue
            key = slot_key(schedule, slot)
            if schedule in FIXED or self.claim(key):
                self.run_task(schedule.name, slot.isoformat())
                queued.append(key)
        if not self._caught_up:
            queued.extend(self.catch_up(now))
            self._caught_up = True
        return queued

    def catch_up(self, now: datetime) -> list[str]:
        """After a start, run once what was missed while the service was down (within the window)."""
        services = self.services()
        window = timedelta(hours=int(services.effective("catch_up_window_hours") or 0))
        queued = []
        for schedule in SCHEDULES:
            ran = self.handlers.get(f"{schedule.name}.ran")
            if not schedule.catch_up or ran is None or schedule.name not in self.handlers:
                continue
            slot, sentence = catch_up_slot(schedule, self.cron_of(schedule), now, window,
                                           partial(_ran, ran, services))
            log.info(sentence)
            if slot is not None and self.claim(slot_key(schedule, slot)):
                self.run_task(schedule.name, slot.isoformat())
                queued.append(slot_key(schedule, slot))
                reporter = self.handlers.get("report")
                if reporter is not None:
                    reporter(services, sentence)
        return queued

    def run_job(self, kind: str, job_id: str) -> Any:
        log.info("开始执行 %s 任务 %s", kind, job_id)
        return self.handlers[f"job.{kind}"](self.services(), job_id)

    def resume_unfinished(self) -> list[str]:
        """Queue again the jobs a stopped or killed worker left unfinished (their state is in the ledger)."""
        finder = self.handlers.get("unfinished")
        if finder is None:
            return []
        queued = []
        for kind, job_id in finder(self.services()):
            self.job_task(kind, job_id)
            queued.append(job_id)
        return queued

    def run(self, name: str, slot_iso: str) -> Any:
        handler = self.handlers[name]
        slot = datetime.fromisoformat(slot_iso)
        log.info("开始执行计划任务 %s（计划时间 %s）", name, slot_iso)
        return handler(self.services(), slot)


def _ran(ran: Handler, services: JobServices, slot: datetime) -> bool:
    return bool(ran(services, slot))
