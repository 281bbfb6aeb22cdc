"""The catalog on PostgreSQL: pg_trgm GIN indexes, and search plans whose cost has a bound whatever the planner guesses.

The planner misjudges LIKE on Chinese text by orders of magnitude and plans a join of runs and rows
badly, so no step here leaves the choice to it: folders come back as a list of ids (it then sees
how many there are), runs are read newest first in pages and their rows fetched by primary key,
and the newest rows are tried in windows of ids, with checks written so no text index can serve
them, before a text index is asked for what is left.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any

from projections.catalog import limits
from projections.catalog.query import ESCAPE, Checks, Dirs, Scope, clauses_of, values_of
from projections.catalog.schema import TABLE_NAMES, dir_key
from projections.catalog.search import CatalogSearch
from projections.store import Cursor

# `catalog_files` columns that are numbers though JSON text gives them as text.
_EXTRA_CASTS = {"total_chunks": "integer", "chunk_offset": "bigint", "chunk_length": "bigint"}
# Rows fetched by id per query (a parameter array; far below any limit of the server).
_ID_CHUNK = 65_536


def _text_array(items: Iterable[str]) -> str:
    """A PostgreSQL text[] literal (as COPY reads it) holding `items`."""
    quoted = ('"' + item.replace("\\", "\\\\").replace('"', '\\"') + '"' for item in sorted(items))
    return "{" + ",".join(quoted) + "}"


def _unindexed(checks: Checks) -> Checks:
    """The checks written so that no text index can serve them (`f.base || ''` is not the indexed
    expression), for queries whose id range or id list must drive the plan; the ngram match is left
    out there (LIKE decides anyway)."""
    return [(clause.replace("f.base", "(f.base || '')"), values) for clause, values in checks
            if "to_tsvector" not in clause]


class PostgresSearch(CatalogSearch):
    """pg_trgm on folders and last components; the characters of each run for shorter patterns."""

    chars_type = "TEXT[]"
    mtime_sql = ("to_char(to_timestamp(floor(f.mtime_ns / 1000000000.0)) AT TIME ZONE 'UTC',"
                 " 'YYYY-MM-DD\"T\"HH24:MI:SS') || '+00:00'")
    # The shortest pattern the last-component index can look up (pg_trgm: a trigram).
    indexed_length = 3

    # --- schema -----------------------------------------------------------------------------
    def ddl(self) -> list[str]:
        return ["CREATE INDEX IF NOT EXISTS catalog_runs_chars ON catalog_runs USING gin (chars)",
                *self._text_indexes(),
                *self._serial_scans(),
                # Made anew, not replaced: a view whose columns changed type cannot be replaced.
                "DROP VIEW IF EXISTS catalog_files",
                f"CREATE VIEW catalog_files AS {self.files_view()}"]

    def _text_indexes(self) -> list[str]:
        return ["CREATE EXTENSION IF NOT EXISTS pg_trgm",
                "CREATE INDEX IF NOT EXISTS catalog_entries_trgm ON catalog_entries USING gin (base gin_trgm_ops)",
                "CREATE INDEX IF NOT EXISTS catalog_dirs_trgm ON catalog_dirs USING gin (path gin_trgm_ops)"]

    def _serial_scans(self) -> list[str]:
        """No parallel scans of the catalog's tables. Every catalog query reads a bounded few rows by
        index, so workers only add their start-up and a copy of the plan each (with a folder-id array
        of tens of thousands in it); yet the planner, guessing a run-to-row range join at 222,000 rows
        a run, chose a parallel scan of every run in a group's id range for the group's top folder:
        30–100 ms instead of 1 ms at 2 million files, and 0.9–1.1 s instead of 0.2 s for a search
        passing 65,000 folder ids (docs/性能.md, 规模（issue 18）). ALTER TABLE … SET takes a lock
        that loading and reading do not wait for."""
        return [f"ALTER TABLE {table} SET (parallel_workers = 0)" for table in TABLE_NAMES]

    def extra_sql(self, key: str) -> str:
        sql = f"(f.extra::json ->> '{key}')"
        return f"{sql}::{_EXTRA_CASTS[key]}" if key in _EXTRA_CASTS else sql

    def files_kind(self, cursor: Cursor) -> str | None:
        cursor.execute("SELECT CASE table_type WHEN 'BASE TABLE' THEN 'table' ELSE 'view' END"
                       " FROM information_schema.tables"
                       " WHERE table_schema = current_schema() AND table_name = 'catalog_files'")
        found = cursor.fetchone()
        return str(found[0]) if found else None

    def table_columns(self, cursor: Cursor, table: str) -> tuple[str, ...]:
        cursor.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
                       f" AND table_name = '{table}' ORDER BY ordinal_position")
        return tuple(row[0] for row in cursor.fetchall())

    def drop_indexes(self, cursor: Cursor) -> None:
        """Nothing: the text indexes are indexes of the tables and go with them."""

    def empty(self, cursor: Cursor, tables: Sequence[str]) -> None:
        # TRUNCATE is transactional on PostgreSQL and openGauss, and far quicker than DELETE of millions.
        cursor.execute(f"TRUNCATE {', '.join(tables)}")

    # --- loading: the database keeps its own indexes ----------------------------------------
    def run_chars(self, rows: list[list[Any]], start: int, stop: int) -> str | None:
        seen: set[str] = set()
        for row in rows[start:stop]:
            seen.update(row[3])
        return _text_array(seen)

    def index_entries(self, cursor: Cursor, first: int, last: int) -> None:
        """Nothing: GIN indexes follow the table."""

    def index_dirs(self, cursor: Cursor, rows: Sequence[tuple[int, int, str]]) -> None:
        """Nothing: GIN indexes follow the table."""

    def unindex_entries(self, cursor: Cursor, first: int, last: int) -> None:
        """Nothing: GIN indexes follow the table."""

    # --- search -----------------------------------------------------------------------------
    def _id_list(self, ids: Sequence[int]) -> tuple[str, list[Any]]:
        return "f.id = ANY(?)", [list(ids)]

    def _under_ids(self, text: str, cut: int, scope: Scope) -> list[int]:
        below = self._ids("SELECT id FROM catalog_dirs WHERE path >= ? AND path < ?", [text + "/", text + "/\U0010ffff"])
        # By the path's hash: "path = ?" may be planned on the trigram index (see schema.dir_key).
        itself = self._ids("SELECT id FROM catalog_dirs WHERE key = ? AND path = ?", [dir_key(text[:cut]), text[:cut]])
        return self._all_in_dirs(below, [], scope) + self._all_in_dirs(itself, [("f.base = ?", [text[cut:]])], scope)

    def _all_in_dirs(self, dir_ids: list[int], checks: Checks, scope: Scope) -> list[int]:
        """Every id in the folders `dir_ids` passing `checks`, through their runs and the primary key
        (a join of runs and rows is planned badly here)."""
        if not dir_ids:
            return []
        runs = self.store.query("SELECT first_id, last_id FROM catalog_runs WHERE dir = ANY(?)"
                                " AND first_id BETWEEN ? AND ? AND last_id >= ?",
                                [dir_ids, scope.runs_from, scope.high, scope.low])
        wanted = [i for first, last in runs for i in range(max(int(first), scope.low), min(int(last), scope.high) + 1)]
        found: list[int] = []
        plain = _unindexed(checks)
        where = scope.sql("f.id = ANY(?)", *clauses_of(plain))
        for start in range(0, len(wanted), _ID_CHUNK):
            found += self._ids(f"SELECT f.id FROM catalog_entries f{where}",
                               [wanted[start:start + _ID_CHUNK], *values_of(plain), *scope.params])
        return found

    def _dirs_with(self, text: str, like: str) -> Dirs | None:
        # As an array of ids, so the planner sees how many folders there are.
        found = self._dir_ids_like(text, like)
        return Dirs("{} = ANY(?)", [found], len(found)) if found else None

    def _dir_ids_like(self, text: str, like: str) -> list[int]:
        return self._ids("SELECT id FROM catalog_dirs WHERE path LIKE ?" + ESCAPE, [like])

    def _run_probe(self) -> int:
        return 4 * limits.RUN_PROBE

    def _runs_table(self, scope: Scope) -> str:
        return "catalog_runs r"

    def _runs_newest_first(self, dirs: Dirs, checks: Checks, scope: Scope, limit: int) -> list[int]:
        """The runs read newest first in growing pages and their rows checked by id; for very many
        folders, the newest rows first."""
        if dirs.size > limits.MANY_DIRS:
            return self._many_dirs_newest_first(dirs, checks, scope, limit)
        return self._ranges_in_pages(f"SELECT first_id, last_id FROM catalog_runs WHERE {dirs.on('dir')}",
                                     dirs.params, checks, scope, limit, scope.high)

    def _many_dirs_newest_first(self, dirs: Dirs, checks: Checks, scope: Scope, limit: int) -> list[int]:
        """A folder set too large to list its runs cheaply (a pattern like "年/"): its rows are common,
        so the newest windows usually fill the page; the rest through runs."""
        inside = (dirs.on("f.dir"), dirs.params)
        found, edge = self._windows([inside, *checks], scope, limit)
        if len(found) >= limit or edge < scope.low:
            return found
        return found + self._ranges_in_pages(f"SELECT first_id, last_id FROM catalog_runs WHERE {dirs.on('dir')}",
                                             dirs.params, checks, scope, limit - len(found), edge)

    def _ranges_in_pages(self, ranges: str, params: list[Any], checks: Checks, scope: Scope, limit: int,
                         below: int) -> list[int]:
        """The newest `limit` ids at or below `below` that lie in the id ranges `ranges` selects (runs)
        and pass `checks`. The ranges are read newest first, SPAN_PAGE at a time (one bitmap scan);
        their rows are checked in growing rounds through the primary key."""
        found: list[int] = []
        budget = limits.RUN_PAGE_IDS
        plain = _unindexed(checks)
        spans: deque[tuple[int, int]] = deque()
        more = True
        while len(found) < limit:
            if not spans and more and below >= scope.low:
                page = self.store.query(f"{ranges} AND first_id BETWEEN ? AND ? AND last_id >= ?"
                                        " ORDER BY first_id DESC LIMIT ?",
                                        [*params, scope.runs_from, below, scope.low, limits.SPAN_PAGE])
                more = len(page) == limits.SPAN_PAGE
                spans.extend((max(int(first), scope.low), min(int(last), below)) for first, last in page)
                below = int(page[-1][0]) - 1 if page else scope.low - 1
            if not spans:
                break
            inside, inside_params = _within(_take(spans, budget))
            where = scope.sql(inside, *clauses_of(plain))
            found += self._ids(f"SELECT f.id FROM catalog_entries f{where} ORDER BY f.id DESC LIMIT ?",
                               [*inside_params, *values_of(plain), *scope.params, limit - len(found)])
            budget = min(budget * 4, 16 * limits.RUN_PAGE_IDS)
        return found

    def _across_run_rows(self, limit: int) -> int:
        # Runs read by id cost about a microsecond a row, still far cheaper than the text index on a
        # common tail (a heap fetch per candidate); only a huge folder set lets the tail lead.
        return limits.ACROSS_RUN_ROWS

    def _base_ids(self, pattern: str, checks: Checks, scope: Scope, limit: int) -> list[int]:
        indexed = len(pattern) >= self.indexed_length
        return self._window_then_collect(checks, scope, limit, None if indexed else sorted(set(pattern)))

    def _windows(self, checks: Checks, scope: Scope, limit: int) -> tuple[list[int], int]:
        """The newest rows, SHORT_WINDOW ids at a time, while the matches seen so far say the page fills
        within WINDOWS windows. Returns the matches and the highest id not yet looked at (below
        `scope.low` when every id was).

        The checks are written so that no text index can serve them (the planner guesses LIKE on
        Chinese text badly, by orders of magnitude): each window's id range drives its plan.
        """
        found: list[int] = []
        edge, scanned = scope.high, 0
        plain = _unindexed(checks)
        while edge >= scope.low:
            start = max(edge - limits.SHORT_WINDOW, scope.low - 1)
            found += self._scan_ids(plain, scope, limit - len(found), ["f.id > ?", "f.id <= ?"], [start, edge])
            scanned += edge - start
            edge = start
            if len(found) >= limit:
                break
            if not found or (limit - len(found)) * scanned / len(found) > limits.WINDOWS * limits.SHORT_WINDOW - scanned:
                break
        return found, edge

    def _window_then_collect(self, checks: Checks, scope: Scope, limit: int, chars: list[str] | None) -> list[int]:
        """Windows of the newest rows (`_windows`); then every other match, rare by then, through the
        text index and sorted — or, for a pattern too short for that index (`chars` given), through
        the runs that hold all its characters (when they hold under 1/CHAR_RUNS_SHARE of the rows
        left; else one scan of the table is quicker than reading them by id). The OFFSET 0
        fence makes the planner fetch all matches (the text index) rather than walk ids hoping to
        stop early.
        """
        found, edge = self._windows(checks, scope, limit)
        if len(found) >= limit or edge < scope.low:
            return found
        if chars is not None:
            covered = self.store.query(
                "SELECT COALESCE(SUM(last_id - first_id + 1), 0) FROM catalog_runs WHERE chars @> ?"
                " AND first_id BETWEEN ? AND ? AND last_id >= ?", [chars, scope.runs_from, edge, scope.low])[0][0]
            if int(covered) * limits.CHAR_RUNS_SHARE < edge - scope.low + 1:
                return found + self._ranges_in_pages("SELECT first_id, last_id FROM catalog_runs WHERE chars @> ?",
                                                     [chars], checks, scope, limit - len(found), edge)
        where = scope.sql(*clauses_of(checks), "f.id BETWEEN ? AND ?")
        return found + self._ids(f"SELECT id FROM (SELECT f.id FROM catalog_entries f{where} OFFSET 0) s"
                                 " ORDER BY id DESC LIMIT ?",
                                 [*values_of(checks), scope.low, edge, *scope.params, limit - len(found)])


def _take(spans: deque[tuple[int, int]], budget: int) -> list[tuple[int, int]]:
    """The newest id ranges from `spans` holding `budget` ids in all, the last one cut to fit (its
    older part is put back)."""
    chosen: list[tuple[int, int]] = []
    size = 0
    while spans and size < budget:
        bottom, top = spans.popleft()
        cut = max(bottom, top - (budget - size) + 1)
        if cut > bottom:
            spans.appendleft((bottom, cut - 1))
        chosen.append((cut, top))
        size += top - cut + 1
    return chosen


def _within(chosen: list[tuple[int, int]]) -> tuple[str, list[Any]]:
    """A condition on `f.id` for the ranges `chosen`: a few as BETWEENs, many as one id array."""
    if len(chosen) <= 32:
        return "(" + " OR ".join("f.id BETWEEN ? AND ?" for _ in chosen) + ")", [bound for span in chosen for bound in span]
    return "f.id = ANY(?)", [[i for bottom, top in chosen for i in range(top, bottom - 1, -1)]]
