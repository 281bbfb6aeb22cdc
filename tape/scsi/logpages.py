"""LOG SENSE replies: the generic parameter list, and decoders for the pages a tape job reads.

Generic form (SPC-4): a 4-byte page header (DS/SPF/page code, subpage, page length) and then
parameters, each a 2-byte code, a control byte, a length byte and the value.

Public API:
- `parse_log_page(data) -> LogPage` (pages, subpages, parameters in order; `page.value(code)` etc.)
- `LogParameter` — code, control, value bytes; `.as_int`, `.as_text`, `.format_and_linking`.
- `parse_supported_pages(data) -> list[int]` — page 00h.
- `SequentialAccessStats.from_page(page)` — page 0Ch: bytes written/read by host and on medium,
  native capacities, the cleaning-required flag, the compression ratio.
- `VolumeStatistics.from_page(page)` — page 17h: mounts, errors, lifetime MB, capacities,
  cartridge identity, per-partition capacity records (202h/203h/204h).
- `TapeCapacity.from_page(page)` — IBM page 31h: remaining/maximum MiB of partitions 0 and 1.
- Page codes: SEQUENTIAL_ACCESS, VOLUME_STATISTICS, TAPE_ALERT, TAPE_CAPACITY, SUPPORTED_PAGES.
TapeAlert (2Eh) is decoded by `tape.scsi.tapealert`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tape.scsi.errors import MalformedReply
from tape.scsi.fields import ascii_text

SUPPORTED_PAGES = 0x00
WRITE_ERRORS = 0x02
READ_ERRORS = 0x03
SEQUENTIAL_ACCESS = 0x0C
TEMPERATURE = 0x0D
VOLUME_STATISTICS = 0x17
TAPE_ALERT = 0x2E
TAPE_CAPACITY = 0x31


class LogPageError(MalformedReply):
    """The reply is too short or inconsistent to be a log page."""


@dataclass(frozen=True)
class LogParameter:
    """One log parameter."""

    code: int
    control: int
    value: bytes

    @property
    def as_int(self) -> int:
        """The value as an unsigned big-endian counter (0 when empty)."""
        return int.from_bytes(self.value, "big") if self.value else 0

    @property
    def as_text(self) -> str:
        """The value as ASCII text with padding removed."""
        return ascii_text(self.value)

    @property
    def format_and_linking(self) -> int:
        """Bits 1-0 of the control byte: 0/2 counters, 1 ASCII, 3 binary list."""
        return self.control & 0x03


@dataclass(frozen=True)
class LogPage:
    """A decoded log page."""

    page: int
    subpage: int
    parameters: dict[int, LogParameter] = field(default_factory=dict)
    disable_save: bool = False

    def parameter(self, code: int) -> LogParameter | None:
        return self.parameters.get(code)

    def value(self, code: int, default: int | None = None) -> int | None:
        """Parameter `code` as an unsigned integer, or `default` if the drive did not report it."""
        param = self.parameters.get(code)
        return param.as_int if param is not None else default

    def text(self, code: int) -> str | None:
        param = self.parameters.get(code)
        return param.as_text if param is not None else None


def parse_log_page(data: bytes) -> LogPage:
    """Decode a LOG SENSE reply; a truncated last parameter is dropped, not misread."""
    if len(data) < 4:
        raise LogPageError(f"log page reply of {len(data)} bytes is shorter than its header")
    end = min(len(data), 4 + int.from_bytes(data[2:4], "big"))
    parameters: dict[int, LogParameter] = {}
    offset = 4
    while offset + 4 <= end:
        length = data[offset + 3]
        if offset + 4 + length > end:
            break
        code = int.from_bytes(data[offset : offset + 2], "big")
        parameters[code] = LogParameter(code, data[offset + 2], bytes(data[offset + 4 : offset + 4 + length]))
        offset += 4 + length
    return LogPage(
        page=data[0] & 0x3F,
        subpage=data[1] if data[0] & 0x40 else 0,
        parameters=parameters,
        disable_save=bool(data[0] & 0x80),
    )


def encode_log_page(
    page: int, parameters: list[tuple[int, bytes]], *, subpage: int = 0, control: int = 0x00
) -> bytes:
    """Build a log page (for tests and emulators): `parameters` are (code, value bytes) pairs."""
    body = b"".join(
        code.to_bytes(2, "big") + bytes((control, len(value))) + value for code, value in parameters
    )
    first = page | (0x40 if subpage else 0)
    return bytes((first, subpage)) + len(body).to_bytes(2, "big") + body


def parse_supported_pages(data: bytes) -> list[int]:
    """Page 00h: the list of supported page codes."""
    if len(data) < 4:
        raise LogPageError("supported log pages reply is too short")
    end = min(len(data), 4 + int.from_bytes(data[2:4], "big"))
    return [b & 0x3F for b in data[4:end]]


@dataclass(frozen=True)
class SequentialAccessStats:
    """Log page 0Ch. Byte counters as the drive reports them; capacities in MB (10^6 bytes)."""

    host_bytes_written: int | None
    medium_bytes_written: int | None
    medium_bytes_read: int | None
    host_bytes_read: int | None
    capacity_to_eod_mb: int | None
    capacity_to_early_warning_mb: int | None
    early_warning_to_end_mb: int | None
    capacity_to_position_mb: int | None
    buffer_capacity_mb: int | None
    cleaning_required: bool

    @classmethod
    def from_page(cls, page: LogPage) -> SequentialAccessStats:
        v = page.value
        return cls(
            host_bytes_written=v(0x0),
            medium_bytes_written=v(0x1),
            medium_bytes_read=v(0x2),
            host_bytes_read=v(0x3),
            capacity_to_eod_mb=v(0x4),
            capacity_to_early_warning_mb=v(0x5),
            early_warning_to_end_mb=v(0x6),
            capacity_to_position_mb=v(0x7),
            buffer_capacity_mb=v(0x8),
            cleaning_required=bool(v(0x100, 0)),
        )

    @property
    def compression_ratio(self) -> float | None:
        """Host bytes written per byte on tape; None before anything was written."""
        if not self.host_bytes_written or not self.medium_bytes_written:
            return None
        return self.host_bytes_written / self.medium_bytes_written


def parse_partition_records(value: bytes) -> dict[int, int]:
    """A per-partition list of log page 17h (202h-204h): {partition: value}.

    Each record is a length byte (record size − 1), a reserved byte, a 2-byte partition number and
    the value in the remaining bytes.
    """
    records: dict[int, int] = {}
    offset = 0
    while offset + 4 <= len(value):
        size = value[offset] + 1
        if size < 4 or offset + size > len(value):
            break
        partition = int.from_bytes(value[offset + 2 : offset + 4], "big")
        records[partition] = int.from_bytes(value[offset + 4 : offset + size], "big")
        offset += size
    return records


def encode_partition_records(records: dict[int, int], width: int = 4) -> bytes:
    """The inverse of `parse_partition_records` (for tests and emulators)."""
    return b"".join(
        bytes((3 + width, 0)) + part.to_bytes(2, "big") + value.to_bytes(width, "big")
        for part, value in sorted(records.items())
    )


def _records(page: LogPage, code: int) -> dict[int, int]:
    param = page.parameter(code)
    return parse_partition_records(param.value) if param is not None else {}


@dataclass(frozen=True)
class VolumeStatistics:
    """Log page 17h: the cartridge's own counters. Capacities in MB (10^6 bytes)."""

    mounts: int | None
    datasets_written: int | None
    write_retries: int | None
    write_permanent_errors: int | None
    datasets_read: int | None
    read_retries: int | None
    read_permanent_errors: int | None
    last_mount_write_permanent_errors: int | None
    last_mount_read_permanent_errors: int | None
    lifetime_mb_written: int | None
    lifetime_mb_read: int | None
    last_load_write_compression_ratio: int | None
    last_load_read_compression_ratio: int | None
    native_capacity_mb: int | None
    used_native_capacity_mb: int | None
    volume_serial: str | None
    tape_lot: str | None
    barcode: str | None
    manufacturer: str | None
    write_protected: bool | None
    worm: bool | None
    partition_capacity_mb: dict[int, int]
    partition_used_mb: dict[int, int]
    partition_remaining_mb: dict[int, int]

    @classmethod
    def from_page(cls, page: LogPage) -> VolumeStatistics:
        v = page.value
        wp, worm = v(0x80), v(0x81)
        return cls(
            mounts=v(0x1),
            datasets_written=v(0x2),
            write_retries=v(0x3),
            write_permanent_errors=v(0x4),
            datasets_read=v(0x7),
            read_retries=v(0x8),
            read_permanent_errors=v(0x9),
            last_mount_write_permanent_errors=v(0xC),
            last_mount_read_permanent_errors=v(0xD),
            lifetime_mb_written=v(0x10),
            lifetime_mb_read=v(0x11),
            last_load_write_compression_ratio=v(0x12),
            last_load_read_compression_ratio=v(0x13),
            native_capacity_mb=v(0x16),
            used_native_capacity_mb=v(0x17),
            volume_serial=page.text(0x40),
            tape_lot=page.text(0x41),
            barcode=page.text(0x42),
            manufacturer=page.text(0x43),
            write_protected=None if wp is None else bool(wp),
            worm=None if worm is None else bool(worm),
            partition_capacity_mb=_records(page, 0x202),
            partition_used_mb=_records(page, 0x203),
            partition_remaining_mb=_records(page, 0x204),
        )


def mb_to_mib(mb: int) -> int:
    """Convert the drive's decimal MB to MiB the way LTFS does (x·10^6 >> 20)."""
    return (mb * 1_000_000) >> 20


@dataclass(frozen=True)
class TapeCapacity:
    """IBM log page 31h, in MiB. The fallback when page 17h lacks the per-partition records."""

    remaining_p0_mib: int | None
    remaining_p1_mib: int | None
    maximum_p0_mib: int | None
    maximum_p1_mib: int | None

    @classmethod
    def from_page(cls, page: LogPage) -> TapeCapacity:
        return cls(page.value(1), page.value(2), page.value(3), page.value(4))
