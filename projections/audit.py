"""The operation/audit log: one row per ledger event, who did what, in Chinese."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from projections.audit_text import actor, category, describe
from projections.store import Cursor
from projections.view import View, event_name

_SKIP = {"timestamp", "originator_id", "originator_version", "originator_topic", "manifest"}


_COLUMNS = ("id", "at", "actor", "category", "event", "aggregate_id", "summary")


@dataclass(frozen=True)
class Subject:
    """One thing the rows must be about: an event of one of `aggregates` (ids) or of an aggregate
    whose id starts with `prefix` (a job's short number), or a summary that names `text` (a
    cartridge's barcode appears in its drive's and its group's events too)."""

    aggregates: Sequence[str] = ()
    text: str = ""
    prefix: str = ""


@dataclass(frozen=True)
class Browse:
    """Which rows of the operation log: every field narrows; empty means any.

    `since`/`until` are ISO times in UTC as the rows keep them (`until` excluded); `events` and
    `prefixes` (an aggregate's events, "Cartridge.") admit, `excluded` refuses event names;
    `after`/`before`/`upto` bound the event numbers."""

    since: str = ""
    until: str = ""
    actor: str = ""
    subjects: Sequence[Subject] = ()
    events: Sequence[str] = ()
    prefixes: Sequence[str] = ()
    excluded: Sequence[str] = ()
    after: int = 0
    before: int = 0
    upto: int = 0
    limit: int = 50
    newest_first: bool = True


def _like(text: str) -> str:
    """`text` anywhere, with LIKE's own characters taken literally (escape character "!")."""
    return "%" + text.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%"


def _in(column: str, values: Sequence[str], params: list[Any], *, negate: bool = False) -> str:
    params.extend(values)
    return f"{column} {'NOT IN' if negate else 'IN'} ({', '.join('?' for _ in values)})"


def _where(query: Browse, params: list[Any]) -> list[str]:
    clauses = []
    for column, operator, value in (("at", ">=", query.since), ("at", "<", query.until), ("actor", "=", query.actor)):
        if value:
            clauses.append(f"{column} {operator} ?")
            params.append(value)
    for column, operator, number in (("notification_id", ">", query.after), ("notification_id", "<", query.before),
                                     ("notification_id", "<=", query.upto)):
        if number:
            clauses.append(f"{column} {operator} ?")
            params.append(number)
    for subject in query.subjects:
        either = [_in("aggregate_id", subject.aggregates, params)] if subject.aggregates else []
        if subject.prefix:
            either.append("aggregate_id LIKE ? ESCAPE '!'")
            params.append(_like(subject.prefix)[1:])
        if subject.text:
            either.append("summary LIKE ? ESCAPE '!'")
            params.append(_like(subject.text))
        clauses.append("(" + " OR ".join(either or ["1 = 0"]) + ")")
    admitted = [_in("event", query.events, params)] if query.events else []
    for prefix in query.prefixes:
        admitted.append("event LIKE ?")
        params.append(prefix.replace("%", "").replace("_", "") + "%")
    if admitted:
        clauses.append("(" + " OR ".join(admitted) + ")")
    if query.excluded:
        clauses.append(_in("event", query.excluded, params, negate=True))
    return clauses


def event_attributes(domain_event: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(domain_event).items() if k not in _SKIP}


class AuditLogView(View):
    name = "audit_log"
    title = "操作日志"
    table_names = ("audit_log",)
    # It follows every event, each package's manifest included, but only counts what a manifest holds.
    skipped_fields = frozenset({"manifest"})
    tables = (
        "CREATE TABLE IF NOT EXISTS audit_log ("
        " notification_id BIGINT PRIMARY KEY,"
        " at VARCHAR(40) NOT NULL,"
        " actor VARCHAR(200) NOT NULL,"
        " category VARCHAR(40) NOT NULL,"
        " event VARCHAR(200) NOT NULL,"
        " aggregate_id VARCHAR(64) NOT NULL,"
        " summary TEXT NOT NULL)",
    )

    def apply(self, cursor: Cursor, items: Any) -> None:
        rows = []
        for domain_event, notification in items:
            name = event_name(domain_event)
            attributes = event_attributes(domain_event)
            rows.append((notification.id, domain_event.timestamp.isoformat(), actor(attributes),
                         category(name), name, str(domain_event.originator_id), describe(name, attributes)))
        cursor.executemany("INSERT INTO audit_log (notification_id, at, actor, category, event, aggregate_id,"
                           " summary) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)

    def recent(self, limit: int = 50, category_name: str = "") -> list[dict[str, Any]]:
        where = "WHERE category = ?" if category_name else ""
        params: tuple[Any, ...] = (category_name, limit) if category_name else (limit,)
        rows = self.store.query(
            f"SELECT notification_id, at, actor, category, event, summary FROM audit_log {where}"
            " ORDER BY notification_id DESC LIMIT ?", params)
        keys = ("id", "at", "actor", "category", "event", "summary")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def browse(self, query: Browse) -> list[dict[str, Any]]:
        """The rows `query` asks for, by event number (newest first unless it says otherwise)."""
        params: list[Any] = []
        clauses = _where(query, params)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        order = "DESC" if query.newest_first else "ASC"
        rows = self.store.query(
            f"SELECT notification_id, at, actor, category, event, aggregate_id, summary FROM audit_log {where}"
            f" ORDER BY notification_id {order} LIMIT ?", (*params, query.limit))
        return [dict(zip(_COLUMNS, row, strict=True)) for row in rows]
