"""What the backup use cases need from the composition root, and nothing more.

`bootstrap.Services` satisfies these structurally; tests may hand in anything that does. No module
of `backup` imports `bootstrap`, not even for its types.
"""

from __future__ import annotations

from typing import Any, Protocol

from config import Settings
from ledger.application import Ledger
from media.ports import LifecycleServices, SessionServices
from projections.chain_view import ChainView
from projections.groups import GroupsView
from projections.runner import Projector


class ChainServices(Protocol):
    """Closing a cartridge (`backup.closing`): the ledger it records in, and the hash chain's head
    (sealed by the projector first) that goes into the tape index."""

    @property
    def ledger(self) -> Ledger: ...

    @property
    def projector(self) -> Projector: ...

    @property
    def chain(self) -> ChainView: ...


class GroupServices(Protocol):
    """Joining a backup group (`backup.groups`): the groups view for the rotation rule, the keep
    count in force, and the ledger the group changes in."""

    @property
    def ledger(self) -> Ledger: ...

    @property
    def projector(self) -> Projector: ...

    @property
    def groups(self) -> GroupsView: ...

    def effective(self, key: str) -> Any: ...


class RequestServices(Protocol):
    """Requesting a backup (`backup.service.request_backup`): the installation's settings, to check
    the device named, and the ledger the job is recorded in."""

    @property
    def settings(self) -> Settings: ...

    @property
    def ledger(self) -> Ledger: ...


class PlanServices(Protocol):
    """Planning a job (`backup.scanning.job_plan`): where plans are kept, the package limit in force,
    and the ledger the plan is recorded in."""

    @property
    def settings(self) -> Settings: ...

    @property
    def ledger(self) -> Ledger: ...

    def effective(self, key: str) -> Any: ...


class BackupServices(LifecycleServices, SessionServices, Protocol):
    """A backup job — requested, run and controlled (`backup.service`, `backup.runner`,
    `backup.supply`): a device session and its progress store, the erase of expired cartridges
    before writing (R6) with the inventory and groups views it reads, the outbox for 换盘 and the
    job's outcome, the settings in force (compression, package limit, tape-change minutes), and
    the hash chain each tape index records."""

    @property
    def chain(self) -> ChainView: ...
