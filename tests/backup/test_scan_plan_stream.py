"""Scanning and planning a job stream: memory that does not grow with the files, the same plan as
planning the whole scan at once, and a stored plan that is either whole or absent."""

from __future__ import annotations

import os
import threading
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backup.entry import EntryKind, FileEntry
from backup.messages import BackupWarning
from backup.packer_pool import PackerPool
from backup.plan import plan_packages
from backup.plan_store import PlanWriter, digest, load_plan, plan_path
from backup.pool_size import compressible_bytes, split_limit
from backup.sampling import classify_incompressible
from backup.scan import SourceScan, WarningSink
from backup.scanning import scan_and_plan
from tests.backup.conftest import ON_POSIX, random_bytes, text_bytes, write_file

FILES_PER_FOLDER = 100


class Board:
    """The progress board as the scan sees it: the last figures it was told."""

    def __init__(self) -> None:
        self.figures: dict[str, Any] = {}

    def update(self, force: bool = False, **figures: Any) -> None:
        self.figures.update(figures)


def synthetic_walk(root: str, files: int):
    """A walker for `scan_and_plan` that invents `files` small files (and their folders) in scan order,
    so the planner's memory can be measured without a million real files."""

    def walk(sources: list[str], on_warning: WarningSink) -> Iterator[FileEntry]:
        for number in range(files):
            folder, index = divmod(number, FILES_PER_FOLDER)
            if index == 0:
                yield FileEntry(root, f"部门{folder:06d}", EntryKind.DIR, 0, 1_700_000_000 * 10**9, 0o40755)
            yield FileEntry(root, f"部门{folder:06d}/报告{index:03d}.txt", EntryKind.FILE, 1000 + number % 4096,
                            (1_700_000_000 + number) * 10**9, 0o100644)

    return walk


