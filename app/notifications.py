"""Notifications: DingTalk recipients, the notification log, delivery now, test messages, templates.

Messages wait in the ledger (the outbox, `notify.outbox`) until a delivery pass hands them to the
gateway, so nothing is lost while the gateway is down or not yet configured; a test message is
queued and delivered at once. Every recipient and template change is a ledger event naming who
made it. Event kinds may be given by key (`backup_failed`) or by their Chinese label (备份失败).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from app.errors import BadRequest
from app.notify_input import check_template_text, checked_name
from kernel.errors import TafError
from ledger import clock
from ledger.domain.people import NOTIFY_EVENTS, Recipient, check_phone
from ledger.errors import NotFound
from notify.dispatch import Outcome, OutcomeKind
from notify.gateway import GatewayClient
from notify.gateway import GatewayNotConfigured as GatewayNotConfigured  # raised by send_test
from notify.outbox import (
    TEMPLATE_KEY,
    TITLE_KEY,
    DispatchRun,
    dispatch_pending,
    gateway_client,
    queue_message,
    user_template,
)
from notify.ports import NotifyServices
from notify.templates import (
    DEFAULT_TEMPLATES,
    EVENT_LABELS,
    EventKind,
    MessageTemplate,
    event_kind,
    preview,
    validate_template,
    variables,
)

OUTCOME_LABELS = {
    OutcomeKind.DELIVERED: "已送达",
    OutcomeKind.ALREADY_DELIVERED: "已送达（网关已有记录，未重发）",
    OutcomeKind.RETRY: "暂未送达，稍后重试",
    OutcomeKind.FAILED: "发送失败",
    OutcomeKind.NOT_DUE: "等待重试时间",
    OutcomeKind.HELD: "排队中（该接收人有更早的通知未送达）",
    OutcomeKind.DEFERRED: "本轮未处理",
    OutcomeKind.ELSEWHERE: "由另一个发送进程投递",
}
STATUS_LABELS = {"queued": "待发送", "delivered": "已送达", "failed": "发送失败"}
_DELIVERED = frozenset({OutcomeKind.DELIVERED, OutcomeKind.ALREADY_DELIVERED})
_LABEL_BY_EVENT = {kind.value: label for kind, label in EVENT_LABELS.items()}
_EVENT_BY_LABEL = {label: key for key, label in _LABEL_BY_EVENT.items()}
# A shortened recipient id needs this many characters, so a stray digit never picks someone.
MIN_ID_PREFIX = 4


def event_labels(events: Sequence[str]) -> list[str]:
    """The Chinese label of each event key (an unknown key is shown as it is)."""
    return [_LABEL_BY_EVENT.get(event, event) for event in events]


class NoRecipients(BadRequest):
    default_message = "还没有通知接收人：请先添加接收人，或指定一个手机号"


class GatewayOff(GatewayNotConfigured):
    """A test message while no gateway is configured: a state to change first (409), not an outage."""

    http_status = 409


@dataclass(frozen=True)
class EventChoice:
    """A kind of event a recipient may receive: its key and its Chinese label."""

    key: str
    label: str


def event_choices() -> list[EventChoice]:
    return [EventChoice(key, _LABEL_BY_EVENT.get(key, key)) for key in NOTIFY_EVENTS]


@dataclass(frozen=True)
class RecipientEntry:
    """A recipient as listed, or as an add, update or remove left it (`updated_by`: who did that)."""

    id: str
    name: str
    phone: str
    removed: bool
    added_at: str
    updated_at: str
    updated_by: str
    events: list[str]

    @property
    def event_labels(self) -> list[str]:
        return event_labels(self.events)


@dataclass(frozen=True)
class LogEntry:
    """One notification in the log: what was queued for whom, and how its delivery went."""

    id: str
    dedupe_key: str
    kind: str
    phone: str
    title: str
    content: str
    cause: str
    status: str  # queued, delivered or failed
    attempts: int
    next_attempt_at: str | None
    last_error: str | None
    task_id: str | None  # the gateway's task, once delivered
    queued_at: str
    queued_seq: int
    delivered_at: str | None
    finished_at: str | None

    @property
    def kind_label(self) -> str:
        return _LABEL_BY_EVENT.get(self.kind, self.kind)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


@dataclass(frozen=True)
class Delivery:
    """What one delivery pass did with one notification."""

    id: str
    phone: str
    title: str | None
    outcome: str  # an OutcomeKind value
    outcome_label: str
    task_id: str | None
    error: str | None
    next_attempt_at: datetime | None


@dataclass(frozen=True)
class DispatchResult:
    """One delivery pass; `enabled` False means no gateway is configured and nothing was tried."""

    enabled: bool
    message: str  # why the pass stopped early, or that notifications are off; may be empty
    delivered: int
    retrying: int
    failed: int
    outcomes: list[Delivery]


@dataclass(frozen=True)
class GatewayAnswer:
    """What the gateway says of a task it took (GET /api/v1/tasks/{task_id}), or why it could not say."""

    phone: str
    task_id: str
    status: str  # the gateway's own word, e.g. completed; "" when the lookup failed
    message: str  # the gateway's message, or the reason the lookup failed
    ok: bool


@dataclass(frozen=True)
class SentTestMessage:
    """A test message: queued to `queued` phones, delivered to `delivered` of them by `run`.

    `run.outcomes` holds this message's deliveries only; its counts cover the whole pass, which
    also delivers whatever else was waiting. `answers`: the gateway's word on each task it took.
    """

    queued: int
    delivered: int
    run: DispatchResult
    answers: list[GatewayAnswer] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.delivered == self.queued


@dataclass(frozen=True)
class TemplateKind:
    kind: str
    label: str
    customised: bool  # the ledger holds a template of the user's; otherwise the built-in one is used


@dataclass(frozen=True)
class TemplateText:
    """The template in force for one kind of message, and the variables it may use."""

    kind: str
    label: str
    title: str
    content: str
    customised: bool
    variables: tuple[str, ...]


@dataclass(frozen=True)
class PreviewedMessage:
    kind: str
    title: str
    content: str


class NotificationsDeps(NotifyServices, Protocol):
    """The outbox's needs (ledger, recipients and notification log views, settings in force)."""


