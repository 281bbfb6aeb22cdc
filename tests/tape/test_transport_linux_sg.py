"""SG_IO transport: the sg_io_hdr layout and every error path, with the kernel played by a fake ioctl."""

from __future__ import annotations

import ctypes
import errno
from typing import Any

import pytest

from tape.scsi import cdb
from tape.scsi.sense import build_fixed_sense
from tape.transport import (
    CHECK_CONDITION,
    GOOD,
    DeviceInUse,
    DeviceNotFound,
    Direction,
    PermissionDenied,
    TransferTooLarge,
    Transport,
    TransportError,
    TransportTimeout,
)
from tape.transports.linux_sg import (
    BLKSECTGET,
    SG_DXFER_FROM_DEV,
    SG_DXFER_NONE,
    SG_DXFER_TO_DEV,
    SG_IO,
    SG_SET_RESERVED_SIZE,
    SgIoHdr,
    SgIoHdr32,
    SgIoHdr64,
    SgTransport,
)

# (field, offset, size) from include/scsi/sg.h on x86_64 (tape-scsi.md §4.3).
LAYOUT_64 = [
    ("interface_id", 0, 4),
    ("dxfer_direction", 4, 4),
    ("cmd_len", 8, 1),
    ("mx_sb_len", 9, 1),
    ("iovec_count", 10, 2),
    ("dxfer_len", 12, 4),
    ("dxferp", 16, 8),
    ("cmdp", 24, 8),
    ("sbp", 32, 8),
    ("timeout", 40, 4),
    ("flags", 44, 4),
    ("pack_id", 48, 4),
    ("usr_ptr", 56, 8),
    ("status", 64, 1),
    ("masked_status", 65, 1),
    ("msg_status", 66, 1),
    ("sb_len_wr", 67, 1),
    ("host_status", 68, 2),
    ("driver_status", 70, 2),
    ("resid", 72, 4),
    ("duration", 76, 4),
    ("info", 80, 4),
]
LAYOUT_32 = {
    "dxferp": 16,
    "cmdp": 20,
    "sbp": 24,
    "timeout": 28,
    "flags": 32,
    "pack_id": 36,
    "usr_ptr": 40,
    "status": 44,
    "host_status": 48,
    "driver_status": 50,
    "resid": 52,
    "duration": 56,
    "info": 60,
}


def test_sg_io_hdr_is_88_bytes_on_64_bit() -> None:
    assert ctypes.sizeof(SgIoHdr64) == 88


@pytest.mark.parametrize(("field", "offset", "size"), LAYOUT_64)
def test_sg_io_hdr_field_offsets_match_the_kernel(field: str, offset: int, size: int) -> None:
    descriptor = getattr(SgIoHdr64, field)
    assert (descriptor.offset, descriptor.size) == (offset, size)


def test_sg_io_hdr_32_bit_layout() -> None:
    assert ctypes.sizeof(SgIoHdr32) == 64
    for field, offset in LAYOUT_32.items():
        assert getattr(SgIoHdr32, field).offset == offset, field


@pytest.mark.skipif(ctypes.sizeof(ctypes.c_void_p) != 8, reason="64-bit host only")
def test_native_header_is_the_64_bit_one_here() -> None:
    assert SgIoHdr is SgIoHdr64


class FakeKernel:
    """Plays the sg driver: records each SG_IO header and answers as told."""

    def __init__(self) -> None:
        self.headers: list[dict[str, Any]] = []
        self.sent: list[bytes] = []
        self.cdbs: list[bytes] = []
        self.reply_data = b""
        self.status = GOOD
        self.sense = b""
        self.host_status = 0
        self.driver_status = 0
        self.resid = 0
        self.error: int | None = None
        self.max_sectors: int | None = None
        self.reserved: list[int] = []

    def ioctl(self, fd: int, request: int, arg: Any) -> int:
        assert fd == 7
        if request == SG_SET_RESERVED_SIZE:
            self.reserved.append(arg.value)
            return 0
        if request == BLKSECTGET:
            if self.max_sectors is None:
                raise OSError(errno.ENOTTY, "not a typewriter")
            arg.value = self.max_sectors
            return 0
        assert request == SG_IO
        if self.error is not None:
            raise OSError(self.error, "injected")
        fields = {name: getattr(arg, name) for name, _ in SgIoHdr._fields_}
        self.headers.append(fields)
        self.cdbs.append(ctypes.string_at(arg.cmdp, arg.cmd_len))
        if arg.dxfer_direction == SG_DXFER_TO_DEV:
            self.sent.append(ctypes.string_at(arg.dxferp, arg.dxfer_len))
        if arg.dxfer_direction == SG_DXFER_FROM_DEV and self.reply_data:
            ctypes.memmove(arg.dxferp, self.reply_data, min(len(self.reply_data), arg.dxfer_len))
        if self.sense:
            ctypes.memmove(arg.sbp, self.sense, min(len(self.sense), arg.mx_sb_len))
        arg.sb_len_wr = len(self.sense)
        arg.status = self.status
        arg.host_status = self.host_status
        arg.driver_status = self.driver_status
        arg.resid = self.resid
        arg.duration = 5
        return 0


