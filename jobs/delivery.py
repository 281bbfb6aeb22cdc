"""The worker's delivery loop: queued notifications go out whenever a worker runs.

Delivery is not periodic work an operator switches off (SCHEDULER_ENABLED stops the schedules,
not the DingTalk messages they and the jobs have queued), so it does not ride on Huey's periodic
tick: a thread of its own runs a pass every `interval` seconds, and at once when `wake()` is
called. Passes in other processes may overlap with it; the outbox claims each attempt in the
ledger first, so nothing is sent twice (`notify.dispatch`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from ledger import clock
from notify.outbox import DispatchRun, deliver_now
from notify.ports import NotifyServices

DELIVERY_SECONDS = 10.0


class DeliveryLoop:
    """`start()` a thread that delivers pending notifications until `stop()`."""

    def __init__(self, services: Callable[[], NotifyServices], interval: float = DELIVERY_SECONDS) -> None:
        self.services = services
        self.interval = interval
        self.passes = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="taf-delivery", daemon=True)

    def start(self) -> DeliveryLoop:
        self._thread.start()
        return self

    def wake(self) -> None:
        """Run a pass now rather than at the next interval."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()

    def deliver(self) -> DispatchRun | None:
        """One pass; a problem is logged and never ends the loop."""
        try:
            return deliver_now(self.services(), clock.now())
        finally:
            self.passes += 1

    def _run(self) -> None:
        while not self._stop.is_set():
            self.deliver()
            self._wake.wait(self.interval)
            self._wake.clear()
