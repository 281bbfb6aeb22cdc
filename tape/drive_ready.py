"""Waiting for a drive to become ready, including the LTO-9 first-load media optimisation.

TEST UNIT READY is polled with growing pauses. NOT READY 2/04/01 (and every 04/xx except 04/02
and 04/03) means "wait": for a normal load that is seconds, but a new LTO-9 cartridge is
calibrated once on its first load, 20–132 minutes (tape-scsi.md §1.6). That is not an error: the
wait is reported as a `ReadyState` — "正在进行介质优化，预计还需 N 分钟" — through the callback, up
to `DrivePolicy.ready_timeout` (2.2 h). 2/04/02 means a cartridge sits in the drive unthreaded:
send LOAD (IMMED) and keep polling. Unit attentions are consumed by the runner's attention hook.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from tape.drive_errors import NotReadyTimeout
from tape.drive_messages import text
from tape.drive_types import DrivePolicy, ReadyKind, ReadyState
from tape.scsi import cdb
from tape.scsi.errors import LoadRequired, NotReadyBecoming

if TYPE_CHECKING:
    from tape.drive import Drive

StateCallback = Callable[[ReadyState], None]


def estimate_remaining_minutes(elapsed: float | None, policy: DrivePolicy, progress: float | None = None) -> int:
    """Minutes of optimisation left: against the typical length first, the longest once past it.

    A drive that reports how far it is (`progress`, 0–1) is believed about the fraction, and only
    the length of the whole is assumed; that also serves a caller that did not see the load start.
    """
    past_typical = elapsed is not None and elapsed >= policy.optimisation_typical
    expected = policy.optimisation_longest if past_typical else policy.optimisation_typical
    if progress is not None:
        return max(1, math.ceil((1.0 - min(max(progress, 0.0), 1.0)) * expected / 60))
    return max(1, math.ceil((expected - (elapsed or 0.0)) / 60))


def loading_state(elapsed: float | None, policy: DrivePolicy, progress: float | None = None) -> ReadyState:
    """What a NOT READY "becoming ready" means after `elapsed` seconds of waiting (None: not known).

    A load still running after `optimisation_after`, or one whose progress the drive reports (only a
    calibration takes long enough to report it), is the first-load media optimisation.
    """
    if progress is None and (elapsed is None or elapsed < policy.optimisation_after):
        return ReadyState(ReadyKind.LOADING, text("state_loading").message, elapsed or 0.0)
    minutes = estimate_remaining_minutes(elapsed, policy, progress)
    return ReadyState(ReadyKind.OPTIMISING, text("state_optimising", minutes=minutes).message, elapsed or 0.0,
                      minutes)


def becoming_ready_state(error: NotReadyBecoming, policy: DrivePolicy, elapsed: float | None = None) -> ReadyState:
    """The state a NOT READY 04/xx reply describes, with the progress a 04/01 (becoming ready) may carry."""
    sense = error.sense
    becoming = sense is not None and (sense.asc, sense.ascq) == (0x04, 0x01)
    return loading_state(elapsed, policy, sense.progress if becoming and sense is not None else None)


def wait_until_ready(
    drive: Drive, *, on_state: StateCallback | None = None, timeout: float | None = None
) -> ReadyState:
    """Poll TEST UNIT READY until GOOD; LOAD an unthreaded cartridge; report the wait as it goes.

    Raises `NoMedium` (empty drive), `NotReadyTimeout`, or whatever else the drive reports.
    """
    policy = drive.policy
    clock, sleep = drive.runner.clock, drive.runner.sleep
    limit = policy.ready_timeout if timeout is None else timeout
    started = clock()
    pause = policy.retry_base
    loads_sent = 0
    while True:
        try:
            drive.command(cdb.test_unit_ready(), retry=False)
        except LoadRequired:
            if loads_sent >= 3:
                raise
            loads_sent += 1
            drive.command(cdb.load_unload(True, immed=True), retry=False)
            continue
        except NotReadyBecoming as waiting:
            elapsed = clock() - started
            if elapsed >= limit:
                raise NotReadyTimeout(elapsed) from None
            state = becoming_ready_state(waiting, policy, elapsed)
            drive.state = state
            if on_state is not None:
                on_state(state)
            sleep(min(pause, max(limit - elapsed, 0.0)))
            pause = min(pause * 2, policy.ready_poll_max)
            continue
        ready = ReadyState(ReadyKind.READY, text("state_ready").message, clock() - started)
        drive.state = ready
        if on_state is not None:
            on_state(ready)
        return ready
