"""Backup pipeline benchmark (issue 4): packing, tape writing and a whole job, in one run on one data set.

    .venv/bin/python bench/backup.py [--text-mib 128] [--random-mib 256] [--levels 0,1,6,9]
                                     [--job-levels 1] [--rounds 3] [--fast-reps 3] [--max-package-mib 8]
                                     [--job-package-mib 32] [--workdir DIR]

Generates seeded log-like text and incompressible data (bench/backup_pack.py's generators), then:

1. Packing, text: MiB/s at each level with our worker pool (scan → sample → plan → PackerPool,
   bench/backup_pack.run_ours) and with `7zz a -mx=N -mmt=<cores>`, and ours/7zz (goal ≥ 0.9).
   7zz -mx=0 means "store", so level 0 is also compared with `7zz -m0=LZMA2 -mx=0`. The fast
   levels (0–4) take a few seconds, so they are measured --fast-reps times, ours and 7zz
   alternately, and the medians are printed (this machine's speed changes within seconds).
   The pool's fixed costs (starting the workers, the last package packed alone) are a larger part
   of a small data set than of a real backup, hence the default of 128 MiB of text.
2. Packing, incompressible data: MiB/s at each level with our pool (the COPY filter; goal ≥ 100).
3. The pipeline, on all of the data, at each of --job-levels, in --rounds rounds whose order
   alternates (the machine's load changes between measurements; medians are reported):
   - packing alone: the pool as the job runs it, finished packages kept;
   - writing alone: those packages through write_package → Drive API → command log → emulated drive,
     interleaved package by package with plain write() calls of the same bytes in blocks of the
     same size to a file on the same disk (fsync after each package, as the drive flushes at each
     filemark), so both meet the same disk;
   - a real backup job (services, ledger, emulated library, `backup.service.run`).
   Packages here are --job-package-mib (MAX_FILE_SIZE; 3 GiB in production): each one costs a
   filemark, which the emulated drive makes durable with several fsyncs, so very small packages
   measure the emulator's per-file cost more than the write path.
   Reported: the tape rate inside the job (time spent in write_package, from the job's figures)
   against plain disk writes (goal ≥ 0.8), and the job's wall time against
   max(packing alone, writing alone) (goal ≤ 1.15): packing and writing overlap. Because the job
   and the plain writes cannot run at the same moment, the write path alone against the plain
   writes interleaved with it is printed too: the like-for-like figure for the write path.
   Like the job, writing alone trusts the packer's SHA-256 (the packages were just packed and
   only moved aside), so neither hashes the payload a second time.

Numbers only, no assertions; the machine's other load moves them (docs/性能.md).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# This file is bench/backup.py: with its folder first on sys.path, `import backup` (and `ledger`,
# next to it as bench/ledger.py) would find the benchmarks instead of the packages.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))


def _load_backup_pack() -> Any:
    spec = importlib.util.spec_from_file_location("bench_backup_pack", _HERE / "backup_pack.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_pack_bench = _load_backup_pack()
make_random, make_text, run_7zz, run_ours = (_pack_bench.make_random, _pack_bench.make_text,
                                             _pack_bench.run_7zz, _pack_bench.run_ours)

from backup.packer_pool import PackerPool  # noqa: E402
from backup.plan import plan_packages  # noqa: E402
from backup.sampling import classify_incompressible  # noqa: E402
from backup.scan import SourceScan  # noqa: E402

MIB = 1 << 20
BLOCK = 262144


def verdict(ok: bool) -> str:
    return "达标" if ok else "未达标"


# -- 1 and 2: packing ---------------------------------------------------------------------------------


def _median_rates(tool: str, text: Path, staging: Path, archive: Path, level: int, workers: int,
                  max_package: int, reps: int, extra: list[str]) -> tuple[float, float, float, float, float]:
    """Ours and 7zz on the same data, `reps` times, who goes first alternating.

    Returns the median MiB/s of each, the median of the per-repetition ratios, and both compression ratios.
    """
    ours, theirs, ratios = [], [], []
    for rep in range(reps):
        if rep % 2:
            z_seconds, z_out = run_7zz(tool, text, archive, level, workers, extra)
        seconds, size, packed = run_ours(text, staging, level, workers, max_package, 64 * MIB)
        if not rep % 2:
            z_seconds, z_out = run_7zz(tool, text, archive, level, workers, extra)
        ours.append(size / seconds / MIB)
        theirs.append(size / z_seconds / MIB)
        ratios.append(ours[-1] / theirs[-1])
    return (statistics.median(ours), statistics.median(theirs), statistics.median(ratios),
            size / packed, size / z_out)


def packing_table(tool: str, text: Path, rand: Path, levels: list[int], workers: int, work: Path,
                  max_package: int, fast_reps: int) -> None:
    staging = work / "staging"
    staging.mkdir(exist_ok=True)
    archive = work / "7zz.7z"
    print(f"\n## 1. 打包：文本（{workers} 个工作进程 / 7zz -mmt={workers}，数据包上限 {max_package // MIB} MiB）")
    print(f"{'级别':<10}{'本系统 MiB/s':>14}{'7zz MiB/s':>12}{'本系统/7zz':>12}  {'压缩比 本系统/7zz':<20}判定")
    for level in levels:
        reps = fast_reps if level <= 4 else 1
        ours, theirs, ratio, ours_c, z_c = _median_rates(tool, text, staging, archive, level, workers,
                                                         max_package, reps, [])
        note = "（7zz 为仅存储）" if level == 0 else ""
        print(f"{level:<10}{ours:>14.2f}{theirs:>12.2f}{ratio:>12.2f}  "
              f"{ours_c:.3f} / {z_c:.3f}{note:<8}  {verdict(ratio >= 0.9) if level else '—'}", flush=True)
        if level == 0:
            ours, theirs, ratio, ours_c, z_c = _median_rates(tool, text, staging, archive, 0, workers,
                                                             max_package, reps, ["-m0=LZMA2"])
            print(f"{'0（LZMA2）':<10}{ours:>14.2f}{theirs:>12.2f}{ratio:>12.2f}  "
                  f"{ours_c:.3f} / {z_c:.3f}          {verdict(ratio >= 0.9)}", flush=True)
    print(f"（级别 0–4 各测 {fast_reps} 次，本系统与 7zz 交替，取中位数）")
    print("\n## 2. 打包：不可压缩数据（COPY 过滤器，目标 ≥ 100 MiB/s）")
    for level in levels:
        seconds, size, _ = run_ours(rand, staging, level, workers, max_package, 64 * MIB)
        rate = size / seconds / MIB
        print(f"级别 {level}：{rate:8.1f} MiB/s（{size / MIB:.0f} MiB，{seconds:.2f} 秒）{verdict(rate >= 100)}", flush=True)


# -- 3: the pipeline ----------------------------------------------------------------------------------


def pack_alone(sources: list[Path], keep: Path, level: int, workers: int, max_package: int) -> tuple[float, list[Any]]:
    """The job's packing half on its own: scan → sample → plan → pool; packages moved aside, kept."""
    keep.mkdir(parents=True, exist_ok=True)
    staging = keep.parent / "pack-staging"
    staging.mkdir(exist_ok=True)
    kept = []
    started = time.perf_counter()
    entries = list(SourceScan([str(s) for s in sources]))
    plans = plan_packages(entries, max_package, incompressible=classify_incompressible(entries))
    with PackerPool(plans, staging, level=level, workers=workers) as pool:
        for result in pool:
            target = keep / Path(result.path).name
            os.replace(result.path, target)
            kept.append((result, target))
            pool.release(result)
    return time.perf_counter() - started, kept


