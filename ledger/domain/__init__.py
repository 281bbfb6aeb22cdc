"""The TAF domain: aggregates whose events are the ledger."""

from ledger.domain.cartridge import Cartridge
from ledger.domain.drive import Drive
from ledger.domain.group import BackupGroup
from ledger.domain.job import BackupJob, RestoreJob
from ledger.domain.notification import Notification
from ledger.domain.people import Recipient, User
from ledger.domain.settings import Settings

__all__ = ["BackupGroup", "BackupJob", "Cartridge", "Drive", "Notification", "Recipient", "RestoreJob",
           "Settings", "User"]
