"""恢复, as far as the App serves it to a page today: the backup groups on their timeline and the
restore job history. Page `/restores` (read-only; browsing, searching, the plan and running a
restore come with the restore pages)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from web.areas.base import PageController
from web.areas.deps import Taf
from web.pages import page

HISTORY = 50


class RestoresPages(PageController):
    path = "/restores"

    @get("/", sync_to_thread=True)
    def restores(self, request: Request[Any, Any, Any], taf: Taf) -> Template:
        return page(request, "restores.html", title="恢复", groups=taf.catalog.groups(),
                    jobs=taf.restores.history(limit=HISTORY))
