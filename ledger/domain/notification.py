"""One DingTalk message to one recipient: the outbox entry and its delivery story."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from ledger.domain.base import TafAggregate, stable_id


class Notification(TafAggregate):
    @staticmethod
    def create_id(dedupe_key: str, **_: Any) -> UUID:
        # One key per (cause, recipient): the same cause never queues a second message to a person.
        return stable_id("notification", dedupe_key)

    @event("Queued")
    def __init__(self, dedupe_key: str, kind: str, phone: str, title: str, content: str,
                 cause: str = "") -> None:
        self.dedupe_key = dedupe_key
        self.kind = kind
        self.phone = phone
        self.title = title
        self.content = content
        self.cause = cause
        self.status = "queued"
        self.attempts = 0
        self.next_attempt_at: str | None = None
        self.task_id = ""
        self.error = ""

    @event("AttemptFailed")
    def attempt_failed(self, error: str, next_attempt_at: str) -> None:
        self.attempts += 1
        self.error = error
        self.next_attempt_at = next_attempt_at

    @event("Delivered")
    def delivered(self, task_id: str) -> None:
        self.status = "delivered"
        self.task_id = task_id
        self.attempts += 1

    @event("Failed")
    def failed(self, error: str) -> None:
        self.status = "failed"
        self.error = error
