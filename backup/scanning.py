"""The first half of a job: scan the sources and plan the packages, with progress and warnings."""

from __future__ import annotations

import os
from typing import Any

from backup.job_state import change_job
from backup.messages_job import JobStopped, text
from backup.plan import PackagePlan, plan_packages
from backup.plan_store import digest, load_plan, save_plan
from backup.pool_size import split_limit
from backup.ports import PlanServices
from backup.sampling import classify_incompressible
from backup.scan import SourceScan
from kernel.progress import ProgressBoard


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
    board.update(force=True, phase="plan", files_scanned=summary.files,
                 bytes_scanned=summary.total_bytes)
    incompressible = classify_incompressible(entries)
    # A job too small for a package per core is cut finer, so every core packs (backup.pool_size).
    limit = split_limit(entries, max_package_bytes, incompressible=incompressible)
    plans = plan_packages(entries, limit, incompressible=incompressible)
    warnings = [warning.text for warning in scan.warnings]
    return plans, {"files": summary.files, "bytes": summary.total_bytes}, warnings


def job_plan(services: PlanServices, job_id: str, job: Any,
             board: ProgressBoard) -> tuple[list[PackagePlan], dict[str, int], list[str]]:
    """The job's plan: the one stored when it was first planned (a resumed job never scans again:
    the files may have changed, and the ledger's packages refer to the first plan), else a new scan,
    stored and recorded (`BackupJob.Planned`) before anything is packed."""
    stored = load_plan(services.settings.data_dir, job_id)
    if stored is not None and job.planned:
        return stored
    max_package = int(services.effective("max_file_size"))
    plans, summary, warnings = scan_and_plan(job.sources, max_package, board)
    if job.planned and job.packages and digest(plans) != job.planned.get("plan_digest"):
        # The stored plan is gone and a new scan plans other packages: resuming would write
        # the files already on tape a second time, under other package ids.
        raise JobStopped(text("plan_lost"), status="failed")
    if not plans:
        warnings = [*warnings, text("nothing_to_back_up")]
    save_plan(services.settings.data_dir, job_id, plans, summary, warnings)

    def record_plan(job: Any) -> None:
        if not job.planned:
            job.planned_packages(packages=len(plans), files=summary["files"], bytes_in=summary["bytes"],
                                 plan_digest=digest(plans))
            for warning in warnings[:100]:
                job.warn(message=warning)

    change_job(services.ledger, job_id, record_plan)
    return plans, summary, warnings
