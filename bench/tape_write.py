"""Tape write throughput: the whole stack against plain write() calls to the same filesystem.

    .venv/bin/python bench/tape_write.py [--size 2G] [--block 256K] [--segment 128M] [--dir DIR]

Streams SIZE bytes of incompressible data as BLOCK-sized blocks through the Drive API → CDBs →
LoggingTransport → emulated ULT3580-HH9 → its data and index files, and writes the same bytes with
plain write() calls of the same size to a file in the same directory. Prints both rates and their
ratio; the goal is a ratio of at least 0.8 (the stack costs at most a fifth of the disk's speed).

The two are interleaved segment by segment (SEGMENT bytes each, the order alternating), and every
segment ends with a flush — WRITE FILEMARKS 0 for the drive (the emulator fsyncs there), fsync for
the file — so both pay for the disk. On a shared virtual machine the disk and the CPU change speed
from one second to the next; interleaving lets both sides meet the same weather.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from config.parse import parse_size  # noqa: E402
from tape.devices import open_device  # noqa: E402
from tape.drive import Drive  # noqa: E402
from tape.emulator import Library  # noqa: E402

POOL = 64 << 20  # random bytes reused round-robin: incompressible, without paying for urandom per block


def plan_blocks(size: int, block: int) -> list[tuple[int, int]]:
    """(offset in the pool, length) of each block, covering `size` bytes."""
    out = []
    done = 0
    while done < size:
        length = min(block, size - done)
        out.append((done % (POOL - block), length))
        done += length
    return out


def open_emulated_drive(root: Path, size: int) -> Drive:
    with Library.create(root, drives=1, slots=0, cartridges=0, capacity=size + size // 5 + (64 << 20),
                        early_warning_pct=1) as library:
        barcode = library.add_cartridge()
        library.insert(barcode)
    drive = Drive(open_device("emulated:0", root))
    drive.mount(prevent_removal=False)
    return drive


def through_the_stack(drive: Drive, pool: bytes, blocks: list[tuple[int, int]]) -> float:
    started = time.perf_counter()
    for offset, length in blocks:
        drive.write_block(pool[offset:offset + length])
    drive.flush()
    return time.perf_counter() - started


def plain_writes(fd: int, pool: bytes, blocks: list[tuple[int, int]]) -> float:
    started = time.perf_counter()
    for offset, length in blocks:
        os.write(fd, pool[offset:offset + length])
    os.fsync(fd)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description="磁带层写入速度：完整协议栈对比直接写文件")
    parser.add_argument("--size", default="2G", help="写入的数据量（默认 2G）")
    parser.add_argument("--block", default="256K", help="块大小（默认 256K）")
    parser.add_argument("--segment", default="128M", help="交替测量的分段大小（默认 128M）")
    parser.add_argument("--dir", default=None, help="放测试文件的目录（默认系统临时目录）")
    args = parser.parse_args()
    size = parse_size("--size", args.size, minimum=1 << 20)
    block = parse_size("--block", args.block, minimum=4096)
    segment = max(block, parse_size("--segment", args.segment, minimum=block))
    work = Path(tempfile.mkdtemp(prefix="taf-tape-bench-", dir=args.dir))
    drive = None
    fd = None
    try:
        pool = os.urandom(POOL)
        blocks = plan_blocks(size, block)
        per_segment = max(1, segment // block)
        segments = [blocks[i:i + per_segment] for i in range(0, len(blocks), per_segment)]
        print(f"写入 {size / 2**30:.2f} GiB，块大小 {block // 1024} KiB，共 {len(blocks)} 块，"
              f"分 {len(segments)} 段交替测量，目录 {work}")
        drive = open_emulated_drive(work / "vtl", size)
        fd = os.open(work / "plain.bin", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.sync()
        stack = plain = 0.0
        ratios = []
        for number, part in enumerate(segments):
            if number % 2 == 0:
                s, p = through_the_stack(drive, pool, part), plain_writes(fd, pool, part)
            else:
                p, s = plain_writes(fd, pool, part), through_the_stack(drive, pool, part)
            stack, plain = stack + s, plain + p
            ratios.append(p / s)
        drive.write_filemarks(1)
        assert drive.read_position().block == len(blocks) + 1
        stack_rate, plain_rate = size / stack / 1e6, size / plain / 1e6
        ratios.sort()
        print(f"完整协议栈（Drive API → CDB → 模拟驱动器 → 磁盘）：{stack_rate:8.1f} MB/s（{stack:.2f} 秒）")
        print(f"直接 write() 同一文件系统：                       {plain_rate:8.1f} MB/s（{plain:.2f} 秒）")
        ratio = stack_rate / plain_rate
        print(f"比值：{ratio:.2f}（目标 ≥ 0.80）{'，达标' if ratio >= 0.8 else '，未达标'}；"
              f"各段比值的中位数 {ratios[len(ratios) // 2]:.2f}，最低 {ratios[0]:.2f}，最高 {ratios[-1]:.2f}")
    finally:
        if fd is not None:
            os.close(fd)
        if drive is not None:
            drive.close()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
