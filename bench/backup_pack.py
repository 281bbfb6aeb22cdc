"""Packing throughput: our worker pool (py7zr) against 7-Zip's own `7zz a -mx=N -mmt=<cores>`.

Run:  .venv/bin/python bench/backup_pack.py [--text-mib 144] [--random-mib 64] [--levels 0,1,6,9]

Generates (seeded) log-like text and random data, then for each level packs each data set once
with `PackerPool` (scan → sample → plan → pack in worker processes, the whole pipeline, timed from
the scan to the last package released) and once with 7zz, and prints MiB/s of input and ours/7zz.
Goals: ours/7zz ≥ 0.9 at every level; ≥ 100 MiB/s on incompressible data at any level.

Level 0 is LZMA2 for us (MISSION.md: "LZMA2 preset 0–9") but "store" for 7-Zip, so the table also
shows 7zz forced to LZMA2 at level 0 (`-m0=LZMA2 -mx=0`), the like-for-like comparison.

Our pool parallelises across packages, so the data set must make several packages per worker:
`--max-package-mib` (default 8) stands in for MAX_FILE_SIZE, which is 3 GiB in production.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backup.entry import EntryKind  # noqa: E402
from backup.packer_pool import PackerPool  # noqa: E402
from backup.plan import plan_packages  # noqa: E402
from backup.sampling import classify_incompressible  # noqa: E402
from backup.scan import SourceScan  # noqa: E402

MIB = 1 << 20


def make_text(folder: Path, total: int, rnd: random.Random) -> None:
    """Log-like files of 1–6 MiB: timestamps, levels, addresses, words (LZMA2 ratio ≈ 3)."""
    words = [
        "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(2, 10)))
        for _ in range(3000)
    ]
    levels = ["INFO", "WARN", "ERROR", "DEBUG"]
    written = 0
    index = 0
    while written < total:
        size = min(rnd.randint(1, 6) * MIB, total - written)
        lines = []
        length = 0
        t = 1_700_000_000 + index * 86_400
        while length < size:
            t += rnd.randint(0, 3)
            line = (
                f"2026-05-{1 + index % 28:02d} {t % 86400 // 3600:02d}:{t % 3600 // 60:02d}:{t % 60:02d} "
                f"{rnd.choice(levels)} [{rnd.randint(1, 64)}] 10.{rnd.randint(0, 255)}.{rnd.randint(0, 255)}."
                f"{rnd.randint(1, 254)} {' '.join(rnd.choices(words, k=rnd.randint(4, 14)))}\n"
            )
            lines.append(line)
            length += len(line)
        data = "".join(lines).encode()[:size]
        (folder / f"日志/app-{index:03d}.log").parent.mkdir(parents=True, exist_ok=True)
        (folder / f"日志/app-{index:03d}.log").write_bytes(data)
        written += len(data)
        index += 1


def make_random(folder: Path, total: int, rnd: random.Random) -> None:
    """Already-compressed stand-ins: named like media and archives, and large unnamed blobs."""
    suffixes = [".jpg", ".mp4", ".zip", ".bin"]
    written = 0
    index = 0
    while written < total:
        suffix = suffixes[index % len(suffixes)]
        # Unknown suffixes are sampled only from 4 MiB on (backup.sampling.DETECT_MIN_BYTES).
        size = min((rnd.randint(4, 12) if suffix == ".bin" else rnd.randint(1, 8)) * MIB, total - written)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"media-{index:03d}{suffix}").write_bytes(rnd.randbytes(size))
        written += size
        index += 1


def run_ours(
    source: Path, staging: Path, level: int, workers: int, max_package: int, solid: int
) -> tuple[float, int, int]:
    started = time.perf_counter()
    entries = list(SourceScan([source]))
    plans = plan_packages(entries, max_package, incompressible=classify_incompressible(entries))
    packed = 0
    with PackerPool(plans, staging, level=level, solid_block_size=solid, workers=workers) as pool:
        for result in pool:
            packed += result.payload_bytes
            pool.release(result)
    size = sum(e.size for e in entries if e.kind is EntryKind.FILE)
    return time.perf_counter() - started, size, packed


def run_7zz(
    tool: str, source: Path, out: Path, level: int, workers: int, extra: list[str]
) -> tuple[float, int]:
    out.unlink(missing_ok=True)
    started = time.perf_counter()
    subprocess.run(
        [tool, "a", f"-mx={level}", f"-mmt={workers}", *extra, "-bd", "-bso0", "-bsp0", str(out), "."],
        cwd=source,
        check=True,
    )
    seconds = time.perf_counter() - started
    size = out.stat().st_size
    out.unlink()
    return seconds, size


def print_row(
    name: str, level: str, size: int, ours_s: float, ours_out: int | None, z_s: float, z_out: int | None
) -> None:
    ours_rate, z_rate = size / ours_s / MIB, size / z_s / MIB
    ratios = f"{size / ours_out:.3f} / {size / z_out:.3f}" if ours_out and z_out else ""
    print(
        f"{name:<6}{level:>4}{ours_rate:>14.2f}{z_rate:>11.2f}{ours_rate / z_rate:>11.2f}  {ratios}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--text-mib", type=int, default=144)
    parser.add_argument("--random-mib", type=int, default=64)
    parser.add_argument("--levels", default="0,1,6,9")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--max-package-mib", type=int, default=8)
    parser.add_argument("--solid-mib", type=int, default=64)
    parser.add_argument(
        "--workdir", default=None, help="where to generate data (default: a temporary folder)"
    )
    parser.add_argument("--ours-only", action="store_true", help="skip 7zz (quick runs)")
    args = parser.parse_args()
    tool = shutil.which("7zz") or shutil.which("7z")
    if tool is None:
        sys.exit("需要 7-Zip 程序：apt-get install 7zip")
    levels = [int(x) for x in args.levels.split(",")]
    work = Path(args.workdir or tempfile.mkdtemp(prefix="taf-bench-pack-"))
    rnd = random.Random(20260501)
    data = {}
    if args.text_mib:
        data["文本"] = work / "text"
        make_text(data["文本"], args.text_mib * MIB, rnd)
    if args.random_mib:
        data["随机"] = work / "random"
        make_random(data["随机"], args.random_mib * MIB, rnd)
    staging = work / "staging"
    staging.mkdir(exist_ok=True)
    archive = work / "7zz-out.7z"
    print(
        f"数据：文本 {args.text_mib} MiB，随机 {args.random_mib} MiB；{args.workers} 个工作进程；"
        f"包上限 {args.max_package_mib} MiB；固实块 {args.solid_mib} MiB；{Path(tool).name}；"
        f"负载 {os.getloadavg()[0]:.2f}"
    )
    print(f"{'数据':<6}{'级别':>4}{'本系统 MiB/s':>14}{'7zz MiB/s':>11}{'本系统/7zz':>11}  压缩比 本系统/7zz")
    try:
        for level in levels:
            total_bytes, ours_total, z_total = 0, 0.0, 0.0
            for name, source in data.items():
                ours_s, size, ours_out = run_ours(
                    source, staging, level, args.workers, args.max_package_mib * MIB, args.solid_mib * MIB
                )
                if args.ours_only:
                    print(
                        f"{name:<6}{level:>4}{size / ours_s / MIB:>14.2f}  压缩比 {size / ours_out:.3f}",
                        flush=True,
                    )
                    continue
                z_s, z_out = run_7zz(tool, source, archive, level, args.workers, [])
                print_row(name, str(level), size, ours_s, ours_out, z_s, z_out)
                total_bytes, ours_total, z_total = total_bytes + size, ours_total + ours_s, z_total + z_s
                if level == 0 and name == "文本":
                    lz_s, lz_out = run_7zz(tool, source, archive, 0, args.workers, ["-m0=LZMA2"])
                    print_row(name, "0*", size, ours_s, ours_out, lz_s, lz_out)
            if len(data) > 1 and not args.ours_only:
                print_row("合计", str(level), total_bytes, ours_total, None, z_total, None)
        print("0*：与 7zz -m0=LZMA2 -mx=0 比较（7zz -mx=0 为仅存储，本系统 0 级仍是 LZMA2）")
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
