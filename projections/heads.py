"""Chain heads recorded where the database cannot rewrite them (B1): tape indexes and job reports.

Every tape index, every backup job's figures and every report sent to DingTalk carries the ledger's
hash-chain head h(k) of the moment it was made. `recorded_heads` collects what the ledger says it
wrote where; `judge` decides, for each head read back (from a tape, a report), whether the ledger as
it stands still reproduces it — and if not, names the event and what differs.

A head is reproduced when it equals the sealed h(k) at a position k before the first event the chain
check found altered (up to there the sealed chain is the recomputed one) and before the event that
recorded it. A head found nowhere is placed by the ledger's own record of it, else by when it was
written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from projections.replay import events

INDEX_TOPICS = tuple(f"ledger.domain.cartridge:Cartridge.{name}"
                     for name in ("Registered", "Labelled", "Erased", "IndexWritten"))
COMPLETED = "ledger.domain.job:Job.Completed"
QUEUED = "ledger.domain.notification:Notification.Queued"
REPORT_KINDS = frozenset({"backup_succeeded", "monthly_report"})  # the messages that carry the chain head
_HEAD_IN_TEXT = re.compile(r"链头[^0-9a-f]{0,12}([0-9a-f]{64})")

SENTENCES = {
    "tape": "磁带 {barcode} 的索引（磁带文件 {tape_file}）",
    "job": "任务 {job_id} 的报告（台账中的任务数据）",
    "report": "钉钉消息“{title}”（{count} 位接收人）",
    "ok": "{subject}：是第 {event} 号事件时的链头，台账重算一致",
    "altered": "{subject}：记录的是第 {event} 号事件时的链头，但台账自第 {first_bad} 号事件起已被改动，重算后不再是这个值",
    "later": "{subject}：记录的链头属于第 {event} 号事件，晚于记下它的第 {recorded} 号事件",
    "differs": "{subject}：记录的链头 {head} 与台账不符；台账记下的是第 {event} 号事件时的链头 {expected}",
    "unknown": "{subject}：记录的链头 {head} 不在台账重算的链上；它写于 {at}，当时台账到第 {event} 号事件，"
               "那时的链头是 {expected}",
    "unplaced": "{subject}：记录的链头 {head} 不在台账重算的链上，也无法确定它对应哪个事件",
    "missing": "{subject}：台账第 {recorded} 号事件记录这里写有索引，但磁带上读不到",
}


def short(head: str) -> str:
    return f"{head[:16]}…" if len(head) > 16 else head or "（空）"


@dataclass(frozen=True)
class Recorded:
    """A chain head the ledger says it wrote somewhere: the event that recorded it, and when."""

    head: str
    event: int
    at: datetime


@dataclass(frozen=True)
class Report:
    """A DingTalk report that carried the chain head, once for all its recipients."""

    cause: str
    kind: str
    title: str
    recipients: int
    recorded: Recorded


@dataclass
class RecordedHeads:
    indexes: dict[tuple[str, int, int], Recorded] = field(default_factory=dict)  # (barcode, label seq, file)
    labels: dict[str, int] = field(default_factory=dict)  # barcode → its label sequence now
    jobs: dict[str, Recorded] = field(default_factory=dict)  # backup job id → its figures' head
    reports: list[Report] = field(default_factory=list)

    def indexed_files(self) -> dict[str, list[int]]:
        """The tape files holding an index under each cartridge's present label, by barcode."""
        found: dict[str, list[int]] = {}
        for (barcode, sequence, tape_file) in self.indexes:
            if self.labels.get(barcode) == sequence:
                found.setdefault(barcode, []).append(tape_file)
        return found


def recorded_heads(ledger: Any) -> RecordedHeads:
    """Every chain head the ledger recorded writing: tape indexes, job figures, reports sent."""
    recorded = RecordedHeads()
    barcodes: dict[str, str] = {}
    for notification, event in events(ledger, INDEX_TOPICS, skip_undecodable=True):
        cartridge = str(event.originator_id)
        name = type(event).__name__
        if name == "Registered":
            barcodes[cartridge] = event.barcode
            recorded.labels.setdefault(event.barcode, 0)
        elif name == "Labelled" and cartridge in barcodes:
            recorded.labels[barcodes[cartridge]] = int(event.label_sequence)
        elif name == "IndexWritten" and cartridge in barcodes and event.chain_head:
            barcode = barcodes[cartridge]
            key = (barcode, recorded.labels.get(barcode, 0), int(event.tape_file))
            recorded.indexes[key] = Recorded(event.chain_head, int(notification.id), event.timestamp)
    for notification, event in events(ledger, (COMPLETED,), skip_undecodable=True):
        head = dict(event.figures or {}).get("chain_head")
        if head:
            recorded.jobs[str(event.originator_id)] = Recorded(str(head), int(notification.id), event.timestamp)
    reports: dict[tuple[str, str, str], Report] = {}
    for notification, event in events(ledger, (QUEUED,), skip_undecodable=True):
        found = _HEAD_IN_TEXT.search(event.content or "") if event.kind in REPORT_KINDS else None
        if found is None:
            continue
        sent = (str(event.cause), str(event.kind), found.group(1))
        before = reports.get(sent)
        reports[sent] = Report(event.cause, event.kind, event.title, (before.recipients if before else 0) + 1,
                              before.recorded if before else Recorded(found.group(1), int(notification.id),
                                                                        event.timestamp))
    recorded.reports = list(reports.values())
    return recorded


