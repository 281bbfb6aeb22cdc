"""Real packages on emulated tapes, without the backup job: scan → plan → pack → write → record.

`back_up` does what a backup run does to tape and ledger, in the small: it labels the cartridges
it is given, packs a tree with py7zr (a small package limit, so big files are split into chunks),
spreads the packages over the cartridges, writes them with `volume_io`, records each one as
`Cartridge.PackageWritten` with its positions and manifest, and closes each tape with an index.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backup.layout import END_INLINE_LIMIT, layout_record
from backup.pack import DEFAULT_SOLID_BLOCK_SIZE, PackResult, pack_package
from backup.plan import plan_packages
from backup.scan import SourceScan
from ledger import clock
from ledger.domain import BackupGroup
from media import operations
from media.devices import DeviceSession, open_session
from tape import volume_io
from tape.volume import TapeIndex
from tape.volume_packages import PackagePositions

BLOCK = 16 * 1024
MAX_PACKAGE = 64 * 1024
T0 = 1_700_000_000_123_456_789  # nanoseconds: restore must give these back exactly


@dataclass(frozen=True)
class Written:
    result: PackResult
    barcode: str
    positions: PackagePositions


def make_tree(root: Path, *, seed: int = 7) -> dict[str, bytes]:
    """A small tree with Chinese names, an empty file, deep folders, a link and three split files."""
    rng = random.Random(seed)
    files = {
        "报告/季度总结.docx": "第一季度总结：收入增长。\n".encode() * 40,
        "报告/2024/财务 报表.xlsx": bytes(rng.randrange(256) for _ in range(3000)),
        "照片/家庭 2024/海边.jpg": bytes(rng.randrange(256) for _ in range(9000)),
        "空文件.txt": b"",
        "深/层/目/录/说明.txt": "很深的文件夹里的文件".encode(),
        "readme.md": b"# TAF\n" * 100,
        "大文件/数据库备份.bin": rng.randbytes(200 * 1024),
        "视频.mp4": rng.randbytes(150 * 1024),
        "日志/运行.log": ("2024-01-01 正常运行 " * 6000).encode()[: 130 * 1024],
    }
    for index, (rel, data) in enumerate(sorted(files.items())):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.chmod(path, 0o640 if index % 2 else 0o604)
        os.utime(path, ns=(T0 + index * 1_000_003, T0 + index * 1_000_003))
    (root / "快捷方式").symlink_to("报告/季度总结.docx")
    for folder in sorted((p for p in root.rglob("*") if p.is_dir() and not p.is_symlink()),
                         key=lambda p: len(p.parts), reverse=True):
        os.utime(folder, ns=(T0 - 5_000_000_000, T0 - 5_000_000_000))
    return files


Layouts = Callable[[PackResult, PackagePositions], Any]


def recorded(result: PackResult, positions: PackagePositions, *, inline_limit: int = END_INLINE_LIMIT) -> Any:
    """The layout record a backup job keeps for this package (`backup.recording`)."""
    assert result.layout is not None
    return layout_record(result.layout, payload_bytes=positions.payload_bytes,
                         payload_blocks=positions.payload_blocks, block_size=positions.block_size,
                         inline_limit=inline_limit)


def label_all(session: DeviceSession, barcodes: list[str], *, block_size: int = BLOCK) -> None:
    for barcode in barcodes:
        operations.load(session, barcode)
        operations.label(session, pool="默认池", block_size=block_size)


def back_up(services: Any, sources: list[Path], *, group: str, barcodes: list[str], staging: Path,
            job_id: str = "job-测试", device: str = "emulated:0", label: bool = True,
            max_package: int = MAX_PACKAGE, block_size: int = BLOCK, session: DeviceSession | None = None,
            solid_block: int = DEFAULT_SOLID_BLOCK_SIZE, layout: Layouts | None = None, keep: bool = False,
            ) -> list[Written]:
    """Write the sources' packages to `barcodes` (in turn, about evenly) and record them.

    Packages are recorded as TAF wrote them before layouts were recorded (no `extra`), unless
    `layout` is given: then the event's extra holds what `layout` makes of the package's layout
    record (`recorded`, or a damaged copy). `keep` leaves the packages in `staging`.
    """
    plans = plan_packages(list(SourceScan([str(s) for s in sources])), max_package)
    staging.mkdir(parents=True, exist_ok=True)
    own = session is None
    session = session or open_session(services, device, "测试员")
    ledger = services.ledger
    if ledger.find_group(group) is None:
        ledger.save(BackupGroup(name=group, by="测试员"))
    written: list[Written] = []
    try:
        if label:
            label_all(session, barcodes, block_size=block_size)
        share = -(-len(plans) // len(barcodes))
        for number, barcode in enumerate(barcodes):
            mine = plans[number * share:(number + 1) * share]
            if not mine:
                continue
            if session.changer is not None:
                operations.load(session, barcode)
            session.mount()
            volume_io.prepare_append(session.drive)
            on_tape = []
            for plan in mine:
                result = pack_package(plan, staging, level=1, solid_block_size=solid_block)
                fields = {"package_id": result.package_id, "job_id": job_id, "group": group,
                          "sequence": result.seq, "compression": str(result.codec),
                          "created_at": clock.now().isoformat(), "extra": {}}
                manifest = [entry.to_dict() for entry in result.manifest]
                positions = volume_io.write_package(session.drive, fields, manifest, result.path,
                                                    block_size=block_size)
                cartridge = ledger.cartridge(barcode)
                extra = None if layout is None else {"layout": layout(result, positions)}
                cartridge.record_package(
                    job_id=job_id, package_id=result.package_id, group=group, sequence=result.seq,
                    tape_file=positions.tape_file, header_block=positions.header_block,
                    payload_block=positions.payload_block, payload_blocks=positions.payload_blocks,
                    payload_bytes=positions.payload_bytes, payload_sha256=positions.payload_sha256,
                    compression=str(result.codec), manifest=manifest, extra=extra)
                ledger.save(cartridge)
                if not keep:
                    Path(result.path).unlink()
                on_tape.append(positions)
                written.append(Written(result, barcode, positions))
            cartridge = ledger.cartridge(barcode)
            index = volume_io.write_index(
                session.drive, TapeIndex(cartridge.volume_serial, cartridge.label_sequence,
                                         clock.now().isoformat(), "ab" * 32, [p.index_entry() for p in on_tape]),
                block_size=block_size)
            cartridge.record_index(tape_file=index.tape_file, block=index.block, packages=len(on_tape),
                                   chain_head="ab" * 32)
            ledger.save(cartridge)
    finally:
        if own:
            session.close()
    services.catch_up()
    return written


def tree_of(root: Path) -> dict[str, tuple[str, Any]]:
    """Everything below `root`: files with (content, mtime_ns, mode), links with their target."""
    found: dict[str, tuple[str, Any]] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            found[rel] = ("link", os.readlink(path))
        elif path.is_file():
            st = path.stat()
            found[rel] = ("file", (path.read_bytes(), st.st_mtime_ns, st.st_mode & 0o7777))
        else:
            found[rel] = ("dir", path.stat().st_mtime_ns)
    return found
