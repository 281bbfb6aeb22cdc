"""备份: a new job (sources picked from the server's folders within the allowed roots, group, level),
handed to the worker's queue; one job's live progress (scan, pack and tape bars, rates, ETA, the
cartridge, the tape-change prompt) with cancel / pause / resume and its ledger events; the history
with filters and statistics. Pages under `/backups`, API under `/api/v1/backups` and `/api/v1/groups`.

A job never runs inside a request: `App.backups.start` records it and queues it for the worker.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, Parameter, URLEncodedBody
from litestar.plugins.htmx import ClientRedirect, HTMXTemplate
from litestar.response import Redirect, ServerSentEvent, Template

from app.audit import EventLine
from app.backups import BackupStatus, JobHistory, JobSummary
from app.catalog import GroupEntry
from app.sources import SourceFolder
from app.users import SignedIn
from ledger.domain.job import STATUS_NAMES
from web import messages
from web.api_errors import error_responses
from web.areas.base import API, ApiController, PageController
from web.areas.deps import Progress, Taf
from web.backups_view import (
    BackupAccepted,
    BackupRequest,
    CancelRequest,
    HistoryQuery,
    NewBackupForm,
    accepted,
    form_sources,
    given_sources,
    job_events,
    job_page,
    new_job_context,
    parse_level,
    statistics,
)
from web.pages import current_user, fragment, page
from web.streams import job_page_stream

HISTORY = 50
Status = Annotated[str, Parameter(description="任务状态：requested、running、waiting_tape、paused、cancelled、failed、succeeded、"
                                               "partial、interrupted（进程已不在），空为全部")]
Kind = Annotated[str, Parameter(description="发起方式：manual（手动）或 monthly（每月全量），空为全部")]
Group = Annotated[str, Parameter(description="备份组 YYYY-MM，空为全部")]
Since = Annotated[str, Parameter(description="提交日期起（含），YYYY-MM-DD")]
Until = Annotated[str, Parameter(description="提交日期止（含），YYYY-MM-DD")]
Limit = Annotated[int, Parameter(ge=1, le=1000, description="最多返回多少个任务，最新的在前")]
IdempotencyHeader = Annotated[str | None, HeaderParameter(name="idempotency-key", required=False,
                                                          description="幂等键（也可放在请求体的 idempotency_key）")]


def _history(taf: Taf, query: HistoryQuery) -> JobHistory:
    return taf.backups.history(status=query.status, kind=query.kind, group=query.group, since=query.since or None,
                               until=query.until or None, limit=query.limit)


def _job(request: Request[Any, Any, Any], taf: Taf, job_id: str, template: str) -> HTMXTemplate:
    return fragment(template, user=current_user(request), **job_page(taf, job_id))


class BackupsPages(PageController):
    path = "/backups"

    @get("/", sync_to_thread=True)
    def backups(self, request: Request[Any, Any, Any], taf: Taf, status: Status = "", kind: Kind = "", group: Group = "",
                since: Since = "", until: Until = "", limit: Limit = HISTORY) -> Template:
        query = HistoryQuery(status, kind, group, since, until, limit)
        history = _history(taf, query)
        shown: dict[str, Any] = {"history": history, "query": query, "stats": statistics(history),
                                 "statuses": STATUS_NAMES}
        if request.headers.get("hx-target") == "history":
            return fragment("partials/backup_history.html", **shown)
        return page(request, "backups.html", title="备份", **shown, **new_job_context(taf))

    @get("/folders", sync_to_thread=True)
    def folders(self, taf: Taf, path: FromQuery[str] = "") -> HTMXTemplate:
        return fragment("partials/folder_browser.html", folder=taf.backups.folders(path))

    @post("/", sync_to_thread=True)
    def start(self, request: Request[SignedIn, Any, Any], taf: Taf,
              data: URLEncodedBody[NewBackupForm]) -> Response[Any]:
        started = taf.backups.start(form_sources(data.sources), actor=request.user.name, group=data.group or "auto",
                                    level=parse_level(data.level), key=data.key or None, confined=True)
        target = f"/backups/{started.job_id}"
        return ClientRedirect(target) if request.headers.get("hx-request") else Redirect(target, status_code=303)

    @get("/{job_id:str}", sync_to_thread=True)
    def job(self, request: Request[Any, Any, Any], taf: Taf, job_id: FromPath[str]) -> Template:
        context = job_page(taf, job_id)
        return page(request, "backup_job.html", title="备份任务", **context)

    @get("/{job_id:str}/summary", sync_to_thread=True)
    def summary(self, request: Request[Any, Any, Any], taf: Taf, job_id: FromPath[str]) -> HTMXTemplate:
        return _job(request, taf, job_id, "partials/backup_summary.html")

    @get("/{job_id:str}/events", sync_to_thread=True)
    def events(self, taf: Taf, job_id: FromPath[str]) -> HTMXTemplate:
        return fragment("partials/job_events.html", **job_events(taf.backups.events(job_id)))

    @get("/{job_id:str}/live", sync_to_thread=True)
    def live(self, request: Request[Any, Any, Any], taf: Taf, progress: Progress, job_id: FromPath[str],
             seen: Annotated[int, Parameter(ge=0)] = 0,
             last_event_id: Annotated[str | None, HeaderParameter(name="last-event-id", required=False)] = None,
             ) -> ServerSentEvent:
        """The job's progress rendered for the page (SSE `progress`, `milestone`, `done`)."""
        job = taf.backups.status(job_id).summary.job_id  # an unknown job is a 404 before the stream starts
        return job_page_stream(request, progress, job, last_event_id, seen=seen,
                               events_after=lambda after: len(taf.backups.events(job, after=after)))

    @post("/{job_id:str}/cancel", sync_to_thread=True)
    def cancel(self, request: Request[SignedIn, Any, Any], taf: Taf, job_id: FromPath[str]) -> HTMXTemplate:
        taf.backups.cancel(job_id, actor=request.user.name, reason=messages.CANCELLED_ON_WEB)
        return _job(request, taf, job_id, "partials/backup_live.html")

    @post("/{job_id:str}/pause", sync_to_thread=True)
    def pause(self, request: Request[SignedIn, Any, Any], taf: Taf, job_id: FromPath[str]) -> HTMXTemplate:
        taf.backups.pause(job_id, actor=request.user.name)
        return _job(request, taf, job_id, "partials/backup_live.html")

    @post("/{job_id:str}/resume", sync_to_thread=True)
    def resume(self, request: Request[SignedIn, Any, Any], taf: Taf, job_id: FromPath[str]) -> HTMXTemplate:
        taf.backups.resume(job_id, actor=request.user.name)
        return _job(request, taf, job_id, "partials/backup_live.html")


