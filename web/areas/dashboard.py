"""仪表盘: the drives and the cartridge in each, the jobs running with live bars, what they ask of the
operator (换盘), the active backup groups, scratch tapes left, alerts, free space, CPU and memory,
recent speeds and compression ratios, the ledger and its hash chain. Page `/`, API
`GET /api/v1/dashboard` (the same data).

The drives, running jobs and operator requests are re-rendered by the server and pushed over SSE
(`/dashboard/live`); the chain check recomputes the whole chain, so the page loads it afterwards as
a fragment (`/dashboard/chain`) and the API answers it separately (`GET /api/v1/dashboard/chain`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.params import FromPath, Parameter
from litestar.plugins.htmx import HTMXTemplate
from litestar.response import ServerSentEvent, Template

from app.audit import ChainVerdict
from app.pending import Answer, OperatorRequest
from app.users import SignedIn
from web import dashboard_data
from web.api_errors import error_responses
from web.areas.base import API, ApiController, PageController
from web.areas.deps import Progress, Taf, Version
from web.dashboard_data import Dashboard, Live, figures_chart, gather
from web.pages import fragment, page, rendered
from web.snapshots import shared
from web.streams import state_events

# How old the dashboard a page or the API shows may be (its live part is pushed fresh over SSE).
SNAPSHOT_SECONDS = 2.0
# The live part is looked at once a second for all the dashboards open in this process together.
LIVE_SECONDS = 0.9


@dataclass(frozen=True)
class Shown:
    view: Dashboard
    body: str  # the page below the layout, the same for every user: rendered once per snapshot


async def snapshot(request: Request[Any, Any, Any], taf: Taf, progress: Progress, version: str) -> Shown:
    """The dashboard, gathered and rendered at most once every SNAPSHOT_SECONDS by this web process."""

    def shown() -> Shown:
        view = gather(taf, progress, version)
        return Shown(view, rendered(request, "partials/dashboard_body.html", view=view, live=view.live,
                                    chart=figures_chart(view.figures)))

    return await shared(request.app.state, "dashboard", SNAPSHOT_SECONDS).get(
        shown, limiter=request.app.state.get("stream_limiter"))


class DashboardPages(PageController):
    path = "/"

    @get("/")
    async def dashboard(self, request: Request[Any, Any, Any], taf: Taf, progress: Progress,
                        version: Version) -> Template:
        return page(request, "dashboard.html", title="仪表盘",
                    body=(await snapshot(request, taf, progress, version)).body)

    @get("/dashboard/chain", sync_to_thread=True)
    def chain(self, taf: Taf) -> HTMXTemplate:
        return fragment("partials/chain.html", verdict=taf.audit.verify_chain())

    @get("/dashboard/recent-jobs", sync_to_thread=True)
    def recent_jobs(self, taf: Taf) -> HTMXTemplate:
        return fragment("partials/dashboard_recent_jobs.html",
                        recent_jobs=taf.backups.history(limit=dashboard_data.RECENT_JOBS).jobs)

    @post("/dashboard/requests/{job_id:str}/answer", sync_to_thread=True)
    def answer(self, request: Request[SignedIn, Any, Any], taf: Taf, job_id: FromPath[str]) -> HTMXTemplate:
        """已装入: the operator has done what the job asked (a stalled job is resumed)."""
        return fragment("partials/request_answer.html", answer=taf.pending.answer(job_id, actor=request.user.name))

    @get("/dashboard/live")
    async def live(self, request: Request[Any, Any, Any], taf: Taf, progress: Progress) -> ServerSentEvent:
        """The drives, running jobs and operator requests, pushed whenever they change (SSE `live`)."""

        def look() -> tuple[str, str, str]:
            now = dashboard_data.live(taf, progress)
            return repr(now.latest), rendered(request, "partials/dashboard_live.html", live=now), now.signature

        async def state() -> tuple[str, str, str]:
            return await shared(request.app.state, "dashboard-live", LIVE_SECONDS).get(
                look, limiter=request.app.state.get("stream_limiter"))

        return ServerSentEvent(state_events(state, event="live"), headers={"X-Accel-Buffering": "no"})


class DashboardApi(ApiController):
    path = f"{API}/dashboard"
    tags = ["仪表盘"]

    @get("/", summary="仪表盘数据：驱动器、运行中的任务、换盘请求、备份组、磁带、告警、资源、速度（至多 2 秒前的）")
    async def dashboard(self, request: Request[Any, Any, Any], taf: Taf, progress: Progress,
                        version: Version) -> Dashboard:
        return (await snapshot(request, taf, progress, version)).view

    @get("/live", sync_to_thread=True, summary="驱动器、运行中的任务与换盘请求（仪表盘每秒刷新的部分）")
    def live(self, taf: Taf, progress: Progress) -> Live:
        return dashboard_data.live(taf, progress)

    @get("/chain", sync_to_thread=True, summary="校验台账哈希链")
    def chain(self, taf: Taf) -> ChainVerdict:
        return taf.audit.verify_chain()


class RequestsApi(ApiController):
    path = f"{API}/requests"
    tags = ["仪表盘"]

    @get("/", sync_to_thread=True, summary="等待操作员的请求（换盘），最早的在前")
    def requests(self, taf: Taf) -> list[OperatorRequest]:
        return taf.pending.requests()

    @post("/{job_id:str}/answer", sync_to_thread=True, status_code=200,
          summary="应答请求：磁带已装入（已停下的任务交给后台任务进程继续；wait 秒内报告任务的下一次检查发现了什么）",
          responses=error_responses(404, 503))
    def answer(self, request: Request[SignedIn, Any, Any], taf: Taf, job_id: FromPath[str],
               wait: Annotated[float, Parameter(ge=0, le=60, description="最多等多少秒看任务的下一次检查")] = 0.0,
               ) -> Answer:
        return taf.pending.answer(job_id, actor=request.user.name, wait=wait)
