"""Outbox delivery: take pending notifications from a store and deliver them through the gateway.

The logic is independent of storage: the store (the ledger, in production) is anything that
implements ``OutboxStore``. One call to ``dispatch_once`` is one pass; the worker runs one every few
seconds, and a process that has just queued a notification runs one at once
(``notify.outbox.deliver_now``). Several dispatchers may therefore run at the same time, in several
processes and hosts: each attempt is claimed in the store before it is sent (``claim``), and only
the dispatcher whose claim is recorded first sends it.

Guarantees:
  * Order per recipient. A later notification to a phone is not sent while an earlier one to the
    same phone is still pending or waiting for a retry. A notification that failed permanently no
    longer holds the others back: it is finished, and recorded as failed.
  * Retries with exponential backoff and jitter (``next_delay``); after ``max_attempts`` tries, or
    on a permanent gateway error, the notification is marked failed.
  * A gateway in trouble (timeout, refused connection, 5xx, 429) ends the pass: the rest wait for
    the next pass instead of each paying a timeout. A rejected token (401/403) ends it as well,
    after failing the notification at hand, so the queue is not burnt on a known-bad token.

At-least-once boundary, and how duplicates are avoided. Delivery is keyed by notification id; a
notification is marked delivered with the gateway's task id. The gap is a crash (or a lost reply)
after the gateway accepted a message and before ``mark_delivered``. It is closed as far as the
gateway contract allows:
  1. Write-ahead: before each send the attempt is claimed (``claim`` with the attempt count and a
     backoff time). After a crash the notification therefore shows ``attempts > 0``; and a second
     dispatcher that listed the same notification finds the attempt taken and leaves it alone.
  2. Before any resend (``attempts > 0``) the gateway's message records (GET /api/v1/messages for
     the phone) are searched for the same phone, title and content; if found, the notification is
     marked delivered with that task id and not sent again.
What remains: the gateway offers no idempotency key, so the check relies on content. If an
earlier, different notification with exactly the same phone, title and content is among the
records, a retry can be taken for already delivered (a message lost, never one sent twice);
templates carry job, group and time, so identical texts are rare. If the gateway's own records miss
an accepted message, a resend can still duplicate it.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol, cast

from notify.gateway import (
    GatewayAuthError,
    PermanentGatewayError,
    RetryableGatewayError,
    SendResult,
)

# Recorded before each send; left in place only if the process stops before the answer is handled.
IN_FLIGHT_NOTE = "已发出，尚未确认送达；若进程在此中断，恢复后会先核对网关记录再决定是否重发"


@dataclass(frozen=True)
class PendingNotification:
    """A notification still owed to a recipient.

    ``attempts`` counts tries already made — sends, and checks of the gateway's records before a
    resend (0 = never tried). ``next_attempt_at`` None
    means due now. ``queued_at``, when every pending notification has one, fixes the order per
    recipient; otherwise the store's listing order is the queue order.
    """

    id: str
    phone: str
    title: str
    content: str
    attempts: int = 0
    next_attempt_at: datetime | None = None
    queued_at: datetime | None = None
    message_type: str = "markdown"


class OutboxStore(Protocol):
    """Where notifications wait. The ledger implements it in production.

    ``list_pending(now)`` returns every notification neither delivered nor failed, in queue order,
    including those whose next attempt is not due yet (the dispatcher needs them to hold later
    notifications for the same recipient back).
    ``claim`` is called just before each send, as the write-ahead record of the attempt: it returns
    False, recording nothing, when that attempt was claimed already (by another dispatcher) or the
    notification is finished — the caller then must not send it.
    """

    def list_pending(self, now: datetime) -> Sequence[PendingNotification]: ...

    def claim(self, notification_id: str, attempts: int, next_attempt_at: datetime) -> bool: ...

    def mark_delivered(self, notification_id: str, task_id: str | None) -> None: ...

    def mark_retry(self, notification_id: str, attempts: int, next_attempt_at: datetime, error: str) -> None: ...

    def mark_failed(self, notification_id: str, error: str) -> None: ...


class Gateway(Protocol):
    """The part of ``GatewayClient`` the dispatcher uses."""

    def send(self, phone: str, title: str, content: str, message_type: str = "markdown") -> SendResult: ...

    def messages(self, limit: int = 50, offset: int = 0, phone: str | None = None) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff in seconds: attempt n waits between half and all of min(cap, base·2^(n−1))."""

    base: float = 30.0
    cap: float = 3600.0
    max_attempts: int = 8
    # How many of the recipient's most recent gateway records to search before a resend.
    lookback: int = 200

    def __post_init__(self) -> None:
        delay_bounds(1, self.base, self.cap)
        if self.max_attempts < 1:
            raise ValueError("最大尝试次数必须至少为 1")
        if self.lookback < 1:
            raise ValueError("核对网关记录的条数必须至少为 1")