def write_alone_and_plain(kept: list[Any], work: Path) -> tuple[float, float, int]:
    """Seconds for the packages through the tape stack, and for plain writes of the same bytes."""
    from tape.devices import open_device
    from tape.drive import Drive
    from tape.emulator import Library

    total = sum(result.payload_bytes for result, _ in kept)
    root = work / "vtl-alone"
    with Library.create(root, drives=1, slots=0, cartridges=0, capacity=total * 2 + (256 << 20),
                        early_warning_pct=1) as library:
        library.insert(library.add_cartridge())
    drive = Drive(open_device("emulated:0", root))
    drive.mount(prevent_removal=False)
    fd = os.open(work / "plain.bin", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    tape_seconds = plain_seconds = 0.0
    try:
        for number, (result, path) in enumerate(kept):
            if number % 2 == 0:
                tape_seconds += _to_tape(drive, result, path)
                plain_seconds += _to_file(fd, path)
            else:
                plain_seconds += _to_file(fd, path)
                tape_seconds += _to_tape(drive, result, path)
    finally:
        os.close(fd)
        drive.close()
        shutil.rmtree(root, ignore_errors=True)
        (work / "plain.bin").unlink(missing_ok=True)
    return tape_seconds, plain_seconds, total


def _to_tape(drive: Any, result: Any, path: Path) -> float:
    from tape.volume_packages import write_package

    header = {"package_id": result.package_id, "job_id": "bench", "group": "2026-05", "sequence": result.seq,
              "compression": str(result.codec), "created_at": "2026-05-01T02:00:00",
              "payload_bytes": result.payload_bytes, "payload_sha256": result.payload_sha256}
    started = time.perf_counter()
    write_package(drive, header, [e.to_dict() for e in result.manifest], path, block_size=BLOCK,
                  verify_digest=False)
    return time.perf_counter() - started


def _to_file(fd: int, path: Path) -> float:
    started = time.perf_counter()
    with open(path, "rb", buffering=0) as source:
        while chunk := source.read(BLOCK):
            os.write(fd, chunk)
    os.fsync(fd)
    return time.perf_counter() - started


def real_job(sources: list[Path], work: Path, level: int, max_package: int, total: int) -> tuple[float, dict[str, Any]]:
    """A backup job as `backup run --wait` runs it, in this process, on a fresh data folder."""
    data = work / "data"
    os.environ.update({
        "TAF_ENV_FILE": str(work / "absent.env"), "DATA_DIR": str(data), "LOG_FILE": str(data / "logs" / "app.log"),
        "VTL_CAPACITY": str(total * 2 + (256 << 20)), "VTL_EARLY_WARNING_PCT": "1", "VTL_SLOTS": "2",
        "MAX_FILE_SIZE": str(max_package),
    })
    from backup import service
    from bootstrap import build

    services = build()
    try:
        job, _ = service.request_backup(services, [str(s) for s in sources], group="2026-05", level=level)
        started = time.perf_counter()
        summary = service.run(services, str(job.id))
        wall = time.perf_counter() - started
        figures = dict(services.ledger.backup_job(str(job.id)).figures)
        figures["status"] = summary["status"]
        return wall, figures
    finally:
        services.close()


def one_round(sources: list[Path], work: Path, level: int, workers: int, max_package: int,
              number: int) -> dict[str, Any]:
    """Packing alone, writing alone with plain writes, and the job; every other round job first,
    so a change in the machine's load between measurements does not favour one side."""
    out: dict[str, Any] = {}

    def alone() -> None:
        out["pack"], kept = pack_alone(sources, work / "kept", level, workers, max_package)
        out["in"] = sum(result.bytes_in for result, _ in kept)
        out["packages"] = len(kept)
        out["tape"], out["plain"], out["bytes"] = write_alone_and_plain(kept, work)
        shutil.rmtree(work / "kept", ignore_errors=True)

    def job() -> None:
        total = sum(f.stat().st_size for source in sources for f in source.rglob("*") if f.is_file())
        out["wall"], out["figures"] = real_job(sources, work / f"round-{number}", level, max_package, total)
        shutil.rmtree(work / f"round-{number}", ignore_errors=True)

    for step in ((alone, job) if number % 2 == 0 else (job, alone)):
        step()
    return out


def pipeline(sources: list[Path], work: Path, level: int, workers: int, max_package: int, rounds: int) -> None:
    print(f"\n## 3. 流水线（级别 {level}，{workers} 个工作进程，数据包上限 {max_package // MIB} MiB，"
          f"块 {BLOCK // 1024} KiB，{rounds} 轮交替测量）")
    print(f"{'轮':<3}{'单独打包 秒':>12}{'单独写磁带 MiB/s':>18}{'直接写盘 MiB/s':>16}{'任务内写磁带 MiB/s':>20}"
          f"{'任务全程 秒':>12}{'写速比':>8}{'全程比':>8}")
    speed, alone_speed, overlap = [], [], []
    for number in range(rounds):
        r = one_round(sources, work, level, workers, max_package, number)
        plain_rate, tape_rate = r["bytes"] / r["plain"] / MIB, r["bytes"] / r["tape"] / MIB
        job_rate = r["figures"].get("write_rate", 0.0) / MIB
        speed.append(job_rate / plain_rate)
        alone_speed.append(tape_rate / plain_rate)
        overlap.append(r["wall"] / max(r["pack"], r["tape"]))
        assert r["figures"]["status"] == "succeeded", r["figures"]
        print(f"{number + 1:<3}{r['pack']:>12.2f}{tape_rate:>18.1f}{plain_rate:>16.1f}{job_rate:>20.1f}"
              f"{r['wall']:>12.2f}{speed[-1]:>8.2f}{overlap[-1]:>8.2f}", flush=True)
    print(f"读入 {r['in'] / MIB:.0f} MiB，打包后 {r['bytes'] / MIB:.0f} MiB，{r['packages']} 个数据包")
    print(f"任务内写磁带速度 / 直接写盘速度：中位数 {statistics.median(speed):.2f}（目标 ≥ 0.8）"
          f"{verdict(statistics.median(speed) >= 0.8)}")
    print(f"单独写磁带速度 / 与之交替的直接写盘速度：中位数 {statistics.median(alone_speed):.2f}（同一时刻的对比）")
    print(f"任务全程 / max(单独打包, 单独写磁带)：中位数 {statistics.median(overlap):.2f}（目标 ≤ 1.15）"
          f"{verdict(statistics.median(overlap) <= 1.15)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--text-mib", type=int, default=128)
    parser.add_argument("--random-mib", type=int, default=256)
    parser.add_argument("--levels", default="0,1,6,9")
    parser.add_argument("--job-levels", default="1")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of the pipeline measurement")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--max-package-mib", type=int, default=8, help="package limit for the packing tables")
    parser.add_argument("--fast-reps", type=int, default=3, help="alternating repetitions at levels 0–4")
    parser.add_argument("--job-package-mib", type=int, default=32, help="MAX_FILE_SIZE for the pipeline")
    parser.add_argument("--workdir", default=None, help="where to generate data (default: a temporary folder)")
    args = parser.parse_args()
    tool = shutil.which("7zz") or shutil.which("7z")
    if tool is None:
        sys.exit("需要 7-Zip 程序：apt-get install 7zip")
    work = Path(tempfile.mkdtemp(prefix="taf-bench-backup-", dir=args.workdir))
    try:
        rnd = random.Random(20260501)
        text, rand = work / "data" / "文本", work / "data" / "随机"
        make_text(text, args.text_mib * MIB, rnd)
        make_random(rand, args.random_mib * MIB, rnd)
        print(f"数据：文本 {args.text_mib} MiB，不可压缩 {args.random_mib} MiB；{os.cpu_count()} 核；"
              f"{Path(tool).name}；负载 {os.getloadavg()[0]:.2f}")
        levels = [int(x) for x in args.levels.split(",")]
        max_package = args.max_package_mib * MIB
        packing_table(tool, text, rand, levels, args.workers, work, max_package, args.fast_reps)
        for level in (int(x) for x in args.job_levels.split(",")):
            pipeline([text, rand], work, level, args.workers, args.job_package_mib * MIB, args.rounds)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
