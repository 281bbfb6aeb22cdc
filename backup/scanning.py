"""The first half of a job: scan the sources and plan the packages, with progress and warnings."""

from __future__ import annotations

import os
from typing import Any

from backup.messages_job import JobStopped, text
from backup.plan import PackagePlan, plan_packages
from backup.progress import ProgressBoard
from backup.sampling import classify_incompressible
from backup.scan import SourceScan


def check_sources(sources: list[str]) -> None:
    for source in sources:
        if not os.path.exists(source):
            raise JobStopped(text("source_missing", path=source), status="failed")
        if not os.path.isdir(source):
            raise JobStopped(text("source_not_dir", path=source), status="failed")


def scan_and_plan(sources: list[str], max_package_bytes: int,
                  board: ProgressBoard) -> tuple[list[PackagePlan], dict[str, int], list[str]]:
    check_sources(sources)
    scan = SourceScan(sources)
    entries: list[Any] = []
    for entry in scan:
        entries.append(entry)
        if len(entries) % 1000 == 0:
            board.update(files_scanned=scan.summary.files, bytes_scanned=scan.summary.total_bytes)
    summary = scan.summary
    board.update(force=True, phase=text("stage_plan"), files_scanned=summary.files,
                 bytes_scanned=summary.total_bytes)
    incompressible = classify_incompressible(entries)
    plans = plan_packages(entries, max_package_bytes, incompressible=incompressible)
    warnings = [warning.text for warning in scan.warnings]
    return plans, {"files": summary.files, "bytes": summary.total_bytes}, warnings
