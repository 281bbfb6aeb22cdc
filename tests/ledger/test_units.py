"""One formatting of byte counts and of durations for every message."""

from __future__ import annotations

import pytest

from ledger.units import human_bytes, human_duration


@pytest.mark.parametrize(
    ("count", "text"),
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1.0 KiB"),
        (1536, "1.5 KiB"),
        (3 * 1024**3, "3.0 GiB"),
        (1024**4 - 1, "1024.0 GiB"),
        (18 * 1024**4, "18.0 TiB"),
        (5 * 1024**5, "5120.0 TiB"),
        (2.5 * 1024**2, "2.5 MiB"),
    ],
)
def test_byte_counts_in_binary_units(count, text):
    assert human_bytes(count) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 秒"),
        (-3, "0 秒"),
        (45.9, "45 秒"),
        (60, "1 分"),
        (200, "3 分 20 秒"),
        (3600, "1 小时"),
        (2 * 3600 + 5 * 60 + 59, "2 小时 5 分"),
        (3600 + 7, "1 小时"),
        (86400 + 3 * 3600 + 120, "1 天 3 小时"),
        (86400 + 59, "1 天"),
    ],
)
def test_durations_in_the_two_largest_units(seconds, text):
    assert human_duration(seconds) == text
