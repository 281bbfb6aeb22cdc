"""A value worth a moment's age: gathered at most once per `seconds` in a web process, however many
requests ask for it meanwhile (the first gathers it in a worker thread, the others wait for that
answer and share it — on the event loop, without a thread of their own).

The dashboard is read by everyone at once and gathered from a dozen read models; its live part
(drives, running jobs, operator requests) is pushed fresh over SSE anyway, so a page up to two
seconds old costs nobody anything and keeps fifty clients from doing the same work fifty times.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import anyio
import anyio.to_thread

T = TypeVar("T")


class Snapshot(Generic[T]):
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._lock: anyio.Lock | None = None
        self._value: T | None = None
        self._taken = float("-inf")

        self._version: Any = None

    def _fresh(self, version: Any) -> bool:
        return (self._value is not None and time.monotonic() - self._taken < self.seconds
                and version == self._version)

    async def get(self, gather: Callable[[], T], limiter: anyio.CapacityLimiter | None = None, *,
                  version: Any = None, inline: bool = False) -> T:
        """The value, gathered again when older than `seconds` or taken at another `version` (the
        ledger's head, say: a value that follows the ledger is then never behind it); gathered on
        the event loop when `inline` (web.offload: a short read of the embedded store)."""
        if not self._fresh(version):
            self._lock = self._lock or anyio.Lock()
            async with self._lock:
                if not self._fresh(version):
                    self._value = gather() if inline else await anyio.to_thread.run_sync(gather, limiter=limiter)
                    self._taken, self._version = time.monotonic(), version
        assert self._value is not None
        return self._value


def shared(state: Any, name: str, seconds: float) -> Snapshot[Any]:
    """The app's snapshot called `name` (kept in its state), made on first use."""
    snapshot = state.get(name)
    if not isinstance(snapshot, Snapshot) or snapshot.seconds != seconds:
        snapshot = Snapshot(seconds)
        state[name] = snapshot
    return snapshot
