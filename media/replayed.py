"""The lifecycle's services answered from an audit replay (issue 17).

`ReplayedServices` satisfies `LifecycleServices` with the replay's views — inventory, groups,
jobs, notification log, recipients — and the settings in force at the replayed moment, so the very
functions that judge the tapes now (`media.lifecycle`) judge them as they stood then. The ledger
and the installation's settings are the live ones; nothing is written through it.
"""

from __future__ import annotations

from typing import Any

from config import Settings
from ledger.application import Ledger
from media.ports import LifecycleServices
from projections.groups import GroupsView
from projections.inventory import InventoryView
from projections.jobs import JobsView
from projections.notifications import NotificationLogView
from projections.recipients import RecipientsView
from projections.replay import Replay, SettingsAsOf
from projections.runner import Projector


class ReplayedServices:
    def __init__(self, live: LifecycleServices, replay: Replay, settings: SettingsAsOf) -> None:
        self._live = live
        self._replay = replay
        self.as_of = settings

    @property
    def ledger(self) -> Ledger:
        return self._live.ledger

    @property
    def settings(self) -> Settings:
        return self._live.settings

    @property
    def projector(self) -> Projector:
        return self._replay.projector

    @property
    def inventory(self) -> InventoryView:
        return self._replay.view("inventory")  # type: ignore[no-any-return]

    @property
    def groups(self) -> GroupsView:
        return self._replay.view("groups")  # type: ignore[no-any-return]

    @property
    def jobs(self) -> JobsView:
        return self._replay.view("jobs")  # type: ignore[no-any-return]

    @property
    def notification_log(self) -> NotificationLogView:
        return self._replay.view("notifications")  # type: ignore[no-any-return]

    @property
    def recipients(self) -> RecipientsView:
        return self._replay.view("recipients")  # type: ignore[no-any-return]

    def effective(self, key: str) -> Any:
        return self.as_of.value(key, self._live.effective)

    def secret(self, key: str) -> str:
        return ""  # a replay shows and judges; it never uses a secret
