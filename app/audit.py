"""Audit: is the ledger intact — its hash chain, and the chain heads written on tapes and into job
reports (B1) — what happened recently, the whole system as of a past moment (R2), and rebuilding
the read models from the ledger."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from app.errors import BadRequest
from app.replay import ReplayBase, Replayed, replay
from app.tape_heads import HeadsRead, TapeNote, read_heads
from ledger import chain
from media.ports import SessionServices
from projections.audit import AuditLogView, event_attributes
from projections.audit_text import actor, describe
from projections.chain_view import ChainView
from projections.heads import HeadCheck, judge, recorded_heads, report_claims, wanted_heads
from projections.replay import position_at
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


def event_line(number: int, event: Any) -> EventLine:
    """One domain event as a line of the log: its `number` (ledger position, or place within its
    aggregate), when, who, its type and what happened in Chinese."""
    name = event_name(event)
    attributes = event_attributes(event)
    return EventLine(number, event.timestamp.isoformat(timespec="seconds"), actor(attributes), name,
                     describe(name, attributes))


@dataclass(frozen=True)
class Rebuilt:
    views: list[str]
    events: int


@dataclass(frozen=True)
class AuditVerdict:
    """`audit verify`: the hash chain, and every chain head recorded outside the ledger's tables."""

    chain: ChainVerdict
    heads: list[HeadCheck]
    tapes_read: list[str] = field(default_factory=list)
    tapes_skipped: list[TapeNote] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.chain.ok and all(check.ok for check in self.heads)

    @property
    def mismatches(self) -> list[HeadCheck]:
        return [check for check in self.heads if not check.ok]

    @property
    def summary(self) -> str:
        counts = {kind: sum(1 for check in self.heads if check.kind == kind) for kind in HEAD_KINDS}
        checked = "、".join(f"{label} {counts[kind]} 个" for kind, label in HEAD_KINDS.items())
        return (f"核对记录在台账之外的链头：{checked}；一致 {len(self.heads) - len(self.mismatches)} 个，"
                f"不符 {len(self.mismatches)} 个")


HEAD_KINDS = {"tape": "磁带索引", "job": "任务数据", "report": "钉钉报告"}


class AuditDeps(ReplayBase, SessionServices, Protocol):
    """The ledger and its sealed chain, the projector, the settings in force (a replay starts from
    them), a device session to read the tapes' indexes, and the operation log (a read model)."""

    @property
    def chain(self) -> ChainView: ...

    @property
    def audit(self) -> AuditLogView: ...


class Audit:
    def __init__(self, deps: AuditDeps) -> None:
        self._deps = deps
        self._ledger = deps.ledger
        self._projector = deps.projector
        self._chain = deps.chain

    def verify_chain(self) -> ChainVerdict:
        """Seal what was appended since the last check, then recompute the whole chain (B1)."""
        self._projector.catch_up(["chain"])
        verdict = chain.verify(self._ledger.notifications(), self._chain.sealed())
        return ChainVerdict(verdict.ok, verdict.head, verdict.checked, verdict.first_bad, verdict.message)

    def verify(self, *, actor: str, tapes: Sequence[str] | None = None, read_tapes: bool = True,
               device: str | None = None) -> AuditVerdict:
        """The hash chain, and each chain head written where the database cannot rewrite it: in the
        index of every tape the drive can reach (or of those named), in the backup jobs' figures and
        in the reports sent to DingTalk. Each head the ledger no longer reproduces is named with its
        event number and what differs."""
        recorded = recorded_heads(self._ledger)
        read = read_heads(self._deps, recorded, tapes, actor=actor, device=device) if read_tapes else HeadsRead()
        claims = [*report_claims(recorded), *read.claims]
        self._projector.catch_up(["chain"])
        found: dict[str, int] = {}
        sealed = _tapped(self._chain.sealed(), wanted_heads(claims), found)
        verdict = chain.verify(self._ledger.notifications(), sealed)
        for _ in sealed:  # the chain check stops at the first altered event; the heads need every seal
            pass
        checks = judge(claims, found, verdict.first_bad, self._chain.hash_at,
                       lambda moment: position_at(self._ledger, moment))
        return AuditVerdict(
            ChainVerdict(verdict.ok, verdict.head, verdict.checked, verdict.first_bad, verdict.message),
            [*read.problems, *checks], read.read, read.skipped)

    def replay(self, until: str, views: Sequence[str] = ()) -> Replayed:
        """The inventory (with each tape's expiry and why, judged then), the backup groups, the settings
        in force, the job history and the notification log as they stood at `until` — a date, a date
        and time, or an event number — rebuilt in memory from the ledger alone."""
        return replay(self._deps, until, views)

    def recent_events(self, limit: int) -> list[EventLine]:
        """The newest `limit` events of the ledger itself, newest first, described in Chinese."""
        if limit < 1:
            raise BadRequest("条数必须是正整数")
        head = self._ledger.head_id()
        lines = [event_line(notification.id, self._ledger.mapper.to_domain_event(notification))
                 for notification in self._ledger.notifications(max(0, head - limit))]
        lines.reverse()
        return lines

    def operations(self, limit: int) -> list[EventLine]:
        """The newest `limit` lines of the operation log, newest first: what `recent_events` says,
        read from its read model (no event is decoded again — a package's manifest may hold
        thousands of entries)."""
        if limit < 1:
            raise BadRequest("条数必须是正整数")
        self._projector.catch_up(["audit_log"])
        return [EventLine(row["id"], row["at"], row["actor"], row["event"], row["summary"])
                for row in self._deps.audit.recent(limit)]

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


def _tapped(sealed: Iterator[tuple[int, str]], wanted: set[str], found: dict[str, int]) -> Iterator[tuple[int, str]]:
    """The sealed chain passed through, noting where each wanted head is sealed."""
    for position, value in sealed:
        if value in wanted:
            found.setdefault(value, position)
        yield position, value
