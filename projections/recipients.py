"""Notification recipients as they stand: name, phone and the events each wants to hear about.

Recipient aggregates have random ids, so without this view nobody could list them short of
reading the whole ledger.
"""

from __future__ import annotations

from typing import Any

from projections.rows import as_dicts, from_json, to_json
from projections.store import Cursor
from projections.view import View

_EVENTS = ("Added", "Updated", "Removed")
_COLUMNS = ("id", "name", "phone", "events_json", "removed", "added_at", "updated_at", "updated_by")


class RecipientsView(View):
    name = "recipients"
    title = "通知接收人"
    table_names = ("recipients",)
    topics = tuple(f"ledger.domain.people:Recipient.{event}" for event in _EVENTS)
    tables = (
        "CREATE TABLE IF NOT EXISTS recipients ("
        " id VARCHAR(64) PRIMARY KEY,"
        " name VARCHAR(200) NOT NULL,"
        " phone VARCHAR(32) NOT NULL,"
        " events_json TEXT NOT NULL,"
        " removed INTEGER NOT NULL,"
        " added_at VARCHAR(40) NOT NULL,"
        " added_seq BIGINT NOT NULL,"
        " updated_at VARCHAR(40) NOT NULL,"
        " updated_by VARCHAR(200) NOT NULL)",
    )

    def on_Recipient_Added(self, cursor: Cursor, event: Any, notification: Any) -> None:
        at = event.timestamp.isoformat()
        cursor.execute("INSERT INTO recipients (id, name, phone, events_json, removed, added_at, added_seq,"
                       " updated_at, updated_by) VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?)",
                       (str(event.originator_id), event.name, event.phone, to_json(list(event.events)), at,
                        int(notification.id), at, event.by))

    def on_Recipient_Updated(self, cursor: Cursor, event: Any, notification: Any) -> None:
        cursor.execute("UPDATE recipients SET name = ?, phone = ?, events_json = ?, updated_at = ?, updated_by = ?"
                       " WHERE id = ?", (event.name, event.phone, to_json(list(event.events)),
                                         event.timestamp.isoformat(), event.by, str(event.originator_id)))

    def on_Recipient_Removed(self, cursor: Cursor, event: Any, notification: Any) -> None:
        cursor.execute("UPDATE recipients SET removed = 1, updated_at = ?, updated_by = ? WHERE id = ?",
                       (event.timestamp.isoformat(), event.by, str(event.originator_id)))

    def _select(self, where: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        rows = as_dicts(_COLUMNS, self.store.query(
            f"SELECT {', '.join(_COLUMNS)} FROM recipients {where} ORDER BY added_seq", params))
        for row in rows:
            row["events"] = from_json(row.pop("events_json"), [])
            row["removed"] = bool(row["removed"])
        return rows

    def all(self, include_removed: bool = False) -> list[dict[str, Any]]:
        return self._select("" if include_removed else "WHERE removed = 0")

    def for_event(self, kind: str) -> list[dict[str, Any]]:
        """Current recipients who asked for ``kind``."""
        return [row for row in self.all() if kind in row["events"]]

    def by_id(self, recipient_id: str) -> dict[str, Any] | None:
        rows = self._select("WHERE id = ?", (recipient_id,))
        return rows[0] if rows else None
