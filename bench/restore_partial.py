"""Restoring one small file: tape bytes read ÷ its solid block's packed size and ÷ its package's size.

    .venv/bin/python bench/restore_partial.py [--files 12000] [--solid-mib 16] [--level 1]

Generates (seeded) FILES files of 2–12 KiB, half text and half random bytes (so solid blocks pack
to about half their size, as a file server's mix does), backs them up with a real job to the
emulated library (one package, SOLID_BLOCK_SIZE = --solid-mib, tape blocks of 256 KiB), then
restores one small file from the middle of the package twice: as TAF does now (only the tape
blocks of its solid block, issue 18) and as before (the whole package, by hiding the recorded
layout from the restore in this process). Prints the bytes read from tape (the restore summary's
figure) against the file's solid block and its package, and the plan's estimate.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

MIB = 1 << 20


def make_tree(root: Path, files: int, rnd: random.Random) -> int:
    total = 0
    for i in range(files):
        folder = root / f"部门{i % 20}" / f"项目{i % 97}"
        folder.mkdir(parents=True, exist_ok=True)
        size = rnd.randint(2048, 12 * 1024)
        text = (f"第 {i} 号文件 报告 季度 财务 data log " * (size // 40 + 1)).encode()[: size // 2]
        data = text + rnd.randbytes(size - len(text))
        (folder / f"文件-{i}.txt").write_bytes(data)
        total += size
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=12000)
    parser.add_argument("--solid-mib", type=int, default=16)
    parser.add_argument("--level", type=int, default=1)
    args = parser.parse_args()
    measure(args.files, args.solid_mib, args.level)


def measure(files: int = 12000, solid_mib: int = 16, level: int = 1) -> dict[str, int]:
    """Back up `files` small files and restore one both ways; prints the figures and returns them
    (bytes: `partial` and `whole` read from tape, the file's `solid_block`, the `package`)."""
    work = Path(tempfile.mkdtemp(prefix="taf-bench-partial-"))
    saved = dict(os.environ)
    try:
        source = work / "源"
        total = make_tree(source, files, random.Random(20261218))
        os.environ.pop("DATABASE_URL", None)
        os.environ.update({
            "TAF_ENV_FILE": str(work / "absent.env"), "DATA_DIR": str(work / "data"),
            "LOG_FILE": str(work / "data" / "logs" / "app.log"), "VTL_DIR": str(work / "vtl"),
            "VTL_CAPACITY": str(total * 3 + (256 << 20)), "VTL_SLOTS": "2",
            "SOLID_BLOCK_SIZE": str(solid_mib * MIB), "MAX_FILE_SIZE": str(3 << 30),
            "TAF_USER": "基准测试",
        })
        return run(source, work, total, argparse.Namespace(files=files, solid_mib=solid_mib, level=level))
    finally:
        os.environ.clear()
        os.environ.update(saved)  # a caller that goes on measuring keeps its own installation
        shutil.rmtree(work, ignore_errors=True)


def run(source: Path, work: Path, total: int, args: argparse.Namespace) -> dict[str, int]:
    from backup import service as backup_service
    from bootstrap import build
    from restore import layouts
    from restore import service as restore_service
    from restore.selection import resolve

    services = build()
    try:
        job, _ = backup_service.request_backup(services, [str(source)], group="2026-05", level=args.level)
        summary = backup_service.run(services, str(job.id))
        assert summary["status"] == "succeeded", summary
        wanted = source / "部门7" / f"项目{(args.files // 2 + 7) % 97}"
        path = sorted(wanted.iterdir(), key=lambda p: p.stat().st_size)[len(list(wanted.iterdir())) // 4]
        services.projector.catch_up(["catalog"])
        [row] = resolve(services.catalog, [str(path)])
        layout = layouts.recorded_layout(services.ledger, row["package_id"], int(row["notification_id"]))
        assert layout is not None, "数据包没有记录布局"
        folder_size = _solid_block_of(services, row, layout, work / "读回.7z")

        def restore(target: str) -> tuple[int, int]:
            request, _, preview = restore_service.request(services, [str(path)], work / target, by="基准测试")
            done = restore_service.run(services, str(request.id), device="emulated:0", actor="基准测试",
                                       poll_seconds=0.05)
            assert done.status == "succeeded" and done.files == 1, done.warnings
            assert (work / target).joinpath(*path.parts[1:]).read_bytes() == path.read_bytes()
            return done.tape_bytes_read, preview.plan.bytes_to_read

        partial, planned = restore("只读固实块")
        original = layouts.recorded_layout
        layouts.recorded_layout = lambda *a, **k: None  # type: ignore[assignment]  # the restore before issue 18
        try:
            whole, whole_planned = restore("整个数据包")
        finally:
            layouts.recorded_layout = original  # type: ignore[assignment]
        package = layout.payload_bytes
        print(f"{args.files} 个文件共 {total / MIB:.1f} MiB，级别 {args.level}，固实块 {args.solid_mib} MiB，"
              f"磁带块 {layout.block_size // 1024} KiB；数据包 {package / MIB:.1f} MiB，{len(layout.folder_sizes)} 个固实块")
        where = "台账" if layout.end is not None else "磁带（超过 16 KiB，不放进台账）"
        print(f"恢复的文件：{path.stat().st_size} 字节；它所在固实块压缩后 {folder_size} 字节；7z 结尾头 "
              f"{layout.payload_bytes - layout.end_offset} 字节，取自{where}")
        print(f"{'读取方式':<14}{'从磁带读取 字节':>16}{'÷ 固实块':>10}{'÷ 数据包':>10}{'计划估计 字节':>16}")
        for name, read, plan in (("只读所需固实块", partial, planned), ("整个数据包（旧）", whole, whole_planned)):
            print(f"{name:<14}{read:>16}{read / folder_size:>10.3f}{read / package:>10.4f}{plan:>16}")
        return {"partial": partial, "whole": whole, "solid_block": folder_size, "package": package}
    finally:
        services.close()


def _solid_block_of(services: Any, row: dict[str, Any], layout: Any, scratch: Path) -> int:
    """Packed size of the solid block holding the row's member, from the package read back and py7zr."""
    import py7zr

    from tape import volume_io
    from tape.volume_packages import PackagePositions
    from tests.backup.jobkit import shelf

    positions = PackagePositions(row["package_id"], int(row["tape_file"]), int(row["header_block"]),
                                 int(row["payload_block"]), int(row["payload_blocks"]), layout.payload_bytes,
                                 layout.payload_sha256, layout.block_size)
    with shelf(services.settings.vtl_dir) as place:
        place.mount(row["cartridge"])
        volume_io.read_package_payload(place.drive, positions, scratch)
    with py7zr.SevenZipFile(scratch) as archive:
        folders = archive.header.main_streams.unpackinfo.folders
        [folder] = [folders.index(f.folder) for f in archive.files if f.filename == row["member"]]
        return int(archive.header.main_streams.packinfo.packsizes[folder])


if __name__ == "__main__":
    main()
