"""备份, as far as the App serves it to a page today: the job history with its totals.
Page `/backups` (read-only; starting jobs and live progress come with the backup pages)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from web.areas.base import PageController
from web.areas.deps import Taf
from web.pages import page

HISTORY = 50


class BackupsPages(PageController):
    path = "/backups"

    @get("/", sync_to_thread=True)
    def backups(self, request: Request[Any, Any, Any], taf: Taf) -> Template:
        return page(request, "backups.html", title="备份", history=taf.backups.history(limit=HISTORY))
