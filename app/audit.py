"""Audit: is the ledger intact, what happened recently, and rebuilding the read models from it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from app.errors import BadRequest
from ledger import chain
from ledger.application import Ledger
from projections.audit import event_attributes
from projections.audit_text import actor, describe
from projections.chain_view import ChainView
from projections.runner import Projector
from projections.view import event_name


@dataclass(frozen=True)
class ChainVerdict:
    ok: bool
    head: str
    checked: int
    first_bad: int | None
    message: str  # the Chinese sentence: intact, or the first event that is not


@dataclass(frozen=True)
class EventLine:
    id: int
    at: str
    actor: str
    event: str
    summary: str  # what happened, in Chinese


@dataclass(frozen=True)
class Rebuilt:
    views: list[str]
    events: int


class AuditDeps(Protocol):
    @property
    def ledger(self) -> Ledger: ...

    @property
    def projector(self) -> Projector: ...

    @property
    def chain(self) -> ChainView: ...


class Audit:
    def __init__(self, deps: AuditDeps) -> None:
        self._ledger = deps.ledger
        self._projector = deps.projector
        self._chain = deps.chain

    def verify_chain(self) -> ChainVerdict:
        """Seal what was appended since the last check, then recompute the whole chain (B1)."""
        self._projector.catch_up(["chain"])
        verdict = chain.verify(self._ledger.notifications(), self._chain.sealed())
        return ChainVerdict(verdict.ok, verdict.head, verdict.checked, verdict.first_bad, verdict.message)

    def recent_events(self, limit: int) -> list[EventLine]:
        """The newest `limit` events of the ledger itself, newest first, described in Chinese."""
        if limit < 1:
            raise BadRequest("条数必须是正整数")
        head = self._ledger.head_id()
        lines = []
        for notification in self._ledger.notifications(max(0, head - limit)):
            event: Any = self._ledger.mapper.to_domain_event(notification)  # every TAF event has a timestamp
            name = event_name(event)
            attributes = event_attributes(event)
            lines.append(EventLine(notification.id, event.timestamp.isoformat(timespec="seconds"),
                                   actor(attributes), name, describe(name, attributes)))
        lines.reverse()
        return lines

    def head_id(self) -> int:
        return self._ledger.head_id()

    def view_names(self) -> list[str]:
        return [view.name for view in self._projector.views]

    def rebuild_views(self, name: str = "") -> Rebuilt:
        """Drop and rebuild one read model, or every one that a blanket rebuild covers."""
        known = self.view_names()
        if name and name not in known:
            raise BadRequest(f"没有名为 {name} 的读模型。可选：{'、'.join(known)}")
        names = [name] if name else []
        count = self._projector.rebuild(names)
        return Rebuilt(names or [v.name for v in self._projector.views if v.rebuild_with_all], count)
