"""The pages' own SSE streams, over the one progress model (`web.live`):

- `state_events`: a page region looked at on the server once a second and sent when it changed
  (the dashboard's drives, running jobs and operator requests), and a `changed` event when what it
  shows changed in kind (a job started, ended or changed state: the page reloads what depends on
  it). A browser that reconnects gets the whole current state at once, so nothing that still
  matters is lost; the stream ends after `lifetime` seconds and the browser reconnects by itself
  (a proxy never holds one forever).
- `job_stream`: one job's progress as rendered HTML (`progress`, then `done`), and a `milestone`
  event each time the ledger has new events of the job (the page reloads its events and summary).
  The event id is `<progress id>/<events seen>`: a browser that reconnects with `Last-Event-ID`
  gets newer progress and every milestone it has not seen.

Waiting and rendering happen in worker threads under the stream limiter, never on the event loop
(a state looks in its own way: the dashboard's, through one snapshot shared by every open page).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
import anyio.to_thread
from litestar import Request
from litestar.response import ServerSentEvent
from litestar.response.sse import ServerSentEventMessage

from kernel.progress import ProgressStore
from web import messages
from web.live import KEEPALIVE_SECONDS, RETRY_MILLISECONDS, Render, progress_events, resume_point
from web.pages import rendered

STATE_INTERVAL_SECONDS = 1.0
STATE_LIFETIME_SECONDS = 10 * 60.0

State = Callable[[], Awaitable[tuple[str, str, str]]]  # (event id, rendered region, signature of what it shows)
Milestones = Callable[[int], int]  # events seen → the job's newest event number


async def state_events(state: State, *, event: str, interval: float = STATE_INTERVAL_SECONDS,
                       lifetime: float | None = None,
                       keepalive: float = KEEPALIVE_SECONDS) -> AsyncIterator[ServerSentEventMessage]:
    """`event` messages carrying `state()`'s region whenever it changed, checked every `interval`;
    `changed` when its signature changed; the end after `lifetime` (STATE_LIFETIME_SECONDS)."""
    lifetime = STATE_LIFETIME_SECONDS if lifetime is None else lifetime
    yield ServerSentEventMessage(data=None, comment=messages.SSE_CONNECTED, retry=RETRY_MILLISECONDS)
    started = sent = time.monotonic()
    shown = signed = None
    while time.monotonic() - started < lifetime:
        event_id, region, signature = await state()
        now = time.monotonic()
        if signed is not None and signature != signed:
            yield ServerSentEventMessage(data=signature, event="changed", id=event_id)
        signed = signature
        if region != shown:
            shown, sent = region, now
            yield ServerSentEventMessage(data=region, event=event, id=event_id)
        elif now - sent >= keepalive:
            sent = now
            yield ServerSentEventMessage(data=None, comment=messages.SSE_KEEPALIVE)
        await anyio.sleep(interval)


def job_resume_point(last_event_id: str | None, seen: int = 0) -> tuple[float, int]:
    """Where a reconnecting browser left off: its last progress and the job events it had seen."""
    progress_id, _, events = (last_event_id or "").partition("/")
    try:
        counted = int(events) if events else seen
    except ValueError:
        counted = seen
    return resume_point(progress_id), max(0, counted)


async def job_stream(store: ProgressStore, job_id: str, last_event_id: str | None, *, seen: int, render: Render,
                     milestones: Milestones,
                     limiter: anyio.CapacityLimiter | None = None) -> AsyncIterator[ServerSentEventMessage]:
    """The job's rendered progress with its milestones, resumable by `Last-Event-ID`."""
    after, seen = job_resume_point(last_event_id, seen)
    sent = repr(after)
    async for message in progress_events(store, job_id, after=after, render=render, limiter=limiter):
        if message.event in {"progress", "done"}:
            newest = await anyio.to_thread.run_sync(milestones, seen, limiter=limiter)
            if newest > seen:
                seen = newest
                yield ServerSentEventMessage(data=str(seen), event="milestone", id=f"{sent}/{seen}")
            sent = str(message.id)
            message.id = f"{sent}/{seen}"
        yield message


def job_page_stream(request: Request[Any, Any, Any], store: ProgressStore, job_id: str, last_event_id: str | None, *,
                    seen: int, events_after: Callable[[int], int]) -> ServerSentEvent:
    """A job page's live region (backups, restores): the job's progress rendered as
    `partials/job_progress.html`, and a milestone whenever `events_after(n)` — how many ledger events
    of the job came after its n-th — says there are new ones (`job_stream`)."""
    stream = job_stream(store, job_id, last_event_id, seen=seen,
                        render=lambda p: rendered(request, "partials/job_progress.html", p=p),
                        milestones=lambda after: after + events_after(after),
                        limiter=request.app.state.get("stream_limiter"))
    return ServerSentEvent(stream, headers={"X-Accel-Buffering": "no"})
