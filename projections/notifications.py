"""The notification log: every DingTalk message queued, its attempts and how it ended.

The outbox reads its pending list from here instead of loading every Notification aggregate, so
the rows keep what a send needs (title and content) besides what the log shows.
"""

from __future__ import annotations

from typing import Any

from projections.rows import as_dicts, update_columns
from projections.store import Cursor
from projections.view import View

_EVENTS = ("Queued", "AttemptStarted", "AttemptFailed", "Delivered", "Failed")
_COLUMNS = ("id", "dedupe_key", "kind", "phone", "title", "content", "cause", "status", "attempts",
            "next_attempt_at", "last_error", "task_id", "queued_at", "queued_seq", "delivered_at",
            "finished_at")


class NotificationLogView(View):
    name = "notifications"
    title = "通知记录"
    table_names = ("notification_log",)
    topics = tuple(f"ledger.domain.notification:Notification.{event}" for event in _EVENTS)
    tables = (
        "CREATE TABLE IF NOT EXISTS notification_log ("
        " id VARCHAR(64) PRIMARY KEY,"
        " dedupe_key VARCHAR(500) NOT NULL,"
        " kind VARCHAR(64) NOT NULL,"
        " phone VARCHAR(32) NOT NULL,"
        " title TEXT NOT NULL,"
        " content TEXT NOT NULL,"
        " cause VARCHAR(500) NOT NULL,"
        " status VARCHAR(16) NOT NULL,"
        " attempts INTEGER NOT NULL,"
        " next_attempt_at VARCHAR(40),"
        " last_error TEXT NOT NULL,"
        " task_id VARCHAR(200) NOT NULL,"
        " queued_at VARCHAR(40) NOT NULL,"
        # The ledger position of the Queued event: the queue order, whatever the hosts' clocks say.
        " queued_seq BIGINT NOT NULL,"
        " delivered_at VARCHAR(40),"
        " finished_at VARCHAR(40))",
        "CREATE INDEX IF NOT EXISTS notification_log_status ON notification_log (status, queued_seq)",
    )

    # --- following the ledger -----------------------------------------------------------------
    def _update(self, cursor: Cursor, event: Any, **columns: Any) -> None:
        update_columns(cursor, "notification_log", "id", str(event.originator_id), columns)

    def on_Notification_Queued(self, cursor: Cursor, event: Any, notification: Any) -> None:
        cursor.execute(
            "INSERT INTO notification_log (id, dedupe_key, kind, phone, title, content, cause, status, attempts,"
            " next_attempt_at, last_error, task_id, queued_at, queued_seq, delivered_at, finished_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', 0, NULL, '', '', ?, ?, NULL, NULL)",
            (str(event.originator_id), event.dedupe_key, event.kind, event.phone, event.title, event.content,
             event.cause, event.timestamp.isoformat(), int(notification.id)))

    def on_Notification_AttemptStarted(self, cursor: Cursor, event: Any, notification: Any) -> None:
        self._update(cursor, event, attempts=event.attempts, next_attempt_at=event.next_attempt_at)

    def on_Notification_AttemptFailed(self, cursor: Cursor, event: Any, notification: Any) -> None:
        self._update(cursor, event, attempts=event.attempts, next_attempt_at=event.next_attempt_at,
                     last_error=event.error)

    def on_Notification_Delivered(self, cursor: Cursor, event: Any, notification: Any) -> None:
        at = event.timestamp.isoformat()
        self._update(cursor, event, status="delivered", attempts=event.attempts, next_attempt_at=None,
                     task_id=event.task_id or "", delivered_at=at, finished_at=at)

    def on_Notification_Failed(self, cursor: Cursor, event: Any, notification: Any) -> None:
        self._update(cursor, event, status="failed", attempts=event.attempts, next_attempt_at=None,
                     last_error=event.error, finished_at=event.timestamp.isoformat())

    # --- queries ------------------------------------------------------------------------------
    def _select(self, tail: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        rows = self.store.query(f"SELECT {', '.join(_COLUMNS)} FROM notification_log {tail}", params)
        decoded = as_dicts(_COLUMNS, rows)
        for row in decoded:
            row["attempts"] = int(row["attempts"])
            row["queued_seq"] = int(row["queued_seq"])
        return decoded

    def recent(self, limit: int = 50) -> list[dict[str, Any]]:
        """Newest first."""
        return self._select("ORDER BY queued_seq DESC LIMIT ?", (limit,))

    def pending(self) -> list[dict[str, Any]]:
        """Neither delivered nor failed, oldest first (the outbox queue)."""
        return self._select("WHERE status = 'queued' ORDER BY queued_seq")

    def by_id(self, notification_id: str) -> dict[str, Any] | None:
        rows = self._select("WHERE id = ?", (notification_id,))
        return rows[0] if rows else None

    def by_cause(self, cause: str) -> list[dict[str, Any]]:
        return self._select("WHERE cause = ? ORDER BY queued_seq", (cause,))
