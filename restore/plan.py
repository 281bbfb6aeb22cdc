"""Restore plans (B3): for any selection, which cartridges, in what order, where each is, the
positions to seek to, bytes to read and an estimated time — as a pure function over plain data.

One package is the unit read from tape: a small file costs at most one package read, never the
whole tape — and of a package whose 7z layout the ledger records, only the tape blocks of the
solid blocks it needs (`partial`, worked out by `restore.partial.planned_read`). Packages on one
cartridge are read in position order; the cartridge already in the drive goes first, then
library slots (the robot is fast), then cartridges on a shelf or offsite (someone has to fetch
them).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ledger.rules.locations import location_text
from ledger.units import human_bytes
from restore.timing import HH9, DriveTiming


@dataclass(frozen=True)
class FileRow:
    """One catalogued file version (or chunk) chosen for restore."""

    full_path: str
    size: int
    sha256: str | None
    package_id: str
    cartridge: str
    tape_file: int
    header_block: int
    payload_block: int
    payload_blocks: int
    package_bytes: int
    member: str
    chunk_index: int = 0
    total_chunks: int = 1
    group: str = ""
    notification_id: int = 0  # the ledger event that recorded the package (its layout is there)

    @classmethod
    def from_catalog(cls, row: dict[str, Any]) -> FileRow:
        return cls(full_path=row["full_path"], size=int(row["size"]), sha256=row.get("sha256"),
                   package_id=row["package_id"], cartridge=row["cartridge"], tape_file=int(row["tape_file"]),
                   header_block=int(row["header_block"]), payload_block=int(row["payload_block"]),
                   payload_blocks=int(row["payload_blocks"]), package_bytes=int(row["package_bytes"]),
                   member=row["member"], chunk_index=int(row.get("chunk_index", 0)),
                   total_chunks=int(row.get("total_chunks", 1)), group=row.get("grp", ""),
                   notification_id=int(row.get("notification_id") or 0))


@dataclass(frozen=True)
class Whereabouts:
    """Where a cartridge is now: location is "drive:N", "slot:N", "ie:N", "shelf" or "offsite:…"."""

    barcode: str
    location: str
    written_bytes: int = 0


@dataclass(frozen=True)
class PartialRead:
    """A package read in part: runs of payload blocks (first, count, from the payload's first
    block) and the tape bytes it should cost, header blocks included."""

    runs: tuple[tuple[int, int], ...]
    bytes: int


@dataclass(frozen=True)
class PackageRead:
    package_id: str
    tape_file: int
    header_block: int
    payload_block: int
    payload_blocks: int
    bytes: int  # tape bytes to read: the package, or what `runs` cover
    files: tuple[str, ...]
    runs: tuple[tuple[int, int], ...] = ()  # the payload blocks to read; empty: all of them


@dataclass(frozen=True)
class CartridgeStep:
    order: int
    barcode: str
    location: str
    instruction: str
    packages: tuple[PackageRead, ...]
    bytes_to_read: int
    seconds: float

    @property
    def location_text(self) -> str:
        """Where the cartridge is, in the operator's words (槽位 1, 驱动器 emulated:0, 磁带架 …)."""
        return location_text(self.location)


@dataclass(frozen=True)
class RestorePlan:
    steps: tuple[CartridgeStep, ...]
    files: int
    file_bytes: int
    bytes_to_read: int
    seconds: float
    missing: tuple[str, ...] = field(default_factory=tuple)

    @property
    def cartridges(self) -> list[str]:
        return [step.barcode for step in self.steps]

    @property
    def summary(self) -> str:
        minutes = self.seconds / 60
        text = (f"需要 {len(self.steps)} 盘磁带，读取 {len(self.packages)} 个数据包共 {human_bytes(self.bytes_to_read)}，"
                f"恢复 {self.files} 个文件（{human_bytes(self.file_bytes)}），预计约 {minutes:.0f} 分钟")
        if self.missing:
            text += f"；另有 {len(self.missing)} 盘磁带的位置未知"
        return text + "。"

    @property
    def packages(self) -> list[PackageRead]:
        return [package for step in self.steps for package in step.packages]


def _rank(location: str) -> int:
    kind = location.split(":", 1)[0]
    return {"drive": 0, "slot": 1, "ie": 2}.get(kind, 3)


