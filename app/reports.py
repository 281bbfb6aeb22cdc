"""Reports for the auditor (issue 17): the monthly report as data or as a file in one format.

The report itself — built from the ledger replayed to the month's end — and its renderings live in
`jobs` (`jobs.monthly_report`, `jobs.report_render`), because the scheduled task on the first of
the month produces the same report; this service is what every face asks for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from app.errors import BadRequest
from jobs.monthly_report import MonthlyReport, ReportServices, monthly_report
from jobs.report_render import FORMATS, render

SUFFIXES = {"html": ".html", "csv": ".csv", "json": ".json"}


@dataclass(frozen=True)
class RenderedReport:
    month: str
    format: str  # html, csv or json
    content: str
    filename: str  # a name to save it under: 月报-2026-03.html
    summary: dict[str, object]


class ReportsDeps(ReportServices, Protocol):
    """The ledger and its sealed chain, the inventory (where each tape is now), the settings in force."""


class Reports:
    def __init__(self, deps: ReportsDeps) -> None:
        self._deps = deps

    def monthly_data(self, month: str) -> MonthlyReport:
        """The month's report as data: groups made, cartridges and where they are, jobs and their
        throughput, failures and warnings, restores, erases with their evidence, retention and setting
        changes, notifications, and the chain head at the month's end with whether it verifies."""
        return monthly_report(self._deps, month)

    def monthly(self, month: str, form: str = "html") -> RenderedReport:
        """The month's report as one self-contained HTML page, CSV (one table per section) or JSON."""
        if form not in FORMATS:
            raise BadRequest(f"不支持的报表格式“{form}”，可选：{'、'.join(FORMATS)}")
        report = self.monthly_data(month)
        return RenderedReport(report.month, form, render(report, form), f"月报-{report.month}{SUFFIXES[form]}",
                              dict(report.summary))
