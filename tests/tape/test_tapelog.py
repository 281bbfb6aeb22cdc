"""The tape command log and its failure hook."""

from __future__ import annotations

import logging

import pytest

from tape.scsi import cdb
from tape.scsi.errors import BlankCheck, NotReadyBecoming
from tape.scsi.sense import build_fixed_sense
from tape.tapelog import LOGGER_NAME, CommandRecord, LoggingTransport, status_name
from tape.transport import CHECK_CONDITION, GOOD, Direction, PermissionDenied, ScsiResult, Transport


class ScriptedTransport:
    """Answers each command with the next scripted result (or raises it)."""

    name = "/dev/sg5"

    def __init__(self, *answers: ScsiResult | Exception) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[bytes, Direction, bytes | None, int, float]] = []
        self.closed = False

    def execute(
        self,
        cdb: bytes,
        direction: Direction = Direction.NONE,
        data: bytes | None = None,
        length: int = 0,
        timeout: float = 60.0,
    ) -> ScsiResult:
        self.calls.append((cdb, direction, data, length, timeout))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def records() -> list[CommandRecord]:
    return []


def wrap(inner: ScriptedTransport, records: list[CommandRecord]) -> LoggingTransport:
    return LoggingTransport(inner, on_failure=records.append)


def test_is_a_transport_and_passes_everything_through(records: list[CommandRecord]) -> None:
    inner = ScriptedTransport(ScsiResult(GOOD, data=b"abc"))
    logged = wrap(inner, records)
    assert isinstance(logged, Transport) and logged.name == "/dev/sg5"
    result = logged.execute(cdb.read6(3, sili=True), Direction.FROM_DEVICE, length=3, timeout=9)
    assert result.data == b"abc"
    assert inner.calls == [(cdb.read6(3, sili=True), Direction.FROM_DEVICE, None, 3, 9)]
    logged.close()
    assert inner.closed and records == []


def test_success_is_logged_with_name_cdb_and_status(
    caplog: pytest.LogCaptureFixture, records: list[CommandRecord]
) -> None:
    logged = wrap(ScriptedTransport(ScsiResult(GOOD, duration=0.25)), records)
    with caplog.at_level(logging.DEBUG, logger=LOGGER_NAME):
        logged.execute(cdb.read_position(), Direction.FROM_DEVICE, length=32)
    (entry,) = caplog.records
    assert entry.name == LOGGER_NAME and entry.levelno == logging.INFO
    message = entry.getMessage()
    assert "/dev/sg5 READ POSITION CDB=[34 06 00 00 00 00 00 00 00 00]" in message
    assert "状态=GOOD" in message and "用时=0.250 秒" in message
    assert entry.tape_command.command == "READ POSITION"


def test_successful_data_transfers_log_at_debug(
    caplog: pytest.LogCaptureFixture, records: list[CommandRecord]
) -> None:
    logged = wrap(ScriptedTransport(ScsiResult(GOOD)), records)
    with caplog.at_level(logging.DEBUG, logger=LOGGER_NAME):
        logged.execute(cdb.write6(4), Direction.TO_DEVICE, data=b"data")
    assert caplog.records[0].levelno == logging.DEBUG
    assert "数据=4 字节" in caplog.records[0].getMessage()


def test_completion_with_a_flag_is_not_a_failure(
    caplog: pytest.LogCaptureFixture, records: list[CommandRecord]
) -> None:
    sense = build_fixed_sense(0, 0, 1, filemark=True, information=4096)
    logged = wrap(ScriptedTransport(ScsiResult(CHECK_CONDITION, sense=sense)), records)
    with caplog.at_level(logging.INFO, logger=LOGGER_NAME):
        logged.execute(cdb.read6(4096, sili=True), Direction.FROM_DEVICE, length=4096)
    assert records == []
    assert "结果=读到文件标记" in caplog.records[0].getMessage()
    assert "检测数据=0/00/01/FM info=4096" in caplog.records[0].getMessage()


def test_drive_errors_reach_the_hook_with_decoded_sense(
    caplog: pytest.LogCaptureFixture, records: list[CommandRecord]
) -> None:
    sense = build_fixed_sense(0x8, 0x00, 0x05, information=1024)
    logged = wrap(ScriptedTransport(ScsiResult(CHECK_CONDITION, sense=sense, residue=0)), records)
    with caplog.at_level(logging.INFO, logger=LOGGER_NAME):
        result = logged.execute(cdb.read6(1024, sili=True), Direction.FROM_DEVICE, length=1024)
    assert result.status == CHECK_CONDITION  # the wrapper reports, it does not raise
    (record,) = records
    assert isinstance(record.error, BlankCheck) and record.failed
    assert record.sense is not None and record.sense.code == (8, 0, 5)
    assert record.command == "READ(6)" and record.cdb_hex == "08 02 00 04 00 00"
    assert caplog.records[0].levelno == logging.WARNING


def test_retryable_errors_log_at_info(caplog: pytest.LogCaptureFixture, records: list[CommandRecord]) -> None:
    logged = wrap(ScriptedTransport(ScsiResult(CHECK_CONDITION, sense=build_fixed_sense(2, 4, 1))), records)
    with caplog.at_level(logging.INFO, logger=LOGGER_NAME):
        logged.execute(cdb.test_unit_ready())
    assert caplog.records[0].levelno == logging.INFO
    assert isinstance(records[0].error, NotReadyBecoming)


def test_transport_failures_are_logged_reported_and_raised(
    caplog: pytest.LogCaptureFixture, records: list[CommandRecord]
) -> None:
    refusal = PermissionDenied("没有权限访问磁带设备 /dev/sg5", "加入 tape 组")
    logged = wrap(ScriptedTransport(refusal), records)
    with caplog.at_level(logging.INFO, logger=LOGGER_NAME), pytest.raises(PermissionDenied):
        logged.execute(cdb.rewind())
    (record,) = records
    assert record.status is None and record.error is refusal and status_name(record.status) == "未送达"
    assert caplog.records[0].levelno == logging.ERROR and "没有权限" in caplog.records[0].getMessage()


def test_a_failing_hook_does_not_break_the_command(caplog: pytest.LogCaptureFixture) -> None:
    def broken(record: CommandRecord) -> None:
        raise RuntimeError("ledger down")

    logged = LoggingTransport(
        ScriptedTransport(ScsiResult(CHECK_CONDITION, sense=build_fixed_sense(3, 0x11, 0))), on_failure=broken
    )
    with caplog.at_level(logging.INFO, logger=LOGGER_NAME):
        result = logged.execute(cdb.read6(10, sili=True), Direction.FROM_DEVICE, length=10)
    assert result.status == CHECK_CONDITION
    assert any("回调出错" in r.getMessage() and r.exc_info for r in caplog.records)


def test_status_names() -> None:
    assert status_name(0x02) == "CHECK CONDITION" and status_name(0x18) == "RESERVATION CONFLICT"
    assert status_name(0x99) == "0x99"
