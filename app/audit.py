"""Audit: is the ledger intact — its hash chain, and the chain heads written on tapes and into job
reports (B1) — what happened (the newest events, and every event by aggregate, type, user and time,
each in Chinese with its stored fields), the whole system as of a past moment (R2), the months a
report can be made for, and rebuilding the read models from the ledger."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from app.errors import BadRequest, Unknown
from app.logs import moment
from app.raw_fields import plain_fields
from app.replay import ReplayBase, Replayed, replay
from app.tape_heads import HeadsRead, TapeNote, read_heads
from ledger import chain
from ledger.domain import BackupGroup, Cartridge, User
from media.ports import SessionServices
from projections.audit import AuditLogView, Browse, Subject, event_attributes
from projections.audit_text import CATEGORIES, SENTENCES, actor, describe, event_label
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


# The aggregates the event browser filters by, and the event name prefixes of each (a job's own
# state changes are `Job.*` whether it backs up or restores; a package's manifest goes with its tape).
AGGREGATES = {"Cartridge": "磁带", "Drive": "驱动器", "BackupGroup": "备份组", "Job": "任务（备份与恢复）",
              "Settings": "设置", "User": "用户", "Recipient": "通知接收人", "Notification": "通知"}
_PREFIXES = {"Job": ("BackupJob.", "RestoreJob.", "Job."), "Cartridge": ("Cartridge.", "PackageManifest.")}


EVENT_TYPES = {name: event_label(name) for name in SENTENCES}


def aggregate_of(name: str) -> str:
    """Which of AGGREGATES an event type belongs to ("" for none)."""
    return next((key for key in AGGREGATES if name.startswith(_PREFIXES.get(key, (f"{key}.",)))), "")


@dataclass(frozen=True)
class EventRow:
    """One ledger event in the browser: its number, when, who, its type (and that in Chinese), the
    aggregate it changed, and what happened in Chinese."""

    id: int
    at: str
    actor: str
    category: str
    event: str
    event_label: str
    aggregate_id: str
    summary: str


@dataclass(frozen=True)
class EventPage:
    events: list[EventRow]  # newest first
    head: int  # the ledger's newest event
    more: bool  # older events match too: ask again with `before` = the last one's id


@dataclass(frozen=True)
class RawEvent:
    """One event as stored: the row, the aggregate's id and version, the topic, and every field of
    its state (a password's or a token's hash and a sealed secret's ciphertext are hidden; a long
    list is cut to its first items, named in `shortened` with its full length)."""

    row: EventRow
    originator_version: int
    topic: str
    fields: dict[str, Any]
    shortened: dict[str, int]


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


LARGEST_NUMBER = 2**62  # an event number the stores can compare (SQLite's integers are 64-bit)
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

    def events(self, *, aggregate: str = "", subject: str = "", event: str = "", user: str = "", since: str = "",
               until: str = "", before: int = 0, limit: int = 50) -> EventPage:
        """The ledger's events, newest first, narrowed to one kind of aggregate (AGGREGATES) or one
        aggregate (`subject`: its id, or a cartridge's barcode, a user's or a group's name), one event
        type, who acted, and a time (a date, or a date and time); `before` pages back."""
        if aggregate and aggregate not in AGGREGATES:
            raise BadRequest(f"未知的对象类型“{aggregate}”。可选：{'、'.join(AGGREGATES)}")
        if event and event not in EVENT_TYPES:
            raise BadRequest(f"未知的事件类型“{event}”")
        if not 1 <= limit <= 1000:
            raise BadRequest("条数必须在 1 到 1000 之间")
        if not 0 <= before <= LARGEST_NUMBER:
            raise BadRequest("before 必须是事件序号")
        start, end = moment(since), moment(until, end=True)
        self._projector.catch_up(["audit_log"])
        rows = self._deps.audit.browse(Browse(
            since=start.astimezone(UTC).isoformat() if start else "", until=end.astimezone(UTC).isoformat() if end else "",
            actor=user.strip(), subjects=[_subject(subject)] if subject.strip() else [], events=[event] if event else [],
            prefixes=_PREFIXES.get(aggregate, (f"{aggregate}.",)) if aggregate else (), before=before,
            limit=limit + 1))
        return EventPage([_row(row) for row in rows[:limit]], self._ledger.head_id(), len(rows) > limit)

    def event(self, number: int) -> RawEvent:
        """Event `number` with every field it was stored with."""
        head = self._ledger.head_id()
        found = self._ledger.recorder.select_notifications(number, 1, stop=number) if 1 <= number <= head else []
        if not found:
            raise Unknown(f"台账中没有第 {number} 号事件（现有 1–{head} 号）")
        stored = found[0]
        domain_event: Any = self._ledger.mapper.to_domain_event(stored)
        name = type(domain_event).__qualname__
        attributes = event_attributes(domain_event)
        row = EventRow(stored.id, domain_event.timestamp.isoformat(), actor(attributes),
                       CATEGORIES.get(name.split(".")[0], "系统"), name, EVENT_TYPES.get(name, name),
                       str(domain_event.originator_id), describe(name, attributes))
        fields, shortened = plain_fields(vars(domain_event))
        return RawEvent(row, int(domain_event.originator_version), stored.topic, fields, shortened)

    def months(self) -> list[str]:
        """The months (YYYY-MM) from the ledger's first event to now, newest first: those a monthly
        report can be made for."""
        first = next(iter(self._ledger.notifications(0, stop=1)), None)
        if first is None:
            return []
        opening: Any = self._ledger.mapper.to_domain_event(first)
        start = opening.timestamp.astimezone()
        now = datetime.now().astimezone()
        count = (now.year - start.year) * 12 + now.month - start.month
        return [f"{(start.month - 1 + n) // 12 + start.year:04d}-{(start.month - 1 + n) % 12 + 1:02d}"
                for n in range(count, -1, -1)]

    def head_id(self) -> int:
        return self._ledger.head_id()

    def view_names(self) -> list[str]:
        return [view.name for view in self._projector.views]

    def view_titles(self) -> list[tuple[str, str]]:
        """(name, title) of every read model: the title for people, the name for commands."""
        return [(view.name, view.title) for view in self._projector.views]

    def rebuild_views(self, name: str = "") -> Rebuilt:
        """Drop and rebuild one read model, or every one that a blanket rebuild covers."""
        known = self.view_names()
        if name and name not in known:
            raise BadRequest(f"没有名为 {name} 的读模型。可选：{'、'.join(known)}")
        names = [name] if name else []
        count = self._projector.rebuild(names)
        return Rebuilt(names or [v.name for v in self._projector.views if v.rebuild_with_all], count)


def _subject(text: str) -> Subject:
    """One aggregate: its id (or the first characters of one), or a barcode, a user's or a group's name."""
    value = text.strip()
    try:
        return Subject([str(uuid.UUID(value))])
    except ValueError:
        named = [Cartridge.create_id(barcode=value), User.create_id(name=value), BackupGroup.create_id(name=value)]
        return Subject([str(one) for one in named], prefix=value)


def _row(row: dict[str, Any]) -> EventRow:
    return EventRow(int(row["id"]), str(row["at"]), str(row["actor"]), str(row["category"]), str(row["event"]),
                    EVENT_TYPES.get(str(row["event"]), str(row["event"])), str(row["aggregate_id"]), str(row["summary"]))


def _tapped(sealed: Iterator[tuple[int, str]], wanted: set[str], found: dict[str, int]) -> Iterator[tuple[int, str]]:
    """The sealed chain passed through, noting where each wanted head is sealed."""
    for position, value in sealed:
        if value in wanted:
            found.setdefault(value, position)
        yield position, value
