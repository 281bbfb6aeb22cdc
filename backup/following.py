"""The job's own aggregates, kept in memory and brought up to date with only their new events.

A backup job records one `PackageRecorded` on its BackupJob and one `PackageWritten` on the
cartridge per package, and checks its job's state before each package. Loading an aggregate from
the ledger replays all of its events, so doing that per package costs O(n²) in the number of
packages: thousands of 3 GiB packages per job and per LTO-9 cartridge would spend hours replaying.
Following an aggregate reads only the events saved since it was last seen (a pause or cancel from
another process, a label written by the tape supply) and applies them to the copy in memory.

After a failed save the copies may hold events that never reached the ledger: `forget()` them,
and the next `get` loads afresh.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

T = TypeVar("T")


class Following:
    def __init__(self, ledger: Any) -> None:
        self.ledger = ledger
        self._copies: dict[UUID, Any] = {}

    def get(self, aggregate_id: UUID, load: Callable[[], T]) -> T:
        """The aggregate as the ledger has it now: the copy caught up, or `load()` the first time."""
        copy = self._copies.get(aggregate_id)
        if copy is None:
            copy = load()
        else:
            for event in self.ledger.events.get(aggregate_id, gt=copy.version):
                copy = event.mutate(copy)
        self._copies[aggregate_id] = copy
        return copy  # type: ignore[no-any-return]

    def forget(self) -> None:
        self._copies.clear()