def delay_bounds(attempts: int, base: float, cap: float) -> tuple[float, float]:
    """The (low, high) seconds to wait after ``attempts`` failed attempts (equal jitter)."""
    if attempts < 1:
        raise ValueError("尝试次数必须至少为 1")
    if base <= 0 or cap < base:
        raise ValueError("退避基数必须大于 0，且上限不能小于基数")
    # Past 2^60 the product exceeds any sensible cap; stop there instead of overflowing a float.
    high = cap if attempts > 60 else min(cap, base * 2 ** (attempts - 1))
    return high / 2, high


def next_delay(attempts: int, base: float, cap: float, fraction: float = 1.0) -> float:
    """Seconds to wait after ``attempts`` failed attempts; ``fraction`` in [0, 1] picks within the bounds.

    Pure: the caller supplies the randomness (``random.random()`` in the dispatcher), so the same
    inputs always give the same delay and the bounds can be tested exactly.
    """
    if not 0.0 <= fraction <= 1.0:
        raise ValueError("抖动比例必须在 0 到 1 之间")
    low, high = delay_bounds(attempts, base, cap)
    return low + (high - low) * fraction


class OutcomeKind(StrEnum):
    DELIVERED = "delivered"
    ALREADY_DELIVERED = "already_delivered"  # found in the gateway's records; not sent again
    RETRY = "retry"
    FAILED = "failed"
    NOT_DUE = "not_due"  # waiting for its backoff
    HELD = "held"  # an earlier notification to the same phone is still owed
    ELSEWHERE = "elsewhere"  # another dispatcher claimed this attempt first; it sends, not this one
    DEFERRED = "deferred"  # the pass ended before reaching it


@dataclass(frozen=True)
class Outcome:
    notification_id: str
    phone: str
    kind: OutcomeKind
    task_id: str | None = None
    next_attempt_at: datetime | None = None
    error: str | None = None


@dataclass(frozen=True)
class DispatchReport:
    outcomes: tuple[Outcome, ...] = ()
    stopped: str | None = None  # why the pass ended early, in Chinese

    def ids(self, *kinds: OutcomeKind) -> list[str]:
        return [o.notification_id for o in self.outcomes if o.kind in kinds]

    @property
    def delivered(self) -> list[str]:
        return self.ids(OutcomeKind.DELIVERED, OutcomeKind.ALREADY_DELIVERED)

    @property
    def retrying(self) -> list[str]:
        return self.ids(OutcomeKind.RETRY)

    @property
    def failed(self) -> list[str]:
        return self.ids(OutcomeKind.FAILED)


def _queue_order(pending: Sequence[PendingNotification]) -> list[PendingNotification]:
    unique: dict[str, PendingNotification] = {}
    for notification in pending:
        unique.setdefault(notification.id, notification)  # one delivery per id, even if listed twice
    ordered = list(unique.values())
    if ordered and all(n.queued_at is not None for n in ordered):
        ordered.sort(key=lambda n: cast(datetime, n.queued_at))  # stable: ties keep listing order
    return ordered


def find_at_gateway(gateway: Gateway, notification: PendingNotification, lookback: int) -> Mapping[str, Any] | None:
    """The gateway's record of this notification (same phone, title, content), if it has one."""
    page = 50
    offset = 0
    while offset < lookback:
        records = gateway.messages(limit=min(page, lookback - offset), offset=offset, phone=notification.phone)
        for record in records:
            if (
                record.get("phone", notification.phone) == notification.phone
                and record.get("title") == notification.title
                and record.get("content") == notification.content
                and str(record.get("status", "success")).lower() not in ("failed", "error")
            ):
                return record
        if len(records) < min(page, lookback - offset):
            return None
        offset += len(records)
    return None


