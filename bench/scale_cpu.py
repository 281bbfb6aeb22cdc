"""The project's own CPU at scale (issue 18): packing against `xz -T1` with the same LZMA2 options,
tape blocks against one LTO-9 block time, and the tape bytes a one-file restore reads.

    python bench/scale_cpu.py [--mib 16] [--levels 0 1 6 9] [--rounds 3] [--blocks 8192]
                              [--package-mib 256] [--restore-files 12000] [--restore-solid-mib 16]
    python bench/scale_cpu.py --skip-restore

(a) Packing: --mib MiB of log-like text (bench/backup_pack.make_text, seeded) packed as one package
    by `backup.pack.pack_package` in this process — what a packer worker runs: py7zr, LZMA2 with
    `backup.levels`' options, CRC32 and SHA-256 of every file and of the package, the 7z end header,
    the manifest — and by `xz -T1 --lzma2=…` with the same dict, lc, lp, pb, mode, mf, nice and
    depth on the same files concatenated in the package's order. One solid block, so both encode
    the same bytes as one LZMA2 stream with the same liblzma. CPU seconds (user + system: this
    process's for ours, the child's from wait4 for xz), taken alternately with the order turning
    every round; the median of --rounds each. Goal: ours ÷ xz ≤ 1.1.
(b) Tape blocks: --blocks blocks of 256 KiB written through the Drive API (CDB, outcome, retries,
    the command log) to a null transport — a `Transport` that accepts every command and does
    nothing — so all the CPU is the project's; then a --package-mib package streamed from a staged
    file by `tape.volume_packages.write_package` as the backup job calls it (from the page cache;
    digest trusted, then hashed while streaming). CPU per block as a share of one LTO-9 block time
    at 300 MB/s (874 µs; goal ≤ 5 %). The median of --rounds each.
(c) Restoring one small file: `bench.restore_partial.measure` — tape bytes read ÷ the file's solid
    block's packed size (goal ≤ 1.1) and ÷ its package's size.

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import lzma
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backup.levels import lzma2_options  # noqa: E402
from backup.pack import pack_package  # noqa: E402
from backup.plan import PackagePlan, plan_packages  # noqa: E402
from backup.scan import SourceScan  # noqa: E402
from bench.backup_pack import make_text  # noqa: E402
from bench.scale_common import load_average  # noqa: E402
from tape.drive import Drive  # noqa: E402
from tape.tapelog import LoggingTransport  # noqa: E402
from tape.transport import GOOD, Direction, ScsiResult  # noqa: E402
from tape.volume_packages import write_package  # noqa: E402

MIB = 1 << 20
BLOCK = 256 * 1024
LTO9_BLOCK_SECONDS = BLOCK / 300e6  # one 256 KiB block at LTO-9's 300 MB/s: 874 µs
PACK_GOAL = 1.1
BLOCK_GOAL = 0.05
RESTORE_GOAL = 1.1
_MODES = {lzma.MODE_FAST: "fast", lzma.MODE_NORMAL: "normal"}
_FINDERS = {lzma.MF_HC3: "hc3", lzma.MF_HC4: "hc4", lzma.MF_BT2: "bt2", lzma.MF_BT3: "bt3", lzma.MF_BT4: "bt4"}


def met(ok: bool) -> str:
    return "达标" if ok else "未达标"


# --- (a) packing against xz ---------------------------------------------------------------------
def xz_filter(level: int) -> str:
    """`--lzma2=…` naming every option the packer gives liblzma at `level`."""
    o = lzma2_options(level)
    return (f"--lzma2=dict={o['dict_size']},lc={o['lc']},lp={o['lp']},pb={o['pb']},mode={_MODES[o['mode']]},"
            f"mf={_FINDERS[o['mf']]},nice={o['nice_len']},depth={o['depth']}")


def one_package(source: Path) -> PackagePlan:
    [plan] = plan_packages(list(SourceScan([str(source)])), 1 << 40, incompressible=set())
    return plan


def concatenate(plan: PackagePlan, target: Path) -> None:
    """The plan's file bytes in its order: what the packer's single LZMA2 stream encodes."""
    with open(target, "wb") as out:
        for item in plan.items:
            if item.entry.kind == "file":
                with open(os.path.join(item.entry.source_root, item.entry.rel_path), "rb") as part:
                    part.seek(item.chunk_offset)
                    out.write(part.read(item.chunk_length or item.entry.size))


def ours(plan: PackagePlan, staging: Path, level: int) -> tuple[float, int]:
    """CPU seconds of this process packing `plan` at `level`, and the package's size."""
    for stale in staging.iterdir():
        stale.unlink()
    cpu = time.process_time()
    result = pack_package(plan, staging, level=level, solid_block_size=1 << 40)
    return time.process_time() - cpu, result.payload_bytes


