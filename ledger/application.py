"""The Ledger application: verbs that load aggregates, change them and save them atomically.

One class, assembled from one mixin per area so each file stays readable: `ledger_base` (the one
way a change is written, reading by id), `ledger_media` (cartridges, drives, groups), `ledger_jobs`
(backup and restore jobs, on top of the media verbs) and `ledger_people` (settings, users, recipients, notifications).
"""

from __future__ import annotations

from typing import Any, ClassVar

from ledger.domain import BackupGroup, BackupJob, Cartridge, Drive, RestoreJob, Settings, User
from ledger.ledger_base import CHANGE_ATTEMPTS, LedgerBase
from ledger.ledger_jobs import JobLedger
from ledger.ledger_people import PeopleLedger

__all__ = ["CHANGE_ATTEMPTS", "SNAPSHOT_EVERY", "Ledger", "LedgerBase"]

SNAPSHOT_EVERY = 50


class Ledger(JobLedger, PeopleLedger):
    """Events are stored by `ledger.transcoder.LedgerTranscoder` (MessagePack, zstd when it pays);
    the zlib JSON of releases before issue 18 still reads."""

    name = "Ledger"
    # Aggregates that live long (a cartridge through thousands of packages, a drive through years of
    # jobs) are loaded from their latest snapshot plus at most SNAPSHOT_EVERY − 1 events (issue 18).
    # Snapshots are taken as saves pass each multiple; a ledger without any still loads from events.
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {
        aggregate: SNAPSHOT_EVERY for aggregate in (Cartridge, Drive, BackupJob, RestoreJob, BackupGroup, Settings,
                                                    User)}
