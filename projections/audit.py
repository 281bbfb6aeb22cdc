"""The operation/audit log: one row per ledger event, who did what, in Chinese."""

from __future__ import annotations

from typing import Any

from projections.audit_text import actor, category, describe
from projections.store import Cursor
from projections.view import View, event_name

_SKIP = {"timestamp", "originator_id", "originator_version", "originator_topic", "manifest"}


def event_attributes(domain_event: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(domain_event).items() if k not in _SKIP}


class AuditLogView(View):
    name = "audit_log"
    table_names = ("audit_log",)
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
