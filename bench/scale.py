"""Issue 18, the ledger's part of "a full LTO-9 of small files": manifests out of replay, snapshots.

    python bench/scale.py                      # SQLite and PostgreSQL; close at 1 and 5 million entries
    python bench/scale.py --sizes 1 5 20       # … and at 20 million (about ten minutes a store here)
    python bench/scale.py --skip-postgres
    python bench/scale.py --packer-memory 1 6 9   # (c) only: a packer's peak memory at each level
    python bench/scale.py --all                # (a), (b), then bench/scale_catalog.py, bench/scale_cpu.py and
                                               # bench/scale_plan.py (scan and plan at --sizes millions of files)

(a) Loading a cartridge aggregate, and closing a cartridge (`backup.closing.close_cartridge`: read
    it and what it holds, write the tape index, record IndexWritten), with 200 packages × 5,000
    entries ÷ the same with 200 × 1 entry (goal ≤ 1.5). The median of `--rounds` runs each, the two
    cartridges in turn (a load sample is the mean of 50), on the wall clock and in CPU time. The
    index goes to a drive that keeps nothing (`NullDrive`), so the figures are the project's own
    work, not the emulator's.
(b) Peak memory (RSS) of a process that closes a cartridge holding 1, 5 (and 20) million entries
    in packages of 5,000: a fresh process opens the installation, and its resident set is read
    before the close and its peak after. The cartridge is filled once and grown between sizes;
    loading it is timed at each size too (flat: a snapshot and fewer than 50 events).

(c) With `--packer-memory`: the peak RSS of one packer process (`backup.pack.pack_package`, as a
    pool worker runs it) packing 72 MiB of text at each level, against `backup.pool_size`'s budget.

Each store is a new installation (`bootstrap.build`): SQLite in a temporary folder; PostgreSQL in
database `taf_bench_scale` (127.0.0.1:5432, made anew and dropped at the end). Prints figures;
asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.scale_common import peak_rss, rss  # noqa: E402
from tape.drive_types import WriteResult  # noqa: E402

PG = {"host": "127.0.0.1", "port": "5432", "user": "postgres", "dbname": "taf_bench_scale"}
NS = 1_000_000_000
MIB = 1 << 20
PER_PACKAGE = 5_000
PACKAGES = 200
LOADS = 50  # a load takes a millisecond or less: each sample is the mean of this many


class NullDrive:
    """Takes what closing a cartridge writes and keeps nothing."""

    def __init__(self) -> None:
        self.file = self.block = 0

    def locate_file(self, tape_file: int) -> None:
        self.file = tape_file

    def read_position(self) -> Any:
        return SimpleNamespace(file=self.file, block=self.block)

    def write_block(self, data: bytes) -> WriteResult:
        self.block += 1
        return WriteResult()

    def write_filemarks(self, count: int) -> WriteResult:
        self.file += count
        self.block += count
        return WriteResult()

    def write_attributes(self, attributes: Any) -> None:
        return None


def manifest(package: int, entries: int) -> list[dict[str, Any]]:
    """A package of a file server's small files, every key a backup writes."""
    folder = f"部门{package % 12:02d}/{2020 + package % 6}年/项目{package:05d}"
    return [{"path": f"{folder}/子目录{n // 11:03d}/文件{n:05d}.docx", "root": "/srv/共享", "kind": "file",
             "size": 4096 + n, "mtime_ns": (1_700_000_000 + package * 10 + n) * NS, "mode": 0o644,
             "sha256": f"{package:032x}{n:032x}", "member": f"srv/共享/{folder}/子目录{n // 11:03d}/文件{n:05d}.docx",
             "chunk_index": 0, "total_chunks": 1, "chunk_offset": 0, "chunk_length": 4096 + n, "state": "ok",
             "link_target": None, "root_raw": None, "path_raw": None, "link_target_raw": None}
            for n in range(entries)]


def fill(ledger: Any, barcode: str, first: int, last: int, entries: int) -> None:
    """Packages `first`..`last` on `barcode`, one save each (as a backup records them)."""
    for package in range(first, last + 1):
        cartridge = ledger.cartridge(barcode)
        cartridge.record_package(job_id="job-规模", package_id=f"{barcode}-{package:06d}", group="2026-12",
                                 sequence=package, tape_file=package, header_block=package * 12_300,
                                 payload_block=package * 12_300 + 2, payload_blocks=12_288, payload_bytes=3 << 30,
                                 payload_sha256="e" * 64, compression="lzma2", manifest=manifest(package, entries),
                                 extra={"block_size": 262144, "level": 9})
        ledger.save(cartridge)


def mounted(cartridge: Any) -> Any:
    from backup.supply import Mounted

    return Mounted(cartridge.barcode, next_file=cartridge.next_tape_file, block_size=262144, bytes_written=0)


def close(services: Any, barcode: str) -> None:
    from backup.closing import close_cartridge

    close_cartridge(services, NullDrive(), mounted(services.ledger.cartridge(barcode)), full_reason=None)


