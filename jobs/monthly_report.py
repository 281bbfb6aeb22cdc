"""The monthly report (issue 17): what a month did, from the ledger alone, for the auditor.

The report replays the ledger in memory up to the end of the month (`projections.replay`), so every
status in it is as it stood then; on the way it stops just before each erase to ask the lifecycle
rules why that tape was free, which is the erase's evidence. The month's events themselves — groups
opened, jobs, restores, erases, retention and setting changes, notifications — are read by topic.
Where each cartridge is now comes from the live inventory; the month-end chain head from the sealed
chain, checked by recomputing the whole chain. Month boundaries are this host's local time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from kernel.errors import EXIT_USAGE, TafError
from ledger import chain as hash_chain
from ledger import clock
from ledger.domain import Cartridge
from media import lifecycle
from media.ports import LifecycleServices
from media.replayed import ReplayedServices
from projections.chain_view import ChainView
from projections.replay import SETTING_CHANGED, Replay, events, position_at, settings_as_of

TOPIC = {
    "erased": "ledger.domain.cartridge:Cartridge.Erased",
    "expired": "ledger.domain.cartridge:Cartridge.Expired",
    "retention": "ledger.domain.cartridge:Cartridge.RetentionChanged",
    "packages": "ledger.domain.job:BackupJob.PackageRecorded",
    "failed": "ledger.domain.job:Job.Failed",
    "completed": "ledger.domain.job:Job.Completed",
    "restore": "ledger.domain.job:RestoreJob.Requested",
}
WORDS = {"failed": "失败", "warning": "警告", "retention": "磁带 {barcode} 的存活期（月）", "setting": "设置 {key}"}
_EVERY = 1_000_000_000


class BadMonth(TafError):
    """A month that is not YYYY-MM (exit code 2, HTTP 400)."""

    exit_code = EXIT_USAGE
    default_message = "月份无效"


@dataclass(frozen=True)
class Month:
    """A calendar month on this host's wall clock: [start, end)."""

    name: str
    start: datetime
    end: datetime

    @property
    def before(self) -> datetime:
        return self.start - timedelta(microseconds=1)

    @property
    def last_moment(self) -> datetime:
        return self.end - timedelta(microseconds=1)

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment.astimezone() < self.end


