"""What the 钉钉通知 tab of the settings page shows: the gateway (its token masked), the recipients,
the message templates with a preview. Values come from `App` verbs only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.errors import BadRequest
from app.facade import App
from app.notifications import SentTestMessage, event_choices
from kernel.errors import TafError
from web import messages
from web.settings_view import GATEWAY_KEYS, rows_by_key

DELIVERED = frozenset({"delivered", "already_delivered"})


def gateway_context(taf: App) -> dict[str, Any]:
    rows = rows_by_key(taf.settings.show())
    return {"gateway": {key: rows[key] for key in GATEWAY_KEYS if key in rows}}


def recipients_context(taf: App, **extra: Any) -> dict[str, Any]:
    return {"recipients": taf.notifications.recipients(), "choices": event_choices(), "editing": "", **extra}


def templates_context(taf: App, kind: str = "", **extra: Any) -> dict[str, Any]:
    """The template kinds, and the one being looked at (the first by default) with its preview."""
    kinds = taf.notifications.template_kinds()
    shown = taf.notifications.template(kind or kinds[0].kind)
    preview, problem = None, ""
    try:
        preview = taf.notifications.preview_template(shown.kind)
    except TafError as error:  # a stored template that no longer renders: say so beside it
        problem = error.message
    return {"kinds": kinds, "message_template": shown, "preview": preview, "preview_error": problem, **extra}


def dingtalk_context(taf: App) -> dict[str, Any]:
    return {**gateway_context(taf), **recipients_context(taf), **templates_context(taf)}


@dataclass(frozen=True)
class TestRow:
    """One phone of a test message: how delivery went, and what the gateway said about its task."""

    phone: str
    outcome: str
    delivered: bool
    task_id: str
    status: str  # the gateway's word for the task, e.g. completed
    answer: str  # the gateway's message, or why delivery failed


def test_rows(sent: SentTestMessage) -> list[TestRow]:
    answers = {answer.task_id: answer for answer in sent.answers}
    rows = []
    for delivery in sent.run.outcomes:
        answer = answers.get(delivery.task_id or "")
        said = answer.message if answer else (delivery.error or "")
        rows.append(TestRow(delivery.phone, delivery.outcome_label, delivery.outcome in DELIVERED, delivery.task_id or "",
                            answer.status if answer else "", said or messages.NO_ANSWER))
    return rows


def events_ticked(events: list[str]) -> list[str]:
    """The events ticked on the recipient form: at least one (an empty form would mean "nothing")."""
    if not events:
        raise BadRequest(messages.EVENTS_REQUIRED)
    return events