@pytest.fixture
def kernel() -> FakeKernel:
    return FakeKernel()


def open_transport(kernel: FakeKernel) -> SgTransport:
    return SgTransport("/dev/sg3", ioctl=kernel.ioctl, opener=lambda path: 7, closer=lambda fd: None)


def test_transport_satisfies_the_protocol(kernel: FakeKernel) -> None:
    assert isinstance(open_transport(kernel), Transport)


def test_open_asks_for_a_one_mebibyte_reserved_buffer(kernel: FakeKernel) -> None:
    open_transport(kernel)
    assert kernel.reserved == [1 << 20]


def test_data_in_command_fills_the_header_and_returns_the_data(kernel: FakeKernel) -> None:
    kernel.reply_data = b"\x01\x80\x06\x12" + bytes(92)
    transport = open_transport(kernel)
    result = transport.execute(cdb.inquiry(96), Direction.FROM_DEVICE, length=96, timeout=10)
    header = kernel.headers[0]
    assert header["interface_id"] == ord("S") and header["dxfer_direction"] == SG_DXFER_FROM_DEV
    assert header["cmd_len"] == 6 and header["mx_sb_len"] == 255 and header["dxfer_len"] == 96
    assert header["timeout"] == 10_000
    assert kernel.cdbs == [cdb.inquiry(96)]
    assert result.good and result.data == kernel.reply_data and result.residue == 0
    assert result.extra["duration_ms"] == 5


def test_residue_shortens_the_data_returned(kernel: FakeKernel) -> None:
    kernel.reply_data = b"ABCD"
    kernel.resid = 92
    result = open_transport(kernel).execute(cdb.inquiry(96), Direction.FROM_DEVICE, length=96)
    assert result.data == b"ABCD" and result.residue == 92


def test_data_out_command_sends_the_bytes(kernel: FakeKernel) -> None:
    payload = bytes(range(256)) * 4
    open_transport(kernel).execute(cdb.write6(len(payload)), Direction.TO_DEVICE, data=payload)
    assert kernel.sent == [payload]
    assert kernel.headers[0]["dxfer_direction"] == SG_DXFER_TO_DEV


def test_no_data_command(kernel: FakeKernel) -> None:
    result = open_transport(kernel).execute(cdb.test_unit_ready())
    assert kernel.headers[0]["dxfer_direction"] == SG_DXFER_NONE and kernel.headers[0]["dxfer_len"] == 0
    assert result.data == b""


def test_check_condition_returns_status_and_sense(kernel: FakeKernel) -> None:
    kernel.status = CHECK_CONDITION
    kernel.driver_status = 0x08
    kernel.sense = build_fixed_sense(0x2, 0x3A, 0x00)
    result = open_transport(kernel).execute(cdb.test_unit_ready())
    assert result.status == CHECK_CONDITION and result.sense == kernel.sense


def test_sense_without_status_is_treated_as_check_condition(kernel: FakeKernel) -> None:
    kernel.driver_status = 0x08
    kernel.sense = build_fixed_sense(0x6, 0x29, 0x00)
    assert open_transport(kernel).execute(cdb.test_unit_ready()).status == CHECK_CONDITION


@pytest.mark.parametrize("code", [errno.EINVAL, errno.ENOMEM, errno.EIO])
def test_large_transfer_refused_by_the_adapter_becomes_transfer_too_large(
    kernel: FakeKernel, code: int
) -> None:
    kernel.error = code
    with pytest.raises(TransferTooLarge) as caught:
        open_transport(kernel).execute(cdb.write6(1 << 20), Direction.TO_DEVICE, data=bytes(1 << 20))
    assert caught.value.length == 1 << 20 and caught.value.errno == errno.EINVAL


def test_transfer_too_large_reports_the_known_limit(kernel: FakeKernel) -> None:
    kernel.max_sectors = 512 * 1024  # current kernels answer in bytes
    transport = open_transport(kernel)
    assert transport.max_transfer() == 512 * 1024
    kernel.error = errno.EINVAL
    with pytest.raises(TransferTooLarge) as caught:
        transport.execute(cdb.write6(1 << 20), Direction.TO_DEVICE, data=bytes(1 << 20))
    assert caught.value.limit == 512 * 1024


def test_blksectget_in_sectors_is_converted(kernel: FakeKernel) -> None:
    kernel.max_sectors = 2048
    assert open_transport(kernel).max_transfer() == 1 << 20


def test_unknown_limit_is_none(kernel: FakeKernel) -> None:
    assert open_transport(kernel).max_transfer() is None


