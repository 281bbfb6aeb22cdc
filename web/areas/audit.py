"""审计: the ledger's hash chain and the chain heads recorded outside it (run on demand), an event
browser (by aggregate, type, user and time; each event in Chinese, its stored fields on request),
the monthly reports, and the whole system replayed as of a past moment (read only).

Pages under `/audit`; API `GET /api/v1/audit/verify`, `/api/v1/audit/replay`,
`/api/v1/audit/reports[/{month}]`, `GET /api/v1/events[/{number}]`. Every role may read them and run
the verification: it reads the ledger and changes nothing.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, Response, get
from litestar.params import FromPath
from litestar.plugins.htmx import HTMXTemplate
from litestar.response import Template

from app.audit import AGGREGATES, EventPage, RawEvent
from app.replay import VIEW_LABELS, Replayed
from app.reports import RenderedReport
from app.users import SignedIn
from web.api_errors import error_responses
from web.areas.base import API, ApiController, PageController
from web.areas.deps import Taf
from web.audit_view import (
    REPORT_FORMATS,
    REPORT_MEDIA,
    Aggregate,
    Before,
    EventType,
    Limit,
    MaybeMoment,
    Moment,
    Month,
    ReplayView,
    ReportFormat,
    ReportLink,
    Since,
    SubjectQuery,
    Until,
    User,
    VerifyAnswer,
    browse_filters,
    event_groups,
    field_texts,
    report_links,
    verify_answer,
)
from web.pages import fragment, page
from web.parts import Parts

EVENTS_SHOWN = 50
REPLAY_ROWS = 200  # the replay page shows the newest jobs and notifications; the API answers all


class AuditPages(PageController):
    path = "/audit"

    @get("/", sync_to_thread=True)
    def audit(self, request: Request[Any, Any, Any], taf: Taf, aggregate: Aggregate = "", subject: SubjectQuery = "",
              event: EventType = "", user: User = "", since: Since = "", until: Until = "", before: Before = 0,
              limit: Limit = EVENTS_SHOWN) -> Template:
        query = {"aggregate": aggregate, "subject": subject, "event": event, "user": user, "since": since,
                 "until": until}
        browsed = taf.audit.events(**query, before=before, limit=limit)
        shown: dict[str, Any] = {"browsed": browsed, "query": query, "filters": browse_filters(**query, limit=limit),
                                 "aggregates": AGGREGATES, "event_groups": event_groups()}
        if request.headers.get("hx-target") == "events":
            return fragment("partials/audit_events.html", **shown)
        parts = Parts()
        return page(request, "audit.html", title="审计", **shown, head=browsed.head,
                    views=parts.get("events_browser", taf.audit.view_titles, []),
                    reports=report_links(parts.get("reports", taf.audit.months, [])),
                    formats=REPORT_FORMATS, problems=parts.problems)

    @get("/verify", sync_to_thread=True)
    def verify(self, request: Request[SignedIn, Any, Any], taf: Taf) -> HTMXTemplate:
        """The chain and the recorded heads checked now (the page's 运行校验)."""
        return fragment("partials/audit_verdict.html",
                        verdict=verify_answer(taf.audit.verify(actor=request.user.name, read_tapes=False)))

    @get("/events/{number:int}", sync_to_thread=True)
    def event(self, taf: Taf, number: FromPath[int]) -> HTMXTemplate:
        raw = taf.audit.event(number)
        return fragment("partials/audit_raw.html", raw=raw, texts=field_texts(raw.fields))

    @get("/replay", sync_to_thread=True)
    def replay(self, request: Request[Any, Any, Any], taf: Taf, until: MaybeMoment = None,
               view: ReplayView = None) -> Template:
        replayed = taf.audit.replay(until, [view] if view else []) if until else None
        return page(request, "audit_replay.html", title="审计回放", until=until or "", view=view or "",
                    replayed=replayed, labels=VIEW_LABELS, rows=REPLAY_ROWS)

    @get("/reports/{month:str}", sync_to_thread=True)
    def report(self, taf: Taf, month: FromPath[Month], format: ReportFormat = "html") -> Response[str]:  # noqa: A002
        """The monthly report: a page to read (html), or a file to keep (csv, json)."""
        made = taf.reports.monthly(month, format)
        disposition = "inline" if format == "html" else "attachment"
        return Response(made.content, media_type=REPORT_MEDIA[format], headers={
            "Content-Disposition": f"{disposition}; filename=\"taf-report-{made.month}.{format}\"; "
                                   f"filename*=UTF-8''{quote(made.filename)}"})


class AuditApi(ApiController):
    path = f"{API}/audit"
    tags = ["审计"]

    @get("/verify", sync_to_thread=True, summary="校验台账：哈希链，以及备份任务数据和钉钉报告中记下的链头（审计员也可运行）")
    def verify(self, request: Request[SignedIn, Any, Any], taf: Taf) -> VerifyAnswer:
        return verify_answer(taf.audit.verify(actor=request.user.name, read_tapes=False))

    @get("/replay", sync_to_thread=True, responses=error_responses(400),
         summary="回放：某一时刻的磁带库存、备份组、生效的设置、任务历史与通知日志（只读，由台账在内存中重建）")
    def replay(self, taf: Taf, until: Moment, view: ReplayView = None) -> Replayed:
        return taf.audit.replay(until, [view] if view else [])

    @get("/reports", sync_to_thread=True, summary="可生成月度报告的月份（台账第一个事件所在月至今，最新的在前）")
    def reports(self, taf: Taf) -> list[ReportLink]:
        return report_links(taf.audit.months())

    @get("/reports/{month:str}", sync_to_thread=True, responses=error_responses(400),
         summary="一个月的月度报告（html、csv 或 json 的内容，及其汇总）")
    def report(self, taf: Taf, month: FromPath[Month], format: ReportFormat = "json") -> RenderedReport:  # noqa: A002
        return taf.reports.monthly(month, format)


class EventsApi(ApiController):
    path = f"{API}/events"
    tags = ["审计"]

    @get("/", sync_to_thread=True, responses=error_responses(400),
         summary="台账事件（可按对象类型、对象、事件类型、操作人、时间筛选），最新的在前，每条附中文说明")
    def events(self, taf: Taf, aggregate: Aggregate = "", subject: SubjectQuery = "", event: EventType = "",
               user: User = "", since: Since = "", until: Until = "", before: Before = 0,
               limit: Limit = EVENTS_SHOWN) -> EventPage:
        return taf.audit.events(aggregate=aggregate, subject=subject, event=event, user=user, since=since,
                                until=until, before=before, limit=limit)

    @get("/{number:int}", sync_to_thread=True, responses=error_responses(404),
         summary="一个台账事件：中文说明与存储的全部字段（口令与令牌的散列、密文不显示）")
    def event(self, taf: Taf, number: FromPath[int]) -> RawEvent:
        return taf.audit.event(number)
