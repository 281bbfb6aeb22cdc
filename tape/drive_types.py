"""The values the Drive API hands back: identity, the mounted medium, read/write/space outcomes.

Also `DrivePolicy`, the knobs for waiting and retrying: real-drive defaults here, tests shrink them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from tape.scsi.capabilities import BlockLimits
from tape.scsi.position import Position
from tape.scsi.tapealert import TapeAlertFlag


@dataclass(frozen=True)
class DrivePolicy:
    """How long and how often to wait. Seconds throughout."""

    retry_base: float = 0.05  # first pause after a transient condition (2/04/01, BUSY, ABORTED)
    retry_max: float = 5.0  # pauses double up to this
    retry_window: float = 120.0  # a transient condition lasting longer than this is reported
    attention_limit: int = 8  # unit attentions one command may consume before giving up
    ready_timeout: float = 2.2 * 3600  # the longest LTO-9 first load (132 min) plus margin
    ready_poll_max: float = 10.0  # longest pause between TEST UNIT READY polls while loading
    # A load still running after this long is media optimisation, not threading (16 s on an HH9).
    optimisation_after: float = 60.0
    optimisation_typical: float = 40 * 60  # IBM's average first-load calibration
    optimisation_longest: float = 132 * 60  # the TS2290 (HH9) table's upper bound
    erase_poll: float = 5.0  # REQUEST SENSE interval while a long erase runs


@dataclass(frozen=True)
class DriveIdentity:
    vendor: str
    product: str
    revision: str
    serial: str | None


class ReadyKind(enum.Enum):
    READY = "ready"
    LOADING = "loading"
    OPTIMISING = "optimising"  # LTO-9 first-load media optimisation


@dataclass(frozen=True)
class ReadyState:
    """What the drive is doing while the caller waits for it (shown to the operator)."""

    kind: ReadyKind
    message: str  # Chinese, e.g. 正在进行介质优化，预计还需 35 分钟
    elapsed: float = 0.0
    remaining_minutes: int | None = None


@dataclass(frozen=True)
class MediumInfo:
    """The mounted cartridge as the drive and its cartridge memory describe it."""

    medium_type: int  # mode header byte: 98h L9, 9Ch LZ, 88h L8, 8Ch LY
    generation: int | None
    worm: bool
    write_protected: bool
    density: int
    serial: str | None  # MAM 0401h, unique per cartridge even without a barcode label
    barcode: str | None  # MAM 0806h if a host wrote it, else the volume barcode of log page 17h
    mam: dict[str, int | str] = field(default_factory=dict)  # attribute name → value (0800h…, 0000h…)
    block_limits: BlockLimits | None = None
    compression: bool | None = None
    position: Position | None = None
    capacity_mb: int | None = None  # log page 17h, native MB (10^6 bytes)
    used_mb: int | None = None
    alerts_at_mount: tuple[TapeAlertFlag, ...] = ()

    @property
    def identity(self) -> str:
        """What tells two cartridges apart: the MAM serial, else the barcode."""
        return self.serial or self.barcode or ""


class ReadKind(enum.Enum):
    DATA = "data"
    FILEMARK = "filemark"  # the end of a tape file; the position is now after the mark
    END_OF_DATA = "end_of_data"  # nothing more is written; the position stays at EOD


@dataclass(frozen=True)
class ReadResult:
    kind: ReadKind
    data: bytes = b""
    # The block was shorter than asked for (only reported without SILI); `residue` > 0 says by how much.
    short: bool = False
    residue: int = 0
    reread: bool = False  # the block was longer than the buffer and was read again whole


@dataclass(frozen=True)
class WriteResult:
    """A WRITE or WRITE FILEMARKS that completed. `early_warning`: success, the tape is nearly full."""

    early_warning: bool = False


@dataclass(frozen=True)
class SpaceResult:
    """Where a SPACE stopped early, if it did. `residue` counts what was not spaced over."""

    filemark: bool = False  # stopped at a filemark (after it going forward, before it going back)
    beginning_of_partition: bool = False
    end_of_data: bool = False
    residue: int = 0

    @property
    def complete(self) -> bool:
        return not (self.filemark or self.beginning_of_partition or self.end_of_data)