@dataclass
class _Pass:
    store: OutboxStore
    gateway: Gateway
    now: datetime
    policy: RetryPolicy
    rand: Callable[[], float]
    outcomes: list[Outcome] = field(default_factory=list)
    stopped: str | None = None

    def delay(self, attempts: int, retry_after: float | None = None) -> datetime:
        seconds = next_delay(attempts, self.policy.base, self.policy.cap, self.rand())
        if retry_after is not None:
            seconds = max(seconds, retry_after)
        return self.now + timedelta(seconds=seconds)

    def add(self, notification: PendingNotification, kind: OutcomeKind, **details: Any) -> Outcome:
        outcome = Outcome(notification.id, notification.phone, kind, **details)
        self.outcomes.append(outcome)
        return outcome

    def deliver(self, n: PendingNotification) -> Outcome:
        if n.attempts > 0:
            checked = self.check_earlier_attempt(n)
            if checked is not None:
                return checked
        if n.attempts >= self.policy.max_attempts:
            error = f"已尝试 {n.attempts} 次仍未确认送达，不再重试"
            self.store.mark_failed(n.id, error)
            return self.add(n, OutcomeKind.FAILED, error=error)

        attempt = n.attempts + 1
        if not self.store.claim(n.id, attempt, self.delay(attempt)):
            return self.add(n, OutcomeKind.ELSEWHERE)
        try:
            result = self.gateway.send(n.phone, n.title, n.content, n.message_type)
        except RetryableGatewayError as error:
            return self.retryable(n, attempt, error)
        except GatewayAuthError as error:
            self.stopped = f"网关令牌无效，本轮停止投递：{error}"
            return self.permanent(n, error)
        except PermanentGatewayError as error:
            return self.permanent(n, error)
        self.store.mark_delivered(n.id, result.task_id)
        return self.add(n, OutcomeKind.DELIVERED, task_id=result.task_id)

    def check_earlier_attempt(self, n: PendingNotification) -> Outcome | None:
        """Before a resend: did an earlier attempt reach the gateway after all?"""
        try:
            record = find_at_gateway(self.gateway, n, self.policy.lookback)
        except RetryableGatewayError as error:
            # Not knowing is not a licence to resend: wait. The try counts as an attempt, so a
            # gateway that stays unreachable still ends in "failed" after max_attempts.
            return self.retryable(n, n.attempts + 1, error, "无法核对是否已送达：")
        except GatewayAuthError as error:
            self.stopped = f"网关令牌无效，本轮停止投递：{error}"
            return self.permanent(n, error)
        except PermanentGatewayError as error:
            return self.permanent(n, error)
        if record is None:
            return None
        task_id = record.get("task_id")
        task_id = None if task_id is None else str(task_id)
        self.store.mark_delivered(n.id, task_id)
        return self.add(n, OutcomeKind.ALREADY_DELIVERED, task_id=task_id)

    def retryable(
        self, n: PendingNotification, attempt: int, error: RetryableGatewayError, prefix: str = ""
    ) -> Outcome:
        self.stopped = f"钉钉网关暂时不可用，本轮停止投递：{error}"
        if attempt >= self.policy.max_attempts:
            maybe = "（最后一次可能已被网关接收，请在网关消息记录中核对）" if error.ambiguous else ""
            message = f"已尝试 {attempt} 次仍未成功：{prefix}{error}{maybe}"
            self.store.mark_failed(n.id, message)
            return self.add(n, OutcomeKind.FAILED, error=message)
        next_at = self.delay(attempt, error.retry_after)
        message = f"{prefix}{error}"
        self.store.mark_retry(n.id, attempt, next_at, message)
        return self.add(n, OutcomeKind.RETRY, next_attempt_at=next_at, error=message)

    def permanent(self, n: PendingNotification, error: PermanentGatewayError) -> Outcome:
        self.store.mark_failed(n.id, str(error))
        return self.add(n, OutcomeKind.FAILED, error=str(error))


def dispatch_once(
    store: OutboxStore,
    gateway: Gateway,
    now: datetime,
    *,
    policy: RetryPolicy | None = None,
    rand: Callable[[], float] = random.random,
) -> DispatchReport:
    """One delivery pass over the outbox at ``now``; returns what happened to each notification."""
    run = _Pass(store, gateway, now, policy or RetryPolicy(), rand)
    blocked: set[str] = set()
    for n in _queue_order(store.list_pending(now)):
        if run.stopped is not None:
            run.add(n, OutcomeKind.DEFERRED)
        elif n.phone in blocked:
            run.add(n, OutcomeKind.HELD)
        elif n.next_attempt_at is not None and n.next_attempt_at > now:
            blocked.add(n.phone)
            run.add(n, OutcomeKind.NOT_DUE, next_attempt_at=n.next_attempt_at)
        else:
            outcome = run.deliver(n)
            if outcome.kind in (OutcomeKind.RETRY, OutcomeKind.ELSEWHERE):
                blocked.add(n.phone)
    return DispatchReport(tuple(run.outcomes), run.stopped)

