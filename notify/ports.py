"""What the notification use cases need from the composition root, and nothing more.

`bootstrap.Services` satisfies these structurally; tests may hand in anything that does.
"""

from __future__ import annotations

from typing import Any, Protocol

from ledger.application import Ledger
from projections.notifications import NotificationLogView
from projections.recipients import RecipientsView
from projections.runner import Projector


class SettingsInForce(Protocol):
    """Runtime settings as in force (ledger, else .env, else built in); secrets in clear."""

    def effective(self, key: str) -> Any: ...

    def secret(self, key: str) -> str: ...


class NotifyServices(SettingsInForce, Protocol):
    """The outbox: the ledger it records in, the two views it reads, and the settings in force."""

    @property
    def ledger(self) -> Ledger: ...

    @property
    def projector(self) -> Projector: ...

    @property
    def recipients(self) -> RecipientsView: ...

    @property
    def notification_log(self) -> NotificationLogView: ...
