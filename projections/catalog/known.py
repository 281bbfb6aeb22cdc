"""The ids of folders and last components the loader has seen, kept from one transaction to the next.

Each batch of PackageWritten events is one transaction. Looking every folder and last component of
a batch up in the database again (a 64-bit hash, then a query per 500) cost more than writing the
rows whose ids they are, since a monthly full backup repeats nearly all of last month's. So the ids
stay in memory, up to a bound, between transactions.

An id in memory must be one the database holds. Ids are handed out as the highest id + 1, in the
transaction that writes the row, so `check` at the start of each transaction compares the table's
highest id and its text with the last ones this process wrote or read: equal, every id in memory was
committed (another process loading the same events would have written the same texts with the same
ids); not equal — a transaction of this process rolled back, another process wrote rows, or the
catalog was emptied — and everything is forgotten and looked up again.
"""

from __future__ import annotations

from typing import Any

from projections.store import Cursor


class Known:
    """Text → id for one table (`catalog_dirs.path`, `catalog_names.base`), at most `bound` of them."""

    def __init__(self, table: str, column: str, bound: int) -> None:
        self.table, self.column, self.bound = table, column, bound
        self.ids: dict[str, Any] = {}
        self.top: tuple[int, str] | None = None  # the highest (id, text) this process last saw
        # Every row of the table is in `ids` (it was empty when this process began keeping them, and
        # nothing was let go since): a text not in `ids` is not in the table, no need to look.
        self.complete = False

    def check(self, cursor: Cursor) -> None:
        """Forget every id unless the table's highest row is the one last seen (see the module)."""
        cursor.execute(f"SELECT id, {self.column} FROM {self.table} ORDER BY id DESC LIMIT 1")
        row = cursor.fetchone()
        found = (int(row[0]), str(row[1])) if row else None
        if found != self.top or found is None:
            self.forget()
            self.top = found
            self.complete = found is None

    def forget(self) -> None:
        self.ids = {}
        self.top = None
        self.complete = False

    def update(self, pairs: dict[str, Any]) -> None:
        """Texts and their ids as the database holds them; past the bound the oldest half goes."""
        ids = self.ids
        ids.update(pairs)
        if len(ids) > self.bound:
            keep = list(ids.items())[len(ids) // 2:]
            self.ids = dict(keep)
            self.complete = False

    def wrote(self, top: tuple[int, str]) -> None:
        """This transaction added rows up to `top` (id, text)."""
        self.top = top
