"""恢复: the backup groups on their timeline, a group's files as a lazily loaded tree, search by name,
type and date, a selection across both, the plan before starting (which cartridges, in what order,
where each is, bytes, time, what to do), the job handed to the worker, its live progress and result,
and the restore history. Pages under `/restores` (the catalog's fragments: `web.areas.catalog`),
API under `/api/v1/restores`.

A restore never runs inside a request: `App.restores.request` records it with its plan and
`App.restores.start` queues it for the worker.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, Parameter, URLEncodedBody
from litestar.plugins.htmx import ClientRedirect, HTMXTemplate
from litestar.response import Redirect, ServerSentEvent, Template

from app.backups import JobRow
from app.restores import JobChanged, RestoreStatus
from app.users import SignedIn
from web.areas.base import API, ApiController, PageController
from web.areas.deps import Progress, Taf
from web.auth.guards import READ
from web.backups_view import job_events
from web.pages import current_user, fragment, page
from web.restores_view import (
    HISTORY,
    Plan,
    PlanForm,
    PlanRequest,
    RestoreAccepted,
    RestoreForm,
    RestoreRequest,
    check_status,
    job_page,
    plan_context,
    plan_of,
    request_and_start,
    restores_page,
    selection,
)
from web.streams import job_page_stream

Status = Annotated[str, Parameter(description="任务状态：requested、running、waiting_tape、paused、cancelled、failed、succeeded、partial；空为全部")]
Limit = Annotated[int, Parameter(ge=1, le=1000, description="最多返回多少个任务，最新的在前")]
IdempotencyHeader = Annotated[str | None, HeaderParameter(name="idempotency-key", required=False,
                                                          description="幂等键（也可放在请求体的 idempotency_key）")]
WEB_REASON = "在网页上{act}"


def _job(request: Request[Any, Any, Any], taf: Taf, job_id: str) -> HTMXTemplate:
    return fragment("partials/restore_live.html", user=current_user(request), **job_page(taf, job_id))


class RestoresPages(PageController):
    path = "/restores"

    @get("/", sync_to_thread=True)
    def restores(self, request: Request[Any, Any, Any], taf: Taf, group: FromQuery[str] = "") -> Template:
        return page(request, "restores.html", title="恢复", **restores_page(taf, group))

    @post("/plan", sync_to_thread=True, status_code=200, opt={"roles": READ})  # planning changes nothing
    def plan(self, request: Request[Any, Any, Any], taf: Taf, data: URLEncodedBody[PlanForm]) -> HTMXTemplate:
        return fragment("partials/restore_plan.html", user=current_user(request),
                        **plan_context(taf, selection(data.path), data.group))

    @post("/", sync_to_thread=True, status_code=200)
    def start(self, request: Request[SignedIn, Any, Any], taf: Taf, data: URLEncodedBody[RestoreForm]) -> Response[Any]:
        accepted = request_and_start(taf, selection(data.path), data.target, actor=request.user.name,
                                     group=data.group, on_conflict=data.on_conflict, key=data.key)
        target = f"/restores/{accepted.job_id}"
        if accepted.queue_problem and request.headers.get("hx-request"):  # said where the form is
            return HTMXTemplate(template_name="partials/restore_unqueued.html", context={"accepted": accepted},
                                re_target="#flash", re_swap="innerHTML")
        return ClientRedirect(target) if request.headers.get("hx-request") else Redirect(target, status_code=303)

    @get("/{job_id:str}", sync_to_thread=True)
    def job(self, request: Request[Any, Any, Any], taf: Taf, job_id: FromPath[str]) -> Template:
        return page(request, "restore_job.html", title="恢复任务", **job_page(taf, job_id))

    @get("/{job_id:str}/summary", sync_to_thread=True)
    def summary(self, request: Request[Any, Any, Any], taf: Taf, job_id: FromPath[str]) -> HTMXTemplate:
        return fragment("partials/restore_summary.html", user=current_user(request), **job_page(taf, job_id))

    @get("/{job_id:str}/events", sync_to_thread=True)
    def events(self, taf: Taf, job_id: FromPath[str]) -> HTMXTemplate:
        return fragment("partials/job_events.html", **job_events(taf.restores.events(job_id)))

    @get("/{job_id:str}/live", sync_to_thread=True)
    def live(self, request: Request[Any, Any, Any], taf: Taf, progress: Progress, job_id: FromPath[str],
             seen: Annotated[int, Parameter(ge=0)] = 0,
             last_event_id: Annotated[str | None, HeaderParameter(name="last-event-id", required=False)] = None,
             ) -> ServerSentEvent:
        """The job's progress rendered for the page (SSE `progress`, `milestone`, `done`)."""
        job = taf.restores.status(job_id).job_id  # an unknown job is a 404 before the stream starts
        return job_page_stream(request, progress, job, last_event_id, seen=seen,
                               events_after=lambda after: len(taf.restores.events(job, after=after)))

    @post("/{job_id:str}/cancel", sync_to_thread=True)
    def cancel(self, request: Request[SignedIn, Any, Any], taf: Taf, job_id: FromPath[str]) -> HTMXTemplate:
        taf.restores.cancel(job_id, actor=request.user.name, reason=WEB_REASON.format(act="取消"))
        return _job(request, taf, job_id)

    @post("/{job_id:str}/pause", sync_to_thread=True)
    def pause(self, request: Request[SignedIn, Any, Any], taf: Taf, job_id: FromPath[str]) -> HTMXTemplate:
        taf.restores.pause(job_id, actor=request.user.name, reason=WEB_REASON.format(act="暂停"))
        return _job(request, taf, job_id)

    @post("/{job_id:str}/resume", sync_to_thread=True)
    def resume(self, request: Request[SignedIn, Any, Any], taf: Taf, job_id: FromPath[str]) -> HTMXTemplate:
        taf.restores.resume(job_id, actor=request.user.name)
        return _job(request, taf, job_id)


