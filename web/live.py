"""Live job progress for the browser: Server-Sent Events from the one progress model.

`progress_events` follows a job through `ProgressStore.next_update` (files on one host, Redis
across hosts: the web process keeps no state, so two web processes show the same job). Each
update is an event whose id is the progress's `updated_at`; a browser that reconnects sends it
back as `Last-Event-ID` and gets only what is newer — and at least the job's final state. Waiting
happens in worker threads bounded by their own limiter (never on the event loop, never starving
the threads that serve ordinary requests). A comment goes out when nothing else did for
`keepalive` seconds, so proxies keep the connection; the stream ends with a `done` event once the
job has finished, or with `idle` after `idle_limit` seconds without news.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable

import anyio
import anyio.to_thread
from litestar.response import ServerSentEvent
from litestar.response.sse import ServerSentEventMessage

from kernel.progress import Progress, ProgressStore
from web import messages

KEEPALIVE_SECONDS = 15.0
IDLE_LIMIT_SECONDS = 15 * 60.0
WAIT_SECONDS = 1.0  # one wait in a worker thread; short, so a closed stream frees its thread soon
RETRY_MILLISECONDS = 3000
STREAM_THREADS = 64

Render = Callable[[Progress], str]


def as_json(progress: Progress) -> str:
    return json.dumps(progress.to_dict(), ensure_ascii=False)


def event_id(progress: Progress) -> str:
    """The progress's `updated_at`, exactly (repr round-trips a float), so a resume skips nothing twice."""
    return repr(progress.updated_at)


def resume_point(last_event_id: str | None) -> float:
    """Where a reconnecting browser left off (its Last-Event-ID), 0 for a new one."""
    try:
        return max(0.0, float(last_event_id or 0))
    except ValueError:
        return 0.0


async def progress_events(store: ProgressStore, job_id: str, *, after: float = 0.0, render: Render = as_json,
                          limiter: anyio.CapacityLimiter | None = None, keepalive: float = KEEPALIVE_SECONDS,
                          idle_limit: float = IDLE_LIMIT_SECONDS,
                          wait: float = WAIT_SECONDS) -> AsyncIterator[ServerSentEventMessage]:
    """The job's updates newer than `after` as SSE messages (`progress`, then `done` or `idle`)."""
    yield ServerSentEventMessage(data=None, comment=messages.SSE_CONNECTED, retry=RETRY_MILLISECONDS)
    latest = await anyio.to_thread.run_sync(store.latest, job_id, limiter=limiter)
    if latest is not None and latest.finished and latest.updated_at <= after:
        yield ServerSentEventMessage(data=latest.phase_label, event="done", id=event_id(latest))
        return
    heard = sent = time.monotonic()
    while True:
        progress = await anyio.to_thread.run_sync(store.next_update, job_id, after, wait, limiter=limiter)
        now = time.monotonic()
        if progress is not None:
            after, heard = progress.updated_at, now
            yield ServerSentEventMessage(data=render(progress), event="progress", id=event_id(progress))
            if progress.finished:
                yield ServerSentEventMessage(data=progress.phase_label, event="done", id=event_id(progress))
                return
        elif now - heard >= idle_limit:
            yield ServerSentEventMessage(data=messages.SSE_IDLE.format(job_id=job_id, seconds=idle_limit),
                                         event="idle")
            return
        elif now - sent >= keepalive:
            yield ServerSentEventMessage(data=None, comment=messages.SSE_KEEPALIVE)
        else:
            continue
        sent = now


def progress_stream(store: ProgressStore, job_id: str, last_event_id: str | None, *,
                    render: Render = as_json, limiter: anyio.CapacityLimiter | None = None) -> ServerSentEvent:
    """The response for a job's live progress (for a route handler to return)."""
    return ServerSentEvent(progress_events(store, job_id, after=resume_point(last_event_id), render=render,
                                           limiter=limiter))
