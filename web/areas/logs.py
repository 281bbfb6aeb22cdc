"""日志: the operation, tape, system and notification logs, filtered by time, level, user, cartridge
and job, followed live over SSE, exported as CSV. Page `/logs` (`?kind=`), its live rows
`/logs/live`; API `GET /api/v1/logs/{kind}` (JSON), `…/csv` (the export) and `…/events` (SSE).

Every role reads the logs; nothing here changes anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Annotated, Any

import anyio.to_thread
from litestar import Request, Response, get
from litestar.params import FromPath, HeaderParameter, Parameter
from litestar.response import ServerSentEvent, Template
from litestar.serialization import encode_json

from app.facade import App
from app.logs import KINDS, LEVELS, LogPage, LogQuery
from web import messages
from web.api_errors import error_responses
from web.areas.base import API, ApiController, PageController
from web.areas.deps import Taf
from web.logs_view import (
    EXPORT_LINES,
    PAGE_LINES,
    After,
    Cartridge,
    Job,
    Kind,
    Level,
    Since,
    Until,
    User,
    as_csv,
    csv_disposition,
    filters,
    log_events,
    log_query,
)
from web.pages import fragment, page, rendered

Limit = Annotated[int, Parameter(ge=1, le=EXPORT_LINES, description="最多多少行，最新的在前")]
LastEventId = Annotated[str | None, HeaderParameter(name="last-event-id", required=False)]
KindQuery = Annotated[Kind, Parameter(description="哪一种日志：operation（操作）、tape（磁带）、system（系统）、"
                                                  "notification（通知）")]


def _read(taf: App, kind: str, query: LogQuery, after: str) -> LogPage:
    return taf.logs.newer(kind, query, after) if after.strip() else taf.logs.read(kind, query)


async def _stream(request: Request[Any, Any, Any], taf: App, kind: str, query: LogQuery, after: str,
                  render: Callable[[LogPage], str]) -> ServerSentEvent:
    """The lines written after `after` (a reconnecting browser's Last-Event-ID), then live; without
    one, from now. A bad query answers 400 before the stream starts."""
    limiter = request.app.state.get("stream_limiter")

    def look(cursor: str) -> tuple[LogPage, str]:
        found = taf.logs.newer(kind, query, cursor)
        return found, render(found) if found.lines else ""

    def opening() -> tuple[LogPage, str]:
        if after.strip():
            return look(after)
        now = taf.logs.read(kind, replace(query, limit=1))
        return LogPage(now.kind, now.kind_label, [], now.cursor, True), ""

    first = await anyio.to_thread.run_sync(opening, limiter=limiter)
    return ServerSentEvent(log_events(look, first, limiter=limiter), headers={"X-Accel-Buffering": "no"})


class LogsPages(PageController):
    path = "/logs"

    @get("/", sync_to_thread=True)
    def logs(self, request: Request[Any, Any, Any], taf: Taf, kind: KindQuery = "operation", since: Since = "",
             until: Until = "", level: Level = "", user: User = "", cartridge: Cartridge = "", job: Job = "",
             limit: Limit = PAGE_LINES) -> Template:
        query = log_query(since, until, level, user, cartridge, job, limit)
        shown: dict[str, Any] = {"kind": kind, "log": taf.logs.read(kind, query), "query": query,
                                 "filters": filters(query), "kinds": KINDS, "levels": LEVELS,
                                 "hint": messages.LOG_FILE_HINTS[kind]}
        if request.headers.get("hx-target") == "log":
            return fragment("partials/logs_panel.html", **shown)
        return page(request, "logs.html", title="日志", **shown)

    @get("/live")
    async def live(self, request: Request[Any, Any, Any], taf: Taf, kind: KindQuery = "operation", since: Since = "",
                   until: Until = "", level: Level = "", user: User = "", cartridge: Cartridge = "", job: Job = "",
                   after: After = "", last_event_id: LastEventId = None) -> ServerSentEvent:
        """New lines of one log as table rows (SSE `lines`, its id the log's cursor)."""
        query = log_query(since, until, level, user, cartridge, job, PAGE_LINES)
        return await _stream(request, taf, kind, query, last_event_id or after,
                             lambda found: rendered(request, "partials/logs_rows.html", kind=kind, lines=found.lines))


class LogsApi(ApiController):
    path = f"{API}/logs"
    tags = ["日志"]

    @get("/{kind:str}", sync_to_thread=True, responses=error_responses(400),
         summary="一种日志的最新几行（可按时间、级别、用户、磁带、任务筛选）；给出 after 则只要其后写入的")
    def lines(self, taf: Taf, kind: FromPath[Kind], since: Since = "", until: Until = "", level: Level = "",
              user: User = "", cartridge: Cartridge = "", job: Job = "", after: After = "",
              limit: Limit = PAGE_LINES) -> LogPage:
        return _read(taf, kind, log_query(since, until, level, user, cartridge, job, limit), after)

    @get("/{kind:str}/csv", sync_to_thread=True, media_type="text/csv", responses=error_responses(400),
         summary="导出日志为 CSV（UTF-8，带 BOM；筛选同上，最多 5000 行）")
    def export(self, taf: Taf, kind: FromPath[Kind], since: Since = "", until: Until = "", level: Level = "",
               user: User = "", cartridge: Cartridge = "", job: Job = "",
               limit: Limit = EXPORT_LINES) -> Response[str]:
        found = taf.logs.read(kind, log_query(since, until, level, user, cartridge, job, limit))
        return Response(as_csv(found), media_type="text/csv",
                        headers={"Content-Disposition": csv_disposition(kind)})

    @get("/{kind:str}/events", media_type="text/event-stream", responses=error_responses(400),
         summary="日志的实时推送（SSE：lines 事件，数据为 JSON，id 为 cursor，可用 Last-Event-ID 续传）")
    async def events(self, request: Request[Any, Any, Any], taf: Taf, kind: FromPath[Kind], since: Since = "",
                     until: Until = "", level: Level = "", user: User = "", cartridge: Cartridge = "", job: Job = "",
                     after: After = "", last_event_id: LastEventId = None) -> ServerSentEvent:
        query = log_query(since, until, level, user, cartridge, job, PAGE_LINES)
        return await _stream(request, taf, kind, query, last_event_id or after, _json)


def _json(found: LogPage) -> str:
    return encode_json(found).decode()
