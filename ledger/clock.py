"""The ledger's clock: real time, or a drill clock that starts at TAF_NOW and runs on from there.

Every event timestamp comes from here, so a drill run with TAF_NOW tells its story in the ledger
with the drill's dates, and durations inside one process still mean something.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

_now: Callable[[], datetime] = lambda: datetime.now(tz=UTC)  # noqa: E731


def now() -> datetime:
    return _now()


def set_clock(func: Callable[[], datetime]) -> None:
    global _now
    _now = func


def start_at(moment: datetime | None) -> None:
    """Run the clock from `moment` (None: real time)."""
    if moment is None:
        set_clock(lambda: datetime.now(tz=UTC))
        return
    started = time.monotonic()
    anchored = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    set_clock(lambda: anchored + timedelta(seconds=time.monotonic() - started))


class ManualClock:
    """A clock tests move by hand."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> datetime:
        self.moment += timedelta(**delta)
        return self.moment
