"""The one interface every SCSI path implements: send a CDB, get status, sense, residue and data.

Linux SG_IO, Windows SPTI and the emulator all sit behind `Transport.execute`; everything above
(CDB builders, sense decoding, the Drive and Changer APIs) is the same for all three.

A command the drive answered, whatever its status, comes back as a `ScsiResult`. A command that
could not be delivered raises `TransportError` or one of its kinds: `DeviceNotFound`,
`PermissionDenied`, `DeviceInUse`, `TransportTimeout`, `TransferTooLarge`, `UnsupportedPlatform`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from kernel.errors import EXIT_BUSY, EXIT_DEVICE, TafError

# SCSI status bytes (SAM-5).
GOOD = 0x00
CHECK_CONDITION = 0x02
BUSY = 0x08
RESERVATION_CONFLICT = 0x18
TASK_SET_FULL = 0x28


class Direction(enum.Enum):
    """Which way the data phase of a command goes."""

    NONE = "none"
    TO_DEVICE = "out"  # host writes data to the device (WRITE, MODE SELECT, WRITE ATTRIBUTE …)
    FROM_DEVICE = "in"  # device returns data to the host (READ, INQUIRY, LOG SENSE …)


@dataclass(frozen=True)
class ScsiResult:
    """What came back from one command.

    `residue` is the transport-level residual count (bytes requested but not transferred),
    which is not the same as the INFORMATION field of the sense data.
    """

    status: int
    sense: bytes = b""
    residue: int = 0
    data: bytes = b""
    duration: float = 0.0
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def good(self) -> bool:
        return self.status == GOOD


class TransportError(TafError):
    """The command could not be delivered at all (host adapter, driver or OS error).

    Carries a Chinese message for the operator and the next step to take; exit code 7, HTTP 502.
    """

    exit_code = EXIT_DEVICE
    default_message = "无法把命令送到磁带设备"

    def __init__(self, message: str, advice: str = "", *, errno: int | None = None) -> None:
        super().__init__(message, advice)
        self.errno = errno

    def __str__(self) -> str:
        return self.text


class TransferTooLarge(TransportError):
    """The adapter refused a transfer larger than it can move in one command (EINVAL on SG_IO)."""

    def __init__(self, length: int, limit: int | None = None) -> None:
        detail = f"，上限约 {limit} 字节" if limit else ""
        super().__init__(
            f"主机适配器拒绝了 {length} 字节的单次传输{detail}",
            "请减小块大小（DEFAULT_BLOCK_SIZE），系统会自动尝试更小的块",
            errno=22,
        )
        self.length = length
        self.limit = limit


class DeviceNotFound(TransportError):
    """The device path names nothing (ENOENT, ERROR_FILE_NOT_FOUND) or the device went away."""


class PermissionDenied(TransportError):
    """The operating system refused access to the device (EACCES/EPERM, ERROR_ACCESS_DENIED)."""


class DeviceInUse(TransportError):
    """Another program holds the device open exclusively (EBUSY, ERROR_SHARING_VIOLATION) — or
    another use of TAF's own: the drive is busy, not broken."""

    http_status = 423
    exit_code = EXIT_BUSY


class TransportTimeout(TransportError):
    """The command did not complete within its timeout; the drive may still be busy with it."""


class UnsupportedPlatform(TransportError):
    """This transport does not exist on the running operating system."""


def transfer_length(direction: Direction, data: bytes | None, length: int) -> int:
    """Bytes in the data phase: the data itself going out, the allocation length coming in."""
    if direction is Direction.TO_DEVICE:
        return len(data or b"")
    return length if direction is Direction.FROM_DEVICE else 0


@runtime_checkable
class Transport(Protocol):
    """A path to one SCSI device."""

    name: str

    def execute(
        self,
        cdb: bytes,
        direction: Direction = Direction.NONE,
        data: bytes | None = None,
        length: int = 0,
        timeout: float = 60.0,
    ) -> ScsiResult:
        """Send `cdb`; for TO_DEVICE pass `data`, for FROM_DEVICE pass the allocation `length`."""
        ...

    def close(self) -> None: ...
