r"""Windows SPTI: IOCTL_SCSI_PASS_THROUGH_DIRECT on \\.\TapeN, the `Transport` for drives on Windows.

The request is the SCSI_PASS_THROUGH_DIRECT structure followed by a ULONG filler and the sense
buffer, passed as both input and output of DeviceIoControl. The data buffer is the caller's own
memory, so it must satisfy the adapter's AlignmentMask (read with IOCTL_STORAGE_QUERY_PROPERTY,
StorageAdapterProperty; page alignment when the adapter will not say). DeviceIoControl succeeds
even on CHECK CONDITION: the SCSI status is in ScsiStatus.

This module imports on any platform. The Windows API is reached only through `Win32Api`, which
refuses with a Chinese `UnsupportedPlatform` error elsewhere; tests pass their own API object.

Public API:
- `SptiTransport(path, *, api=None, sense_size=96)`; `.execute(...)`, `.max_transfer()`, `.close()`.
- `WindowsApi` (protocol: create_file, device_io_control, close_handle), `Win32Api`, `WinApiError`.
- `AlignedBuffer(size, mask)` — the data buffer at an aligned address.
- Structures: `ScsiPassThroughDirect64` (56 bytes), `ScsiPassThroughDirect32` (44 bytes),
  `ScsiPassThroughDirect` (native), `sptd_with_sense(layout, n)`, `StorageAdapterDescriptor`,
  `StoragePropertyQuery`.
- Constants: IOCTL_SCSI_PASS_THROUGH_DIRECT (0x4D014), IOCTL_STORAGE_QUERY_PROPERTY (0x2D1400).
"""

from __future__ import annotations

import ctypes
import math
import sys
import time
from functools import cache
from typing import Any, Protocol