def parse_month(text: str) -> Month:
    """YYYY-MM as a Month (raises `BadMonth` in Chinese)."""
    value = str(text).strip()
    # Years 1900–2999 only: the month's end must exist and local-time conversion must work.
    if not re.fullmatch(r"(19|2\d)\d{2}-\d{2}", value) or not 1 <= int(value[5:]) <= 12:
        raise BadMonth(f"月份“{text}”无效：请写成 YYYY-MM（1900–2999 年），如 2026-03")
    year, number = int(value[:4]), int(value[5:])
    start = datetime(year, number, 1).astimezone()
    end = datetime(year + number // 12, number % 12 + 1, 1).astimezone()
    return Month(value, start, end)


def previous_month(moment: datetime) -> str:
    """The month before the one `moment` falls in (what a report made on the 1st covers)."""
    first = moment.astimezone().replace(day=1)
    return f"{first - timedelta(days=1):%Y-%m}"


class ReportServices(LifecycleServices, Protocol):
    """The ledger, its sealed chain and projector, the live inventory (where each tape is now), and
    the settings in force now (for values the ledger never changed)."""

    @property
    def chain(self) -> ChainView: ...


@dataclass(frozen=True)
class GroupMade:
    name: str
    opened_at: str
    opened_by: str
    runs: int
    active_at_month_end: bool
    cartridges: list[str]


@dataclass(frozen=True)
class CartridgeUsed:
    barcode: str
    groups: list[str]  # groups written to it this month
    packages: int  # packages written to it this month
    status_at_month_end: str
    location_at_month_end: str
    status_now: str
    location_now: str


@dataclass(frozen=True)
class JobFigures:
    job_id: str
    kind: str  # monthly, manual …
    group: str
    status: str
    requested_by: str
    started_at: str | None
    finished_at: str | None
    files: int
    bytes_in: int
    bytes_on_tape: int
    compression_ratio: float  # bytes on tape / bytes in (0 when nothing was read)
    seconds: float
    throughput: float  # bytes in per second of the whole job
    write_rate: float  # bytes written to tape per second of writing
    warnings: int


@dataclass(frozen=True)
class Problem:
    at: str
    kind: str  # 失败 or 警告
    job_id: str
    text: str


@dataclass(frozen=True)
class RestoreAsked:
    job_id: str
    requested_at: str
    requested_by: str
    selection: list[str]
    group: str
    target: str
    status_at_month_end: str


@dataclass(frozen=True)
class EraseEvidence:
    at: str
    barcode: str
    mode: str
    by: str
    label_sequence: int
    rule: str  # the lifecycle rules' reason code just before the erase
    evidence: str  # their sentence: which rule made the tape free
    expired_record: str  # the retention check's record, if it marked the tape expired


@dataclass(frozen=True)
class Change:
    at: str
    by: str
    subject: str
    old: str
    new: str


@dataclass(frozen=True)
class NotificationLine:
    queued_at: str
    kind: str
    phone: str
    title: str
    status: str
    attempts: int
    finished_at: str | None
    error: str


@dataclass(frozen=True)
class ChainAtMonthEnd:
    position: int  # the last event of the month
    head: str  # h(position) as sealed
    verifies: bool  # the ledger recomputed reproduces it
    message: str


@dataclass(frozen=True)
class MonthlyReport:
    month: str
    period_start: str
    period_end: str
    generated_at: str
    first_event: int  # the month's events are first_event…last_event (none when first > last)
    last_event: int
    summary: dict[str, Any]
    groups: list[GroupMade] = field(default_factory=list)
    cartridges: list[CartridgeUsed] = field(default_factory=list)
    jobs: list[JobFigures] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    restores: list[RestoreAsked] = field(default_factory=list)
    erases: list[EraseEvidence] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    notifications: list[NotificationLine] = field(default_factory=list)
    chain: ChainAtMonthEnd | None = None


def monthly_report(services: ReportServices, month: str) -> MonthlyReport:
    """The report of `month` (YYYY-MM), built from the ledger."""
    period = parse_month(month)
    ledger = services.ledger
    before = position_at(ledger, period.before)
    last = position_at(ledger, period.last_moment)
    replay = Replay(ledger, ("inventory", "groups", "jobs", "notifications"))
    try:
        erases = _erases(services, replay, before, last)
        replay.advance(last)
        return _assemble(services, replay, period, before, last, erases)
    finally:
        replay.close()


def _in(period: Month, text: str | None) -> bool:
    return bool(text) and period.contains(datetime.fromisoformat(str(text)))


def _assemble(services: ReportServices, replay: Replay, period: Month, before: int, last: int,
              erases: list[EraseEvidence]) -> MonthlyReport:
    ledger = services.ledger
    groups = [GroupMade(row["name"], row["opened_at"], row["opened_by"], row["runs"], row["active"], row["cartridges"])
              for row in replay.view("groups").all() if _in(period, row["opened_at"])]
    jobs = [_job_figures(row) for row in replay.view("jobs").rows(limit=_EVERY)
            if row["kind"] != "restore" and (_in(period, row["requested_at"]) or _in(period, row["finished_at"]))]
    jobs.sort(key=lambda job: (job.started_at or "", job.job_id))
    notifications = [_notification(row) for row in replay.view("notifications").recent(_EVERY)
                     if _in(period, row["queued_at"]) or _in(period, row["finished_at"])]
    notifications.reverse()
    report = MonthlyReport(
        month=period.name, period_start=period.start.isoformat(), period_end=period.end.isoformat(),
        generated_at=clock.now().astimezone().isoformat(timespec="seconds"), first_event=before + 1,
        last_event=last, summary={}, groups=groups, cartridges=_cartridges(services, replay, before, last), jobs=jobs,
        problems=_problems(ledger, before, last), restores=_restores(ledger, replay, before, last), erases=erases,
        changes=_changes(ledger, before, last), notifications=notifications, chain=_chain(services, last))
    return replace(report, summary=_summary(report))


def _summary(report: MonthlyReport) -> dict[str, Any]:
    """The month's figures in one place (the same numbers as the sections below them)."""
    done = [job for job in report.jobs if job.status in ("succeeded", "partial")]
    bytes_in = sum(job.bytes_in for job in done)
    on_tape = sum(job.bytes_on_tape for job in done)
    seconds = sum(job.seconds for job in done)
    chain = report.chain
    return {
        "groups_made": len(report.groups), "cartridges_used": len(report.cartridges),
        "backup_jobs": len(report.jobs), "jobs_succeeded": sum(1 for job in report.jobs if job.status == "succeeded"),
        "jobs_partial": sum(1 for job in report.jobs if job.status == "partial"),
        "jobs_failed": sum(1 for job in report.jobs if job.status == "failed"),
        "files": sum(job.files for job in done), "bytes_in": bytes_in, "bytes_on_tape": on_tape,
        "compression_ratio": round(on_tape / bytes_in, 4) if bytes_in else 0.0,
        "throughput": round(bytes_in / seconds, 1) if seconds else 0.0,
        "failures": sum(1 for problem in report.problems if problem.kind == WORDS["failed"]),
        "warnings": sum(1 for problem in report.problems if problem.kind == WORDS["warning"]),
        "restores": len(report.restores), "erases": len(report.erases), "changes": len(report.changes),
        "notifications_sent": sum(1 for n in report.notifications if n.status == "delivered"),
        "notifications_failed": sum(1 for n in report.notifications if n.status == "failed"),
        "notifications_pending": sum(1 for n in report.notifications if n.status == "queued"),
        "chain_position": chain.position if chain else 0, "chain_head": chain.head if chain else "",
        "chain_verifies": bool(chain and chain.verifies),
    }


def _job_figures(row: dict[str, Any]) -> JobFigures:
    figures = row["figures"] or {}
    bytes_in, on_tape = int(figures.get("bytes_in", 0)), int(figures.get("bytes_packed", 0))
    seconds = float(figures.get("seconds", 0.0))
    return JobFigures(
        job_id=row["job_id"], kind=row["kind"], group=row["grp"],
        status=row["status"], requested_by=row["requested_by"], started_at=row["started_at"],
        finished_at=row["finished_at"], files=int(figures.get("files", 0)), bytes_in=bytes_in, bytes_on_tape=on_tape,
        compression_ratio=round(on_tape / bytes_in, 4) if bytes_in else 0.0, seconds=round(seconds, 3),
        throughput=round(bytes_in / seconds, 1) if seconds else 0.0,
        write_rate=float(figures.get("write_rate", 0.0)), warnings=int(row["warnings"]))


def _notification(row: dict[str, Any]) -> NotificationLine:
    return NotificationLine(row["queued_at"], row["kind"], row["phone"], row["title"], row["status"],
                            int(row["attempts"]), row["finished_at"], row["last_error"] or "")


def _cartridges(services: ReportServices, replay: Replay, before: int, last: int) -> list[CartridgeUsed]:
    """The cartridges the month's jobs wrote packages to, with their groups, then and now."""
    jobs = {row["job_id"]: row["grp"] for row in replay.view("jobs").rows(limit=_EVERY)}
    written: dict[str, tuple[list[str], int]] = {}
    for _, event in events(services.ledger, (TOPIC["packages"],), before, last):
        groups, count = written.get(event.cartridge, ([], 0))
        group = jobs.get(str(event.originator_id), "")
        written[event.cartridge] = ([*groups, group] if group and group not in groups else groups, count + 1)
    live = {row["barcode"]: row for row in services.inventory.all()}
    then = {row["barcode"]: row for row in replay.view("inventory").all()}
    return [CartridgeUsed(barcode, groups, count, then.get(barcode, {}).get("status", ""),
                          then.get(barcode, {}).get("location", ""), live.get(barcode, {}).get("status", ""),
                          live.get(barcode, {}).get("location", ""))
            for barcode, (groups, count) in sorted(written.items())]


def _problems(ledger: Any, before: int, last: int) -> list[Problem]:
    found = []
    for _, event in events(ledger, (TOPIC["failed"], TOPIC["completed"]), before, last):
        at, job_id = event.timestamp.isoformat(), str(event.originator_id)
        if type(event).__name__ == "Failed":
            found.append(Problem(at, WORDS["failed"], job_id, str(event.reason)))
        else:
            found.extend(Problem(at, WORDS["warning"], job_id, str(line)) for line in event.warnings or [])
    return found


def _restores(ledger: Any, replay: Replay, before: int, last: int) -> list[RestoreAsked]:
    status = {row["job_id"]: row["status"] for row in replay.view("jobs").rows(kind="restore", limit=_EVERY)}
    return [RestoreAsked(str(event.originator_id), event.timestamp.isoformat(), event.by, list(event.selection),
                         event.group, event.target, status.get(str(event.originator_id), ""))
            for _, event in events(ledger, (TOPIC["restore"],), before, last)]


def _shown(value: Any) -> str:
    if isinstance(value, dict) and "hint" in value:
        return str(value["hint"])  # a secret: only its mask ever entered the ledger
    return "—" if value is None else str(value)


def _changes(ledger: Any, before: int, last: int) -> list[Change]:
    barcodes: dict[str, str] = {}
    for _, event in events(ledger, ("ledger.domain.cartridge:Cartridge.Registered",), 0, last):
        barcodes[str(event.originator_id)] = event.barcode
    found = []
    for _, event in events(ledger, (TOPIC["retention"], SETTING_CHANGED), before, last):
        if type(event).__name__ == "RetentionChanged":
            subject = WORDS["retention"].format(barcode=barcodes.get(str(event.originator_id), "?"))
            old = event.old if event.old is not None else getattr(event, "old_in_force", None)
        else:
            subject, old = WORDS["setting"].format(key=event.key), event.old
        found.append(Change(event.timestamp.isoformat(), event.by, subject, _shown(old), _shown(event.new)))
    return found


def _erases(services: ReportServices, replay: Replay, before: int, last: int) -> list[EraseEvidence]:
    """Each erase of the month, with the lifecycle rules' verdict on its tape just before it."""
    barcodes = {str(Cartridge.create_id(row["barcode"])): row["barcode"] for row in services.inventory.all()}
    expired: dict[str, str] = {}  # the retention check's record since the tape was last erased
    found = []
    for notification, event in events(services.ledger, (TOPIC["erased"], TOPIC["expired"]), 0, last):
        cartridge = str(event.originator_id)
        if type(event).__name__ == "Expired":
            expired[cartridge] = str(event.reason)
            continue
        record = expired.pop(cartridge, "")
        if notification.id > before:
            replay.advance(notification.id - 1)
            found.append(_evidence(services, replay, notification.id, event, barcodes.get(cartridge, "?"), record))
    return found


def _evidence(services: ReportServices, replay: Replay, position: int, event: Any, barcode: str,
              expired_record: str) -> EraseEvidence:
    """Why the tape was free: the rules asked over the tapes and settings as they stood just before."""
    then = ReplayedServices(services, replay, settings_as_of(services.ledger, position - 1))
    verdict = next((v for row, v in lifecycle.status(then, event.timestamp) if row["barcode"] == barcode), None)
    return EraseEvidence(event.timestamp.isoformat(), barcode, str(event.mode), str(getattr(event, "by", "")),
                         int(event.label_sequence), verdict.reason.value if verdict else "",
                         verdict.explanation if verdict else "", expired_record)


def _chain(services: ReportServices, last: int) -> ChainAtMonthEnd:
    """The head at the month's last event, and whether the ledger recomputed still gives it."""
    services.projector.catch_up(["chain"])
    head = services.chain.hash_at(last) if last else hash_chain.GENESIS.hex()
    verdict = hash_chain.verify(services.ledger.notifications(), services.chain.sealed())
    verifies = head is not None and (verdict.ok or (verdict.first_bad is not None and verdict.first_bad > last))
    return ChainAtMonthEnd(last, head or "", verifies, verdict.message)