def planned_peak(tmp_path: Path, files: int) -> tuple[int, Any]:
    """Peak bytes Python allocated while scanning and planning `files` synthetic files."""
    job = f"job-{files}"
    tracemalloc.start()
    try:
        # Packages of at most 1,000 members at both sizes, so what is compared is the job's files,
        # not how big the packages its size allows are (the default is 50,000 members).
        plan = scan_and_plan([str(tmp_path)], 3 << 30, Board(), plan_folder=tmp_path / "data",
                             staging_dir=tmp_path / "staging", job_id=job,
                             walk=synthetic_walk(str(tmp_path), files), max_members=1000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, plan


def test_scanning_and_planning_ten_times_the_files_takes_no_more_memory(tmp_path: Path) -> None:
    planned_peak(tmp_path, 1_000)  # what a first run allocates once (imports, caches) counts for neither
    # Ten times the files (10,000 and 100,000: tracemalloc makes each entry cost about 0.1 ms here).
    small, small_plan = planned_peak(tmp_path, 10_000)
    large, large_plan = planned_peak(tmp_path, 100_000)
    assert small_plan.summary["files"] == 10_000 and large_plan.summary["files"] == 100_000
    assert len(large_plan.packages) >= 100  # the plan is all there, on disk
    # Holding every entry (as planning did before) made the larger peak about ten times the smaller
    # (measured on the code before: 5.8 MB and 59 MB); now both are about 3.5 MB.
    assert large < 2 * small, f"{large:,} bytes for 100,000 files against {small:,} for 10,000"
    assert not (tmp_path / "staging" / "job-100000" / "scan.spool").exists()  # the spool is scratch


def source_tree(root: Path) -> None:
    """Small and big files, a file to cut into chunks, incompressible ones, folders, a link."""
    for number in range(60):
        write_file(root / f"文档{number % 3}" / f"报告{number:03d}.txt", text_bytes(1500 + 97 * number, seed=number))
    write_file(root / "照片" / "a.jpg", random_bytes(200_000, seed=1))  # sampled: incompressible
    write_file(root / "照片" / "b.jpg", text_bytes(200_000, seed=2))  # sampled: a .jpg that compresses
    write_file(root / "大文件.bin", text_bytes(700_000, seed=3))  # bigger than a package: chunks
    (root / "空文件夹").mkdir()
    if ON_POSIX:
        os.symlink("文档0/报告000.txt", root / "链接")


def test_a_streamed_plan_is_the_plan_of_the_whole_scan(tmp_path: Path) -> None:
    source = tmp_path / "源"
    source_tree(source)
    max_package = 256 * 1024
    board = Board()
    stored = scan_and_plan([str(source)], max_package, board, plan_folder=tmp_path / "data",
                           staging_dir=tmp_path / "staging", job_id="job")

    entries = list(SourceScan([str(source)]))
    incompressible = classify_incompressible(entries)
    limit = split_limit(compressible_bytes(entries, incompressible), max_package)
    whole = plan_packages(entries, limit, incompressible=incompressible)
    assert any(plan.codec == "copy" for plan in whole) and any(p.items[0].total_chunks > 1 for p in whole)
    assert list(stored.plans()) == whole
    assert stored.digest == digest(whole)
    assert [(p.seq, p.package_id, p.payload_bytes) for p in stored.packages] == \
        [(p.seq, p.package_id, p.payload_bytes) for p in whole]
    files = [e for e in entries if e.kind is EntryKind.FILE]
    assert stored.summary == {"files": len(files), "bytes": sum(e.size for e in files)}
    assert board.figures["files_scanned"] == len(files) and board.figures["phase"] == "plan"
    # The same store read again (a resumed job), skipping the packages already on tape.
    again = load_plan(tmp_path / "data", "job")
    assert again is not None and again.digest == stored.digest
    done = {whole[0].package_id, whole[2].package_id}
    assert list(again.plans(skip=done)) == [plan for plan in whole if plan.package_id not in done]


def test_the_scan_warnings_kept_are_bounded_and_all_are_counted(tmp_path: Path) -> None:
    def walk(sources: list[str], on_warning: WarningSink) -> Iterator[FileEntry]:
        for number in range(1500):
            on_warning(BackupWarning("scan.entry_unreadable", f"/源/{number}", "权限不足"))
        yield FileEntry(str(tmp_path), "a.txt", EntryKind.FILE, 10, 0, 0o100644)

    stored = scan_and_plan([str(tmp_path)], 1 << 20, Board(), plan_folder=tmp_path / "data",
                           staging_dir=tmp_path / "staging", job_id="job", walk=walk)
    assert stored.warning_count == 1500 and len(stored.warnings) == 1000
    assert stored.warnings[0] == BackupWarning("scan.entry_unreadable", "/源/0", "权限不足").text


def test_a_plan_interrupted_while_written_is_no_plan(tmp_path: Path) -> None:
    source = tmp_path / "源"
    source_tree(source)

    def failing_walk(sources: list[str], on_warning: WarningSink) -> Iterator[FileEntry]:
        yield from SourceScan(sources)
        raise OSError("the walk died")

    with pytest.raises(OSError):
        scan_and_plan([str(source)], 1 << 20, Board(), plan_folder=tmp_path / "data",
                      staging_dir=tmp_path / "staging", job_id="job", walk=failing_walk)
    assert load_plan(tmp_path / "data", "job") is None
    writer = PlanWriter(tmp_path / "data", "job")
    [plan] = plan_packages([FileEntry(str(source), "x", EntryKind.FILE, 1, 0, 0o100644)], 1 << 20)
    writer.add(plan)
    writer.close()  # killed before finish: nothing in place
    assert load_plan(tmp_path / "data", "job") is None and not plan_path(tmp_path / "data", "job").exists()
    assert list((tmp_path / "data" / "jobs" / "job").iterdir()) == []


def test_the_packer_pool_takes_a_stream_of_plans_only_as_staging_room_frees(tmp_path: Path) -> None:
    for number in range(6):
        write_file(tmp_path / "src" / f"f{number}.txt", text_bytes(20_000, seed=number))
    plans = plan_packages(list(SourceScan([tmp_path / "src"])), 24_000)
    taken: list[int] = []
    closed = threading.Event()

    def stream() -> Iterator[Any]:
        try:
            for plan in plans:
                taken.append(plan.seq)
                yield plan
        finally:
            closed.set()

    staging = tmp_path / "stage"
    staging.mkdir()
    seen: list[int] = []
    with PackerPool(stream(), staging, level=1, workers=1, max_staged=2,
                    totals=(len(plans), sum(p.payload_bytes for p in plans))) as pool:
        assert pool.progress().packages_total == 6 and pool.progress().bytes_total == 6 * 20_000
        for result in pool:
            assert len(taken) <= len(seen) + 2  # never more than the staging bound ahead
            seen.append(result.seq)
            pool.release(result)
    assert seen == [plan.seq for plan in plans] and closed.is_set()