class Notifications:
    def __init__(self, deps: NotificationsDeps) -> None:
        self._deps = deps
        self._ledger = deps.ledger

    # --- sending -------------------------------------------------------------------------------

    def send_test(self, phone: str | None = None, *, actor: str) -> SentTestMessage:
        """Queue a test message to `phone` (default: every recipient) and deliver it now.

        A `phone` that is no mainland mobile number is refused first; then GatewayNotConfigured,
        before anything is queued, when notifications are off.
        """
        chosen = check_phone(phone) if phone else None
        try:
            gateway_client(self._deps).close()
        except GatewayNotConfigured as off:
            raise GatewayOff(str(off)) from None
        phones = [chosen] if chosen else [row.phone for row in self.recipients()]
        if not phones:
            raise NoRecipients()
        now = clock.now()
        # To the second, so two tests in one minute differ: the dispatcher tells a message already
        # at the gateway from a new one by its content.
        context = {"sent_by": actor, "sent_at": f"{now.astimezone():%Y-%m-%d %H:%M:%S}"}
        # The cause names who asked; a fresh suffix lets the same person test again.
        queued = queue_message(self._deps, EventKind.TEST_MESSAGE, context, f"test:{actor}:{uuid.uuid4().hex}",
                               phones)
        run = self._result(dispatch_pending(self._deps, now))
        ours = {notice.id for notice in queued}
        mine = [delivery for delivery in run.outcomes if delivery.id in ours]
        delivered = sum(1 for delivery in mine if delivery.outcome in _DELIVERED)
        return SentTestMessage(len(queued), delivered, DispatchResult(
            run.enabled, run.message, run.delivered, run.retrying, run.failed, mine), self._answers(mine))

    def _answers(self, deliveries: Sequence[Delivery]) -> list[GatewayAnswer]:
        """Ask the gateway about each task it took, so a person sees its own answer."""
        taken = [delivery for delivery in deliveries if delivery.task_id]
        if not taken:
            return []
        with gateway_client(self._deps) as client:
            return [_task_answer(client, delivery.phone, str(delivery.task_id)) for delivery in taken]

    def dispatch(self) -> DispatchResult:
        """Deliver every pending notification that is due now."""
        return self._result(dispatch_pending(self._deps, clock.now()))

    def _result(self, run: DispatchRun) -> DispatchResult:
        report = run.report
        return DispatchResult(run.enabled, run.message, len(report.delivered), len(report.retrying),
                              len(report.failed), [self._delivery(outcome) for outcome in report.outcomes])

    def _delivery(self, outcome: Outcome) -> Delivery:
        row = self._deps.notification_log.by_id(outcome.notification_id) or {}
        return Delivery(outcome.notification_id, outcome.phone, row.get("title"), outcome.kind.value,
                        OUTCOME_LABELS[outcome.kind], outcome.task_id, outcome.error, outcome.next_attempt_at)

    def recent(self, limit: int = 20) -> list[LogEntry]:
        """The newest `limit` notifications, newest first."""
        if limit < 1:
            raise BadRequest("条数必须是正整数")
        self._deps.projector.catch_up(["notifications"])
        return [LogEntry(**row) for row in self._deps.notification_log.recent(limit)]

    # --- recipients ----------------------------------------------------------------------------

    def recipients(self) -> list[RecipientEntry]:
        self._deps.projector.catch_up(["recipients"])
        return [RecipientEntry(**row) for row in self._deps.recipients.all()]

    def add_recipient(self, name: str, phone: str, events: Sequence[str] | None = None, *,
                      actor: str) -> RecipientEntry:
        """Add someone to notify; with no events given, they receive every kind."""
        keys = _event_keys(events or ()) or list(NOTIFY_EVENTS)
        return _change(self._ledger.add_recipient(checked_name(name), phone, keys, by=actor), actor)

    def update_recipient(self, recipient: str, *, name: str | None = None, phone: str | None = None,
                         events: Sequence[str] | None = None, actor: str) -> RecipientEntry:
        """Change a recipient's name, phone or events (None keeps it). `recipient`: id or its first
        characters, as long as they name exactly one current recipient."""
        if name is None and phone is None and events is None:
            raise BadRequest("请至少修改姓名、手机号或接收的事件中的一项")
        changed = self._ledger.update_recipient(
            self._recipient_id(recipient), by=actor, name=checked_name(name) if name is not None else None, phone=phone,
            events=_event_keys(events) if events is not None else None)
        return _change(changed, actor)

    def recipient(self, recipient: str) -> RecipientEntry:
        """One current recipient by id or its first characters (NotFound if removed or unknown)."""
        wanted = self._recipient_id(recipient)
        return next(row for row in self.recipients() if row.id == wanted)

    def remove_recipient(self, recipient: str, *, actor: str) -> RecipientEntry:
        return _change(self._ledger.remove_recipient(self._recipient_id(recipient), by=actor), actor)

    def _recipient_id(self, given: str) -> str:
        """A full id, or a prefix naming exactly one current recipient."""
        wanted = given.strip().lower()
        matches = [row.id for row in self.recipients() if len(wanted) >= MIN_ID_PREFIX and row.id.startswith(wanted)]
        if len(matches) > 1:
            raise BadRequest(f"编号 {given} 对应多位接收人，请多写几位")
        if not matches:
            raise NotFound(what="接收人", key=given)
        return matches[0]

    # --- templates -----------------------------------------------------------------------------

    def template_kinds(self) -> list[TemplateKind]:
        return [TemplateKind(kind.value, EVENT_LABELS[kind], user_template(self._deps, kind) is not None)
                for kind in EventKind]

    def template(self, kind: str) -> TemplateText:
        """The template in force for `kind` (the user's, else the built-in one)."""
        code = event_kind(kind)
        custom = user_template(self._deps, code)
        shown = custom or DEFAULT_TEMPLATES[code]
        return TemplateText(code.value, EVENT_LABELS[code], shown.title, shown.content, custom is not None,
                            variables(code))

    def set_template(self, kind: str, *, title: str | None = None, content: str | None = None,
                     actor: str) -> TemplateText:
        """Change the title and/or content of `kind`'s template after checking it renders.

        Both parts are stored, so the ledger holds exactly the template that was checked.
        """
        code = event_kind(kind)
        if title is None and content is None:
            raise BadRequest("请至少修改模板的标题或内容")
        check_template_text(title, content)
        template = validate_template(code, self._edited(code, title, content))
        parts = {TITLE_KEY.format(kind=code.value): template.title, TEMPLATE_KEY.format(kind=code.value): template.content}
        self._ledger.change_template({key: (value, self._deps.effective(key)) for key, value in parts.items()},
                                     by=actor)
        return self.template(code)

    def preview_template(self, kind: str, *, title: str | None = None, content: str | None = None
                         ) -> PreviewedMessage:
        """`kind`'s message rendered with sample values: the template in force, or with the given
        title and/or content in its place (checked as `set_template` would; TemplateError says why)."""
        code = event_kind(kind)
        check_template_text(title, content)
        message = preview(code, validate_template(code, self._edited(code, title, content)))
        return PreviewedMessage(code.value, message.title, message.content)

    def _edited(self, kind: EventKind, title: str | None, content: str | None) -> MessageTemplate:
        current = user_template(self._deps, kind) or DEFAULT_TEMPLATES[kind]
        return MessageTemplate(title if title is not None else current.title,
                               content if content is not None else current.content, current.message_type)


def _task_answer(client: GatewayClient, phone: str, task_id: str) -> GatewayAnswer:
    try:
        task = client.task(task_id)
    except TafError as error:
        return GatewayAnswer(phone, task_id, "", f"查询任务状态失败：{error}", False)
    return GatewayAnswer(phone, task.task_id, task.status, task.message, task.success)


def _event_keys(events: Sequence[str]) -> list[str]:
    """Event keys from keys or Chinese labels; unknown ones are left for the ledger to refuse."""
    return [_EVENT_BY_LABEL.get(event.strip(), event.strip()) for event in events if event.strip()]


def _change(recipient: Recipient, actor: str) -> RecipientEntry:
    return RecipientEntry(str(recipient.id), recipient.name, recipient.phone, recipient.removed,
                          recipient.created_on.isoformat(), recipient.modified_on.isoformat(), actor,
                          list(recipient.events))
