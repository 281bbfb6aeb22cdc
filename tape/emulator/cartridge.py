"""An emulated cartridge on disk: its state, its cartridge memory and its partitions.

Directory layout (one directory per barcode):
    state.json   media type, capacities, early-warning distance, write protect, load count,
                 optimisation flag, lifetime counters (cartridge-memory facts)
    mam.json     host-written MAM attributes (0800h–0BFFh, 1400h–17FFh)
    sync.json    the flush marker: records per partition known to be on disk, and the boot id
    data.N, index.N, fm.N   partition N (see partition.py)

Durability choice. A real drive buffers: data written but not yet flushed to tape is lost if the
drive loses power, and a WRITE FILEMARKS (or any command that makes the drive empty its buffer)
is the host's guarantee. The emulator does the same with the page cache as its buffer: blocks are
written (data, then index record) but not fsynced; `sync()` — called by the drive at WRITE
FILEMARKS without IMMED (count 0 included), REWIND, LOCATE, SPACE, READ after writing, ERASE,
LOAD/UNLOAD, FORMAT, and whenever the library's optional buffer size of unflushed data has
accumulated — fsyncs data, filemark list and index, then records the synced counts with the
current boot id in `sync.json`.

- A killed process loses nothing the kernel already has: index ⊆ data by write order.
- A power loss can lose unflushed blocks. On the next open (boot id differs from the marker's)
  every record past the marker's counts is checked against its data CRC and the index is cut at
  the first mismatch, then everything is flushed. What is in the index is always complete.
Per-block fsync would cost a disk round trip per block, so streaming would run at the disk's
synchronous-write rate instead of its streaming rate; the host's WRITE FILEMARKS after each
package is the durability point it relies on anyway (tape-scsi.md §8 point 11).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import shutil
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from tape.emulator import fileio
from tape.emulator.media import media_type
from tape.emulator.partition import SAMPLED, Partition

STATE_FILE = "state.json"
MAM_FILE = "mam.json"
MARKER_FILE = "sync.json"


@dataclass
class CartridgeState:
    """What the cartridge itself remembers (its cartridge memory, in a real one)."""

    barcode: str
    media: str
    capacity: int
    early_warning_pct: float
    partitions: list[int]
    write_protect: bool = False
    load_count: int = 0
    optimised: bool = False
    first_load_seconds: float = 0.0
    serial: str = ""
    manufactured: str = ""
    initialization_count: int = 0
    bytes_written: int = 0
    bytes_read: int = 0
    last_drives: list[str] = field(default_factory=list)
    volume_change_reference: int = 0
    format_version: int = 1

    @classmethod
    def from_json(cls, content: dict[str, Any]) -> CartridgeState:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in content.items() if k in known})


def medium_serial(barcode: str) -> str:
    """A stable 32-character medium serial (MAM 0401h), unique per barcode."""
    digest = hashlib.sha1(barcode.encode("utf-8")).hexdigest().upper()
    return f"TAFEMU{digest}"[:32]


class Cartridge:
    """One cartridge directory, opened: state, host attributes and partitions."""

    def __init__(self, directory: Path, state: CartridgeState, attributes: dict[int, tuple[int, bytes]]):
        self.directory = directory
        self.state = state
        self.attributes = attributes
        self.partitions: list[Partition] = []
        self._synced: list[int] = []
        self.media = media_type(state.media)  # fixed for the life of the cartridge
        self._full_checksums = False

    # -- creation and opening ---------------------------------------------------------------

    @classmethod
    def create(
        cls,
        directory: Path,
        *,
        barcode: str,
        media: str,
        capacity: int | None = None,
        early_warning_pct: float = 5.0,
        first_load_seconds: float = 0.0,
        write_protect: bool = False,
        partitions: list[int] | None = None,
    ) -> None:
        kind = media_type(media)
        total = int(capacity if capacity is not None else kind.native_capacity)
        directory.mkdir(parents=True, exist_ok=False)
        state = CartridgeState(
            barcode=barcode,
            media=kind.code,
            capacity=total,
            early_warning_pct=float(early_warning_pct),
            partitions=list(partitions) if partitions else [total],
            write_protect=write_protect,
            optimised=not kind.needs_optimisation,
            first_load_seconds=float(first_load_seconds),
            serial=medium_serial(barcode),
            manufactured=_dt.date.today().strftime("%Y%m%d"),
        )
        fileio.write_json_atomic(directory / STATE_FILE, asdict(state))
        fileio.write_json_atomic(directory / MAM_FILE, {})
        cls._write_marker(directory, [0] * len(state.partitions))

    @classmethod
    def open(cls, directory: Path) -> Cartridge:
        state = CartridgeState.from_json(fileio.read_json(directory / STATE_FILE))
        raw = fileio.read_json(directory / MAM_FILE)
        attributes = {int(k, 16): (int(fmt), bytes.fromhex(value)) for k, (fmt, value) in raw.items()}
        cart = cls(directory, state, attributes)
        cart._open_partitions()
        return cart

    def _open_partitions(self) -> None:
        marker = self._read_marker()
        trusted = marker is not None and marker.get("boot") == fileio.boot_id()
        synced = list(marker.get("records", [])) if marker else []
        for number, size in enumerate(self.state.partitions):
            verify_from = None if trusted else (synced[number] if number < len(synced) else 0)
            self.partitions.append(
                Partition.open(
                    self.directory, number, size, self._early_warning(size), verify_from=verify_from
                )
            )
        self._synced = [p.count for p in self.partitions] if not trusted else synced
        if not trusted:
            # After a power loss the verified tail becomes durable now, so later opens trust it.
            for p in self.partitions:
                p.dirty = True
            self.sync()

    def use_full_checksums(self, full: bool) -> None:
        """Choose full-block CRCs (slower) or sampled ones for blocks written from now on."""
        self._full_checksums = full
        for p in self.partitions:
            p.block_flags = 0 if full else SAMPLED

    def _early_warning(self, size: int) -> int:
        return int(size * self.state.early_warning_pct / 100)

    def _read_marker(self) -> dict[str, Any] | None:
        try:
            content = fileio.read_json(self.directory / MARKER_FILE)
        except (OSError, ValueError):
            return None
        return content if isinstance(content, dict) else None

    @staticmethod
    def _write_marker(directory: Path, records: list[int]) -> None:
        # Not fsynced: the marker only ever states counts already fsynced, so a power loss that
        # loses it leaves the previous marker (fewer records trusted, more verified on the next
        # open) or an unreadable one (everything verified). Both are safe; an fsync and a
        # directory fsync per filemark are not free (two of the five a flush used to cost).
        fileio.write_json_atomic(directory / MARKER_FILE, {"boot": fileio.boot_id(), "records": records},
                                 durable=False)

    # -- facts ------------------------------------------------------------------------------

    @property
    def barcode(self) -> str:
        return self.state.barcode

    @property
    def worm(self) -> bool:
        return self.media.worm

    def used_bytes(self) -> int:
        return sum(p.data_end for p in self.partitions)

    # -- persistence ------------------------------------------------------------------------

    def save_state(self) -> None:
        fileio.write_json_atomic(self.directory / STATE_FILE, asdict(self.state))

    def save_attributes(self) -> None:
        content = {f"{k:04X}": [fmt, value.hex()] for k, (fmt, value) in sorted(self.attributes.items())}
        fileio.write_json_atomic(self.directory / MAM_FILE, content)

    def sync(self) -> bool:
        """Flush every partition to disk and record it; True if anything was flushed."""
        flushed = [p.sync() for p in self.partitions]
        if any(flushed):
            self._synced = [p.count for p in self.partitions]
            self._write_marker(self.directory, self._synced)
        return any(flushed)

    def unsynced_bytes(self) -> int:
        return sum(p.unsynced_bytes for p in self.partitions)

    def truncate(self, partition: int, position: int) -> None:
        """Cut partition `partition` at `position`, keeping the flush marker honest first.

        The marker must never claim records that a later append replaces; it is lowered and
        made durable before the cut.
        """
        if position < self._synced[partition]:
            self._synced[partition] = position
            self._write_marker(self.directory, self._synced)
        self.partitions[partition].truncate(position)

    def reformat(self, sizes: list[int]) -> None:
        """FORMAT MEDIUM: drop every partition and start again with these capacities."""
        self.close()
        for pattern in ("data.*", "index.*", "fm.*"):
            for path in self.directory.glob(pattern):
                fileio.remove_quietly(path)
        self.state.partitions = list(sizes)
        self.state.initialization_count += 1
        self.save_state()
        self._write_marker(self.directory, [0] * len(sizes))
        self.partitions = []
        self._open_partitions()
        self.use_full_checksums(self._full_checksums)

    def close(self) -> None:
        for p in self.partitions:
            with contextlib.suppress(OSError):
                p.close()
        self.partitions = []


def remove_cartridge(directory: Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)
