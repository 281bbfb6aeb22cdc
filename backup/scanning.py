"""The first half of a job: scan the sources and plan the packages, with progress and warnings.

Memory does not grow with the job's files: the walk goes to a spool file as it is made, each entry
judged compressible or not on the way (`backup.spool`); once the walk has ended and its totals are
known, the planner reads the spool back as a stream and each package it closes goes straight to the
job's plan store (`backup.plan_store`). What is held at once is a spool batch, the two packages
being filled and the list of packages — not the files. The plan is the same as planning the whole
walk in memory would give (`backup.plan.plan_packages`), so a resumed job finds the packages the
ledger names.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from backup import crashpoints
from backup.entry import EntryKind, FileEntry
from backup.job_state import change_job
from backup.messages import BackupWarning
from backup.messages_job import JobStopped, text
from backup.plan import DEFAULT_MAX_MEMBERS, plan_stream
from backup.plan_store import PlanWriter, StoredPlan, discard_plan, load_plan
from backup.pool_size import compressible_size, split_limit
from backup.ports import PlanServices
from backup.recording import MAX_WARNINGS_KEPT
from backup.sampling import is_incompressible
from backup.scan import SourceScan, WarningSink
from backup.spool import EntrySpool, spool_path

# The walk of the sources: their entries in `FileEntry.order_key` order, each warning told to the sink.
Walker = Callable[[list[str], WarningSink], Iterable[FileEntry]]


class ScanBoard(Protocol):
    """Where the scan's figures go (`kernel.progress.ProgressBoard` in a job)."""

    def update(self, force: bool = False, **changes: Any) -> None: ...


# Warnings of the plan recorded on the job at once (the rest are counted, and listed at its end).
PLANNED_WARNINGS_RECORDED = 100
_PROGRESS_EVERY = 1000  # entries between two updates of the scan's figures


def check_sources(sources: list[str]) -> None:
    for source in sources:
        if not os.path.exists(source):
            raise JobStopped(text("source_missing", path=source), status="failed")
        if not os.path.isdir(source):
            raise JobStopped(text("source_not_dir", path=source), status="failed")


def walk_sources(sources: list[str], on_warning: WarningSink) -> Iterable[FileEntry]:
    """The job's walk (`backup.scan`); its warnings go to `on_warning` only, not into a list."""
    return SourceScan(sources, on_warning=on_warning, keep_warnings=0)


@dataclass(slots=True)
class ScanTally:
    """What planning needs from a finished walk: totals, the bytes to compress, the first warnings."""

    files: int = 0
    bytes: int = 0
    entries: int = 0
    to_compress: int = 0
    warnings: list[str] = field(default_factory=list)
    warning_count: int = 0

    def count(self, entry: FileEntry, incompressible: bool) -> None:
        self.entries += 1
        if entry.kind is EntryKind.FILE:
            self.files += 1
            self.bytes += entry.size
        self.to_compress += compressible_size(entry, incompressible)

    def warn(self, warning: BackupWarning | str) -> None:
        self.warning_count += 1
        if len(self.warnings) < MAX_WARNINGS_KEPT:
            self.warnings.append(warning if isinstance(warning, str) else warning.text)

    @property
    def summary(self) -> dict[str, int]:
        return {"files": self.files, "bytes": self.bytes}


def spool_scan(sources: list[str], spool: EntrySpool, board: ScanBoard, walk: Walker) -> ScanTally:
    """Walk the sources into `spool`, sampling each file once (`backup.sampling`), with the scan's figures."""
    tally = ScanTally()
    for entry in walk(sources, tally.warn):
        incompressible = is_incompressible(entry)
        spool.add(entry, incompressible)
        tally.count(entry, incompressible)
        if tally.entries % _PROGRESS_EVERY == 0:
            board.update(files_scanned=tally.files, bytes_scanned=tally.bytes)
    spool.finish()
    return tally


def scan_and_plan(sources: list[str], max_package_bytes: int, board: ScanBoard, *, plan_folder: Path,
                  staging_dir: Path, job_id: str, walk: Walker = walk_sources,
                  max_members: int = DEFAULT_MAX_MEMBERS) -> StoredPlan:
    """Scan `sources` and store the job's plan in `plan_folder`; the spool lives in the job's staging folder."""
    check_sources(sources)
    with EntrySpool(spool_path(staging_dir, job_id)) as spool:
        tally = spool_scan(sources, spool, board, walk)
        board.update(force=True, phase="plan", files_scanned=tally.files, bytes_scanned=tally.bytes)
        # A job too small for a package per core is cut finer, so every core packs (backup.pool_size).
        limit = split_limit(tally.to_compress, max_package_bytes)
        writer = PlanWriter(plan_folder, job_id)
        try:
            with collector_paused():
                for plan in plan_stream(spool.entries(), limit, max_members=max_members):
                    writer.add(plan)
                    crashpoints.crash_point("planning")
            if not writer.packages:
                tally.warn(text("nothing_to_back_up"))
            return writer.finish(tally.summary, tally.warnings, tally.warning_count)
        finally:
            writer.close()


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while planning: a package of 50,000 members is some 200,000
    live objects, and the collector's passes over them took 30 % of the planning time (measured:
    0.70 s against 0.49 s for 50,000 files). Plans hold no cycles; reference counting frees them."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def job_plan(services: PlanServices, job_id: str, job: Any, board: ScanBoard) -> StoredPlan:
    """The job's plan: the one stored when it was first planned (a resumed job never scans again:
    the files may have changed, and the ledger's packages refer to the first plan), else a new scan,
    stored and recorded (`BackupJob.Planned`) before anything is packed."""
    folder = services.settings.data_dir
    stored = load_plan(folder, job_id)
    if stored is not None and job.planned:
        return stored
    plan = scan_and_plan(job.sources, int(services.effective("max_file_size")), board, plan_folder=folder,
                         staging_dir=services.settings.staging_dir, job_id=job_id)
    if job.planned and job.packages and plan.digest != job.planned.get("plan_digest"):
        # The stored plan is gone and a new scan plans other packages: resuming would write
        # the files already on tape a second time, under other package ids.
        discard_plan(folder, job_id)
        raise JobStopped(text("plan_lost"), status="failed")
    crashpoints.crash_point("planned")

    def record_plan(job: Any) -> None:
        if not job.planned:
            job.planned_packages(packages=len(plan.packages), files=plan.summary["files"],
                                 bytes_in=plan.summary["bytes"], plan_digest=plan.digest)
            for warning in plan.warnings[:PLANNED_WARNINGS_RECORDED]:
                job.warn(message=warning)

    change_job(services.ledger, job_id, record_plan)
    return plan
