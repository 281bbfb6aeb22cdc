"""Windows SPTI transport: structure layouts and behaviour with a fake Windows API (runs on Linux)."""

from __future__ import annotations

import ctypes
import sys
from typing import Any

import pytest

from tape.scsi import cdb
from tape.scsi.sense import build_fixed_sense
from tape.transport import (
    CHECK_CONDITION,
    DeviceInUse,
    DeviceNotFound,
    Direction,
    PermissionDenied,
    TransferTooLarge,
    Transport,
    TransportError,
    TransportTimeout,
    UnsupportedPlatform,
)
from tape.transports import windows_spti as spti
from tape.transports.windows_spti import (
    IOCTL_SCSI_PASS_THROUGH_DIRECT,
    IOCTL_STORAGE_QUERY_PROPERTY,
    AlignedBuffer,
    ScsiPassThroughDirect,
    ScsiPassThroughDirect32,
    ScsiPassThroughDirect64,
    SptiTransport,
    StorageAdapterDescriptor,
    Win32Api,
    WinApiError,
    sptd_with_sense,
)

OFFSETS = {
    # field: (x64, x86) from ntddscsi.h (tape-scsi.md §5)
    "Length": (0, 0),
    "ScsiStatus": (2, 2),
    "PathId": (3, 3),
    "TargetId": (4, 4),
    "Lun": (5, 5),
    "CdbLength": (6, 6),
    "SenseInfoLength": (7, 7),
    "DataIn": (8, 8),
    "DataTransferLength": (12, 12),
    "TimeOutValue": (16, 16),
    "DataBuffer": (24, 20),
    "SenseInfoOffset": (32, 24),
    "Cdb": (36, 28),
}


def test_structure_sizes() -> None:
    assert ctypes.sizeof(ScsiPassThroughDirect64) == 56
    assert ctypes.sizeof(ScsiPassThroughDirect32) == 44


@pytest.mark.parametrize(("field", "offsets"), OFFSETS.items())
def test_structure_offsets(field: str, offsets: tuple[int, int]) -> None:
    assert (
        getattr(ScsiPassThroughDirect64, field).offset,
        getattr(ScsiPassThroughDirect32, field).offset,
    ) == offsets


def test_sense_buffer_follows_the_structure_and_a_filler() -> None:
    wide, narrow = sptd_with_sense(ScsiPassThroughDirect64, 32), sptd_with_sense(ScsiPassThroughDirect32, 32)
    assert (wide.Sense.offset, narrow.Sense.offset) == (60, 48)
    assert ctypes.sizeof(wide) == 96


def test_storage_adapter_descriptor_layout() -> None:
    assert (
        StorageAdapterDescriptor.AlignmentMask.offset == 16 and StorageAdapterDescriptor.BusType.offset == 24
    )
    assert ctypes.sizeof(StorageAdapterDescriptor) == 32


def test_ioctl_codes() -> None:
    assert IOCTL_SCSI_PASS_THROUGH_DIRECT == (4 << 16) | (3 << 14) | (0x405 << 2)
    assert IOCTL_STORAGE_QUERY_PROPERTY == 0x2D1400


def test_aligned_buffer_honours_the_mask() -> None:
    for mask in (0, 1, 7, 0xFFF):
        buffer = AlignedBuffer(100, mask)
        assert buffer.address & mask == 0
        buffer.write(b"x" * 100)
        assert buffer.read(100) == b"x" * 100


