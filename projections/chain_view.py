"""The sealed hash chain: h(n) for every event, so `audit verify` can tell what changed since."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ledger.chain import GENESIS, link_notification
from projections.store import Cursor
from projections.view import View


class ChainView(View):
    name = "chain"
    title = "哈希链"
    needs_events = False
    rebuild_with_all = False
    table_names = ("ledger_chain",)
    tables = (
        "CREATE TABLE IF NOT EXISTS ledger_chain ("
        " notification_id BIGINT PRIMARY KEY,"
        " hash CHAR(64) NOT NULL)",
    )

    def apply(self, cursor: Cursor, items: Any) -> None:
        cursor.execute("SELECT hash FROM ledger_chain ORDER BY notification_id DESC LIMIT 1")
        row = cursor.fetchone()
        head = bytes.fromhex(row[0]) if row else GENESIS
        rows = []
        for _, notification in items:
            head = link_notification(head, notification)
            rows.append((notification.id, head.hex()))
        cursor.executemany("INSERT INTO ledger_chain (notification_id, hash) VALUES (?, ?)", rows)

    def head(self) -> tuple[int, str]:
        rows = self.store.query("SELECT notification_id, hash FROM ledger_chain ORDER BY notification_id DESC LIMIT 1")
        return (int(rows[0][0]), rows[0][1]) if rows else (0, GENESIS.hex())

    def hash_at(self, notification_id: int) -> str | None:
        """h(n) as sealed for event `notification_id`, None when it is not sealed."""
        rows = self.store.query("SELECT hash FROM ledger_chain WHERE notification_id = ?", (notification_id,))
        return str(rows[0][0]) if rows else None

    def sealed(self, page: int = 5000) -> Iterator[tuple[int, str]]:
        position = 0
        while True:
            rows = self.store.query("SELECT notification_id, hash FROM ledger_chain WHERE notification_id > ?"
                                    " ORDER BY notification_id LIMIT ?", (position, page))
            yield from ((int(i), h) for i, h in rows)
            if len(rows) < page:
                return
            position = int(rows[-1][0])
