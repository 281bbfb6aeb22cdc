"""仪表盘: what the App can tell today at a glance — the ledger, its hash chain, the active backup
groups, scratch tapes left, the latest jobs, recent operations, the settings in force and the latest
notifications. Page `/`, API `GET /api/v1/dashboard`.

The chain check recomputes the whole chain, so the page loads it afterwards as a fragment
(`/dashboard/chain`) and the API answers it separately (`GET /api/v1/dashboard/chain`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from litestar import Request, get
from litestar.plugins.htmx import HTMXTemplate
from litestar.response import Template

from app.audit import ChainVerdict, EventLine
from app.backups import JobRow
from app.catalog import GroupEntry
from app.facade import App
from app.notifications import LogEntry
from app.settings import SettingRow
from web import messages
from web.areas.base import API, ApiController, PageController
from web.areas.deps import Taf, Version
from web.charts import bar_chart
from web.pages import fragment, page

RECENT_OPERATIONS = 12
ACTIVITY_EVENTS = 500
RECENT_NOTIFICATIONS = 5
RECENT_JOBS = 5


@dataclass(frozen=True)
class DayCount:
    day: str  # YYYY-MM-DD
    events: int


@dataclass(frozen=True)
class Dashboard:
    version: str
    events: int  # events in the ledger (its head's number)
    recent: list[EventLine]  # the latest operations, newest first
    activity: list[DayCount]  # events per day among the latest ACTIVITY_EVENTS, oldest day first
    settings: list[SettingRow]  # the settings an operator asks about first
    notifications: list[LogEntry]  # the latest DingTalk notifications
    active_groups: list[GroupEntry]  # the backup groups that are kept, oldest first
    cartridges: int  # cartridges in the inventory
    scratch: int  # of which blank and free to write
    jobs: list[JobRow]  # the latest backup jobs


def gather(taf: App, version: str) -> Dashboard:
    events = taf.audit.recent_events(ACTIVITY_EVENTS)
    per_day = Counter(line.at[:10] for line in events)
    rows = {row.key: row for row in taf.settings.show().runtime}
    inventory = taf.tapes.inventory()
    return Dashboard(
        version=version,
        events=taf.audit.head_id(),
        recent=events[:RECENT_OPERATIONS],
        activity=[DayCount(day, per_day[day]) for day in sorted(per_day)],
        settings=[rows[key] for key in messages.SETTING_LABELS if key in rows],
        notifications=taf.notifications.recent(RECENT_NOTIFICATIONS),
        active_groups=[group for group in taf.catalog.groups() if group.active],
        cartridges=len(inventory),
        scratch=sum(1 for entry in inventory if entry.status == "scratch"),
        jobs=taf.backups.history(limit=RECENT_JOBS).jobs,
    )


class DashboardPages(PageController):
    path = "/"

    @get("/", sync_to_thread=True)
    def dashboard(self, request: Request[Any, Any, Any], taf: Taf, version: Version) -> Template:
        view = gather(taf, version)
        chart = bar_chart([d.day[5:] for d in view.activity], [d.events for d in view.activity], unit="条")
        return page(request, "dashboard.html", title="仪表盘", view=view, chart=chart,
                    setting_labels=messages.SETTING_LABELS)

    @get("/dashboard/chain", sync_to_thread=True)
    def chain(self, taf: Taf) -> HTMXTemplate:
        return fragment("partials/chain.html", verdict=taf.audit.verify_chain())


class DashboardApi(ApiController):
    path = f"{API}/dashboard"
    tags = ["仪表盘"]

    @get("/", sync_to_thread=True, summary="仪表盘数据")
    def dashboard(self, taf: Taf, version: Version) -> Dashboard:
        return gather(taf, version)

    @get("/chain", sync_to_thread=True, summary="校验台账哈希链")
    def chain(self, taf: Taf) -> ChainVerdict:
        return taf.audit.verify_chain()
