"""`serve`: the whole service on one host, or one role of it for a scale-out deployment.

- all (default): web + projection runner in this process, the Huey worker as a child process
  (Huey's consumer must own its process's main thread, and so must uvicorn).
- web: only the web tier (stateless; run as many as you like).
- worker: only the Huey consumer (`python main.py worker` does the same).
- projector: only the projection runner.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from app.errors import BadRequest
from bootstrap import Services
from cli.context import Context
from projections.runner import ProjectionThread

log = logging.getLogger("taf")
MAIN = Path(__file__).resolve().parents[1] / "main.py"


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    serve = sub.add_parser("serve", parents=[common], help="启动服务（默认命令）")
    serve.add_argument("--host", default=None, help="监听地址（默认 WEB_HOST，即 127.0.0.1）")
    serve.add_argument("--port", type=int, default=None, help="端口（默认 WEB_PORT，即 8000）")
    serve.add_argument("--role", choices=["all", "web", "worker", "projector"], default="all",
                       help="运行哪部分：all 全部（默认）、web、worker、projector")
    serve.add_argument("--workers", type=int, default=1,
                       help="Web 层的进程数（只用于 --role web；默认 1，每个核一个进程可用满多核）")
    serve.set_defaults(handler=run_serve)


def run_serve(ctx: Context) -> int:
    role = ctx.args.role
    workers = getattr(ctx.args, "workers", 1)
    if workers < 1 or (workers > 1 and role != "web"):
        raise BadRequest("--workers 必须是正整数，且多个进程只用于 --role web（Web 层无状态；读模型进程与任务进程各开一个）")
    if role == "worker":
        from cli.worker import run_worker

        ctx.args.workers = 2
        return run_worker(ctx)
    services = ctx.services
    services.catch_up()
    _ensure_tape_library(services)
    if role == "projector":
        return _run_projector(services)
    projector = ProjectionThread(services.projector) if role == "all" else None
    worker = _start_worker() if role == "all" else None
    if projector:
        projector.start()
    try:
        return _run_web(ctx, services)
    finally:
        if projector:
            projector.stop()
        if worker:
            _stop_worker(worker)


def _ensure_tape_library(services: Services) -> None:
    """A fresh installation with an emulated device gets its library now, not at the first tape act."""
    from media.devices import device_spec, ensure_emulated_library

    try:
        ensure_emulated_library(services.settings, device_spec(services.settings))
    except Exception as error:  # the web and the worker run without a library; tape acts will say why
        log.warning("无法创建模拟磁带库：%s", error)


def _run_web(ctx: Context, services: Services) -> int:
    import uvicorn

    from web.app import create_app, print_first_admin

    host = ctx.args.host or services.settings.web_host
    port = ctx.args.port or services.settings.web_port
    workers = getattr(ctx.args, "workers", 1)
    store = "SQLite " + services.settings.database["path"] if services.settings.is_sqlite else "openGauss/PostgreSQL"
    if workers > 1:
        # The first administrator before the workers start, so that exactly one is made and printed.
        print_first_admin(ctx.app)
        print(f"TAF Web 层已启动：http://{host}:{port}/ （{workers} 个进程；台账：{store}）", flush=True)
        uvicorn.run(f"{__name__}:web_worker_app", factory=True, workers=workers, host=host, port=port,
                    log_level="warning")
        return 0
    print(f"TAF 服务已启动：http://{host}:{port}/ （台账：{store}）", flush=True)
    app = create_app(services)
    _settle_heap()
    uvicorn.run(app, host=host, port=port, log_level="warning")
    return 0


def web_worker_app() -> Any:
    """The web app of one of `serve --role web --workers N`'s processes: its own services, built from
    the same environment and .env as the command's."""
    from bootstrap import build
    from web.app import create_app

    app = create_app(build())
    _settle_heap()
    return app


def _settle_heap() -> None:
    """What exists once the app is built lives as long as the process: set it aside from the
    collector, whose full passes would otherwise walk it again and again (about 90 ms each under
    load, the long tail of the web's latency; docs/性能.md)."""
    gc.collect()
    gc.freeze()


def _run_projector(services: Services) -> int:
    thread = ProjectionThread(services.projector)
    # Stopped by Ctrl+C or `kill`, also where it was started with SIGINT ignored (a non-interactive
    # shell's background job): the thread then ends between two transactions.
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, signal.default_int_handler)
    try:
        thread.start()
        print("TAF 读模型进程已启动", flush=True)
        while thread.is_alive():
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        if thread.ident is not None:  # started (a signal may come before)
            thread.stop()
    return 0


def _start_worker() -> subprocess.Popen[bytes]:
    env = {**os.environ, "TAF_SUPERVISOR_PID": str(os.getpid())}
    return subprocess.Popen([sys.executable, str(MAIN), "worker"], env=env)


def _stop_worker(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
