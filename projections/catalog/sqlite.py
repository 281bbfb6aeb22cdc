"""The catalog on SQLite: contentless FTS5 trigram indexes of folders and last components, and the plans that read them.

Both indexes are `detail=none` and `columnsize=0`: they answer "which rows hold all these trigrams"
and nothing more, which is all a search needs, since every candidate is checked again with LIKE.

The index of last components is of every entry, not of `catalog_names` as on PostgreSQL: FTS5 adds
a round's postings as one new segment and merges segments later, in bulk, for about a microsecond an
entry — less than finding each entry's name id and keeping an index of rows by name id would cost
here (measured: docs/性能.md, 规模（issue 18）).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from projections.catalog import limits
from projections.catalog.query import (
    DIR_RUN_ENTRY,
    DIR_RUN_ENTRY_ON,
    ESCAPE,
    Checks,
    Dirs,
    Scope,
    clauses_of,
    values_of,
)
from projections.catalog.schema import ENTRY_COLUMNS, NULLABLE
from projections.catalog.search import CatalogSearch
from projections.store import Cursor, ViewStore

# Appended to every indexed last component, so a one- or two-character pattern at its very end still
# starts a trigram ("算" in "预算" → "算//"). A component never contains "/".
SENTINEL = "//"
_FTS_TEXT = f"base || '{SENTINEL}'"
# Tables of the FTS5 indexes, and of the first layout's index: none goes when its content table does.
_FTS_TABLES = ("catalog_fts", "catalog_names_vocab", "catalog_names_fts", "catalog_dirs_vocab", "catalog_dirs_fts")
# Entry columns in their order, the nullable ones written as NULLIF(?, 0): binding None costs the
# sqlite3 module a lookup of adapters that a number does not (a third of a microsecond each).
_ENTRY_VALUES = ", ".join("NULLIF(?, 0)" if column in NULLABLE else "?" for column in ENTRY_COLUMNS)


def _quoted(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _trigrams(text: str) -> str:
    """An FTS5 query: every trigram of `text` (each quoted, so nothing in it is query syntax), AND-ed."""
    grams = dict.fromkeys(text[i:i + 3] for i in range(len(text) - 2))
    return " AND ".join(_quoted(gram) for gram in grams)


def _fold_like_fts(text: str) -> str | None:
    """`text` as the trigram tokenizer folds it, or None when that is not certain (cased non-ASCII letters)."""
    if any(ord(ch) > 127 and (ch.lower() != ch or ch.upper() != ch) for ch in text):
        return None
    return text.lower()


class SqliteSearch(CatalogSearch):
    """FTS5 trigram indexes; one SQL statement per step, since SQLite keeps the join order it is given."""

    mtime_sql = ("strftime('%Y-%m-%dT%H:%M:%S+00:00', CASE WHEN f.mtime_ns >= 0 THEN f.mtime_ns / 1000000000"
                 " ELSE -((999999999 - f.mtime_ns) / 1000000000) END, 'unixepoch')")

    def __init__(self, store: ViewStore) -> None:
        super().__init__(store)
        self.null = 0  # never a value of a text column; NULLIF(?, 0) makes it NULL

    # --- schema -----------------------------------------------------------------------------
    def ddl(self) -> list[str]:
        return [
            "CREATE VIRTUAL TABLE IF NOT EXISTS catalog_names_fts USING fts5(base, content='',"
            " tokenize='trigram', detail=none, columnsize=0)",
            "CREATE VIRTUAL TABLE IF NOT EXISTS catalog_names_vocab USING fts5vocab(catalog_names_fts, 'row')",
            "CREATE VIRTUAL TABLE IF NOT EXISTS catalog_dirs_fts USING fts5(path, content='',"
            " tokenize='trigram', detail=none, columnsize=0)",
            "CREATE VIRTUAL TABLE IF NOT EXISTS catalog_dirs_vocab USING fts5vocab(catalog_dirs_fts, 'row')",
            # Merge segments when 8 (not 4) wait on a level: a third less work per inserted row,
            # a few more segments for a query to read (well under a millisecond).
            "INSERT INTO catalog_names_fts(catalog_names_fts, rank) VALUES ('automerge', 8)",
            "INSERT INTO catalog_dirs_fts(catalog_dirs_fts, rank) VALUES ('automerge', 8)",
            # Made anew each time: a view left by an older version would lack newer columns (`raw`).
            "DROP VIEW IF EXISTS catalog_files",
            f"CREATE VIEW catalog_files AS {self.files_view()}",
        ]

    def extra_sql(self, key: str) -> str:
        return f"json_extract(f.extra, '$.{key}')"

    def files_kind(self, cursor: Cursor) -> str | None:
        cursor.execute("SELECT type FROM sqlite_master WHERE name = 'catalog_files'")
        found = cursor.fetchone()
        return str(found[0]) if found else None

    def table_columns(self, cursor: Cursor, table: str) -> tuple[str, ...]:
        cursor.execute(f"SELECT name FROM pragma_table_info('{table}') ORDER BY cid")
        return tuple(row[0] for row in cursor.fetchall())

    def drop_indexes(self, cursor: Cursor) -> None:
        for table in _FTS_TABLES:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")

    def empty(self, cursor: Cursor, tables: Sequence[str]) -> None:
        for table in tables:
            cursor.execute(f"DELETE FROM {table}")
        cursor.execute("INSERT INTO catalog_names_fts(catalog_names_fts) VALUES ('delete-all')")
        cursor.execute("INSERT INTO catalog_dirs_fts(catalog_dirs_fts) VALUES ('delete-all')")

    # --- loading ----------------------------------------------------------------------------
    def _write(self, cursor: Cursor, table: str, rows: Sequence[Sequence[Any]]) -> None:
        if table == "catalog_entries":
            cursor.executemany(f"INSERT INTO catalog_entries ({', '.join(ENTRY_COLUMNS)}) VALUES ({_ENTRY_VALUES})",
                               rows)
            cursor.execute(f"INSERT INTO catalog_names_fts(rowid, base) SELECT id, {_FTS_TEXT}"
                           " FROM catalog_entries WHERE id BETWEEN ? AND ?", (rows[0][0], rows[-1][0]))
            return
        super()._write(cursor, table, rows)
        if table == "catalog_dirs":
            cursor.executemany("INSERT INTO catalog_dirs_fts(rowid, path) VALUES (?, ?)",
                               [(id_, path) for id_, _, path in rows])

    def unindex_entries(self, cursor: Cursor, first: int, last: int) -> None:
        # Contentless: the index forgets a row only when told exactly what it indexed for it.
        cursor.execute("INSERT INTO catalog_names_fts(catalog_names_fts, rowid, base)"
                       f" SELECT 'delete', id, {_FTS_TEXT} FROM catalog_entries WHERE id BETWEEN ? AND ?",
                       (first, last))

    # --- search -----------------------------------------------------------------------------
    def _id_list(self, ids: Sequence[int], column: str = "f.id") -> tuple[str, list[Any]]:
        return f"{column} IN (SELECT value FROM json_each(?))", [json.dumps(list(ids))]

    def _under_ids(self, text: str, cut: int, scope: Scope) -> list[int]:
        bounds, bound_params = scope.ids("r.first_id")
        joined = f"SELECT f.id FROM {DIR_RUN_ENTRY}"
        ids = self._ids(joined + scope.sql(DIR_RUN_ENTRY_ON, "d.path >= ?", "d.path < ?", *bounds),
                        [text + "/", text + "/\U0010ffff", *bound_params, *scope.params])
        return ids + self._ids(joined + scope.sql(DIR_RUN_ENTRY_ON, "d.path = ?", "f.base = ?", *bounds),
                               [text[:cut], text[cut:], *bound_params, *scope.params])

    def _dir_ids_like(self, text: str, like: str, most: int) -> list[int]:
        """Through the folders' trigram index, from three characters on (two: see `_dir_terms`)."""
        match = _trigrams(text) if len(text) >= 3 else self._dir_terms(text)
        if match == "":
            return []
        if match is None:
            return self._ids(f"SELECT id FROM catalog_dirs WHERE path LIKE ?{ESCAPE} LIMIT {int(most)}", [like])
        return self._ids("SELECT x.rowid FROM catalog_dirs_fts x JOIN catalog_dirs d ON d.id = x.rowid"
                         f" WHERE x.catalog_dirs_fts MATCH ? AND d.path LIKE ?{ESCAPE} LIMIT {int(most)}", [match, like])

    def _dir_terms(self, text: str) -> str | None:
        """Two characters not ending in "/": an FTS5 query of every folder trigram that starts with
        them ("" when there is none), from the index's vocabulary; None when the folders must be read
        instead. Every folder path ends with "/", so two characters that are not the last ones are
        followed by at least one more and start a trigram; one character, or two ending in "/",
        may end a path and start none (to read every folder costs 30–90 ms at 228,000 folders, the
        vocabulary of a pattern in few folders 0.1 ms)."""
        folded = _fold_like_fts(text) if len(text) == 2 and not text.endswith("/") else None
        if folded is None:
            return None
        return " OR ".join(_quoted(row[0]) for row in self.store.query(
            "SELECT term FROM catalog_dirs_vocab WHERE term >= ? AND term < ?", (folded, folded + "\U0010ffff")))

    def _run_probe(self) -> int:
        return limits.RUN_PROBE

    def _runs_table(self, scope: Scope) -> str:
        # A narrow id range: walk its runs rather than every run of (possibly very many) folders.
        narrow = scope.high - scope.runs_from < 16 * limits.RUN_PROBE
        return "catalog_runs r NOT INDEXED" if narrow else "catalog_runs r"

    def _runs_newest_first(self, dirs: Dirs, checks: Checks, scope: Scope, limit: int) -> list[int]:
        """A few folders (INDEXED_DIRS): their runs through the index of runs by folder. More: runs
        are disjoint id ranges, so ordering by (run, id) is ordering by id: SQLite walks the runs
        from the newest, testing each one's folder, and stops at the limit. The index reads every
        run of every folder (1,514 folders' 12,000 runs: 60–85 ms at 20 million files), the walk
        about as many runs as hold the page, times all folders ÷ these (about 1,500 there)."""
        if dirs.size <= limits.INDEXED_DIRS:
            return self._ranges_in_pages("SELECT first_id, last_id FROM catalog_runs INDEXED BY catalog_runs_dir"
                                         f" WHERE {dirs.on('dir')}", dirs.params, checks, scope, limit, scope.high)
        # Each run clipped to the scope's range (a run may straddle its low end, see _narrowed).
        where = scope.sql("f.id BETWEEN MAX(r.first_id, ?) AND MIN(r.last_id, ?)", dirs.on("r.dir"),
                          "r.first_id BETWEEN ? AND ?", "r.last_id >= ?", *clauses_of(checks))
        return self._ids("SELECT f.id FROM catalog_runs r NOT INDEXED CROSS JOIN catalog_entries f"
                         f"{where} ORDER BY r.first_id DESC, f.id DESC LIMIT ?",
                         [scope.low, scope.high, *dirs.params, scope.runs_from, scope.high, scope.low,
                          *values_of(checks), *scope.params, limit])

    def _ids_in_ranges(self, chosen: list[tuple[int, int]], checks: Checks, scope: Scope, limit: int) -> list[int]:
        """The ranges as a JSON list joined to the rows: each one a seek on the primary key. (As ORed
        BETWEENs, SQLite walked the whole table newest first: 90 ms at 300,000 files.)"""
        where = scope.sql("f.id BETWEEN json_extract(j.value, '$[0]') AND json_extract(j.value, '$[1]')",
                          *clauses_of(checks))
        return self._ids(f"SELECT f.id FROM json_each(?) j CROSS JOIN catalog_entries f{where}"
                         " ORDER BY f.id DESC LIMIT ?",
                         [json.dumps(chosen), *values_of(checks), *scope.params, limit])

    def _across_run_rows(self, limit: int) -> int:
        return max(limits.DIR_COLLECT_ROWS, 10 * limit)

    def _base_ids(self, pattern: str, checks: Checks, scope: Scope, limit: int) -> list[int]:
        if len(pattern) >= 3:
            return self._fts_ids(_trigrams(pattern), checks, scope, limit, scope.high)
        return self._short_ids(pattern, checks, scope, limit)

    def _fts_ids(self, match: str, checks: Checks, scope: Scope, limit: int, high: int) -> list[int]:
        """Candidates from the trigram index, newest first, each checked with `checks`.

        The id range goes to the index itself (`n.rowid`), so it never walks outside it.
        """
        bounds, params = ["n.rowid BETWEEN ? AND ?"], [scope.low, high]
        where = scope.sql("n.catalog_names_fts MATCH ?", "f.id = n.rowid", *clauses_of(checks), *bounds)
        return self._ids(f"SELECT n.rowid FROM catalog_names_fts n CROSS JOIN catalog_entries f{where}"
                         " ORDER BY n.rowid DESC LIMIT ?", [match, *values_of(checks), *params, *scope.params, limit])

    def _short_ids(self, pattern: str, checks: Checks, scope: Scope, limit: int) -> list[int]:
        """One or two characters: too short for a trigram.

        First the newest PROBE_ROWS rows (a common pattern fills the page there). The rest comes
        from the trigram index: every indexed trigram that starts with the pattern (read from its
        vocabulary; the sentinel makes one exist even at the end of a name). Reading the vocabulary
        costs in proportion to how often the pattern occurs, so only a pattern too common for it
        must fill the page among the newest rows: "a" costs 240 ms there at 20 million files, and
        fills PROBE_ROWS many times over.
        """
        high = scope.high
        edge = max(high - limits.PROBE_ROWS, scope.low - 1)
        window = self._scan_ids(checks, scope, limit, ["f.id > ?", "f.id <= ?"], [edge, high])
        if len(window) >= limit or edge < scope.low:
            return window
        folded = _fold_like_fts(pattern)
        if folded is None:
            return window + self._scan_ids(checks, scope, limit - len(window), ["f.id BETWEEN ? AND ?"],
                                           [scope.low, edge])
        terms = [row[0] for row in self.store.query(
            "SELECT term FROM catalog_names_vocab WHERE term >= ? AND term < ?", (folded, folded + "\U0010ffff"))]
        if not terms:
            return window
        match = " OR ".join(_quoted(term) for term in terms)
        return window + self._fts_ids(match, checks, scope, limit - len(window), edge)
