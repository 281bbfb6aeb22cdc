"""How one run of a backup job behaves, and what it has done so far."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from kernel.progress import Observer


@dataclass
class RunOptions:
    """How one run of a job behaves.

    `tape_remind_seconds` / `tape_pause_seconds` override the settings tape_change_remind_minutes
    and tape_change_pause_minutes (whole minutes, the operator's knobs) with seconds precision for
    this run only: drills and tests that must see a standalone drive's wait end in a pause.
    `lock_wait_seconds`: how long to wait for a stopping process of the same job to let go of it.
    `stop`: set by this process's SIGTERM handler or a stopping worker — the job pauses at its next
    safe point, recorded as `stop_by`'s pause (default: the actor's; the worker's own, "worker", is
    taken up again when a worker starts). `observer` hears every change of the job's progress.
    """

    device: str | None = None
    actor: str = "system"
    poll_seconds: float = 2.0
    workers: int | None = None
    tape_remind_seconds: float | None = None
    tape_pause_seconds: float | None = None
    lock_wait_seconds: float = 15.0
    stop: threading.Event | None = None
    stop_by: str = ""
    observer: Observer | None = None


@dataclass
class Totals:
    """What this run has done so far (the job's earlier runs are in the ledger)."""

    packages: int = 0
    bytes_packed: int = 0
    bytes_written: int = 0
    bytes_in_written: int = 0  # input bytes of the packages on tape, for the tape's share of the ETA
    write_seconds: float = 0.0  # time inside write_package, for the tape rate of this run
    cartridges: list[str] = field(default_factory=list)

    def use(self, barcode: str) -> None:
        """Count a cartridge this run writes on (once)."""
        if barcode not in self.cartridges:
            self.cartridges.append(barcode)