def timed(work: Callable[[], object]) -> tuple[float, float]:
    """Seconds `work()` took on the wall clock, and of this process's CPU."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


@contextmanager
def installation(store: str, folder: Path) -> Iterator[dict[str, str]]:
    """The environment of a fresh installation on `store`."""
    env = {"DATA_DIR": str(folder / "data"), "TAF_ENV_FILE": str(folder / "absent.env"),
           "LOG_FILE": str(folder / "logs" / "bench.log"), "TAF_USER": "bench"}
    if store == "postgresql":
        postgres("CREATE")
        env["DATABASE_URL"] = f"postgresql://{PG['user']}@{PG['host']}:{PG['port']}/{PG['dbname']}"
    try:
        yield env
    finally:
        if store == "postgresql":
            postgres("DROP")


def postgres(what: str) -> None:
    import psycopg2

    admin = psycopg2.connect(host=PG["host"], port=PG["port"], user=PG["user"], dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {PG['dbname']}")
        if what == "CREATE":
            cursor.execute(f"CREATE DATABASE {PG['dbname']} ENCODING 'UTF8' TEMPLATE template0")
    admin.close()


@contextmanager
def services_in(env: dict[str, str]) -> Iterator[Any]:
    for key in ("DATABASE_URL", "REDIS_URL", "TAF_NOW"):
        os.environ.pop(key, None)
    os.environ.update(env)
    from bootstrap import build

    built = build()
    try:
        yield built
    finally:
        built.close()


# --- (a) ratios ----------------------------------------------------------------------------------
def ratios(store: str, rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="taf-bench-scale-") as folder, \
            installation(store, Path(folder)) as env, services_in(env) as services:
        ledger = services.ledger
        started = time.perf_counter()
        for barcode, entries in (("BIG001L9", PER_PACKAGE), ("ONE001L9", 1)):
            ledger.register_cartridge(barcode)
            fill(ledger, barcode, 1, PACKAGES, entries)
        services.projector.catch_up(["chain"])
        print(f"  {store}：记录 2 × {PACKAGES} 个数据包（{PACKAGES * (PER_PACKAGE + 1):,} 项）用时 "
              f"{time.perf_counter() - started:.0f} 秒", flush=True)
        big, one = "BIG001L9", "ONE001L9"
        for barcode in (big, one):  # the first close of each pays for imports and the write-ahead log's checkpoint
            close(services, barcode)
        # In turn, so that the rest of the machine disturbs both alike; wall clock and this process's CPU.
        times: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for _ in range(rounds):
            for what, work, times_each in (("load", lambda b: ledger.cartridge(b), LOADS),
                                           ("close", lambda b: close(services, b), 1)):
                for barcode in (big, one):
                    wall, cpu = timed(lambda w=work, b=barcode, n=times_each: [w(b) for _ in range(n)])
                    times.setdefault((what, barcode), []).append((wall / times_each, cpu / times_each))
        for what, name in (("load", "载入磁带聚合"), ("close", "关闭磁带")):
            wall = {b: statistics.median(t[0] for t in times[(what, b)]) for b in (big, one)}
            cpu = {b: statistics.median(t[1] for t in times[(what, b)]) for b in (big, one)}
            print(f"  {store}：{name}（{rounds} 次的中位数）：200 × 5,000 项 {wall[big] * 1000:.1f} 毫秒，"
                  f"200 × 1 项 {wall[one] * 1000:.1f} 毫秒，比 {wall[big] / wall[one]:.2f}（目标 ≤ 1.5）；"
                  f"只算 CPU 时间 {cpu[big] * 1000:.1f} ÷ {cpu[one] * 1000:.1f} 毫秒 = {cpu[big] / cpu[one]:.2f}",
                  flush=True)


# --- (b) memory at close -----------------------------------------------------------------------
def memory(store: str, sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory(prefix="taf-bench-scale-") as folder, installation(store, Path(folder)) as env:
        filled = 0
        for millions in sizes:
            packages = millions * 1_000_000 // PER_PACKAGE
            started = time.perf_counter()
            with services_in(env) as services:
                if not filled:
                    services.ledger.register_cartridge("FULL01L9")
                fill(services.ledger, "FULL01L9", filled + 1, packages, PER_PACKAGE)
                services.projector.catch_up(["chain"])
            filled = packages
            building = time.perf_counter() - started
            measured = subprocess.run([sys.executable, __file__, "--close-in-this-process", "FULL01L9"],
                                      env={**os.environ, **env}, capture_output=True, text=True, check=True)
            found = json.loads(measured.stdout.strip().splitlines()[-1])
            print(f"  {store}：{millions:>2} 百万项（{packages:,} 个数据包，补写用时 {building:.0f} 秒）："
                  f"关闭磁带的进程 关闭前 {found['before'] / MIB:.0f} MiB，峰值 {found['peak'] / MIB:.0f} MiB；"
                  f"载入磁带聚合 {found['load'] * 1000:.1f} 毫秒，关闭 {found['close']:.2f} 秒", flush=True)


def close_in_this_process(barcode: str) -> None:
    """Open the installation named by the environment, close `barcode` once, print what it took."""
    from bootstrap import build

    services = build()
    try:
        services.projector.catch_up(["chain"])
        before = rss()
        started = time.perf_counter()
        services.ledger.cartridge(barcode)
        load = time.perf_counter() - started
        started = time.perf_counter()
        close(services, barcode)
        seconds = time.perf_counter() - started
        peak = peak_rss()
    finally:
        services.close()
    print(json.dumps({"before": before, "peak": peak, "load": load, "close": seconds}))


# --- (c) a packer's memory ---------------------------------------------------------------------
def packer_memory(levels: list[int]) -> None:
    from backup.pool_size import packer_memory as budget

    with tempfile.TemporaryDirectory(prefix="taf-bench-packer-") as folder:
        source = Path(folder) / "src"
        source.mkdir()
        words = [f"字段{n}" for n in range(5000)] + [f"value{n}" for n in range(5000)]
        for number in range(9):  # 9 × 8 MiB: more than level 9's 64 MiB dictionary
            lines = (" ".join(words[(i * 7919 + j * 104729 + number) % len(words)] for j in range(12))
                     for i in range(1 << 30))
            with open(source / f"f{number}.txt", "w", encoding="utf-8") as out:
                size = 0
                for line in lines:
                    out.write(line + "\n")
                    size += len(line.encode()) + 1
                    if size >= 8 * MIB:
                        break
        for level in levels:
            measured = subprocess.run([sys.executable, __file__, "--pack-in-this-process", str(level), str(source)],
                                      capture_output=True, text=True, check=True)
            found = json.loads(measured.stdout.strip().splitlines()[-1])
            print(f"  级别 {level}：打包进程峰值 {found['peak'] / MIB:.0f} MiB（打包前 {found['before'] / MIB:.0f} MiB，"
                  f"{found['seconds']:.0f} 秒）；进程池按每个 {budget(level) / MIB:.0f} MiB 计", flush=True)


def pack_in_this_process(level: int, source: str) -> None:
    from backup.pack import pack_package
    from backup.plan import plan_packages
    from backup.scan import SourceScan

    [plan] = plan_packages(list(SourceScan([source])), 1 << 30)
    before = rss()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="taf-bench-stage-") as staging:
        pack_package(plan, staging, level=level, solid_block_size=1 << 30)
    peak = peak_rss()
    print(json.dumps({"before": before, "peak": peak, "seconds": time.perf_counter() - started}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 5], help="millions of entries on the tape")
    parser.add_argument("--rounds", type=int, default=5, help="loads and closes timed for each median")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--packer-memory", type=int, nargs="+", metavar="LEVEL",
                        help="only (c): a packer's peak memory at these levels")
    parser.add_argument("--all", action="store_true",
                        help="also the catalog (bench/scale_catalog.py) and CPU (bench/scale_cpu.py) parts, with "
                             "their defaults, and the scan and plan part (bench/scale_plan.py) at --sizes, in this "
                             "one run")
    parser.add_argument("--close-in-this-process", metavar="BARCODE", help=argparse.SUPPRESS)
    parser.add_argument("--pack-in-this-process", nargs=2, metavar=("LEVEL", "SOURCE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.close_in_this_process:
        close_in_this_process(args.close_in_this_process)
        return
    if args.pack_in_this_process:
        pack_in_this_process(int(args.pack_in_this_process[0]), args.pack_in_this_process[1])
        return
    if args.packer_memory:
        print("(c) 一个打包进程的内存（72 MiB 文本）", flush=True)
        packer_memory(args.packer_memory)
        return
    stores = ["sqlite"] if args.skip_postgres else ["sqlite", "postgresql"]
    print(f"(a) 载入与关闭一盘磁带：{PACKAGES} 个数据包 × {PER_PACKAGE:,} 项 ÷ {PACKAGES} × 1 项", flush=True)
    for store in stores:
        ratios(store, args.rounds)
    print(f"(b) 关闭磁带时进程的内存（RSS），每个数据包 {PER_PACKAGE:,} 项", flush=True)
    for store in stores:
        memory(store, sorted(args.sizes))
    if args.all:
        from bench import scale_catalog, scale_cpu, scale_plan

        skip = ["--skip-postgres"] if args.skip_postgres else []
        print("(d) 目录：载入速度、搜索、目录树、内存（bench/scale_catalog.py）", flush=True)
        scale_catalog.main(skip)
        print("(e) 打包与写磁带的 CPU、恢复一个小文件的读取量（bench/scale_cpu.py）", flush=True)
        scale_cpu.main([])
        print("(f) 备份任务扫描与规划的内存（bench/scale_plan.py）", flush=True)
        scale_plan.main(["--sizes", *map(str, sorted(args.sizes))])


if __name__ == "__main__":
    main()
