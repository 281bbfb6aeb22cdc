"""Send one command, judge it, and retry what is worth retrying.

`CommandRunner.run` sends a CDB through the transport with the drive's timeout, turns the answer
into a `Completion` (or a typed `TapeError`, via `tape.scsi.outcomes.check`) and:
- retries transient conditions — NOT READY 2/04/01 and friends, BUSY, ABORTED COMMAND — with
  exponential backoff until `DrivePolicy.retry_window` has passed (the command was not executed,
  so sending it again is safe);
- passes every UNIT ATTENTION to `on_attention`, which may raise (the Drive raises
  `CartridgeChanged` or `PositionLost` for positioned commands) and otherwise sends the command
  again: a unit attention means the command itself was not executed.
Transport failures (`TransportError`, incl. `TransferTooLarge`) are not retried here: the data
path above decides about block sizes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from tape.drive_types import DrivePolicy
from tape.scsi.errors import TapeError, UnitAttention
from tape.scsi.opcodes import TimeoutTable, command_name
from tape.scsi.outcomes import Completion, check
from tape.transport import GOOD, Direction, ScsiResult, Transport

AttentionHook = Callable[[UnitAttention], None]
_COMPLETED = Completion()


@dataclass(frozen=True)
class Outcome:
    """A command that completed: what came back and what it means."""

    result: ScsiResult
    completion: Completion

    @property
    def data(self) -> bytes:
        return self.result.data


class CommandRunner:
    def __init__(
        self,
        transport: Transport,
        *,
        policy: DrivePolicy | None = None,
        timeouts: TimeoutTable | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.transport = transport
        self.policy = policy or DrivePolicy()
        self.timeouts = timeouts or TimeoutTable()
        self.sleep = sleep
        self.clock = clock

    def send(
        self, cdb: bytes, direction: Direction = Direction.NONE, data: bytes | None = None, length: int = 0
    ) -> ScsiResult:
        """One command, unjudged (for `drive raw` and for callers that read the sense themselves)."""
        return self.transport.execute(cdb, direction, data, length, self.timeouts.for_cdb(cdb))

    def run(
        self,
        cdb: bytes,
        direction: Direction = Direction.NONE,
        data: bytes | None = None,
        length: int = 0,
        *,
        retry: bool = True,
        on_attention: AttentionHook | None = None,
    ) -> Outcome:
        policy = self.policy
        deadline: float | None = None
        pause = policy.retry_base
        attentions = 0
        while True:
            result = self.send(cdb, direction, data, length)
            if result.status == GOOD:
                return Outcome(result, _COMPLETED)  # the data path's common case: nothing to judge
            try:
                return Outcome(result, check(result, command_name(cdb)))
            except UnitAttention as attention:
                attentions += 1
                if attentions > policy.attention_limit:
                    raise
                if on_attention is not None:
                    on_attention(attention)
            except TapeError as error:
                # The retry window opens at the first refusal, not when the command was first sent.
                deadline = self.clock() + policy.retry_window if deadline is None else deadline
                if not (retry and error.retryable) or self.clock() >= deadline:
                    raise
                self.sleep(pause)
                pause = min(pause * 2, policy.retry_max)