def xz(data: Path, output: Path, level: int) -> tuple[float, int]:
    """CPU seconds (user + system, from wait4) of `xz -T1` compressing `data`, and its output's size."""
    with open(data, "rb") as source, open(output, "wb") as sink:
        child = subprocess.Popen(["xz", "-T1", "-c", xz_filter(level)], stdin=source, stdout=sink)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise RuntimeError(f"xz 失败（退出码 {child.returncode}）")
    return usage.ru_utime + usage.ru_stime, output.stat().st_size


def packing(work: Path, args: argparse.Namespace) -> None:
    source, staging = work / "文本", work / "staging"
    staging.mkdir()
    make_text(source, args.mib * MIB, random.Random(20260501))
    plan = one_package(source)
    concatenate(plan, work / "all.bin")
    mib = (work / "all.bin").stat().st_size / MIB
    warm = work / "预热"
    make_text(warm, MIB, random.Random(1))
    ours(one_package(warm), staging, 0)  # the first package pays for imports and py7zr's set-up
    print(f"(a) 打包 CPU：{mib:.1f} MiB 日志类文本，一个数据包、一个固实块；本系统 = pack_package（本进程 CPU），"
          f"xz = xz -T1 同样的 LZMA2 参数（子进程 CPU）；交替 {args.rounds} 轮取中位数", flush=True)
    for level in args.levels:
        cpu: dict[str, list[float]] = {"ours": [], "xz": []}
        sizes: dict[str, int] = {}
        for round_ in range(args.rounds):
            for side in ("ours", "xz") if round_ % 2 == 0 else ("xz", "ours"):
                seconds, sizes[side] = (ours(plan, staging, level) if side == "ours"
                                        else xz(work / "all.bin", work / "out.xz", level))
                cpu[side].append(seconds)
        mine, theirs = cpu["ours"], cpu["xz"]
        a, b = statistics.median(mine), statistics.median(theirs)
        ratio = a / b
        print(f"  级别 {level}（{xz_filter(level)}）：本系统 {a / mib * 1000:.1f} ms/MiB（{mib / a:.1f} MiB/CPU 秒），"
              f"xz {b / mib * 1000:.1f} ms/MiB（{mib / b:.1f}）；本系统 ÷ xz {ratio:.3f}"
              f"（各轮 {', '.join(f'{x / y:.3f}' for x, y in zip(mine, theirs, strict=True))}；目标 ≤ {PACK_GOAL}）："
              f"{met(ratio <= PACK_GOAL)}；压缩比 {mib * MIB / sizes['ours']:.3f} / {mib * MIB / sizes['xz']:.3f}", flush=True)


# --- (b) tape blocks ----------------------------------------------------------------------------
class NullTransport:
    """A `Transport` that accepts every SCSI command and does nothing (data-in commands get zeros)."""

    name = "null"
    _done = ScsiResult(GOOD)

    def execute(self, cdb: bytes, direction: Direction = Direction.NONE, data: bytes | None = None,
                length: int = 0, timeout: float = 60.0) -> ScsiResult:
        return ScsiResult(GOOD, data=bytes(length)) if direction is Direction.FROM_DEVICE else self._done

    def close(self) -> None:
        return None


def null_drive() -> Drive:
    """A Drive as `tape.devices.open_device` builds one: the command log around the transport."""
    return Drive(LoggingTransport(NullTransport()))


def drive_api(blocks: int) -> float:
    """CPU seconds per block of `Drive.write_block` to the null transport."""
    drive, block = null_drive(), os.urandom(BLOCK)
    cpu = time.process_time()
    for _ in range(blocks):
        drive.write_block(block)
    return (time.process_time() - cpu) / blocks


def staged_package(path: Path, size: int) -> str:
    pool = os.urandom(64 * MIB)
    digest = hashlib.sha256()
    with open(path, "wb") as out:
        for offset in range(0, size, len(pool)):
            piece = pool[: min(len(pool), size - offset)]
            out.write(piece)
            digest.update(piece)
    return digest.hexdigest()