def instruction_for(barcode: str, location: str) -> str:
    kind, _, where = location.partition(":")
    if kind == "drive":
        return f"磁带 {barcode} 已在 {where} 号驱动器中，无需操作"
    if kind == "slot":
        return f"请将磁带 {barcode} 从 {where} 号槽位装入驱动器（磁带库会自动完成）"
    if kind == "ie":
        return f"磁带 {barcode} 在出入口槽位 {where}，磁带库会将其装入驱动器"
    if kind == "offsite":
        return f"磁带 {barcode} 存放在异地（{where or '未注明'}），请取回后装入驱动器"
    if kind == "shelf":
        return f"请从磁带架取出磁带 {barcode}{'（' + where + '）' if where else ''}，装入驱动器"
    return f"请找到磁带 {barcode} 并装入驱动器（当前位置未登记）"


def make_plan(rows: Iterable[FileRow], whereabouts: Sequence[Whereabouts],
              timing: DriveTiming = HH9, block_size: int = 262144,
              partial: Mapping[str, PartialRead] | None = None) -> RestorePlan:
    """The plan; `partial` maps a package id to what reading only its needed solid blocks costs."""
    partial = partial or {}
    by_cartridge: dict[str, dict[str, list[FileRow]]] = defaultdict(lambda: defaultdict(list))
    files = 0
    file_bytes = 0
    for row in rows:
        by_cartridge[row.cartridge][row.package_id].append(row)
        files += row.chunk_index == 0
        file_bytes += row.size if row.chunk_index == 0 else 0
    where = {w.barcode: w for w in whereabouts}
    missing = tuple(sorted(b for b in by_cartridge if b not in where))
    ordered = sorted(by_cartridge, key=lambda b: (_rank(where[b].location if b in where else ""), b))
    steps = []
    for order, barcode in enumerate(ordered, start=1):
        location = where[barcode].location if barcode in where else ""
        written = max(1, where[barcode].written_bytes) if barcode in where else 0
        packages = sorted((_package_read(members, partial.get(package_id))
                           for package_id, members in by_cartridge[barcode].items()),
                          key=lambda p: p.payload_block)
        steps.append(CartridgeStep(order=order, barcode=barcode, location=location,
                                   instruction=instruction_for(barcode, location), packages=tuple(packages),
                                   bytes_to_read=sum(p.bytes for p in packages),
                                   seconds=_cartridge_seconds(packages, location, written, timing, block_size)))
    return RestorePlan(steps=tuple(steps), files=files, file_bytes=file_bytes,
                       bytes_to_read=sum(s.bytes_to_read for s in steps), seconds=sum(s.seconds for s in steps),
                       missing=missing)


def _package_read(members: list[FileRow], part: PartialRead | None) -> PackageRead:
    first = members[0]
    return PackageRead(package_id=first.package_id, tape_file=first.tape_file, header_block=first.header_block,
                       payload_block=first.payload_block, payload_blocks=first.payload_blocks,
                       bytes=first.package_bytes if part is None else part.bytes,
                       files=tuple(sorted({m.full_path for m in members})), runs=() if part is None else part.runs)


def _cartridge_seconds(packages: Sequence[PackageRead], location: str, written_bytes: int,
                       timing: DriveTiming, block_size: int) -> float:
    kind = location.split(":", 1)[0]
    seconds = 0.0
    if kind != "drive":
        seconds += timing.load_seconds + (timing.robot_move_seconds if kind in {"slot", "ie"}
                                          else timing.operator_change_seconds)
    position = 0.0
    # Block positions stand in for distance along the tape; bytes written gives the scale.
    scale = max(1, written_bytes)
    for package in packages:
        # A partial read locates once per run of blocks, a whole one once.
        starts = [package.payload_block + first for first, _ in package.runs] or [package.payload_block]
        for start in starts:
            target = min(1.0, start * block_size / scale) if written_bytes else 0.5
            seconds += timing.locate_seconds(position, target)
            position = target
        seconds += timing.read_seconds(package.bytes)
        position = min(1.0, position + package.bytes / scale) if written_bytes else position
    if kind != "drive":
        seconds += timing.unload_seconds
    return seconds