class RestoresApi(ApiController):
    path = f"{API}/restores"
    tags = ["恢复"]

    @post("/plan", sync_to_thread=True, status_code=200, opt={"roles": READ},
          summary="恢复计划（B3）：需要哪些磁带、什么顺序、各在哪里、定位到哪些块、读多少字节、约多久；不改变任何东西")
    def plan(self, taf: Taf, data: JSONBody[PlanRequest]) -> Plan:
        return plan_of(taf.restores.plan(selection(data.paths), group=data.group))

    @get("/", sync_to_thread=True, summary="恢复任务历史，最新的在前")
    def history(self, taf: Taf, status: Status = "", limit: Limit = HISTORY) -> list[JobRow]:
        return taf.restores.history(status=check_status(status), limit=limit)

    @post("/", sync_to_thread=True, status_code=202,
          summary="提交恢复任务：连同计划记入台账，交给后台任务进程（同一幂等键只建一个任务），答 202 与 job_id")
    def start(self, request: Request[SignedIn, Any, Any], taf: Taf, data: JSONBody[RestoreRequest],
              idempotency_key: IdempotencyHeader = None) -> RestoreAccepted:
        return request_and_start(taf, selection(data.paths), data.target, actor=request.user.name, group=data.group,
                                 on_conflict=data.on_conflict, key=data.idempotency_key or idempotency_key)

    @get("/{job_id:str}", sync_to_thread=True, summary="一个恢复任务：状态、计划、结果（含从磁带读取的字节）与最新进度")
    def status(self, taf: Taf, job_id: FromPath[str]) -> RestoreStatus:
        return taf.restores.status(job_id)

    @post("/{job_id:str}/cancel", sync_to_thread=True, status_code=200,
          summary="取消恢复任务（运行中的在当前数据包之后停止，已恢复的文件保留）")
    def cancel(self, request: Request[SignedIn, Any, Any], taf: Taf, job_id: FromPath[str]) -> JobChanged:
        return taf.restores.cancel(job_id, actor=request.user.name)

    @post("/{job_id:str}/pause", sync_to_thread=True, status_code=200, summary="暂停恢复任务（在当前数据包之后）")
    def pause(self, request: Request[SignedIn, Any, Any], taf: Taf, job_id: FromPath[str]) -> JobChanged:
        return taf.restores.pause(job_id, actor=request.user.name)

    @post("/{job_id:str}/resume", sync_to_thread=True, status_code=200, summary="继续已暂停的恢复任务（交给后台任务进程）")
    def resume(self, request: Request[SignedIn, Any, Any], taf: Taf, job_id: FromPath[str]) -> JobChanged:
        return taf.restores.resume(job_id, actor=request.user.name)