from kernel.errors import EXIT_DEVICE, TafError
from tape.scsi.opcodes import command_name
from tape.transport import (
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

IOCTL_SCSI_PASS_THROUGH_DIRECT = 0x4D014
IOCTL_STORAGE_QUERY_PROPERTY = 0x2D1400

SCSI_IOCTL_DATA_OUT = 0
SCSI_IOCTL_DATA_IN = 1
SCSI_IOCTL_DATA_UNSPECIFIED = 2

_DATA_IN = {
    Direction.NONE: SCSI_IOCTL_DATA_UNSPECIFIED,
    Direction.TO_DEVICE: SCSI_IOCTL_DATA_OUT,
    Direction.FROM_DEVICE: SCSI_IOCTL_DATA_IN,
}

STORAGE_ADAPTER_PROPERTY = 1
PROPERTY_STANDARD_QUERY = 0

PAGE_SIZE = 4096

ERROR_FILE_NOT_FOUND = 2
ERROR_PATH_NOT_FOUND = 3
ERROR_ACCESS_DENIED = 5
ERROR_SHARING_VIOLATION = 32
ERROR_DEV_NOT_EXIST = 55
ERROR_INVALID_PARAMETER = 87
ERROR_SEM_TIMEOUT = 121
ERROR_BUSY = 170
ERROR_IO_DEVICE = 1117
ERROR_DEVICE_NOT_CONNECTED = 1167


def _sptd_fields(pointer: Any, alignment_pad: bool) -> list[tuple[str, Any]]:
    """SCSI_PASS_THROUGH_DIRECT (ntddscsi.h). Padding is spelled out so the layout is the same
    whichever Python builds it."""
    fields: list[tuple[str, Any]] = [
        ("Length", ctypes.c_ushort),
        ("ScsiStatus", ctypes.c_ubyte),
        ("PathId", ctypes.c_ubyte),
        ("TargetId", ctypes.c_ubyte),
        ("Lun", ctypes.c_ubyte),
        ("CdbLength", ctypes.c_ubyte),
        ("SenseInfoLength", ctypes.c_ubyte),
        ("DataIn", ctypes.c_ubyte),
        ("_pad_after_data_in", ctypes.c_ubyte * 3),
        ("DataTransferLength", ctypes.c_uint32),
        ("TimeOutValue", ctypes.c_uint32),  # seconds
    ]
    if alignment_pad:
        fields.append(("_pad_before_buffer", ctypes.c_uint32))
    fields += [
        ("DataBuffer", pointer),
        ("SenseInfoOffset", ctypes.c_uint32),
        ("Cdb", ctypes.c_ubyte * 16),
    ]
    if alignment_pad:
        fields.append(("_pad_tail", ctypes.c_ubyte * 4))
    return fields


class ScsiPassThroughDirect64(ctypes.Structure):
    """The 64-bit layout: 56 bytes, DataBuffer at 24, SenseInfoOffset at 32, Cdb at 36."""

    _fields_ = _sptd_fields(ctypes.c_uint64, alignment_pad=True)


class ScsiPassThroughDirect32(ctypes.Structure):
    """The 32-bit layout: 44 bytes, DataBuffer at 20, SenseInfoOffset at 24, Cdb at 28."""

    _fields_ = _sptd_fields(ctypes.c_uint32, alignment_pad=False)


ScsiPassThroughDirect: type[ctypes.Structure] = (
    ScsiPassThroughDirect64 if ctypes.sizeof(ctypes.c_void_p) == 8 else ScsiPassThroughDirect32
)


@cache
def sptd_with_sense(layout: type[ctypes.Structure], sense_size: int) -> type[ctypes.Structure]:
    """The usual request wrapper {SPTD; ULONG Filler; UCHAR Sense[sense_size]}."""
    return type(
        f"{layout.__name__}WithSense{sense_size}",
        (ctypes.Structure,),
        {"_fields_": [("sptd", layout), ("Filler", ctypes.c_uint32), ("Sense", ctypes.c_ubyte * sense_size)]},
    )


class StoragePropertyQuery(ctypes.Structure):
    _fields_ = [
        ("PropertyId", ctypes.c_uint32),
        ("QueryType", ctypes.c_uint32),
        ("AdditionalParameters", ctypes.c_ubyte * 4),
    ]


class StorageAdapterDescriptor(ctypes.Structure):
    _fields_ = [
        ("Version", ctypes.c_uint32),
        ("Size", ctypes.c_uint32),
        ("MaximumTransferLength", ctypes.c_uint32),
        ("MaximumPhysicalPages", ctypes.c_uint32),
        ("AlignmentMask", ctypes.c_uint32),
        ("AdapterUsesPio", ctypes.c_ubyte),
        ("AdapterScansDown", ctypes.c_ubyte),
        ("CommandQueueing", ctypes.c_ubyte),
        ("AcceleratedTransfer", ctypes.c_ubyte),
        ("BusType", ctypes.c_ubyte),
        ("BusMajorVersion", ctypes.c_ushort),
        ("BusMinorVersion", ctypes.c_ushort),
        ("SrbType", ctypes.c_ubyte),
        ("AddressType", ctypes.c_ubyte),
    ]


class WinApiError(TafError):
    """A Win32 call failed with `code` (GetLastError); the transport turns it into a TransportError."""

    exit_code = EXIT_DEVICE
    default_message = "Windows 设备调用失败"

    def __init__(self, code: int, function: str = "") -> None:
        super().__init__(detail=f"{function} failed with Windows error {code}")
        self.code = code
        self.function = function


class WindowsApi(Protocol):
    """The three Win32 calls the transport needs; `device_io_control` returns 0 or a Windows error."""

    def create_file(self, path: str) -> int: ...

    def device_io_control(self, handle: int, code: int, in_buffer: Any, out_buffer: Any) -> int: ...

    def close_handle(self, handle: int) -> None: ...


class Win32Api:
    """kernel32 through ctypes, loaded on first use and only on Windows."""

    GENERIC_READ = 0x80000000
    GENERIC_WRITE = 0x40000000
    OPEN_EXISTING = 3
    INVALID_HANDLE_VALUE = ctypes.c_void_p(-1).value

    def __init__(self) -> None:
        if sys.platform != "win32":
            raise make_error(UnsupportedPlatform, "windows_only", device="\\\\.\\Tape*")
        self._kernel32: Any = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
        self._kernel32.CreateFileW.restype = ctypes.c_void_p
        self._kernel32.CreateFileW.argtypes = [
            ctypes.c_wchar_p,
            ctypes.c_uint32,
            ctypes.c_uint32,
            ctypes.c_void_p,
            ctypes.c_uint32,
            ctypes.c_uint32,
            ctypes.c_void_p,
        ]
        self._kernel32.DeviceIoControl.argtypes = [
            ctypes.c_void_p,
            ctypes.c_uint32,
            ctypes.c_void_p,
            ctypes.c_uint32,
            ctypes.c_void_p,
            ctypes.c_uint32,
            ctypes.POINTER(ctypes.c_uint32),
            ctypes.c_void_p,
        ]
        self._kernel32.CloseHandle.argtypes = [ctypes.c_void_p]

    def create_file(self, path: str) -> int:
        # Share mode 0: exclusive, so no other program moves the tape under us.
        handle = self._kernel32.CreateFileW(
            path, self.GENERIC_READ | self.GENERIC_WRITE, 0, None, self.OPEN_EXISTING, 0, None
        )
        if handle in (None, self.INVALID_HANDLE_VALUE):
            raise WinApiError(ctypes.get_last_error(), "CreateFileW")  # type: ignore[attr-defined]
        return int(handle)

    def device_io_control(self, handle: int, code: int, in_buffer: Any, out_buffer: Any) -> int:
        returned = ctypes.c_uint32(0)
        ok = self._kernel32.DeviceIoControl(
            handle,
            code,
            ctypes.byref(in_buffer),
            ctypes.sizeof(in_buffer),
            ctypes.byref(out_buffer),
            ctypes.sizeof(out_buffer),
            ctypes.byref(returned),
            None,
        )
        return 0 if ok else int(ctypes.get_last_error())  # type: ignore[attr-defined]

    def close_handle(self, handle: int) -> None:
        self._kernel32.CloseHandle(handle)


def _open_error(path: str, code: int) -> TransportError:
    if code in (ERROR_FILE_NOT_FOUND, ERROR_PATH_NOT_FOUND, ERROR_DEV_NOT_EXIST):
        return make_error(DeviceNotFound, "not_found_windows", errno=code, device=path)
    if code == ERROR_ACCESS_DENIED:
        return make_error(PermissionDenied, "permission_windows", errno=code, device=path)
    if code in (ERROR_SHARING_VIOLATION, ERROR_BUSY):
        return make_error(DeviceInUse, "in_use", errno=code, device=path)
    return make_error(TransportError, "os_error", errno=code, device=path, detail=f"Windows 错误 {code}")


class SptiTransport:
    r"""A \\.\TapeN (or \\.\ChangerN) device driven through SCSI pass-through."""

    def __init__(self, path: str, *, api: WindowsApi | None = None, sense_size: int = 96) -> None:
        self.name = path
        self._api: WindowsApi = api if api is not None else Win32Api()
        self._request_type = sptd_with_sense(ScsiPassThroughDirect, sense_size)
        self._sense_size = sense_size
        try:
            self._handle: int | None = self._api.create_file(path)
        except WinApiError as exc:
            raise _open_error(path, exc.code) from exc
        self._alignment_mask, self._max_transfer = self._query_adapter()

    def _query_adapter(self) -> tuple[int, int | None]:
        """(AlignmentMask, usable transfer limit) from the adapter; page alignment if it will not say."""
        query = StoragePropertyQuery(PropertyId=STORAGE_ADAPTER_PROPERTY, QueryType=PROPERTY_STANDARD_QUERY)
        descriptor = StorageAdapterDescriptor()
        if self._api.device_io_control(
            self._require_handle(), IOCTL_STORAGE_QUERY_PROPERTY, query, descriptor
        ):
            return PAGE_SIZE - 1, None
        limit: int | None = descriptor.MaximumTransferLength or None
        pages = descriptor.MaximumPhysicalPages
        if pages > 1:
            by_pages = (pages - 1) * PAGE_SIZE
            limit = min(limit, by_pages) if limit else by_pages
        return descriptor.AlignmentMask, limit

    def _require_handle(self) -> int:
        if self._handle is None:
            raise make_error(TransportError, "closed", device=self.name)
        return self._handle

    def max_transfer(self) -> int | None:
        """The adapter's usable limit: min(MaximumTransferLength, (MaximumPhysicalPages − 1) · 4 KiB)."""
        return self._max_transfer

    def execute(
        self,
        cdb: bytes,
        direction: Direction = Direction.NONE,
        data: bytes | None = None,
        length: int = 0,
        timeout: float = 60.0,
    ) -> ScsiResult:
        handle = self._require_handle()
        length = transfer_length(direction, data, length)
        if self._max_transfer is not None and length > self._max_transfer:
            raise TransferTooLarge(length, self._max_transfer)
        buffer = AlignedBuffer(max(length, 1), self._alignment_mask)
        if direction is Direction.TO_DEVICE and length:
            buffer.write(bytes(data or b""))
        request: Any = self._request_type()
        sptd = request.sptd
        sptd.Length = ctypes.sizeof(ScsiPassThroughDirect)
        sptd.CdbLength = len(cdb)
        sptd.SenseInfoLength = self._sense_size
        sptd.DataIn = _DATA_IN[direction] if length else SCSI_IOCTL_DATA_UNSPECIFIED
        sptd.DataTransferLength = length
        sptd.TimeOutValue = max(1, math.ceil(timeout))
        sptd.DataBuffer = buffer.address if length else 0
        sptd.SenseInfoOffset = type(request).Sense.offset
        ctypes.memmove(ctypes.addressof(sptd.Cdb), bytes(cdb), len(cdb))
        started = time.monotonic()
        code = self._api.device_io_control(handle, IOCTL_SCSI_PASS_THROUGH_DIRECT, request, request)
        elapsed = time.monotonic() - started
        if code:
            raise self._ioctl_error(code, length, cdb, timeout)
        transferred = min(sptd.DataTransferLength, length)
        sense_length = min(sptd.SenseInfoLength, self._sense_size) if sptd.ScsiStatus else 0
        received = buffer.read(transferred) if direction is Direction.FROM_DEVICE else b""
        return ScsiResult(
            status=sptd.ScsiStatus,
            sense=bytes(request.Sense[:sense_length]),
            residue=length - transferred,
            data=received,
            duration=elapsed,
        )

    def _ioctl_error(self, code: int, length: int, cdb: bytes, timeout: float) -> TransportError:
        if code == ERROR_INVALID_PARAMETER and length:
            # Windows answers both an oversize and a misaligned buffer this way; ours is aligned.
            return TransferTooLarge(length, self._max_transfer)
        if code == ERROR_SEM_TIMEOUT:
            return make_error(
                TransportTimeout,
                "timeout",
                errno=code,
                device=self.name,
                command=command_name(cdb),
                seconds=timeout,
            )
        if code == ERROR_ACCESS_DENIED:
            return make_error(PermissionDenied, "permission_windows", errno=code, device=self.name)
        if code in (ERROR_BUSY, ERROR_SHARING_VIOLATION):
            return make_error(DeviceInUse, "in_use", errno=code, device=self.name)
        if code in (ERROR_DEV_NOT_EXIST, ERROR_DEVICE_NOT_CONNECTED, ERROR_FILE_NOT_FOUND):
            return make_error(DeviceNotFound, "gone", errno=code, device=self.name)
        return make_error(
            TransportError, "os_error", errno=code, device=self.name, detail=f"Windows 错误 {code}"
        )

    def close(self) -> None:
        if self._handle is not None:
            handle, self._handle = self._handle, None
            self._api.close_handle(handle)

    def __enter__(self) -> SptiTransport:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AlignedBuffer:
    """`size` bytes at an address with the bits of `mask` clear (the adapter's AlignmentMask)."""

    def __init__(self, size: int, mask: int) -> None:
        # Over-allocate by the mask and start at the first aligned address inside.
        self._backing = ctypes.create_string_buffer(size + mask)
        self.address = (ctypes.addressof(self._backing) + mask) & ~mask
        self.size = size

    def write(self, data: bytes) -> None:
        ctypes.memmove(self.address, data, min(len(data), self.size))

    def read(self, count: int) -> bytes:
        return ctypes.string_at(self.address, min(count, self.size))
