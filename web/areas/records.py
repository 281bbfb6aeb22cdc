"""日志 and 审计 as far as the App serves them today.

- 日志 `/logs`: the operation log (the ledger's latest events, described in Chinese) and the
  DingTalk notification log.
- 审计 `/audit`: the hash chain's verdict (loaded as a fragment: it recomputes the chain) and the
  latest events with their numbers and types.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from web.areas.base import PageController
from web.areas.deps import Taf
from web.pages import page

LOG_EVENTS = 100
LOG_NOTIFICATIONS = 50
AUDIT_EVENTS = 200


class LogsPages(PageController):
    path = "/logs"

    @get("/", sync_to_thread=True)
    def logs(self, request: Request[Any, Any, Any], taf: Taf) -> Template:
        return page(request, "logs.html", title="日志", events=taf.audit.recent_events(LOG_EVENTS),
                    notifications=taf.notifications.recent(LOG_NOTIFICATIONS))


class AuditPages(PageController):
    path = "/audit"

    @get("/", sync_to_thread=True)
    def audit(self, request: Request[Any, Any, Any], taf: Taf) -> Template:
        return page(request, "audit.html", title="审计", head=taf.audit.head_id(),
                    events=taf.audit.recent_events(AUDIT_EVENTS), views=taf.audit.view_names())
