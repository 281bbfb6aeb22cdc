"""What the media use cases need from the composition root, and nothing more.

`bootstrap.Services` satisfies these structurally; tests may hand in anything that does. No module
of `media` imports `bootstrap`, not even for its types.
"""

from __future__ import annotations

from typing import Protocol

from config import Settings
from kernel.progress import ProgressStore
from notify.ports import NotifyServices
from projections.groups import GroupsView
from projections.inventory import InventoryView


class SessionServices(NotifyServices, Protocol):
    """A device session (`media.devices.open_session`) and the acts on it: the installation's
    settings (host name, library folder and shape), the ledger it records in, where an erase
    publishes its progress, and the outbox that tells people an erase happened."""

    @property
    def settings(self) -> Settings: ...

    @property
    def progress(self) -> ProgressStore: ...


class LifecycleServices(NotifyServices, Protocol):
    """The lifecycle (`media.lifecycle`) and the erase of expired cartridges (`media.reuse`): the
    inventory and groups views, the settings in force, and the outbox for interlock conflicts."""

    @property
    def settings(self) -> Settings: ...

    @property
    def inventory(self) -> InventoryView: ...

    @property
    def groups(self) -> GroupsView: ...
