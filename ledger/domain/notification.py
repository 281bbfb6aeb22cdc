"""One DingTalk message to one recipient: the outbox entry and its delivery story.

Every delivery event carries the absolute attempt count, not an increment. The dispatcher records
each attempt before it sends (write-ahead, ``start_attempt``) and then its outcome; counting by
increments would count one try twice, and a replay would disagree with the dispatcher's own count.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from ledger.domain.base import TafAggregate, stable_id

STATUSES = ("queued", "delivered", "failed")


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

    @property
    def pending(self) -> bool:
        return self.status == "queued"

    # A finished notification's story is closed: a late or repeated mark (a second dispatcher, a
    # retried call) changes nothing rather than rewriting how it ended.

    def start_attempt(self, attempts: int, next_attempt_at: str) -> bool:
        """Record, before sending, that attempt number ``attempts`` is going out; False (nothing
        recorded) when that attempt was started already, or the story is closed: another dispatcher
        took it, and this one must not send."""
        if not self.pending or self.attempts >= attempts:
            return False
        self._attempt_started(attempts=attempts, next_attempt_at=next_attempt_at)
        return True

    @event("AttemptStarted")
    def _attempt_started(self, attempts: int, next_attempt_at: str) -> None:
        self.attempts = attempts
        self.next_attempt_at = next_attempt_at

    def attempt_failed(self, attempts: int, error: str, next_attempt_at: str) -> None:
        if self.pending:
            self._attempt_failed(attempts=max(attempts, self.attempts), error=error,
                                 next_attempt_at=next_attempt_at)

    @event("AttemptFailed")
    def _attempt_failed(self, attempts: int, error: str, next_attempt_at: str) -> None:
        self.attempts = attempts
        self.error = error
        self.next_attempt_at = next_attempt_at

    def deliver(self, task_id: str) -> None:
        if self.pending:
            # Delivered means sent at least once, even if the write-ahead record was skipped.
            self._delivered(task_id=task_id, attempts=max(self.attempts, 1))

    @event("Delivered")
    def _delivered(self, task_id: str, attempts: int) -> None:
        self.status = "delivered"
        self.task_id = task_id
        self.attempts = attempts
        self.next_attempt_at = None

    def fail(self, error: str) -> None:
        if self.pending:
            self._failed(error=error, attempts=self.attempts)

    @event("Failed")
    def _failed(self, error: str, attempts: int) -> None:
        self.status = "failed"
        self.error = error
        self.attempts = attempts
        self.next_attempt_at = None
