"""The worker process: the Huey consumer running TAF's scheduled and queued work, with a heartbeat.

The queue (SqliteHuey or RedisHuey) is chosen by the composition root; this module registers the
work on it, resumes what a stopped worker left unfinished, delivers queued notifications (whether
or not the schedules are on, `jobs.delivery`), and runs the consumer. The health check
(`jobs.health.check_heartbeat`) reads the heartbeat file each task touches.

Stopping: SIGTERM (a service manager, `kill`) or SIGINT (Ctrl-C, the `serve` process) asks every
job running here to pause at its next safe point — after the package on tape, or at once while it
waits for a tape — records the pause as the worker's, and waits up to `SHUTDOWN_SECONDS` for the
jobs to get there; the next start takes those jobs up again (`jobs.handlers.unfinished`). A second
signal ends the process at once: its jobs are then interrupted, and also resumed at the next start.
"""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from huey.api import Huey
from huey.consumer import Consumer

from jobs.delivery import DeliveryLoop
from jobs.handlers import scheduled_handlers
from jobs.health import heartbeat_path
from jobs.ports import JobServices
from jobs.tasks import ScheduledWork

log = logging.getLogger("taf.jobs")

# On Redis the slot claims are shared by every host's worker; they outlive any schedule's slot.
SHARED_CLAIM_TTL = 2 * 86400
# How long a stopping worker waits for its jobs to pause (a package being written is finished first).
SHUTDOWN_SECONDS = 60.0
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


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
        # Set when the worker is asked to stop: every job it runs pauses at its next safe point.
        self.stopping = threading.Event()
        self.work = ScheduledWork(huey, lambda: services, scheduled_handlers(self.stopping),
                                  claim_ttl=SHARED_CLAIM_TTL if settings.redis_url else None)
        self.delivery = DeliveryLoop(lambda: services)

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

    def stop_jobs(self) -> None:
        """Ask every job running here to pause at its next safe point."""
        self.stopping.set()

    def run(self, workers: int) -> None:
        """Deliver notifications, and run the consumer (and, when the scheduler is on, the minutely
        tick) until stopped."""
        consumer = PausingConsumer(self.huey, self.stop_jobs, workers=max(1, workers), worker_type="thread",
                                   periodic=self.services.settings.scheduler_enabled, flush_locks=True,
                                   check_worker_health=True, shutdown_timeout=SHUTDOWN_SECONDS)
        self.delivery.start()
        try:
            consumer.run()
        finally:
            self.delivery.stop()


class PausingConsumer(Consumer):
    """Huey's consumer, except that SIGTERM and SIGINT first ask the running jobs to pause, then
    wait for them (Huey's graceful stop, bounded by `shutdown_timeout`). Huey's own SIGTERM ends
    at once and, with thread workers, takes the running jobs down mid-write."""

    def __init__(self, huey: Huey, on_stop: Any, **options: Any) -> None:
        super().__init__(huey, **options)
        self._on_stop = on_stop

    def _handle_signal(self, signum: int, frame: FrameType | None) -> None:
        if signum not in STOP_SIGNALS:
            super()._handle_signal(signum, frame)
            return
        log.warning("后台任务进程收到停止信号：正在运行的任务将在安全点暂停，下次启动时自动继续")
        self._on_stop()
        self._signum = signum
        self._restart, self._graceful = False, True
        signal.signal(signum, signal.default_int_handler)  # a second signal ends the process at once
