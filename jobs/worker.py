"""The worker process: the Huey consumer running TAF's scheduled and queued work, with a heartbeat.

The queue (SqliteHuey or RedisHuey) is chosen by the composition root; this module registers the
work on it, resumes what a stopped worker left unfinished, and runs the consumer. The health check
(`jobs.health.check_heartbeat`) reads the heartbeat file each task touches.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from huey.api import Huey

from jobs.handlers import scheduled_handlers
from jobs.health import heartbeat_path
from jobs.ports import JobServices
from jobs.tasks import ScheduledWork

log = logging.getLogger("taf.jobs")

# On Redis the slot claims are shared by every host's worker; they outlive any schedule's slot.
SHARED_CLAIM_TTL = 2 * 86400


def touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()


class Worker:
    """TAF's work registered on `huey`; `resume()` then `run()` in the worker process."""

    def __init__(self, huey: Huey, services: JobServices) -> None:
        settings = services.settings
        self.huey = huey
        self.services = services
        self.heartbeat = heartbeat_path(settings.data_dir)
        self.work = ScheduledWork(huey, lambda: services, scheduled_handlers(),
                                  claim_ttl=SHARED_CLAIM_TTL if settings.redis_url else None)

        @huey.pre_execute()
        def _beat(task: Any) -> None:
            touch(self.heartbeat)

    def resume(self) -> list[str]:
        """Beat once, and queue again the jobs a stopped or killed worker left unfinished."""
        touch(self.heartbeat)
        resumed = self.work.resume_unfinished()
        if resumed:
            log.warning("继续执行上次未完成的任务：%s", "、".join(resumed))
        return resumed

    def run(self, workers: int) -> None:
        """Run the consumer (and, when the scheduler is on, the minutely tick) until stopped."""
        consumer = self.huey.create_consumer(workers=max(1, workers), worker_type="thread",
                                             periodic=self.services.settings.scheduler_enabled, flush_locks=True,
                                             check_worker_health=True)
        consumer.run()
