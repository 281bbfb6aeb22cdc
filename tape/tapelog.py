"""The tape command log: every command through a transport, written to the "taf.tape" logger.

`LoggingTransport(inner, logger, on_failure=...)` wraps any `Transport`. For each command it logs
the name (from the opcode), the CDB in hex, the data length, the status, the decoded sense and the
duration, and passes failures to `on_failure` as a `CommandRecord` — that is how the application
records them in the ledger without this package knowing the ledger. The application attaches
its own (rotating file) handler to the logger.

Levels: successful READ/WRITE at DEBUG (there are thousands per job), other successes and
completions with flags (filemark, early warning …) at INFO, retryable errors (unit attention,
becoming ready, busy) at INFO, other drive errors at WARNING, transport failures at ERROR.

Public API: `LoggingTransport`, `CommandRecord`, `LOGGER_NAME`, `status_name(status)`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from tape.scsi.errors import TapeError
from tape.scsi.opcodes import Opcode, command_name
from tape.scsi.outcomes import check
from tape.scsi.sense import Sense, parse_sense
from tape.transport import Direction, ScsiResult, Transport, TransportError, transfer_length

LOGGER_NAME = "taf.tape"

_STATUS_NAMES = {
    0x00: "GOOD",
    0x02: "CHECK CONDITION",
    0x04: "CONDITION MET",
    0x08: "BUSY",
    0x18: "RESERVATION CONFLICT",
    0x28: "TASK SET FULL",
    0x30: "ACA ACTIVE",
    0x40: "TASK ABORTED",
}
_DATA_PATH = {Opcode.READ_6, Opcode.WRITE_6}


def status_name(status: int | None) -> str:
    if status is None:
        return "未送达"
    return _STATUS_NAMES.get(status, f"0x{status:02X}")


@dataclass(frozen=True)
class CommandRecord:
    """One command as the log and the failure hook see it."""

    device: str
    command: str
    cdb: bytes
    direction: Direction
    requested: int  # bytes asked for (FROM_DEVICE) or sent (TO_DEVICE)
    status: int | None  # None when the transport could not deliver the command
    sense: Sense | None
    residue: int
    duration: float
    outcome: str  # Chinese: what happened
    error: TapeError | TransportError | None
    at: float  # wall-clock time.time() when the command finished

    @property
    def cdb_hex(self) -> str:
        return self.cdb.hex(" ").upper()

    @property
    def failed(self) -> bool:
        return self.error is not None


class LoggingTransport:
    """A `Transport` that logs every command of `inner` and reports failures to `on_failure`."""

    def __init__(
        self,
        inner: Transport,
        logger: logging.Logger | None = None,
        *,
        on_failure: Callable[[CommandRecord], None] | None = None,
    ) -> None:
        self.inner = inner
        self.name = inner.name
        self.logger = logger or logging.getLogger(LOGGER_NAME)
        self.on_failure = on_failure

    def execute(
        self,
        cdb: bytes,
        direction: Direction = Direction.NONE,
        data: bytes | None = None,
        length: int = 0,
        timeout: float = 60.0,
    ) -> ScsiResult:
        name = command_name(cdb)
        requested = transfer_length(direction, data, length)
        started = time.monotonic()
        try:
            result = self.inner.execute(cdb, direction, data, length, timeout)
        except TransportError as exc:
            record = self._record(
                name, cdb, direction, requested, None, time.monotonic() - started, str(exc), exc
            )
            self._emit(logging.ERROR, record)
            self._report(record)
            raise
        if result.status == 0 and not self.logger.isEnabledFor(logging.DEBUG if cdb[0] in _DATA_PATH else logging.INFO):
            return result  # a success nobody will see: skip building its record (thousands per job)
        record = self._classify(name, cdb, direction, requested, result, time.monotonic() - started)
        self._emit(self._level(record, cdb), record)
        if record.failed:
            self._report(record)
        return result

    def close(self) -> None:
        self.inner.close()

    def _classify(
        self, name: str, cdb: bytes, direction: Direction, requested: int, result: ScsiResult, elapsed: float
    ) -> CommandRecord:
        duration = result.duration or elapsed
        try:
            completion = check(result, name)
        except TapeError as exc:
            return self._record(name, cdb, direction, requested, result, duration, str(exc), exc)
        return self._record(name, cdb, direction, requested, result, duration, completion.note, None)

    def _record(
        self,
        name: str,
        cdb: bytes,
        direction: Direction,
        requested: int,
        result: ScsiResult | None,
        duration: float,
        outcome: str,
        error: TapeError | TransportError | None,
    ) -> CommandRecord:
        return CommandRecord(
            device=self.name,
            command=name,
            cdb=bytes(cdb),
            direction=direction,
            requested=requested,
            status=result.status if result else None,
            sense=parse_sense(result.sense) if result and result.sense else None,
            residue=result.residue if result else 0,
            duration=duration,
            outcome=outcome,
            error=error,
            at=time.time(),
        )

    @staticmethod
    def _level(record: CommandRecord, cdb: bytes) -> int:
        if isinstance(record.error, TapeError):
            return logging.INFO if record.error.retryable else logging.WARNING
        if record.status == 0 and cdb and cdb[0] in _DATA_PATH:
            return logging.DEBUG
        return logging.INFO

    def _emit(self, level: int, record: CommandRecord) -> None:
        if not self.logger.isEnabledFor(level):
            return
        sense = f" 检测数据={record.sense}" if record.sense else ""
        outcome = f" 结果={record.outcome}" if record.outcome else ""
        self.logger.log(
            level,
            "%s %s CDB=[%s] 数据=%d 字节 残余=%d 状态=%s%s 用时=%.3f 秒%s",
            record.device,
            record.command,
            record.cdb_hex,
            record.requested,
            record.residue,
            status_name(record.status),
            sense,
            record.duration,
            outcome,
            extra={"tape_command": record},
        )

    def _report(self, record: CommandRecord) -> None:
        if self.on_failure is None:
            return
        try:
            self.on_failure(record)
        except Exception:
            # The hook records to the ledger; its failure must not turn a tape command into one.
            self.logger.exception("磁带命令失败回调出错：%s %s", record.device, record.command)
