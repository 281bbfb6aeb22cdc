"""Polling a drive for a cartridge without filling the tape command log.

A job waiting for a tape asks the drive every few seconds whether one is in (TEST UNIT READY), or
the library what its slots hold (READ ELEMENT STATUS). An empty or still-loading drive answers NOT
READY, which the tape command log (`tape.tapelog`) writes as a warning — one every poll, hours of
them while nobody comes — and each inventory is a line of its own. The job logs the wait itself,
once; `quiet_polls()` keeps those expected answers out of the log while it lasts. Only these two
polling commands, answered as expected (GOOD, or NOT READY), and only those the waiting thread
sent, are dropped: any other answer or command, and every command of other jobs and drives, is
logged as before.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from tape.scsi.sense import SenseKey
from tape.tapelog import LOGGER_NAME

_POLLS = frozenset({"TEST UNIT READY", "READ ELEMENT STATUS"})


class _WaitingThreadPolls(logging.Filter):
    def __init__(self, thread: int) -> None:
        super().__init__()
        self.thread = thread

    def filter(self, record: logging.LogRecord) -> bool:
        command = getattr(record, "tape_command", None)
        if command is None or record.thread != self.thread or command.command not in _POLLS:
            return True
        expected = command.error is None or (command.sense is not None and command.sense.key == SenseKey.NOT_READY)
        return not expected


@contextmanager
def quiet_polls() -> Iterator[None]:
    """While the block runs, this thread's "no cartridge yet" answers stay out of the tape log."""
    logger = logging.getLogger(LOGGER_NAME)
    quiet = _WaitingThreadPolls(threading.get_ident())
    logger.addFilter(quiet)
    try:
        yield
    finally:
        logger.removeFilter(quiet)
