"""The ledger as the notification outbox: queue messages for recipients, deliver them later.

``notify_event`` renders the message for an event kind (the user's template if one is set) and
queues one Notification per interested recipient. ``dispatch_pending`` delivers what is queued
through the gateway, with the retry and ordering rules of ``notify.dispatch``. Queueing and
delivery are separate on purpose: an alert raised while the gateway is down, or before it is
configured, waits in the ledger instead of being lost.

Delivery is not scheduled work an operator switches off: the worker runs a pass every few seconds
whatever SCHEDULER_ENABLED says (``jobs.delivery``), and a process that has just queued something
runs one at once (``deliver_now``) — a ``backup run --wait`` delivers its own 换盘 and success
messages. Passes in several processes may overlap; each attempt is claimed in the ledger first, so
a message still goes out at least once and never twice.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from notify.dispatch import DispatchReport, PendingNotification, RetryPolicy, dispatch_once
from notify.gateway import DEFAULT_TIMEOUT, GatewayClient, GatewayNotConfigured
from notify.ports import NotifyServices, SettingsInForce
from notify.templates import DEFAULT_TEMPLATES, EventKind, MessageTemplate, render, subscription

log = logging.getLogger("taf.notify")

TEMPLATE_KEY = "template.{kind}"
TITLE_KEY = "template.{kind}.title"
NOTIFICATIONS_OFF = "{reason}；待发通知保留在台账中，配置网关后再发送"


class LedgerOutbox:
    """``notify.dispatch.OutboxStore`` over the ledger: reads from the notification log view,
    records every mark as a Notification event."""

    def __init__(self, services: NotifyServices) -> None:
        self.services = services

    def list_pending(self, now: datetime) -> Sequence[PendingNotification]:
        # The view must show this process's own marks (the write-ahead above all) before a pass.
        self.services.projector.catch_up(["notifications"])
        return [
            PendingNotification(
                id=row["id"], phone=row["phone"], title=row["title"], content=row["content"],
                attempts=row["attempts"], next_attempt_at=_moment(row["next_attempt_at"]),
                # The view lists in ledger order, the true queue order; timestamps from several
                # hosts' clocks could disagree with it, so they are not offered for sorting.
                queued_at=None,
            )
            for row in self.services.notification_log.pending()
        ]

    def mark_delivered(self, notification_id: str, task_id: str | None) -> None:
        self.services.ledger.notification_delivered(notification_id, task_id or "")

    def claim(self, notification_id: str, attempts: int, next_attempt_at: datetime) -> bool:
        return self.services.ledger.notification_attempt_started(notification_id, attempts,
                                                                 next_attempt_at.isoformat())

    def mark_retry(self, notification_id: str, attempts: int, next_attempt_at: datetime, error: str) -> None:
        self.services.ledger.notification_attempt_failed(notification_id, attempts, error,
                                                         next_attempt_at.isoformat())

    def mark_failed(self, notification_id: str, error: str) -> None:
        self.services.ledger.notification_failed(notification_id, error)


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


# --- queueing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueuedNotice:
    """One notification asked for; ``created`` is False when its dedupe key was queued before."""

    id: str
    kind: str
    phone: str
    title: str
    created: bool
    fallback_reason: str | None = None


def user_template(services: SettingsInForce, kind: EventKind | str) -> MessageTemplate | None:
    """The user's template for ``kind`` from the settings, or None for the built-in one.

    ``template.<kind>`` holds the content (Markdown with Jinja), or a JSON object with ``title``
    and/or ``content``; ``template.<kind>.title`` holds the title alone. Parts not set keep the
    built-in text.
    """
    kind = EventKind(kind)
    default = DEFAULT_TEMPLATES[kind]
    body = services.effective(TEMPLATE_KEY.format(kind=kind.value))
    title = services.effective(TITLE_KEY.format(kind=kind.value))
    if body is None and title is None:
        return None
    parts: dict[str, Any] = {}
    if isinstance(body, str) and body.lstrip().startswith("{"):
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            parts = {k: str(v) for k, v in parsed.items() if k in ("title", "content") and v}
    if not parts and body:
        parts = {"content": str(body)}
    if title:
        parts["title"] = str(title)
    return MessageTemplate(title=parts.get("title", default.title), content=parts.get("content", default.content),
                           message_type=default.message_type)


def queue_message(services: NotifyServices, kind: EventKind | str, context: Mapping[str, Any], cause: str,
                  phones: Sequence[str]) -> list[QueuedNotice]:
    """Render the message for ``kind`` once and queue it to each phone (each phone once)."""
    kind = EventKind(kind)
    message = render(kind, context, user_template(services, kind))
    if message.used_fallback:
        log.warning("通知模板 %s：%s", kind.value, message.fallback_reason)
    queued = []
    for phone in dict.fromkeys(phones):
        note, created = services.ledger.queue_notification(
            f"{cause}:{kind.value}:{phone}", kind=kind.value, phone=phone, title=message.title,
            content=message.content, cause=cause)
        queued.append(QueuedNotice(str(note.id), kind.value, phone, note.title, created, message.fallback_reason))
    return queued


def notify_event(services: NotifyServices, kind: EventKind | str, context: Mapping[str, Any],
                 cause: str) -> list[QueuedNotice]:
    """Queue the message for ``kind`` to every recipient who asked for it.

    ``cause`` names what happened (a job id, "interlock:TAF001L9:2026-07-01"…); the same cause never
    queues a second message of that kind to the same phone, however often it is reported.
    """
    services.projector.catch_up(["recipients"])
    phones = [row["phone"] for row in services.recipients.for_event(subscription(kind).value)]
    return queue_message(services, kind, context, cause, phones) if phones else []


# --- delivery ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DispatchRun:
    """One delivery pass; ``enabled`` False means no gateway is configured and nothing was tried."""

    enabled: bool
    report: DispatchReport
    message: str = ""


def gateway_client(services: SettingsInForce, timeout: float = DEFAULT_TIMEOUT) -> GatewayClient:
    """A client for the gateway in force; raises GatewayNotConfigured when notifications are off."""
    url = str(services.effective("dingtalk_api_url") or "")
    return GatewayClient(url, services.secret("dingtalk_api_key"), timeout=timeout)


def dispatch_pending(services: NotifyServices, now: datetime, *, policy: RetryPolicy | None = None,
                     timeout: float = DEFAULT_TIMEOUT) -> DispatchRun:
    """Deliver every pending notification that is due at ``now``."""
    try:
        client = gateway_client(services, timeout)
    except GatewayNotConfigured as error:
        return DispatchRun(False, DispatchReport(), NOTIFICATIONS_OFF.format(reason=error))
    with client:
        report = dispatch_once(LedgerOutbox(services), client, now, policy=policy)
    services.projector.catch_up(["notifications"])
    return DispatchRun(True, report, report.stopped or "")


def deliver_now(services: NotifyServices, now: datetime,
                queued: Sequence[QueuedNotice] | None = None) -> DispatchRun | None:
    """One delivery pass now — after queueing `queued` (nothing newly queued: no pass), or whenever
    a process reaches a good moment (`queued` None).

    Never raises: a gateway or ledger problem is logged, and the worker's next pass tries again.
    """
    if queued is None or any(notice.created for notice in queued):
        try:
            return dispatch_pending(services, now)
        except Exception:
            log.warning("通知未能立即投递，留待后台任务进程发送", exc_info=True)
    return None
