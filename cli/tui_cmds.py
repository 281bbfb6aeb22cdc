"""`tui`: the Textual console at the drive host, over the same store, devices and progress model as
the service (the Redis one on a scale-out site).

The console connects on its own schedule: a database that cannot be reached at start is shown on
the screen and tried again, rather than ending the command.
"""

from __future__ import annotations

import argparse
from typing import Any

from app.facade import make_app
from bootstrap import build
from cli.context import Context
from config import Settings
from ledger import clock


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    tui = sub.add_parser("tui", help="终端界面（驱动器旁的控制台）")
    tui.add_argument("--device", default=None, help="磁带设备（默认 TAPE_DEVICE，否则 emulated:0）")
    tui.set_defaults(handler=run_tui)


def console_actor(ctx: Context) -> str:
    """Who the ledger records as acting: TAF_USER, else the operating-system user, at the console
    (the command line's own rule, `Context.actor`, with the face named tui)."""
    actor = ctx.actor
    return "tui" + actor.removeprefix("cli") if actor == "cli" or actor.startswith("cli:") else actor


def connector(settings: Settings) -> Any:
    """The console's connection factory: the composition root's services and their `App`."""
    from tui.session import Connection

    def connect() -> Connection:
        services = build(settings)
        return Connection(make_app(services), services.progress, services.close, services.settings.host_name)

    return connect


def run_tui(ctx: Context) -> int:
    from tui.app import TafConsole
    from tui.session import ConsoleSession

    settings = ctx.settings
    clock.start_at(settings.now)
    session = ConsoleSession(connector(settings), actor=console_actor(ctx), clock=clock.now, device=ctx.args.device)
    try:
        result = TafConsole(session).run()
    finally:
        session.close()
    return int(result or 0)
