"""What the 审计 page and the audit API share: the event browser's filters as query parameters, the
verdict of a verification as the API answers it, and the monthly reports' links."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from litestar.params import Parameter

from app.audit import AGGREGATES, EVENT_TYPES, AuditVerdict, ChainVerdict, HeadCheck, aggregate_of
from web import messages

# A year a person could mean (the verbs' own date arithmetic overflows at years 1 and 9999).
MOMENT_PATTERN = (r"^(\d{1,12}|(19|2\d)\d\d-[01]\d-[0-3]\d([ T][0-2]\d:[0-5]\d(:[0-5]\d(\.\d{1,6})?)?)?"
                  r"(Z|[+-][01]\d:[0-5]\d)?)$")
MONTH_PATTERN = r"^(19[7-9]\d|2\d\d\d)-(0[1-9]|1[0-2])$"
REPORT_FORMATS = {"html": "网页", "csv": "CSV", "json": "JSON"}
REPORT_MEDIA = {"html": "text/html", "csv": "text/csv", "json": "application/json"}
SHOWN_MONTHS = 24

Aggregate = Annotated[Literal["", "Cartridge", "Drive", "BackupGroup", "Job", "Settings", "User", "Recipient",
                              "Notification"],
                      Parameter(description="对象类型：Cartridge（磁带）、Drive、BackupGroup、Job（备份与恢复任务）、Settings、"
                                            "User、Recipient、Notification；空为全部")]
SubjectQuery = Annotated[str, Parameter(description="一个对象：编号（UUID，或开头几位），或磁带条码、用户名、备份组名")]
EventType = Annotated[str, Parameter(description="事件类型，如 Cartridge.Labelled；空为全部")]
User = Annotated[str, Parameter(description="操作人")]
Since = Annotated[str, Parameter(description="从何时起（含）：日期或日期和时间（服务器时区）")]
Until = Annotated[str, Parameter(description="到何时止：日期（含当天）或日期和时间（不含）")]
Before = Annotated[int, Parameter(ge=0, description="翻页：只要序号小于它的事件；0 为从最新的开始")]
Limit = Annotated[int, Parameter(ge=1, le=1000, description="最多多少条，最新的在前")]
Moment = Annotated[str, Parameter(pattern=MOMENT_PATTERN,
                                  description="回放到的时刻：日期 2026-03-15（当天结束时）、日期和时间 2026-03-15 14:30，"
                                              "或事件序号 1234")]
MaybeMoment = Annotated[str | None, Parameter(pattern=MOMENT_PATTERN, description="回放到的时刻；空为只显示表单")]
Month = Annotated[str, Parameter(pattern=MONTH_PATTERN, description="月份 YYYY-MM")]
ReportFormat = Annotated[Literal["html", "csv", "json"], Parameter(description="html、csv 或 json")]
ReplayView = Annotated[Literal["", "inventory", "groups", "settings", "jobs", "notifications"] | None,
                       Parameter(description="只回放其中一项；空为全部")]


@dataclass(frozen=True)
class VerifyAnswer:
    """`audit verify` from the web: the hash chain, and the chain heads recorded in the backup jobs'
    figures and in the reports sent to DingTalk (a tape's index is read on the drive's host)."""

    ok: bool
    chain: ChainVerdict
    heads: list[HeadCheck]
    mismatches: int
    summary: str  # in Chinese: what was compared, how many agree
    tapes: str  # in Chinese: where the heads in the tapes' indexes are checked


def verify_answer(verdict: AuditVerdict) -> VerifyAnswer:
    return VerifyAnswer(verdict.ok, verdict.chain, verdict.heads, len(verdict.mismatches), verdict.summary,
                        messages.VERIFY_TAPES_HINT)


@dataclass(frozen=True)
class ReportLink:
    month: str
    links: dict[str, str]  # format → where the report is (a page for html, a download for csv and json)


def report_links(months: list[str]) -> list[ReportLink]:
    return [ReportLink(month, {form: f"/audit/reports/{month}?format={form}" for form in REPORT_FORMATS})
            for month in months[:SHOWN_MONTHS]]


def browse_filters(**given: Any) -> dict[str, Any]:
    """The browser's filters that are set, as its links repeat them."""
    return {name: value for name, value in given.items() if value}


def event_groups() -> dict[str, list[tuple[str, str]]]:
    """The event types to choose from, under the aggregate each belongs to."""
    groups: dict[str, list[tuple[str, str]]] = {label: [] for label in AGGREGATES.values()}
    for code, label in EVENT_TYPES.items():
        groups.setdefault(AGGREGATES.get(aggregate_of(code), "其他"), []).append((code, label))
    return {group: types for group, types in groups.items() if types}


def field_texts(fields: dict[str, Any]) -> dict[str, str]:
    """Stored fields as the auditor reads them: text as it is, anything else as JSON (Chinese unescaped)."""
    return {key: value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            for key, value in fields.items()}
