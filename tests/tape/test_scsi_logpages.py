"""LOG SENSE pages: the generic list and the 0Ch, 17h, 31h decoders; TapeAlert 2Eh."""

from __future__ import annotations

import pytest

from tape.scsi.logpages import (
    LogPageError,
    SequentialAccessStats,
    TapeCapacity,
    VolumeStatistics,
    encode_log_page,
    encode_partition_records,
    mb_to_mib,
    parse_log_page,
    parse_partition_records,
    parse_supported_pages,
)
from tape.scsi.tapealert import CLEANING_FLAGS, TAPEALERT_FLAGS, Severity, active_flags, flag, needs_attention


def u(value: int, size: int = 4) -> bytes:
    return value.to_bytes(size, "big")


def test_generic_parameter_list() -> None:
    data = bytes.fromhex("0C 00 00 1000 00 40 04 00 00 00 6401 00 03 04 00 00 00 01")
    page = parse_log_page(data)
    assert page.page == 0x0C and page.subpage == 0 and not page.disable_save
    assert page.value(0) == 100 and page.value(0x100) == 1 and page.value(5) is None
    parameter = page.parameter(0x100)
    assert parameter is not None and parameter.format_and_linking == 3 and parameter.control == 0x03


def test_truncated_parameter_is_dropped() -> None:
    data = bytes.fromhex("0C 00 00 1000 00 40 04 00 00 00 6400 01 00 08 00 00")
    assert list(parse_log_page(data).parameters) == [0]


def test_page_header_is_required() -> None:
    with pytest.raises(LogPageError):
        parse_log_page(b"\x0c\x00")


def test_subpage_format() -> None:
    page = parse_log_page(bytes.fromhex("4D 02 00 00"))
    assert (page.page, page.subpage) == (0x0D, 2)


def test_supported_pages() -> None:
    assert parse_supported_pages(bytes.fromhex("00 00 00 05 00 0C 17 2E 31")) == [0, 0x0C, 0x17, 0x2E, 0x31]


def test_sequential_access_page() -> None:
    data = encode_log_page(
        0x0C,
        [
            (0, u(2_500_000, 8)),
            (1, u(1_000_000, 8)),
            (2, u(7, 8)),
            (3, u(9, 8)),
            (4, u(100)),
            (5, u(17_000_000)),
            (0x100, u(0)),
        ],
    )
    stats = SequentialAccessStats.from_page(parse_log_page(data))
    assert stats.host_bytes_written == 2_500_000 and stats.medium_bytes_written == 1_000_000
    assert stats.compression_ratio == 2.5
    assert stats.capacity_to_eod_mb == 100 and stats.capacity_to_early_warning_mb == 17_000_000
    assert stats.early_warning_to_end_mb is None and not stats.cleaning_required


def test_sequential_access_cleaning_flag_and_no_ratio_before_writing() -> None:
    stats = SequentialAccessStats.from_page(parse_log_page(encode_log_page(0x0C, [(0x100, u(1, 1))])))
    assert stats.cleaning_required and stats.compression_ratio is None


def test_partition_records_as_ltfs_reads_them() -> None:
    raw = bytes.fromhex("07 00 00 00 00 01 DE F607 00 00 01 01 00 51 53")
    assert parse_partition_records(raw) == {0: 0x1DEF6, 1: 0x1005153}
    assert encode_partition_records({0: 0x1DEF6, 1: 0x1005153}) == raw


def test_volume_statistics_page() -> None:
    data = encode_log_page(
        0x17,
        [
            (0x01, u(12)),
            (0x04, u(0)),
            (0x10, u(5000)),
            (0x16, u(18_000_000)),
            (0x17, u(1_000)),
            (0x40, b"ABC123L9".ljust(32)),
            (0x42, b"ABC123L9".ljust(32)),
            (0x80, u(0, 1)),
            (0x81, u(1, 1)),
            (0x202, encode_partition_records({0: 18_000_000})),
            (0x204, encode_partition_records({0: 17_999_000})),
        ],
    )
    stats = VolumeStatistics.from_page(parse_log_page(data))
    assert stats.mounts == 12 and stats.write_permanent_errors == 0 and stats.lifetime_mb_written == 5000
    assert stats.native_capacity_mb == 18_000_000 and stats.used_native_capacity_mb == 1000
    assert stats.volume_serial == "ABC123L9" and stats.barcode == "ABC123L9"
    assert stats.write_protected is False and stats.worm is True
    assert stats.partition_capacity_mb == {0: 18_000_000} and stats.partition_remaining_mb == {0: 17_999_000}
    assert stats.partition_used_mb == {} and stats.read_retries is None


def test_tape_capacity_page_and_mib_conversion() -> None:
    data = encode_log_page(0x31, [(1, u(122_614)), (2, u(16_798_291)), (3, u(122_614)), (4, u(16_798_291))])
    capacity = TapeCapacity.from_page(parse_log_page(data))
    assert capacity.remaining_p1_mib == 16_798_291 and capacity.maximum_p0_mib == 122_614
    assert mb_to_mib(18_000_000) == 17_166_137


def tapealert_page(active: set[int]) -> bytes:
    return encode_log_page(0x2E, [(code, bytes((1 if code in active else 0,))) for code in range(1, 65)])


def test_all_64_flags_are_explained_in_chinese() -> None:
    assert sorted(TAPEALERT_FLAGS) == list(range(1, 65))
    for entry in TAPEALERT_FLAGS.values():
        assert entry.title and entry.description and entry.advice and entry.name
        assert any("\u4e00" <= ch <= "\u9fff" for ch in entry.description)


def test_active_flags_from_a_page() -> None:
    found = active_flags(tapealert_page({0x14, 0x03, 0x3C}))
    assert [f.code for f in found] == [0x03, 0x14, 0x3C]
    assert flag(0x14).severity is Severity.CRITICAL and flag(0x14).name == "Cleaning required"
    assert str(flag(0x14)) == "TapeAlert 14h 需要清洗（严重）"


def test_flags_only_bit_0_counts() -> None:
    page = encode_log_page(0x2E, [(0x05, b"\x02"), (0x06, b"\x01")])
    assert [f.code for f in active_flags(page)] == [0x06]


def test_active_flags_refuses_another_page() -> None:
    with pytest.raises(ValueError):
        active_flags(encode_log_page(0x17, []))


def test_needs_attention_keeps_critical_flags_and_the_listed_warnings() -> None:
    flags = [flag(c) for c in (0x01, 0x04, 0x13, 0x15, 0x0A, 0x31)]
    assert [f.code for f in needs_attention(flags)] == [0x04, 0x13, 0x15, 0x31]
    assert {0x14, 0x15} == CLEANING_FLAGS


def test_unknown_flag_code() -> None:
    with pytest.raises(ValueError):
        flag(65)
