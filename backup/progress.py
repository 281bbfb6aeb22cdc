"""A backup's share of the progress model (`kernel.progress`): when the job will end.

The job keeps its progress on a `kernel.progress.ProgressBoard`; what only a backup needs to know
is how its two halves, packing and writing to tape, add up to one ETA.
"""

from __future__ import annotations


def job_eta(pack_left: int, pack_rate: float, tape_left: int, tape_rate: float) -> float | None:
    """Seconds until the job ends: the later of packing and the tape, which run side by side.

    `pack_left` / `tape_left` are input bytes not yet packed / not yet on tape; the rates are in
    input bytes per second (the tape's from packages already written, since the tape is handed
    packed bytes). A rate of 0 means not yet measured. Packing alone would say 0 while the last
    packages still wait for the tape, which is when an operator most wants to know: with bytes
    left for the tape and no tape rate yet, "unknown" (None) is the honest answer once packing is
    done, and packing's own estimate a lower bound before that.
    """
    if tape_left > 0 and tape_rate <= 0:
        return pack_left / pack_rate if pack_left > 0 and pack_rate > 0 else None
    sides = [left / rate for left, rate in ((pack_left, pack_rate), (tape_left, tape_rate)) if rate > 0]
    return max(0.0, *sides) if sides else None