class FakeWindows:
    """Plays CreateFileW/DeviceIoControl/CloseHandle and the tape class driver behind them."""

    def __init__(
        self, *, open_error: int = 0, adapter: tuple[int, int, int] | None = (0x100000, 257, 0x3)
    ) -> None:
        self.open_error = open_error
        self.adapter = adapter
        self.closed: list[int] = []
        self.requests: list[dict[str, Any]] = []
        self.sent: list[bytes] = []
        self.reply_data = b""
        self.status = 0
        self.sense = b""
        self.error = 0

    def create_file(self, path: str) -> int:
        if self.open_error:
            raise WinApiError(self.open_error, "CreateFileW")
        return 0x44

    def device_io_control(self, handle: int, code: int, in_buffer: Any, out_buffer: Any) -> int:
        assert handle == 0x44
        if code == IOCTL_STORAGE_QUERY_PROPERTY:
            assert in_buffer.PropertyId == 1
            if self.adapter is None:
                return 1  # ERROR_INVALID_FUNCTION
            out_buffer.MaximumTransferLength, out_buffer.MaximumPhysicalPages, out_buffer.AlignmentMask = (
                self.adapter
            )
            return 0
        assert code == IOCTL_SCSI_PASS_THROUGH_DIRECT and in_buffer is out_buffer
        if self.error:
            return self.error
        sptd = in_buffer.sptd
        self.requests.append(
            {name: getattr(sptd, name) for name in OFFSETS if name != "Cdb"}
            | {"cdb": bytes(sptd.Cdb[: sptd.CdbLength])}
        )
        if sptd.DataIn == spti.SCSI_IOCTL_DATA_OUT and sptd.DataTransferLength:
            self.sent.append(ctypes.string_at(sptd.DataBuffer, sptd.DataTransferLength))
        if sptd.DataIn == spti.SCSI_IOCTL_DATA_IN and self.reply_data:
            ctypes.memmove(sptd.DataBuffer, self.reply_data, len(self.reply_data))
            sptd.DataTransferLength = len(self.reply_data)
        sptd.ScsiStatus = self.status
        if self.sense:
            base = ctypes.addressof(in_buffer)
            ctypes.memmove(base + sptd.SenseInfoOffset, self.sense, len(self.sense))
            sptd.SenseInfoLength = len(self.sense)
        return 0

    def close_handle(self, handle: int) -> None:
        self.closed.append(handle)


def test_imports_cleanly_and_refuses_the_real_api_off_windows() -> None:
    if sys.platform == "win32":
        pytest.skip("this checks the behaviour on other platforms")
    with pytest.raises(UnsupportedPlatform) as caught:
        Win32Api()
    assert "只能在 Windows 上使用" in caught.value.message
    with pytest.raises(UnsupportedPlatform):
        SptiTransport("\\\\.\\Tape0")


def test_transport_satisfies_the_protocol() -> None:
    assert isinstance(SptiTransport("\\\\.\\Tape0", api=FakeWindows()), Transport)


def test_data_in_command() -> None:
    windows = FakeWindows()
    windows.reply_data = b"\x01\x80\x00\x0a" + b"1013002519"
    transport = SptiTransport("\\\\.\\Tape0", api=windows)
    result = transport.execute(cdb.inquiry_vpd(0x80), Direction.FROM_DEVICE, length=255, timeout=10.5)
    request = windows.requests[0]
    assert request["Length"] == ctypes.sizeof(ScsiPassThroughDirect)
    assert request["DataIn"] == spti.SCSI_IOCTL_DATA_IN and request["TimeOutValue"] == 11
    assert request["CdbLength"] == 6 and request["cdb"] == cdb.inquiry_vpd(0x80)
    assert request["SenseInfoOffset"] == sptd_with_sense(ScsiPassThroughDirect, 96).Sense.offset
    assert request["DataBuffer"] & 0x3 == 0  # the adapter's AlignmentMask
    assert result.good and result.data == windows.reply_data and result.residue == 255 - 14


def test_data_out_command_sends_the_bytes_from_an_aligned_buffer() -> None:
    windows = FakeWindows(adapter=(0x100000, 257, 0xFFF))
    payload = bytes(range(256)) * 16
    SptiTransport("\\\\.\\Tape0", api=windows).execute(
        cdb.write6(len(payload)), Direction.TO_DEVICE, data=payload
    )
    assert windows.sent == [payload]
    assert windows.requests[0]["DataBuffer"] & 0xFFF == 0
    assert windows.requests[0]["DataIn"] == spti.SCSI_IOCTL_DATA_OUT


