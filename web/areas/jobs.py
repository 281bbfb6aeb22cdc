"""Any long job's progress: the latest (`GET /api/v1/jobs/{job_id}/progress`) and live over SSE
(`GET /api/v1/jobs/{job_id}/events`, resumable with `Last-Event-ID`)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, HeaderParameter
from litestar.response import ServerSentEvent

from web.areas.base import API, ApiController
from web.areas.deps import Progress
from web.live import progress_stream


class JobsApi(ApiController):
    path = f"{API}/jobs"
    tags = ["任务"]

    @get("/{job_id:str}/progress", sync_to_thread=True, summary="任务的最新进度")
    def progress(self, progress: Progress, job_id: FromPath[str]) -> dict[str, Any]:
        latest = progress.latest(job_id)
        if latest is None:
            raise NotFoundException(f"任务 {job_id} 还没有发布过进度")
        return latest.to_dict()

    @get("/{job_id:str}/events", media_type="text/event-stream", summary="任务进度的实时推送（SSE：progress、done、idle 事件）")
    async def events(self, request: Request[Any, Any, Any], progress: Progress, job_id: FromPath[str],
                     last_event_id: Annotated[str | None, HeaderParameter(name="last-event-id")] = None) -> ServerSentEvent:
        return progress_stream(progress, job_id, last_event_id, limiter=request.app.state.get("stream_limiter"))
