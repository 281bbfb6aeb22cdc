"""What the 日志 page and the logs API share: the filters as query parameters, a log as CSV, and a log
followed live over SSE.

`log_events` asks the App for what was written after a cursor twice a second (at once again while a
backlog drains) and sends it as one `lines` event whose id is the new cursor: a browser that
reconnects sends it back as `Last-Event-ID` and gets only what it has not seen. Asking happens in
worker threads under the stream limiter; the stream ends after `lifetime` seconds (the browser
reconnects by itself), and a failure to read is said in a `problem` event while the stream goes on.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import quote

import anyio
import anyio.to_thread
from litestar.params import Parameter
from litestar.response.sse import ServerSentEventMessage

from app.logs import KINDS, LogLine, LogPage, LogQuery
from kernel.errors import describe
from web import formatting, messages
from web.live import KEEPALIVE_SECONDS, RETRY_MILLISECONDS

LIVE_INTERVAL_SECONDS = 0.5  # how often a followed log is looked at: a new line shows within it
LIVE_LIFETIME_SECONDS = 10 * 60.0
PAGE_LINES = 200
EXPORT_LINES = 5000

Kind = Literal["operation", "tape", "system", "notification"]
Since = Annotated[str, Parameter(description="从何时起（含）：日期 2026-03-15，或日期和时间 2026-03-15 14:30（服务器时区）")]
Until = Annotated[str, Parameter(description="到何时止：日期（含当天）或日期和时间（不含）")]
Level = Annotated[str, Parameter(description="至少这个级别：debug、info、warning、error；空为全部")]
User = Annotated[str, Parameter(description="用户：操作日志为操作人；其他日志在文字中查找")]
Cartridge = Annotated[str, Parameter(description="磁带条码：操作日志为这盘磁带及提到它的事件；磁带日志为它在驱动器中时的命令")]
Job = Annotated[str, Parameter(description="任务号（或其开头几位）：操作日志为这个任务及提到它的事件；磁带日志为它运行时的命令")]
After = Annotated[str, Parameter(description="只要这个位置之后的（上次答复中的 cursor）；空为最新的")]


def log_query(since: str, until: str, level: str, user: str, cartridge: str, job: str, limit: int) -> LogQuery:
    return LogQuery(since=since, until=until, level=level, user=user, cartridge=cartridge, job=job, limit=limit)


def filters(query: LogQuery) -> dict[str, str]:
    """The query's filters that are set, as the page's links and its live stream repeat them."""
    return {name: value for name, value in (("since", query.since), ("until", query.until), ("level", query.level),
                                            ("user", query.user), ("cartridge", query.cartridge), ("job", query.job))
            if value}


# --- CSV ---------------------------------------------------------------------------------------

def csv_columns(kind: str, lines: list[LogLine]) -> list[tuple[str, str]]:
    """(field, heading) of the kind's CSV: the common fields, then each detail the lines carry."""
    common = [("at", "时间"), ("level_label", "级别"), *messages.LOG_COLUMNS[kind]]
    named = messages.LOG_DETAILS.get(kind, {})
    seen = [key for key in named if any(key in line.details for line in lines)]
    seen += sorted({key for line in lines for key in line.details} - set(named))
    return common + [(f"details.{key}", named.get(key, key)) for key in seen]


def as_csv(page: LogPage) -> str:
    """The page's lines as CSV with a byte-order mark (so a spreadsheet reads the Chinese right)."""
    out = io.StringIO()
    writer = csv.writer(out)
    columns = csv_columns(page.kind, page.lines)
    writer.writerow([heading for _, heading in columns])
    for line in page.lines:
        row = []
        for name, _ in columns:
            if name == "at":
                row.append(formatting.when(line.at))
            elif name.startswith("details."):
                row.append(line.details.get(name[len("details."):], ""))
            else:
                row.append(str(getattr(line, name)))
        writer.writerow(row)
    return "\ufeff" + out.getvalue()


def csv_disposition(kind: str) -> str:
    """An attachment named after the log and the moment: 操作日志-20260315-1430.csv."""
    name = f"{KINDS[kind]}-{datetime.now().strftime('%Y%m%d-%H%M')}.csv"
    return f"attachment; filename=\"taf-{kind}-log.csv\"; filename*=UTF-8''{quote(name)}"


# --- live ----------------------------------------------------------------------------------------

Look = Callable[[str], tuple[LogPage, str]]  # cursor → (the lines after it, rendered for the client)


async def log_events(look: Look, first: tuple[LogPage, str], *, limiter: anyio.CapacityLimiter | None = None,
                     interval: float | None = None, lifetime: float | None = None,
                     keepalive: float = KEEPALIVE_SECONDS) -> AsyncIterator[ServerSentEventMessage]:
    """`lines` events with what is newer than the cursor of `first` (which is sent first, if it has
    lines), until `lifetime` (LIVE_LIFETIME_SECONDS) is over."""
    lifetime = LIVE_LIFETIME_SECONDS if lifetime is None else lifetime
    interval = LIVE_INTERVAL_SECONDS if interval is None else interval
    yield ServerSentEventMessage(data=None, comment=messages.SSE_CONNECTED, retry=RETRY_MILLISECONDS)
    started = sent = time.monotonic()
    page, shown = first
    while True:
        if page.lines:
            sent = time.monotonic()
            yield ServerSentEventMessage(data=shown, event="lines", id=page.cursor)
        elif time.monotonic() - sent >= keepalive:
            sent = time.monotonic()
            yield ServerSentEventMessage(data=None, comment=messages.SSE_KEEPALIVE)
        if time.monotonic() - started >= lifetime:
            return
        if page.complete:  # a backlog drains at once; otherwise wait for more
            await anyio.sleep(interval)
        cursor = page.cursor
        try:
            page, shown = await anyio.to_thread.run_sync(look, cursor, limiter=limiter)
        except Exception as error:  # the log cannot be read now: say so, and look again later
            yield ServerSentEventMessage(data=messages.LOG_UNREADABLE.format(message=describe(error).message),
                                         event="problem")
            page = LogPage(page.kind, page.kind_label, [], cursor, True)
            await anyio.sleep(interval * 4)