def test_no_data_command_is_unspecified_direction() -> None:
    windows = FakeWindows()
    SptiTransport("\\\\.\\Tape0", api=windows).execute(cdb.test_unit_ready())
    assert windows.requests[0]["DataIn"] == spti.SCSI_IOCTL_DATA_UNSPECIFIED
    assert windows.requests[0]["DataTransferLength"] == 0 and windows.requests[0]["DataBuffer"] == 0


def test_check_condition_returns_the_sense_after_the_structure() -> None:
    windows = FakeWindows()
    windows.status = CHECK_CONDITION
    windows.sense = build_fixed_sense(0x7, 0x27, 0x00)
    result = SptiTransport("\\\\.\\Tape0", api=windows).execute(cdb.write_filemarks())
    assert result.status == CHECK_CONDITION and result.sense == windows.sense


def test_adapter_limit_from_physical_pages_refuses_before_sending() -> None:
    windows = FakeWindows(adapter=(0x200000, 129, 0x3))  # 128 pages of 4 KiB = 512 KiB
    transport = SptiTransport("\\\\.\\Tape0", api=windows)
    assert transport.max_transfer() == 512 * 1024
    with pytest.raises(TransferTooLarge) as caught:
        transport.execute(cdb.write6(1 << 20), Direction.TO_DEVICE, data=bytes(1 << 20))
    assert caught.value.limit == 512 * 1024 and windows.requests == []


def test_adapter_that_will_not_say_gets_page_alignment() -> None:
    windows = FakeWindows(adapter=None)
    transport = SptiTransport("\\\\.\\Tape0", api=windows)
    assert transport.max_transfer() is None
    transport.execute(cdb.read6(4096), Direction.FROM_DEVICE, length=4096)
    assert windows.requests[0]["DataBuffer"] & 0xFFF == 0


def test_invalid_parameter_on_a_transfer_becomes_transfer_too_large() -> None:
    windows = FakeWindows(adapter=None)
    windows.error = spti.ERROR_INVALID_PARAMETER
    with pytest.raises(TransferTooLarge):
        SptiTransport("\\\\.\\Tape0", api=windows).execute(
            cdb.write6(1 << 20), Direction.TO_DEVICE, data=bytes(1 << 20)
        )


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (spti.ERROR_SEM_TIMEOUT, TransportTimeout),
        (spti.ERROR_ACCESS_DENIED, PermissionDenied),
        (spti.ERROR_BUSY, DeviceInUse),
        (spti.ERROR_DEVICE_NOT_CONNECTED, DeviceNotFound),
        (spti.ERROR_IO_DEVICE, TransportError),
    ],
)
def test_device_io_control_errors(code: int, cls: type[TransportError]) -> None:
    windows = FakeWindows()
    windows.error = code
    with pytest.raises(cls) as caught:
        SptiTransport("\\\\.\\Tape1", api=windows).execute(cdb.test_unit_ready())
    assert "\\\\.\\Tape1" in caught.value.message and caught.value.errno == code


@pytest.mark.parametrize(
    ("code", "cls", "advice"),
    [
        (spti.ERROR_FILE_NOT_FOUND, DeviceNotFound, "设备管理器"),
        (spti.ERROR_ACCESS_DENIED, PermissionDenied, "管理员"),
        (spti.ERROR_SHARING_VIOLATION, DeviceInUse, "LTFS"),
    ],
)
def test_open_errors(code: int, cls: type[TransportError], advice: str) -> None:
    with pytest.raises(cls) as caught:
        SptiTransport("\\\\.\\Tape2", api=FakeWindows(open_error=code))
    assert "\\\\.\\Tape2" in caught.value.message and advice in caught.value.advice


def test_close_once() -> None:
    windows = FakeWindows()
    with SptiTransport("\\\\.\\Tape0", api=windows) as transport:
        pass
    transport.close()
    assert windows.closed == [0x44]
    with pytest.raises(TransportError):
        transport.execute(cdb.test_unit_ready())
