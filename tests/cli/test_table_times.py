"""Times in the CLI's tables read as local clock time to the second; `--json` keeps them as stored."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from cli.output import emit_table, shown_time


@pytest.mark.parametrize(("stored", "expected"), [
    ("2026-12-07T09:44:35.138044+00:00", datetime(2026, 12, 7, 9, 44, 35, tzinfo=timezone.utc)),
    ("2026-12-07T17:44:35+08:00", datetime(2026, 12, 7, 9, 44, 35, tzinfo=timezone.utc)),
    ("2026-12-07T09:44Z", datetime(2026, 12, 7, 9, 44, tzinfo=timezone.utc)),
])
def test_a_stored_timestamp_is_shown_on_the_local_clock_to_the_second(stored: str, expected: datetime) -> None:
    assert shown_time(stored) == expected.astimezone().strftime("%Y-%m-%d %H:%M:%S")


@pytest.mark.parametrize("text", ["2026-12", "TAF001L9", "2026-12-07", "运行中", "2026-12-07T99:99"])
def test_text_that_is_no_timestamp_is_left_as_it_is(text: str) -> None:
    assert shown_time(text) == text


def test_a_table_shows_times_without_microseconds_or_offsets(capsys: pytest.CaptureFixture[str]) -> None:
    at = datetime(2026, 12, 7, 9, 44, 35, 138044, tzinfo=timezone(timedelta(hours=8)))
    emit_table([{"when": at.isoformat(), "what": "备份"}, {"when": at, "what": "恢复"}], [("when", "时间"), ("what", "事项")])
    out = capsys.readouterr().out
    local = at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    assert out.count(local) == 2 and ".138044" not in out and "+08:00" not in out
