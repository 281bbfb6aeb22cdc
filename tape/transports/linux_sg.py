"""Linux SG_IO on /dev/sgN: the `Transport` for real drives on Linux.

Why the sg node and not st: SG_IO on an st node passes the kernel's command filter, which refuses
REWIND, SPACE, LOCATE, READ POSITION, READ/WRITE ATTRIBUTE … to anyone without CAP_SYS_RAWIO,
and st tracks a position of its own that our commands would make wrong. An sg node opened O_RDWR
is governed by file permissions alone (tape-scsi.md §4.4).

The device is opened like LTFS does: O_RDWR | O_EXCL | O_NONBLOCK (so no other program shares it
and the open does not wait for a cartridge), then O_NONBLOCK is cleared.

Public API:
- `SgTransport(path, *, ioctl=..., opener=..., closer=..., reserved_buffer=1 MiB)`; `.execute(...)`,
  `.max_transfer()`, `.close()`; usable as a context manager.
- `SgIoHdr` (native), `SgIoHdr64`, `SgIoHdr32` — the kernel's `sg_io_hdr_t` (88 / 64 bytes).
- Constants: SG_IO, SG_DXFER_*, host and driver status codes.
`ioctl(fd, request, arg)` is injectable so tests can play the kernel: it receives the ctypes
header (or a c_int for the small ioctls) and must fill it in, like `fcntl.ioctl` with a mutable
buffer does.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno as errno_codes
import os
import time
from collections.abc import Callable
from typing import Any

from tape.scsi.opcodes import command_name
from tape.transport import (
    CHECK_CONDITION,
    GOOD,
    DeviceInUse,
    DeviceNotFound,
    Direction,
    PermissionDenied,
    ScsiResult,
    TransferTooLarge,
    TransportError,
    TransportTimeout,
    UnsupportedPlatform,
    transfer_length,
)
from tape.transports.messages import make_error

try:  # fcntl does not exist on Windows; the module must still import there.
    import fcntl as _fcntl
except ImportError:  # pragma: no cover - exercised only on Windows
    _fcntl = None  # type: ignore[assignment]

SG_IO = 0x2285
SG_GET_RESERVED_SIZE = 0x2272
SG_SET_RESERVED_SIZE = 0x2275
SG_GET_VERSION_NUM = 0x2282
BLKSECTGET = 0x1267  # on an sg fd: the queue's max transfer (bytes on current kernels)

SG_INTERFACE_ID = ord("S")
SG_DXFER_NONE = -1
SG_DXFER_TO_DEV = -2
SG_DXFER_FROM_DEV = -3
SG_FLAG_LUN_INHIBIT = 2

MAX_SENSE = 255  # mx_sb_len is one byte; LTFS asks for the same

HOST_STATUS_NAMES = {
    0x01: "DID_NO_CONNECT",
    0x02: "DID_BUS_BUSY",
    0x03: "DID_TIME_OUT",
    0x04: "DID_BAD_TARGET",
    0x05: "DID_ABORT",
    0x06: "DID_PARITY",
    0x07: "DID_ERROR",
    0x08: "DID_RESET",
    0x09: "DID_BAD_INTR",
    0x0A: "DID_PASSTHROUGH",
    0x0B: "DID_SOFT_ERROR",
}
DID_NO_CONNECT, DID_TIME_OUT, DID_BAD_TARGET = 0x01, 0x03, 0x04

DRIVER_STATUS_NAMES = {
    0x1: "DRIVER_BUSY",
    0x2: "DRIVER_SOFT",
    0x3: "DRIVER_MEDIA",
    0x4: "DRIVER_ERROR",
    0x5: "DRIVER_INVALID",
    0x6: "DRIVER_TIMEOUT",
    0x7: "DRIVER_HARD",
}
DRIVER_TIMEOUT, DRIVER_SENSE = 0x6, 0x8

_SG_DIRECTIONS = {
    Direction.NONE: SG_DXFER_NONE,
    Direction.TO_DEVICE: SG_DXFER_TO_DEV,
    Direction.FROM_DEVICE: SG_DXFER_FROM_DEV,
}

# A refusal of a transfer this small is never about size: the HBA limits seen in the field are
# 128 KiB and above (tape-scsi.md §1.3).
_SMALLEST_SIZE_LIMIT = 64 * 1024


def _layout(pointer: Any) -> list[tuple[str, Any]]:
    """The fields of `sg_io_hdr_t` (include/scsi/sg.h) with pointers of the given ctypes type."""
    return [
        ("interface_id", ctypes.c_int),
        ("dxfer_direction", ctypes.c_int),
        ("cmd_len", ctypes.c_ubyte),
        ("mx_sb_len", ctypes.c_ubyte),
        ("iovec_count", ctypes.c_ushort),
        ("dxfer_len", ctypes.c_uint),
        ("dxferp", pointer),
        ("cmdp", pointer),
        ("sbp", pointer),
        ("timeout", ctypes.c_uint),  # milliseconds
        ("flags", ctypes.c_uint),
        ("pack_id", ctypes.c_int),
        ("usr_ptr", pointer),
        ("status", ctypes.c_ubyte),
        ("masked_status", ctypes.c_ubyte),
        ("msg_status", ctypes.c_ubyte),
        ("sb_len_wr", ctypes.c_ubyte),
        ("host_status", ctypes.c_ushort),
        ("driver_status", ctypes.c_ushort),
        ("resid", ctypes.c_int),
        ("duration", ctypes.c_uint),  # milliseconds
        ("info", ctypes.c_uint),
    ]


class SgIoHdr64(ctypes.Structure):
    """`sg_io_hdr_t` on 64-bit Linux: 88 bytes (the struct module would give 84 without tail padding)."""

    _fields_ = _layout(ctypes.c_uint64)


class SgIoHdr32(ctypes.Structure):
    """`sg_io_hdr_t` on 32-bit Linux: 64 bytes."""

    _fields_ = _layout(ctypes.c_uint32)


SgIoHdr: type[ctypes.Structure] = SgIoHdr64 if ctypes.sizeof(ctypes.c_void_p) == 8 else SgIoHdr32

IoctlFn = Callable[[int, int, Any], Any]


def _default_ioctl(fd: int, request: int, arg: Any) -> Any:
    if _fcntl is None:  # pragma: no cover - Windows only
        raise make_error(UnsupportedPlatform, "linux_only", device=f"fd {fd}")
    return _fcntl.ioctl(fd, request, arg, True)


def _default_open(path: str) -> int:
    """Open like LTFS: exclusive, non-blocking for the open, then blocking again."""
    if _fcntl is None:  # pragma: no cover - Windows only
        raise make_error(UnsupportedPlatform, "linux_only", device=path)
    fd = os.open(path, os.O_RDWR | os.O_EXCL | os.O_NONBLOCK)
    flags = _fcntl.fcntl(fd, _fcntl.F_GETFL)
    _fcntl.fcntl(fd, _fcntl.F_SETFL, flags & ~os.O_NONBLOCK)
    return fd


def open_error(path: str, exc: OSError) -> TransportError:
    """The Chinese `TransportError` for a failed open of `path`."""
    code = exc.errno
    if code in (errno_codes.ENOENT, errno_codes.ENXIO, errno_codes.ENODEV):
        return make_error(DeviceNotFound, "not_found", errno=code, device=path)
    if code in (errno_codes.EACCES, errno_codes.EPERM, errno_codes.EROFS):
        return make_error(PermissionDenied, "permission_linux", errno=code, device=path)
    if code == errno_codes.EBUSY:
        return make_error(DeviceInUse, "in_use", errno=code, device=path)
    return make_error(TransportError, "os_error", errno=code, device=path, detail=exc.strerror or str(exc))


class SgTransport:
    """A /dev/sgN device driven through SG_IO."""

    def __init__(
        self,
        path: str,
        *,
        ioctl: IoctlFn = _default_ioctl,
        opener: Callable[[str], int] = _default_open,
        closer: Callable[[int], None] = os.close,
        reserved_buffer: int | None = 1 << 20,
    ) -> None:
        self.name = path
        self._ioctl = ioctl
        self._closer = closer
        self._max_transfer: int | None = None
        try:
            self._fd: int | None = opener(path)
        except OSError as exc:
            raise open_error(path, exc) from exc
        if reserved_buffer:
            self._reserve(reserved_buffer)

    def _reserve(self, size: int) -> None:
        """Ask sg for a reserved buffer of `size` bytes (LTFS asks 1 MiB); a refusal is harmless."""
        with contextlib.suppress(OSError):
            self._ioctl(self._require_fd(), SG_SET_RESERVED_SIZE, ctypes.c_int(size))

    def _require_fd(self) -> int:
        if self._fd is None:
            raise make_error(TransportError, "closed", device=self.name)
        return self._fd

    def max_transfer(self) -> int | None:
        """The largest transfer the host queue accepts, in bytes, or None if the kernel will not say.

        Current kernels answer BLKSECTGET on an sg node in bytes; some patched ones answer in
        512-byte sectors capped at 65535, so a value that small is read as sectors.
        """
        if self._max_transfer is None:
            value = ctypes.c_int(0)
            try:
                self._ioctl(self._require_fd(), BLKSECTGET, value)
            except OSError:
                return None
            raw = value.value
            self._max_transfer = raw * 512 if 0 < raw <= 0xFFFF else (raw or None)
        return self._max_transfer

    def execute(
        self,
        cdb: bytes,
        direction: Direction = Direction.NONE,
        data: bytes | None = None,
        length: int = 0,
        timeout: float = 60.0,
    ) -> ScsiResult:
        fd = self._require_fd()
        length = transfer_length(direction, data, length)
        if self._max_transfer is not None and length > self._max_transfer:
            raise TransferTooLarge(length, self._max_transfer)
        buffer = ctypes.create_string_buffer(max(length, 1))
        if direction is Direction.TO_DEVICE:
            ctypes.memmove(buffer, bytes(data or b""), length)
        command = ctypes.create_string_buffer(bytes(cdb), len(cdb))
        sense = ctypes.create_string_buffer(MAX_SENSE)
        header: Any = SgIoHdr()
        header.interface_id = SG_INTERFACE_ID
        header.dxfer_direction = _SG_DIRECTIONS[direction] if length else SG_DXFER_NONE
        header.cmd_len = len(cdb)
        header.mx_sb_len = MAX_SENSE
        header.dxfer_len = length
        header.dxferp = ctypes.addressof(buffer) if length else 0
        header.cmdp = ctypes.addressof(command)
        header.sbp = ctypes.addressof(sense)
        header.timeout = min(int(timeout * 1000), 0xFFFFFFFF)
        # Keep the kernel from writing the LUN into CDB byte 1 (a SCSI-2 habit): that byte carries
        # IMMED, FIXED, SILI and the service actions here.
        header.flags = SG_FLAG_LUN_INHIBIT
        started = time.monotonic()
        try:
            self._ioctl(fd, SG_IO, header)
        except OSError as exc:
            raise self._ioctl_error(exc, length, cdb, timeout) from exc
        elapsed = time.monotonic() - started
        return self._result(header, buffer, sense, direction, length, cdb, timeout, elapsed)

    def _result(
        self,
        header: Any,
        buffer: ctypes.Array[ctypes.c_char],
        sense: ctypes.Array[ctypes.c_char],
        direction: Direction,
        length: int,
        cdb: bytes,
        timeout: float,
        elapsed: float,
    ) -> ScsiResult:
        host, driver = header.host_status, header.driver_status & 0x0F
        if host == DID_TIME_OUT or driver == DRIVER_TIMEOUT:
            raise make_error(
                TransportTimeout, "timeout", device=self.name, command=command_name(cdb), seconds=timeout
            )
        if host in (DID_NO_CONNECT, DID_BAD_TARGET):
            raise make_error(DeviceNotFound, "gone", device=self.name)
        if host:
            raise make_error(
                TransportError,
                "host_error",
                device=self.name,
                detail=HOST_STATUS_NAMES.get(host, f"0x{host:02X}"),
            )
        if driver not in (0, DRIVER_SENSE):
            raise make_error(
                TransportError,
                "driver_error",
                device=self.name,
                detail=DRIVER_STATUS_NAMES.get(driver, f"0x{driver:X}"),
            )
        sense_bytes = sense.raw[: header.sb_len_wr]
        status = header.status
        if status == GOOD and driver == DRIVER_SENSE and sense_bytes:
            # Some low-level drivers deliver sense without setting the status byte (sg3_utils
            # treats this the same way).
            status = CHECK_CONDITION
        residue = max(0, min(header.resid, length))
        received = buffer.raw[: length - residue] if direction is Direction.FROM_DEVICE else b""
        return ScsiResult(
            status=status,
            sense=sense_bytes,
            residue=residue,
            data=received,
            duration=elapsed,
            extra={
                "host_status": host,
                "driver_status": header.driver_status,
                "duration_ms": header.duration,
            },
        )

    def _ioctl_error(self, exc: OSError, length: int, cdb: bytes, timeout: float) -> TransportError:
        code = exc.errno
        limit = self._max_transfer
        oversize = length > (limit if limit else _SMALLEST_SIZE_LIMIT)
        if code in (errno_codes.EINVAL, errno_codes.ENOMEM, errno_codes.EIO) and oversize:
            return TransferTooLarge(length, limit)
        if code in (errno_codes.EACCES, errno_codes.EPERM):
            return make_error(PermissionDenied, "permission_linux", errno=code, device=self.name)
        if code == errno_codes.EBUSY:
            return make_error(DeviceInUse, "in_use", errno=code, device=self.name)
        if code in (errno_codes.ENODEV, errno_codes.ENXIO, errno_codes.ENOENT):
            return make_error(DeviceNotFound, "gone", errno=code, device=self.name)
        if code == errno_codes.ETIMEDOUT:
            return make_error(
                TransportTimeout,
                "timeout",
                errno=code,
                device=self.name,
                command=command_name(cdb),
                seconds=timeout,
            )
        return make_error(
            TransportError, "os_error", errno=code, device=self.name, detail=exc.strerror or str(exc)
        )

    def close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            self._closer(fd)

    def __enter__(self) -> SgTransport:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
