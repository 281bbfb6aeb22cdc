"""A drive's volatile state, shared by every process that talks to the drive.

Position, counters and the last sense change on every READ and WRITE, so they are a fixed binary
record rewritten in place with one positioned write ("hot"). Everything else — medium state,
unit attentions, mode settings, TapeAlert flags — changes rarely and is JSON ("cold"), written
only when it changed, into one of two slots so the previous copy stays intact until the header
names the new one. No fsync: a real drive's state does not survive a power cycle either; a
damaged file reads as a drive that was just powered on.

The header carries the writer (a random id per process runtime) and a sequence number, so a
process sees at a glance whether anyone else touched the drive since its last command.
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from tape.emulator import fileio

_MAGIC = b"TAFD"
# magic, version, writer, seq, cold seq, cold slot, cold length, partition, position,
# six counters, sense length, sense bytes; then a CRC-32 of all that.
_HOT = struct.Struct(">4sH8sQQBIIQ6QB32s")
_CRC = struct.Struct(">I")
_COLD_SLOTS = (4096, 4096 + 65536)
_COLD_MAX = 65536


class HotState:
    """Fields the data path changes on every command."""

    __slots__ = (
        "partition",
        "position",
        "host_written",
        "medium_written",
        "medium_read",
        "host_read",
        "blocks_written",
        "blocks_read",
        "last_sense",
    )
    partition: int
    position: int
    host_written: int
    medium_written: int
    medium_read: int
    host_read: int
    blocks_written: int
    blocks_read: int
    last_sense: bytes

    # This load's counters: log page 0Ch parameters 0-3 (medium = host: no compression), blocks.
    COUNTERS = ("host_written", "medium_written", "medium_read", "host_read", "blocks_written", "blocks_read")

    def __init__(self) -> None:
        self.partition = 0
        self.position = 0
        self.last_sense = b""
        self.reset_counters()

    @property
    def counters(self) -> tuple[int, ...]:
        # Spelled out: this runs for every command and a generator costs more than the rest.
        return (
            self.host_written,
            self.medium_written,
            self.medium_read,
            self.host_read,
            self.blocks_written,
            self.blocks_read,
        )

    @counters.setter
    def counters(self, values: tuple[int, ...]) -> None:
        for name, value in zip(self.COUNTERS, values, strict=True):
            setattr(self, name, value)

    def reset_counters(self) -> None:
        self.counters = (0,) * len(self.COUNTERS)


@dataclass
class ColdState:
    """Fields that change rarely; assigning any of them marks the state for writing."""

    medium: str = "empty"  # empty | loading | ready | unloaded
    ready_at: float = 0.0
    # While "loading": when the first-load media optimisation starts (after threading); 0 = a plain load.
    optimising_from: float = 0.0
    announce: bool = False  # raise 6/28/00 when the load completes
    prevent: bool = False
    attentions: list[list[int]] = field(default_factory=lambda: [[0x29, 0x00]])
    block_length: int = 0  # 0 = variable-block mode
    compression: bool = True
    pages: dict[str, str] = field(default_factory=dict)  # stored raw mode pages, by key
    pending_partitions: list[int] | None = None  # MODE SELECT page 11h, applied by FORMAT
    alerts: int = 0  # TapeAlert flags, bit n-1 = flag n
    busy: str = ""  # "erase" while a long erase runs
    busy_start: float = 0.0
    busy_end: float = 0.0
    changed_this_load: bool = False  # MAM 0009h bumped once per load

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        object.__setattr__(self, "_dirty", True)

    @property
    def dirty(self) -> bool:
        return bool(self.__dict__.get("_dirty", True))

    def mark_clean(self) -> None:
        object.__setattr__(self, "_dirty", False)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, content: dict[str, Any]) -> ColdState:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in content.items() if k in known})

    def queue_attention(self, asc: int, ascq: int) -> None:
        if [asc, ascq] not in self.attentions:
            self.attentions = [*self.attentions, [asc, ascq]]

    def set_alert(self, flag: int) -> None:
        self.alerts = self.alerts | (1 << (flag - 1))


class DriveState:
    """Hot and cold state of one drive, plus the version it was read at."""

    def __init__(self, hot: HotState | None = None, cold: ColdState | None = None) -> None:
        self.hot = hot or HotState()
        self.cold = cold or ColdState()
        self.seq = 0
        self.cold_seq = 0


class DriveStateStore:
    """Reads and writes one drive's state file, skipping work when nothing changed."""

    def __init__(self, path: Path, writer: bytes) -> None:
        self.path = path
        self.writer = writer
        self._fd: int | None = None
        self._cached: DriveState | None = None
        self._cached_key: tuple[bytes, int] | None = None
        self._cold_slot = 0
        self._cold_len = 0
        self._cached_raw = b""

    def _file(self) -> int:
        if self._fd is None:
            self._fd = fileio.open_rw(self.path)
        return self._fd

    def load(self) -> tuple[DriveState, bool]:
        """The current state and whether another writer changed it since we last saw it."""
        raw = fileio.pread(self._file(), _HOT.size + _CRC.size, 0)
        if self._cached is not None and raw == self._cached_raw:
            return self._cached, False  # byte-identical to what we last wrote or read
        header = self._decode_header(raw)
        if header is None:
            fresh = self._cached is None
            state = DriveState()
            self._cached, self._cached_key = state, None
            return state, not fresh
        key = (header[2], header[3])
        if self._cached is not None and key == self._cached_key:
            return self._cached, False
        state = self._decode(header)
        self._cached, self._cached_key, self._cached_raw = state, key, raw
        return state, True

    @staticmethod
    def _decode_header(raw: bytes) -> tuple[Any, ...] | None:
        if len(raw) != _HOT.size + _CRC.size or _CRC.unpack_from(raw, _HOT.size)[0] != zlib.crc32(
            raw[: _HOT.size]
        ):
            return None
        header = _HOT.unpack_from(raw)
        return header if header[0] == _MAGIC else None

    def _decode(self, header: tuple[Any, ...]) -> DriveState:
        (_m, _v, _w, seq, cold_seq, slot, cold_len, partition, position, *rest) = header
        counters, sense_len, sense = rest[:6], rest[6], rest[7]
        previous = self._cached
        if previous is not None and previous.cold_seq == cold_seq:
            cold = previous.cold
        else:
            try:
                blob = fileio.pread(self._file(), cold_len, _COLD_SLOTS[slot])
                cold = ColdState.from_json(json.loads(blob.decode("utf-8")))
            except (ValueError, IndexError, TypeError):
                cold = ColdState()
        cold.mark_clean()
        self._cold_slot, self._cold_len = slot, cold_len
        hot = HotState()
        hot.partition, hot.position = partition, position
        hot.counters = tuple(counters)
        hot.last_sense = sense[:sense_len]
        state = DriveState(hot, cold)
        state.seq, state.cold_seq = seq, cold_seq
        return state

    def save(self, state: DriveState) -> None:
        fd = self._file()
        if state.cold.dirty or state.cold_seq == 0:
            blob = json.dumps(state.cold.to_json(), separators=(",", ":")).encode("utf-8")
            if len(blob) > _COLD_MAX:
                raise ValueError("drive state too large")
            self._cold_slot ^= 1
            fileio.pwrite(fd, blob, _COLD_SLOTS[self._cold_slot])
            state.cold_seq = state.seq + 1
            self._cold_len = len(blob)
            state.cold.mark_clean()
        state.seq += 1
        hot = state.hot
        sense = hot.last_sense[:32]
        body = _HOT.pack(
            _MAGIC,
            1,
            self.writer,
            state.seq,
            state.cold_seq,
            self._cold_slot,
            self._cold_len,
            hot.partition,
            hot.position,
            *hot.counters,
            len(sense),
            sense,
        )
        raw = body + _CRC.pack(zlib.crc32(body))
        fileio.pwrite(fd, raw, 0)
        self._cached, self._cached_key, self._cached_raw = state, (self.writer, state.seq), raw

    def forget(self) -> None:
        """Drop the cached copy (after a failed command) so the next load reads the file."""
        self._cached, self._cached_key, self._cached_raw = None, None, b""

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
