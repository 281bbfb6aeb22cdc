"""`worker`: the Huey consumer with the scheduler, alone (the default `serve` starts one beside the web)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from cli.context import Context

log = logging.getLogger("taf.jobs")


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    worker = sub.add_parser("worker", parents=[common], help="运行后台任务进程（计划任务与队列）")
    worker.add_argument("--workers", type=int, default=2, help="并发执行任务的线程数")
    worker.set_defaults(handler=run_worker)


def touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()


def run_worker(ctx: Context) -> int:
    from bootstrap import make_queue, scheduled_handlers
    from jobs.tasks import ScheduledWork

    services = ctx.services
    huey = make_queue(services.settings)
    heartbeat = services.settings.data_dir / "worker.heartbeat"
    handlers = scheduled_handlers()
    work = ScheduledWork(huey, lambda: services, handlers,
                         claim_ttl=2 * 86400 if services.settings.redis_url else None)

    @huey.pre_execute()
    def _beat(task: Any) -> None:
        touch(heartbeat)

    touch(heartbeat)
    _follow_supervisor()
    resumed = work.resume_unfinished()
    if resumed:
        log.warning("继续执行上次未完成的任务：%s", "、".join(resumed))
    print(f"TAF 后台任务进程已启动（队列：{'Redis' if services.settings.redis_url else 'SQLite'}，"
          f"主机 {services.settings.host_name}，计划任务{'开启' if services.settings.scheduler_enabled else '关闭'}）",
          flush=True)
    consumer = huey.create_consumer(workers=max(1, ctx.args.workers), worker_type="thread",
                                    periodic=services.settings.scheduler_enabled, flush_locks=True,
                                    check_worker_health=True)
    assert work.tick_task is not None
    consumer.run()
    return 0


def _follow_supervisor() -> None:
    """A worker started by `serve` stops when that process is gone, even if it was killed outright."""
    import os
    import signal
    import threading
    import time

    supervisor = os.environ.get("TAF_SUPERVISOR_PID", "")
    if not supervisor.isdigit():
        return

    def watch() -> None:
        while os.getppid() == int(supervisor):
            time.sleep(1)
        log.warning("启动本进程的服务已退出，后台任务进程随之停止")
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=watch, name="taf-supervisor-watch", daemon=True).start()
