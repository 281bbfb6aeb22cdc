"""Issue 18, item 4 for a job's first half: the memory of scanning the sources and planning the packages.

    python bench/scale_plan.py                    # 1 and 5 million files
    python bench/scale_plan.py --sizes 1 5 20     # … and 20 million (about ten minutes here)
    python bench/scale_plan.py --in-memory 1      # also the way before the change, at 1 million
    python bench/scale_plan.py --sizes --one-folder 1   # only: the scan of one folder of a million files

Each size runs in a fresh process: `backup.scanning.scan_and_plan` — what a job runs, with its
defaults (MAX_FILE_SIZE 3 GiB, at most 50,000 members a package, the sampler, the split for the
cores) — over a synthetic file server of that many small files (4–60 KiB, a fifth of them of kinds
stored without compression, 11 files a folder, folders four deep), handed to the scan as its walker
so no files are made; the spool goes to a temporary staging folder and the plan to a temporary
plan store, as a job's would. Printed: the process's resident set before the scan and its peak
(VmHWM) after the plan is stored, the time, the packages, and the plan store's size on disk.

`--in-memory` measures, at the sizes given, what a job did before the change with the same pure
functions: the walk in a list, then the sampler's set, the split, `plan_packages` and one pickle of
the whole plan (the old `plan.pickle`). Prints figures; asserts nothing.

`--one-folder` makes that many (real, empty) files in one folder of a temporary directory and scans
it in a fresh process — the listing sorted on disk in runs (`backup.listing`, now) and sorted whole
in memory (before) — printing each peak (VmHWM) and time.
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backup.entry import EntryKind, FileEntry  # noqa: E402
from bench.scale_common import load_average, measured_child, peak_rss, report, rss  # noqa: E402

MIB = 1 << 20
NS = 1_000_000_000
SUFFIXES = (".docx", ".txt", ".xlsx", ".log", ".jpg", ".csv", ".md", ".py", ".xml", ".json")
YEARS, PROJECTS, SUBFOLDERS, PER_FOLDER = 6, 50, 20, 11


def file_server(root: str, files: int) -> Iterator[FileEntry]:
    """`files` FileEntry objects of a department file server (and their folders), in scan order."""
    made = 0
    stamp = 1_700_000_000 * NS

    def folder(rel: str) -> FileEntry:
        return FileEntry(root, rel, EntryKind.DIR, 0, stamp, 0o40755)

    for department in range(1 << 30):
        path = f"部门{department:04d}"
        yield folder(path)
        for year in range(YEARS):
            year_path = f"{path}/{2020 + year}年"
            yield folder(year_path)
            for project in range(PROJECTS):
                project_path = f"{year_path}/项目{project:03d}"
                yield folder(project_path)
                for sub in range(SUBFOLDERS):
                    sub_path = f"{project_path}/子目录{sub:03d}"
                    yield folder(sub_path)
                    for number in range(PER_FOLDER):
                        if made == files:
                            return
                        size = 4096 + (made * 7919) % (56 * 1024)  # below the sampler's 64 KiB: no reads
                        name = f"{sub_path}/文件{number:02d}{SUFFIXES[made % len(SUFFIXES)]}"
                        yield FileEntry(root, name, EntryKind.FILE, size, stamp + made * NS, 0o100644)
                        made += 1


class Board:
    """The progress board as the scan sees it."""

    def update(self, force: bool = False, **figures: object) -> None:
        return None


def plan_in_this_process(files: int, way: str) -> None:
    from backup.plan import plan_packages
    from backup.pool_size import compressible_bytes, split_limit
    from backup.sampling import classify_incompressible
    from backup.scanning import scan_and_plan

    with tempfile.TemporaryDirectory(prefix="taf-bench-plan-") as folder:
        root = str(Path(folder) / "源")
        os.mkdir(root)
        before = rss()
        started = time.perf_counter()
        if way == "stream":
            plan = scan_and_plan([root], 3 << 30, Board(), plan_folder=Path(folder) / "data",
                                 staging_dir=Path(folder) / "staging", job_id="bench",
                                 walk=lambda sources, warn: file_server(root, files))
            packages, stored = len(plan.packages), plan.path.stat().st_size
        else:
            entries = list(file_server(root, files))
            incompressible = classify_incompressible(entries)
            limit = split_limit(compressible_bytes(entries, incompressible), 3 << 30)
            plans = plan_packages(entries, limit, incompressible=incompressible)
            with open(Path(folder) / "plan.pickle", "wb") as out:
                pickle.dump({"plans": plans}, out, protocol=pickle.HIGHEST_PROTOCOL)
            packages, stored = len(plans), (Path(folder) / "plan.pickle").stat().st_size
        seconds = time.perf_counter() - started
        report({"before": before, "peak": peak_rss(), "seconds": seconds, "packages": packages, "stored": stored})


def scan_in_this_process(folder: str, in_memory: int) -> None:
    from backup.scan import SourceScan

    before = rss()
    started = time.perf_counter()
    scanner = SourceScan([folder])
    scanner.in_memory = in_memory
    entries = sum(1 for _ in scanner)  # one at a time, as the job's spool takes them
    report({"before": before, "peak": peak_rss(), "seconds": time.perf_counter() - started, "entries": entries})


def measure_one_folder(millions: float) -> None:
    from backup.listing import IN_MEMORY

    files = int(millions * 1_000_000)
    with tempfile.TemporaryDirectory(prefix="taf-bench-folder-") as parent:
        folder = os.path.join(parent, "一个文件夹")
        os.mkdir(folder)
        started = time.perf_counter()
        for number in range(files):
            os.close(os.open(os.path.join(folder, f"文件{number * 7919 % files:08d}.txt"), os.O_CREAT | os.O_WRONLY))
        print(f"  一个文件夹 {files:,} 个空文件（建立用了 {time.perf_counter() - started:.0f} 秒）", flush=True)
        for name, in_memory in (("分段排序（现在）", IN_MEMORY), ("整个排序（改动前）", files + 1)):
            found = measured_child(__file__, ["--scan-in-this-process", folder, str(in_memory)], {})
            print(f"    {name}：进程峰值 {found['peak'] / MIB:,.0f} MiB（扫描前 {found['before'] / MIB:.0f} MiB），"
                  f"{found['seconds']:.1f} 秒，{found['entries']:,} 项", flush=True)


def measure(millions: Sequence[float], way: str) -> None:
    name = "边扫描边计划（现在）" if way == "stream" else "整个留在内存里（改动前的做法）"
    for size in millions:
        files = int(size * 1_000_000)
        found = measured_child(__file__, ["--plan-in-this-process", str(files), way], {})
        print(f"  {name}：{files:,} 个文件：进程峰值 {found['peak'] / MIB:,.0f} MiB（扫描前 {found['before'] / MIB:.0f} MiB），"
              f"{found['seconds']:.0f} 秒（每个文件 {found['seconds'] / files * 1e6:.1f} 微秒），"
              f"{found['packages']:,} 个数据包，计划存盘 {found['stored'] / MIB:,.0f} MiB", flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=float, nargs="*", default=[1, 5], help="millions of files")
    parser.add_argument("--in-memory", type=float, nargs="*", default=[], metavar="MILLIONS",
                        help="also measure the way before the change at these sizes (about 1.1 GiB a million)")
    parser.add_argument("--one-folder", type=float, nargs="*", default=[], metavar="MILLIONS",
                        help="also scan one folder holding this many million files (made, then removed)")
    parser.add_argument("--plan-in-this-process", nargs=2, metavar=("FILES", "WAY"), help=argparse.SUPPRESS)
    parser.add_argument("--scan-in-this-process", nargs=2, metavar=("FOLDER", "IN_MEMORY"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.plan_in_this_process:
        plan_in_this_process(int(args.plan_in_this_process[0]), args.plan_in_this_process[1])
        return
    if args.scan_in_this_process:
        scan_in_this_process(args.scan_in_this_process[0], int(args.scan_in_this_process[1]))
        return
    print(f"扫描与计划的内存（RSS）；机器负载 {load_average()}", flush=True)
    measure(sorted(args.sizes), "stream")
    if args.in_memory:
        measure(sorted(args.in_memory), "whole")
    for millions in args.one_folder:
        measure_one_folder(millions)


if __name__ == "__main__":
    main()
