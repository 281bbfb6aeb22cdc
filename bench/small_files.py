"""A backup job over many small files: where per-file costs show.

    .venv/bin/python bench/small_files.py [--files 20000] [--level 1] [--package-mib 8] [--rounds 2]

Generates (seeded) FILES small text files of 0.2–8 KiB with Chinese names in 20 × 97 folders,
then runs a real backup job on them (`backup.service.run`, as `backup run --wait` does: scan,
plan, packer pool, tape writing to the emulated library, ledger) ROUNDS times, each on a fresh
data folder. Prints, per round: wall seconds, files per second, CPU seconds of the job process
(everything but the packers: scan, plan, manifests, tape, ledger) and seconds inside tape writes.
The benchmarks on big files (bench/backup.py) hide these costs; a file server's tree does not.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

MIB = 1 << 20
WORDS = ["报告", "季度", "财务", "data", "log", "配置", "readme", "合同", "x"]


def make_tree(root: Path, files: int, rnd: random.Random) -> int:
    total = 0
    for i in range(files):
        folder = root / f"部门{i % 20}" / f"项目{i % 97}"
        folder.mkdir(parents=True, exist_ok=True)
        data = " ".join(rnd.choices(WORDS, k=rnd.randint(30, 1200))).encode()
        (folder / f"{rnd.choice(WORDS)}-{i}.txt").write_bytes(data)
        total += len(data)
    return total


def one_job(source: Path, work: Path, level: int, package_mib: int, total: int) -> dict[str, float]:
    data = work / "data"
    os.environ.update({
        "TAF_ENV_FILE": str(work / "absent.env"), "DATA_DIR": str(data), "LOG_FILE": str(data / "logs" / "app.log"),
        "VTL_CAPACITY": str(total * 4 + (256 << 20)), "VTL_EARLY_WARNING_PCT": "1", "VTL_SLOTS": "2",
        "MAX_FILE_SIZE": str(package_mib * MIB),
    })
    from backup import service
    from bootstrap import build

    services = build()
    try:
        job, _ = service.request_backup(services, [str(source)], group="2026-05", level=level)
        wall, cpu = time.perf_counter(), time.process_time()
        summary = service.run(services, str(job.id))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        figures = dict(services.ledger.backup_job(str(job.id)).figures)
        assert summary["status"] == "succeeded", summary
        return {"wall": wall, "cpu": cpu, "write": float(figures["write_seconds"]), "packages": figures["packages"]}
    finally:
        services.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20000)
    parser.add_argument("--level", type=int, default=1)
    parser.add_argument("--package-mib", type=int, default=8, help="MAX_FILE_SIZE for the job")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="taf-bench-small-"))
    try:
        source = work / "源"
        total = make_tree(source, args.files, random.Random(20260501))
        print(f"{args.files} 个小文件，共 {total / MIB:.1f} MiB；级别 {args.level}；数据包上限 {args.package_mib} MiB；"
              f"{os.cpu_count()} 核；负载 {os.getloadavg()[0]:.2f}")
        print(f"{'轮':<4}{'任务全程 秒':>12}{'文件/秒':>10}{'任务进程 CPU 秒':>16}{'写磁带 秒':>12}{'数据包':>8}")
        for number in range(args.rounds):
            r = one_job(source, work / f"round-{number}", args.level, args.package_mib, total)
            shutil.rmtree(work / f"round-{number}", ignore_errors=True)
            print(f"{number + 1:<4}{r['wall']:>12.2f}{args.files / r['wall']:>10.0f}{r['cpu']:>16.2f}"
                  f"{r['write']:>12.2f}{r['packages']:>8}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
