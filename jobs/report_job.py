"""The scheduled monthly report (issue 17): on the first of the month — at `monthly_report_cron`,
with `monthly_report_enabled` — the previous month's report is written as one HTML file under the
data folder and its summary, with where the file is, sent to DingTalk (`monthly_report` messages).
The cause names the month, so a second run of the same slot sends nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jobs.monthly_report import ReportServices, monthly_report
from jobs.report_render import render_html
from notify.outbox import notify_event
from notify.templates import EventKind

REPORTS_FOLDER = "reports"


@dataclass(frozen=True)
class SentReport:
    month: str
    path: str
    queued: int  # messages newly queued


def report_path(data_dir: Path, month: str) -> Path:
    return data_dir / REPORTS_FOLDER / f"月报-{month}.html"


def send_monthly_report(services: ReportServices, month: str) -> SentReport:
    report = monthly_report(services, month)
    path = report_path(services.settings.data_dir, month)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(report), encoding="utf-8")
    context = {**report.summary, "month": month, "report_path": str(path)}
    queued = notify_event(services, EventKind.MONTHLY_REPORT, context, cause=f"monthly-report:{month}")
    return SentReport(month, str(path), sum(1 for notice in queued if notice.created))
