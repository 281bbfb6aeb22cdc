"""`serve`: the web service with the projection runner beside it, on one host."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from cli.context import Context
from projections.runner import ProjectionThread

log = logging.getLogger("taf")


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    serve = sub.add_parser("serve", parents=[common], help="启动 Web 服务（默认命令）")
    add_serve_arguments(serve)
    serve.set_defaults(handler=run_serve)


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=None, help="监听地址（默认 WEB_HOST，即 127.0.0.1）")
    parser.add_argument("--port", type=int, default=None, help="端口（默认 WEB_PORT，即 8000）")


def run_serve(ctx: Context) -> int:
    import uvicorn

    from web.app import create_app

    services = ctx.services
    services.catch_up()
    projector = ProjectionThread(services.projector)
    projector.start()
    host = ctx.args.host or services.settings.web_host
    port = ctx.args.port or services.settings.web_port
    print(f"TAF 服务已启动：http://{host}:{port}/ （台账：{services.settings.database_url if services.settings.is_sqlite else services.settings.database['kind']}）", flush=True)
    try:
        uvicorn.run(create_app(services), host=host, port=port, log_level="warning")
    finally:
        projector.stop()
    return 0
