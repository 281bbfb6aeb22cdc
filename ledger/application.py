"""The Ledger application: verbs that load aggregates, change them and save them atomically.

One class, assembled from one mixin per area so each file stays readable: `ledger_base` (the one
way a change is written, reading by id), `ledger_media` (cartridges, drives, groups), `ledger_jobs`
(backup and restore jobs, on top of the media verbs) and `ledger_people` (settings, users, recipients, notifications).
"""

from __future__ import annotations

from ledger.ledger_base import CHANGE_ATTEMPTS, LedgerBase
from ledger.ledger_jobs import JobLedger
from ledger.ledger_people import PeopleLedger

__all__ = ["CHANGE_ATTEMPTS", "Ledger", "LedgerBase"]


class Ledger(JobLedger, PeopleLedger):
    name = "Ledger"
    # Package manifests make some events large; compressing them keeps the store small.
    env = {"COMPRESSOR_TOPIC": "eventsourcing.compressor:ZlibCompressor"}