class BackupsApi(ApiController):
    path = f"{API}/backups"
    tags = ["备份"]

    @get("/", sync_to_thread=True, summary="备份任务历史（可按状态、发起方式、备份组、日期筛选）及合计",
          responses=error_responses(400))
    def history(self, taf: Taf, status: Status = "", kind: Kind = "", group: Group = "", since: Since = "",
                until: Until = "", limit: Limit = HISTORY) -> JobHistory:
        return _history(taf, HistoryQuery(status, kind, group, since, until, limit))

    @post("/", sync_to_thread=True, status_code=202,
          summary="提交备份任务（交给后台任务进程；同一幂等键只建一个任务），答 202 与 job_id",
          responses=error_responses(400, 403, 404, 503))
    def start(self, request: Request[SignedIn, Any, Any], taf: Taf, data: JSONBody[BackupRequest],
              idempotency_key: IdempotencyHeader = None) -> BackupAccepted:
        started = taf.backups.start(given_sources(data.sources), actor=request.user.name, group=data.group, level=data.level,
                                    key=data.idempotency_key or idempotency_key, confined=True)
        return accepted(started)

    @get("/folders", sync_to_thread=True, summary="可选作备份源的服务器目录（BACKUP_ALLOWED_ROOTS 之内）",
          responses=error_responses(400, 403, 404))
    def folders(self, taf: Taf, path: Annotated[str, Parameter(description="要列出的目录；空为允许的根目录")] = "",
                ) -> SourceFolder:
        return taf.backups.folders(path)

    @get("/{job_id:str}", sync_to_thread=True, summary="一个备份任务：状态、数字与最新进度",
          responses=error_responses(404))
    def status(self, taf: Taf, job_id: FromPath[str]) -> BackupStatus:
        return taf.backups.status(job_id)

    @get("/{job_id:str}/events", sync_to_thread=True,
         summary="一个备份任务的台账事件（JSON；实时进度见 /api/v1/jobs/{job_id}/events）",
         responses=error_responses(404))
    def events(self, taf: Taf, job_id: FromPath[str],
               after: Annotated[int, Parameter(ge=0, description="只要第几个事件之后的")] = 0) -> list[EventLine]:
        return taf.backups.events(job_id, after=after)

    @post("/{job_id:str}/cancel", sync_to_thread=True, status_code=200, summary="取消备份任务（运行中的在下一个数据包前停止）",
          responses=error_responses(404, 409))
    def cancel(self, request: Request[SignedIn, Any, Any], taf: Taf, job_id: FromPath[str],
               data: JSONBody[CancelRequest | None] = None) -> JobSummary:
        return taf.backups.cancel(job_id, actor=request.user.name, reason=data.reason if data else "")

    @post("/{job_id:str}/pause", sync_to_thread=True, status_code=200, summary="暂停备份任务",
          responses=error_responses(404, 409))
    def pause(self, request: Request[SignedIn, Any, Any], taf: Taf, job_id: FromPath[str]) -> JobSummary:
        return taf.backups.pause(job_id, actor=request.user.name)

    @post("/{job_id:str}/resume", sync_to_thread=True, status_code=200, summary="继续已暂停的备份任务（交给后台任务进程）",
          responses=error_responses(404, 409, 503))
    def resume(self, request: Request[SignedIn, Any, Any], taf: Taf, job_id: FromPath[str]) -> JobSummary:
        return taf.backups.resume(job_id, actor=request.user.name)


class GroupsApi(ApiController):
    path = f"{API}/groups"
    tags = ["备份"]

    @get("/", sync_to_thread=True, summary="备份组时间线：每个 YYYY-MM 组的备份次数、磁带、文件数，是否仍在活动集")
    def groups(self, taf: Taf) -> list[GroupEntry]:
        return taf.catalog.groups()