def test_einval_on_a_small_command_is_not_about_size(kernel: FakeKernel) -> None:
    kernel.error = errno.EINVAL
    with pytest.raises(TransportError) as caught:
        open_transport(kernel).execute(cdb.test_unit_ready())
    assert not isinstance(caught.value, TransferTooLarge)
    assert "/dev/sg3" in caught.value.message


@pytest.mark.parametrize("code", [errno.EACCES, errno.EPERM])
def test_permission_errors_name_the_device_and_the_group_fix(kernel: FakeKernel, code: int) -> None:
    kernel.error = code
    with pytest.raises(PermissionDenied) as caught:
        open_transport(kernel).execute(cdb.read_position(), Direction.FROM_DEVICE, length=32)
    assert (
        "/dev/sg3" in caught.value.message and "tape" in caught.value.advice and "udev" in caught.value.advice
    )


def test_ebusy_means_in_use(kernel: FakeKernel) -> None:
    kernel.error = errno.EBUSY
    with pytest.raises(DeviceInUse):
        open_transport(kernel).execute(cdb.test_unit_ready())


def test_device_gone(kernel: FakeKernel) -> None:
    kernel.error = errno.ENODEV
    with pytest.raises(DeviceNotFound):
        open_transport(kernel).execute(cdb.test_unit_ready())


@pytest.mark.parametrize(("host", "driver"), [(0x03, 0), (0, 0x06)])
def test_host_or_driver_timeout(kernel: FakeKernel, host: int, driver: int) -> None:
    kernel.host_status, kernel.driver_status = host, driver
    with pytest.raises(TransportTimeout) as caught:
        open_transport(kernel).execute(cdb.locate16(5), timeout=2940)
    assert "LOCATE(16)" in caught.value.message and "2940" in caught.value.message


def test_host_no_connect_means_the_device_is_gone(kernel: FakeKernel) -> None:
    kernel.host_status = 0x01
    with pytest.raises(DeviceNotFound):
        open_transport(kernel).execute(cdb.test_unit_ready())


def test_other_host_status_is_a_transport_error_naming_the_code(kernel: FakeKernel) -> None:
    kernel.host_status = 0x08
    with pytest.raises(TransportError, match="DID_RESET"):
        open_transport(kernel).execute(cdb.test_unit_ready())


def test_driver_error_status(kernel: FakeKernel) -> None:
    kernel.driver_status = 0x04
    with pytest.raises(TransportError, match="DRIVER_ERROR"):
        open_transport(kernel).execute(cdb.test_unit_ready())


def failing_opener(code: int):
    def opener(path: str) -> int:
        raise OSError(code, "injected", path)

    return opener


@pytest.mark.parametrize(
    ("code", "cls", "fragment"),
    [
        (errno.ENOENT, DeviceNotFound, "找不到磁带设备 /dev/sg9"),
        (errno.EACCES, PermissionDenied, "没有权限访问磁带设备 /dev/sg9"),
        (errno.EBUSY, DeviceInUse, "/dev/sg9 正被其它程序占用"),
        (errno.EIO, TransportError, "访问磁带设备 /dev/sg9 失败"),
    ],
)
def test_open_errors(code: int, cls: type[TransportError], fragment: str) -> None:
    with pytest.raises(cls) as caught:
        SgTransport("/dev/sg9", opener=failing_opener(code))
    assert fragment in caught.value.message and caught.value.errno == code


def test_close_is_idempotent_and_commands_after_close_fail(kernel: FakeKernel) -> None:
    closed: list[int] = []
    transport = SgTransport("/dev/sg3", ioctl=kernel.ioctl, opener=lambda path: 7, closer=closed.append)
    with transport:
        pass
    transport.close()
    assert closed == [7]
    with pytest.raises(TransportError):
        transport.execute(cdb.test_unit_ready())


def test_opening_a_missing_real_node_gives_the_chinese_message(tmp_path) -> None:
    with pytest.raises(DeviceNotFound) as caught:
        SgTransport(str(tmp_path / "sg99"))
    assert "找不到磁带设备" in str(caught.value)


def test_real_ioctl_on_a_file_that_is_not_an_sg_node_fails_cleanly(tmp_path) -> None:
    node = tmp_path / "not-sg"
    node.write_bytes(b"")
    with SgTransport(str(node)) as transport, pytest.raises(TransportError) as caught:
        transport.execute(cdb.test_unit_ready())
    assert caught.value.errno == errno.ENOTTY and str(node) in caught.value.message


def test_a_known_limit_refuses_before_anything_is_sent(kernel: FakeKernel) -> None:
    kernel.max_sectors = 256 * 1024
    transport = open_transport(kernel)
    transport.max_transfer()
    with pytest.raises(TransferTooLarge) as caught:
        transport.execute(cdb.read6(1 << 20, sili=True), Direction.FROM_DEVICE, length=1 << 20)
    assert caught.value.limit == 256 * 1024 and kernel.headers == []