def package_write(path: Path, digest: str, *, hashed: bool) -> float:
    """CPU seconds per block of `write_package` streaming the staged file to the null transport."""
    size = path.stat().st_size
    header = {"package_id": "scale-cpu-p00001", "job_id": "scale-cpu", "group": "2026-12", "sequence": 1,
              "compression": "lzma2", "created_at": "2026-12-07T00:00:00+08:00", "payload_bytes": size,
              "payload_sha256": digest, "extra": {"level": 1, "solid_blocks": 1, "tail_offset": 0}}
    manifest = [{"path": "a.log", "root": "/srv", "kind": "file", "size": size, "member": "srv/a.log"}]
    reported: list[int] = []
    cpu = time.process_time()
    positions = write_package(null_drive(), header, manifest, path, lambda done, _: reported.append(done),
                              block_size=BLOCK, verify_digest=hashed)
    return (time.process_time() - cpu) / positions.payload_blocks


def tape_blocks(work: Path, args: argparse.Namespace) -> None:
    budget = LTO9_BLOCK_SECONDS
    print(f"(b) 每个 256 KiB 磁带块本系统的 CPU（空传输：接受每条 SCSI 命令、什么也不做）÷ LTO-9 300 MB/s 一块的时间 "
          f"{budget * 1e6:.0f} µs；{args.rounds} 次取中位数", flush=True)
    drive_api(256)
    per_block = statistics.median(drive_api(args.blocks) for _ in range(args.rounds))
    print(f"  Drive API → CDB → 命令日志 → 空传输（{args.blocks} 块）：每块 {per_block * 1e6:.1f} µs，"
          f"占 {per_block / budget:.2%}（目标 ≤ {BLOCK_GOAL:.0%}）：{met(per_block <= BLOCK_GOAL * budget)}", flush=True)
    staged = work / "package.7z"
    digest = staged_package(staged, args.package_mib * MIB)
    package_write(staged, digest, hashed=False)  # into the page cache, as a package the packer just wrote
    for hashed, what in ((False, "信任打包时的 SHA-256（暂存文件未变时，任务的做法）"), (True, "边写边算 SHA-256")):
        per_block = statistics.median(package_write(staged, digest, hashed=hashed) for _ in range(args.rounds))
        print(f"  write_package 从暂存文件写一个 {args.package_mib} MiB 的数据包，{what}：每块 {per_block * 1e6:.1f} µs，"
              f"占 {per_block / budget:.2%}（目标 ≤ {BLOCK_GOAL:.0%}）：{met(per_block <= BLOCK_GOAL * budget)}", flush=True)


# --- (c) restoring one small file ---------------------------------------------------------------
def restore(args: argparse.Namespace) -> None:
    from bench.restore_partial import measure

    print(f"(c) 恢复一个小文件从磁带读取的字节（bench/restore_partial.py，{args.restore_files:,} 个文件，"
          f"固实块 {args.restore_solid_mib} MiB）", flush=True)
    found = measure(args.restore_files, args.restore_solid_mib, 1)
    ratio = found["partial"] / found["solid_block"]
    print(f"  读取 {found['partial']:,} 字节 ÷ 所在固实块 {found['solid_block']:,} 字节 = {ratio:.3f}"
          f"（目标 ≤ {RESTORE_GOAL}）：{met(ratio <= RESTORE_GOAL)}；÷ 数据包 {found['package']:,} 字节 = "
          f"{found['partial'] / found['package']:.3f}（以前读整个数据包：{found['whole'] / found['solid_block']:.2f} 倍固实块）",
          flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mib", type=int, default=16, help="text packed at each level (default 16)")
    parser.add_argument("--levels", type=int, nargs="+", default=[0, 1, 6, 9])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--blocks", type=int, default=8192, help="blocks written through the Drive API per round")
    parser.add_argument("--package-mib", type=int, default=256, help="the package write_package streams")
    parser.add_argument("--restore-files", type=int, default=12_000)
    parser.add_argument("--restore-solid-mib", type=int, default=16)
    parser.add_argument("--skip-restore", action="store_true")
    args = parser.parse_args(argv)
    if shutil.which("xz") is None:
        sys.exit("需要 xz：apt-get install xz-utils")
    begun = time.perf_counter()
    print(f"机器负载 {load_average()}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="taf-bench-scale-cpu-"))
    try:
        packing(work, args)
        tape_blocks(work, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if not args.skip_restore:
        restore(args)
    print(f"总用时 {time.perf_counter() - begun:.0f} 秒；结束时机器负载 {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
