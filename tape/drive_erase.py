"""ERASE with progress (tape-scsi.md §1.5).

A short erase only writes end of data at the current position: seconds. A long erase also
overwrites to the end of the partition — up to about 46 hours on an LTO-9 HH — so it is sent with
IMMED and the drive is polled with REQUEST SENSE, which answers NO SENSE 00/18 "erase operation
in progress" with a progress indicator (sense bytes 16-17) until the erase is done. Neither kind
erases before the current position: rewind first to wipe the whole cartridge.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tape.scsi import cdb
from tape.scsi.errors import NotReadyBecoming, UnitAttention
from tape.scsi.outcomes import interpret
from tape.scsi.sense import SenseKey, parse_sense
from tape.transport import Direction

if TYPE_CHECKING:
    from tape.drive import Drive

ProgressCallback = Callable[[float], None]  # 0.0 … 1.0
_SENSE_LENGTH = 252


def erase(drive: Drive, *, long: bool = False, progress: ProgressCallback | None = None) -> None:
    if not long:
        drive.command(cdb.erase(False), positional=True)
        if progress is not None:
            progress(1.0)
        return
    drive.command(cdb.erase(True, immed=True), positional=True)
    if progress is not None:
        progress(0.0)
    wait_for_erase(drive, progress)


def wait_for_erase(drive: Drive, progress: ProgressCallback | None = None) -> None:
    """Poll REQUEST SENSE until the drive no longer reports an erase in progress."""
    sleep = drive.runner.sleep
    pause = min(drive.policy.retry_base, drive.policy.erase_poll)
    last = 0.0
    while True:
        sleep(pause)
        pause = min(pause * 2, drive.policy.erase_poll)
        reply = drive.command(cdb.request_sense(_SENSE_LENGTH), Direction.FROM_DEVICE, length=_SENSE_LENGTH)
        sense = parse_sense(reply.data)
        if sense is None or (sense.key == SenseKey.NO_SENSE and sense.asc == 0 and sense.ascq == 0):
            break
        try:
            completion = interpret(sense, "REQUEST SENSE")
        except (NotReadyBecoming, UnitAttention):
            continue  # still busy (2/04/07), or an attention queued meanwhile: keep polling
        if not completion.in_progress:
            break
        if completion.progress is not None and progress is not None:
            last = max(last, completion.progress)
            progress(last)
    if progress is not None:
        progress(1.0)
