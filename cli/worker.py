"""`worker`: the Huey consumer with the scheduler, alone (the default `serve` starts one beside the web)."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from cli.context import Context

log = logging.getLogger("taf.jobs")


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    worker = sub.add_parser("worker", parents=[common], help="运行后台任务进程（计划任务与队列）")
    worker.add_argument("--workers", type=int, default=2, help="并发执行任务的线程数")
    worker.set_defaults(handler=run_worker)


def run_worker(ctx: Context) -> int:
    from bootstrap import make_queue
    from jobs.worker import Worker

    services = ctx.services
    settings = services.settings
    worker = Worker(make_queue(settings), services)
    _follow_supervisor()
    worker.resume()
    print(f"TAF 后台任务进程已启动（队列：{'Redis' if settings.redis_url else 'SQLite'}，"
          f"主机 {settings.host_name}，计划任务{'开启' if settings.scheduler_enabled else '关闭'}，"
          "钉钉通知随时投递）", flush=True)
    worker.run(ctx.args.workers)
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