@dataclass(frozen=True)
class Claim:
    """A chain head read back from outside the ledger's tables, and what the ledger knows of it."""

    kind: str  # tape, job or report
    subject: str  # what it is, in Chinese
    head: str
    recorded_at: int | None  # the event that recorded it (None: the ledger has no record of it)
    moment: datetime | None  # when it was written
    others: tuple[str, ...] = ()  # the same head as recorded elsewhere (the ledger's copy, the other report)


@dataclass(frozen=True)
class HeadCheck:
    kind: str
    subject: str
    ok: bool
    head: str  # as read back
    event: int | None  # the event whose head it is, or should be
    expected: str  # the ledger's head for that event ("" when unknown)
    recorded_at: int | None
    message: str


def report_claims(recorded: RecordedHeads) -> list[Claim]:
    """The heads in every backup job's figures and in every report sent to DingTalk, each with
    the other's copy to fall back on."""
    sent: dict[str, list[str]] = {}
    for report in recorded.reports:
        sent.setdefault(report.cause.split(":", 1)[0], []).append(report.recorded.head)
    claims = [Claim("job", SENTENCES["job"].format(job_id=job_id), record.head, record.event, record.at,
                    tuple(head for head in sent.get(job_id, []) if head != record.head))
              for job_id, record in recorded.jobs.items()]
    for report in recorded.reports:
        job = recorded.jobs.get(report.cause.split(":", 1)[0])
        others = (job.head,) if job is not None and job.head != report.recorded.head else ()
        claims.append(Claim("report", SENTENCES["report"].format(title=report.title, count=report.recipients),
                            report.recorded.head, report.recorded.event, report.recorded.at, others))
    return claims


def tape_claim(recorded: RecordedHeads, barcode: str, label_sequence: int, tape_file: int, head: str,
               written_at: datetime | None) -> Claim:
    record = recorded.indexes.get((barcode, label_sequence, tape_file))
    others = (record.head,) if record is not None and record.head != head else ()
    return Claim("tape", SENTENCES["tape"].format(barcode=barcode, tape_file=tape_file), head,
                 record.event if record else None, written_at, others)


def missing_index(recorded: RecordedHeads, barcode: str, label_sequence: int, tape_file: int) -> HeadCheck | None:
    """The ledger says an index was written in `tape_file`, and the tape has none there."""
    record = recorded.indexes.get((barcode, label_sequence, tape_file))
    if record is None:
        return None
    subject = SENTENCES["tape"].format(barcode=barcode, tape_file=tape_file)
    return HeadCheck("tape", subject, False, "", None, record.head, record.event,
                     SENTENCES["missing"].format(subject=subject, recorded=record.event))


def wanted_heads(claims: Iterable[Claim]) -> set[str]:
    return {head for claim in claims for head in (claim.head, *claim.others) if head}


def judge(claims: Iterable[Claim], found: Mapping[str, int], first_bad: int | None,
          sealed_at: Callable[[int], str | None], locate: Callable[[datetime], int]) -> list[HeadCheck]:
    """Each claim checked against the sealed positions `found` (head → event) and the chain check's
    first altered event; `sealed_at` gives h(n), `locate` the last event at or before a moment."""
    return [_Judge(found, first_bad, sealed_at, locate).check(claim) for claim in claims]


@dataclass(frozen=True)
class _Judge:
    found: Mapping[str, int]
    first_bad: int | None
    sealed_at: Callable[[int], str | None]
    locate: Callable[[datetime], int]

    def reproduced(self, position: int | None) -> bool:
        return position is not None and (self.first_bad is None or position < self.first_bad)

    def check(self, claim: Claim) -> HeadCheck:
        position = self.found.get(claim.head)
        if position is None:
            return self._unfound(claim)
        if not self.reproduced(position):
            return self._verdict(claim, False, "altered", position)
        if claim.recorded_at is not None and position >= claim.recorded_at:
            return self._verdict(claim, False, "later", position, claim.head)
        return self._verdict(claim, True, "ok", position, claim.head)

    def _unfound(self, claim: Claim) -> HeadCheck:
        """A head on no sealed position: placed by another copy of it, else by when it was written."""
        for other in claim.others:
            position = self.found.get(other)
            if self.reproduced(position):
                return self._verdict(claim, False, "differs", position, other)
        if claim.moment is None:
            return self._verdict(claim, False, "unplaced", None)
        event = self.locate(claim.moment)
        expected = (self.sealed_at(event) or "") if self.reproduced(event) else ""
        return self._verdict(claim, False, "unknown", event, expected,
                             at=claim.moment.astimezone().strftime("%Y-%m-%d %H:%M:%S"))

    def _verdict(self, claim: Claim, ok: bool, key: str, event: int | None, expected: str = "",
                 **values: Any) -> HeadCheck:
        text = SENTENCES[key].format(subject=claim.subject, head=short(claim.head), event=event,
                                     expected=short(expected), first_bad=self.first_bad, recorded=claim.recorded_at,
                                     **values)
        return HeadCheck(claim.kind, claim.subject, ok, claim.head, event, expected, claim.recorded_at, text)
