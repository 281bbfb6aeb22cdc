"""磁带, as far as the App serves it to a page today: the inventory — each cartridge's status, pool,
place, use, groups, and when it becomes free and why. Page `/tapes` (read-only; the acts on
cartridges and drives come with the tape pages)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from litestar import Request, get
from litestar.response import Template

from web.areas.base import PageController
from web.areas.deps import Taf
from web.pages import page


class TapesPages(PageController):
    path = "/tapes"

    @get("/", sync_to_thread=True)
    def tapes(self, request: Request[Any, Any, Any], taf: Taf) -> Template:
        cartridges = taf.tapes.inventory()
        counts = Counter(entry.status_label or entry.status for entry in cartridges)
        return page(request, "tapes.html", title="磁带", cartridges=cartridges, counts=sorted(counts.items()))
