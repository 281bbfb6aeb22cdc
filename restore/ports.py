"""What the restore use cases need from the composition root, and nothing more.

`bootstrap.Services` satisfies these structurally; tests may hand in anything that does. No module
of `restore` imports `bootstrap`, not even for its types.
"""

from __future__ import annotations

from typing import Protocol

from media.ports import SessionServices
from projections.catalog import CatalogView
from projections.inventory import InventoryView
from projections.jobs import JobsView


class Locations(Protocol):
    """Where each cartridge is (`restore.whereabouts`): the inventory view."""

    @property
    def inventory(self) -> InventoryView: ...


class RestoreServices(SessionServices, Protocol):
    """A restore — planned, requested, run and controlled (`restore.service`, `restore.execute`):
    the catalog for what to read and the inventory for where each cartridge is, a device session
    and its progress store, the outbox for 换盘, and the settings in force."""

    @property
    def catalog(self) -> CatalogView: ...

    @property
    def inventory(self) -> InventoryView: ...


class RecoveryServices(SessionServices, Protocol):
    """Rebuilding the ledger's knowledge from tapes (`restore.recover`): a device session, the
    ledger it records in, its progress store, and the catalog it counts afterwards."""

    @property
    def catalog(self) -> CatalogView: ...


class VerifyServices(SessionServices, Protocol):
    """Read-back verification (`restore.verify`): a device session, its progress store, and the
    jobs view that lists the completed backups."""

    @property
    def jobs(self) -> JobsView: ...
