"""The catalog on PostgreSQL: pg_trgm GIN indexes, and search plans whose cost has a bound whatever the planner guesses.

The text indexes are of folders (`catalog_dirs`) and of names (`catalog_names`, every distinct last
component once), never of the rows: keeping a trigram index of every row was most of the server's
work while loading. The planner misjudges LIKE on Chinese text by orders of magnitude and plans a
join of runs and rows badly, so no step here leaves the choice to it: folders and names come back as
lists of ids (it then sees how many there are), runs are read newest first in pages and their rows
fetched by primary key, and a name's rows through the index of rows by name.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, cast

from projections.catalog import limits
from projections.catalog.query import ESCAPE, Checks, Dirs, Scope, clauses_of, values_of
from projections.catalog.schema import ENTRY_COLUMNS, NAME_COLUMNS, NAME_TABLES, TABLE_NAMES, dir_key
from projections.catalog.search import CatalogSearch
from projections.store import Cursor, PostgresViewStore, ViewStore

# `catalog_files` columns that are numbers though JSON text gives them as text.
_EXTRA_CASTS = {"total_chunks": "integer", "chunk_offset": "bigint", "chunk_length": "bigint"}
# Rows fetched by id per query (a parameter array; far below any limit of the server).
_ID_CHUNK = 65_536

# Text values as COPY's text format reads them (backslash escapes), and an entry row in that format.
_TEXT_COLUMNS = ("base", "root", "ext", "kind", "sha256", "extra")
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_ENTRY_LINE = "\t".join("%s" if column in _TEXT_COLUMNS else "%d" for column in ENTRY_COLUMNS) + "\n"


class _Background(threading.Thread):
    """`work` run in a thread of its own; what it raised kept for whoever waits for it."""

    def __init__(self, work: Callable[[], None]) -> None:
        super().__init__(name="taf-catalog-copy", daemon=True)
        self.work = work
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.work()
        except BaseException as error:  # handed to the loader's thread by `settle`
            self.error = error


class PostgresSearch(CatalogSearch):
    """pg_trgm on folders and names; the index of rows by name kept by the server."""

    mtime_sql = ("to_char(to_timestamp(floor(f.mtime_ns / 1000000000.0)) AT TIME ZONE 'UTC',"
                 " 'YYYY-MM-DD\"T\"HH24:MI:SS') || '+00:00'")

    names = True
    escapes = True

    def __init__(self, store: ViewStore) -> None:
        super().__init__(store)
        self.null = "\\N"  # NULL in COPY's text format; a text value "\N" is written "\\N" (`text`)
        self._copying: _Background | None = None

    # --- schema -----------------------------------------------------------------------------
    def ddl(self) -> list[str]:
        return [*NAME_TABLES,
                "CREATE INDEX IF NOT EXISTS catalog_entries_name ON catalog_entries (name, id)",
                *self._text_indexes(),
                *self._serial_scans(),
                # Made anew, not replaced: a view whose columns changed type cannot be replaced.
                "DROP VIEW IF EXISTS catalog_files",
                f"CREATE VIEW catalog_files AS {self.files_view()}"]

    def _text_indexes(self) -> list[str]:
        """pg_trgm's indexes, and for patterns shorter than a trigram the characters of each name and
        folder: a GIN index of `string_to_array(text, NULL)`. Without it a one- or two-character
        pattern read all 1.5 million names and 228,000 folders of 20 million files (300 and 60 ms);
        with it 2–25 ms. It costs about 6 µs a name to build at once, more as names arrive: a first
        load of half a million files of new names is about a quarter slower (docs/性能.md, 规模（issue 18）)."""
        return ["CREATE EXTENSION IF NOT EXISTS pg_trgm",
                "CREATE INDEX IF NOT EXISTS catalog_names_trgm ON catalog_names USING gin (base gin_trgm_ops)",
                "CREATE INDEX IF NOT EXISTS catalog_dirs_trgm ON catalog_dirs USING gin (path gin_trgm_ops)",
                "CREATE INDEX IF NOT EXISTS catalog_names_chars ON catalog_names USING gin (string_to_array(base, NULL))",
                "CREATE INDEX IF NOT EXISTS catalog_dirs_chars ON catalog_dirs USING gin (string_to_array(path, NULL))"]

    def _serial_scans(self) -> list[str]:
        """No parallel scans of the catalog's tables. Every catalog query reads a bounded few rows by
        index, so workers only add their start-up and a copy of the plan each (with a folder-id array
        of tens of thousands in it); yet the planner, guessing a run-to-row range join at 222,000 rows
        a run, chose a parallel scan of every run in a group's id range for the group's top folder:
        30–100 ms instead of 1 ms at 2 million files, and 0.9–1.1 s instead of 0.2 s for a search
        passing 65,000 folder ids (docs/性能.md, 规模（issue 18）). ALTER TABLE … SET takes a lock
        that loading and reading do not wait for."""
        return [f"ALTER TABLE {table} SET (parallel_workers = 0)" for table in (*TABLE_NAMES, "catalog_names")]

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

    def layout(self) -> dict[str, tuple[str, ...]]:
        return {**super().layout(), "catalog_names": NAME_COLUMNS}

    def drop_indexes(self, cursor: Cursor) -> None:
        """The names (the text indexes are indexes of the tables and go with them)."""
        cursor.execute("DROP TABLE IF EXISTS catalog_names")

    def empty(self, cursor: Cursor, tables: Sequence[str]) -> None:
        # TRUNCATE is transactional on PostgreSQL and openGauss, and far quicker than DELETE of millions.
        cursor.execute(f"TRUNCATE {', '.join((*tables, 'catalog_names'))}")

    # --- loading: the database keeps its own indexes ----------------------------------------
    def text(self, value: str) -> str:
        return value.translate(_COPY_ESCAPES)

    def write(self, cursor: Cursor, tables: Sequence[tuple[str, Sequence[Sequence[Any]]]]) -> None:
        """From a thread of its own: the server writes a round's rows and keeps their indexes — most of
        a load's time — on another core while the loader builds the next round (`settle` waits).
        Entry rows go as COPY's text format, each formatted by one `%` here first (a third of the
        csv module's time, and less for the server to parse; the loader wrote every text value
        through `text`)."""
        self.settle()
        line = _ENTRY_LINE
        ready = [(table, "".join([line % tuple(row) for row in rows]) if table == "catalog_entries" else rows)
                 for table, rows in tables if rows]
        self._copying = _Background(lambda: super(PostgresSearch, self).write(cursor, ready))
        self._copying.start()

    def round_rows(self) -> int:
        return min(limits.FLUSH_ROWS, limits.COPY_ROWS)

    @contextmanager
    def index_lookups(self, cursor: Cursor) -> Iterator[None]:
        """No sequential scans while ids are looked up by key. A table that grew by millions of rows in
        this load has no statistics yet (autovacuum analyzes later, or is off), and the planner then
        guesses that 500 keys match most of it: it scanned all 3.3 million names for each look-up,
        150 ms each, until a load of new names ran at 7,000 files a second (docs/性能.md, 规模（issue 18））."""
        cursor.execute("SET LOCAL enable_seqscan = off")
        try:
            yield
        finally:
            cursor.execute("SET LOCAL enable_seqscan = on")

    def _write(self, cursor: Cursor, table: str, rows: Any) -> None:
        if table == "catalog_entries":
            cast(PostgresViewStore, self.store).copy_in(cursor, table, ENTRY_COLUMNS, rows)
        else:
            super()._write(cursor, table, rows)

    def settle(self, raising: bool = True) -> None:
        copying, self._copying = self._copying, None
        if copying is None:
            return
        copying.join()
        if copying.error is not None and raising:
            raise copying.error

    def unindex_entries(self, cursor: Cursor, first: int, last: int) -> None:
        """Nothing: the index of rows by name follows the table."""

    # --- search -----------------------------------------------------------------------------
    def _id_list(self, ids: Sequence[int], column: str = "f.id") -> tuple[str, list[Any]]:
        return f"{column} = ANY(?)", [list(ids)]

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
        where = scope.sql("f.id = ANY(?)", *clauses_of(checks))
        for start in range(0, len(wanted), _ID_CHUNK):
            found += self._ids(f"SELECT f.id FROM catalog_entries f{where}",
                               [wanted[start:start + _ID_CHUNK], *values_of(checks), *scope.params])
        return found

    def _dir_ids_like(self, text: str, like: str, most: int) -> list[int]:
        """The ids of up to `most` folders whose path is LIKE `like` (`text` is its literal part)."""
        if len(text) < self.indexed_length:
            where, params = self._short_match("path", text, like)
        else:
            where, params = "path LIKE ?" + ESCAPE, [like]
        return self._ids(f"SELECT id FROM catalog_dirs WHERE {where} LIMIT {int(most)}", params)

    def _short_match(self, column: str, text: str, like: str) -> tuple[str, list[Any]]:
        """The condition on `column` for a pattern shorter than the text index reads (`text`, its
        literal part): every character of it among the column's, LIKE deciding. The LIKE is written
        so that pg_trgm's index cannot serve it (for one or two characters it would read all of it),
        and first: when the planner reads every row (characters common to most, as "v" and "2" in
        folder paths), it tests conditions of equal cost in the order written, and building each
        row's array first made that scan 870 ms instead of 53."""
        return (f"({column} || '') LIKE ?{ESCAPE} AND string_to_array({column}, NULL) @> string_to_array(?, NULL)",
                [like, text])

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

    def _across_run_rows(self, limit: int) -> int:
        # Runs read by id cost about a microsecond a row, still far cheaper than the text index on a
        # common tail (a heap fetch per candidate); only a huge folder set lets the tail lead.
        return limits.ACROSS_RUN_ROWS

    def _base_ids(self, pattern: str, checks: Checks, scope: Scope, limit: int) -> list[int]:
        """The newest PROBE_ROWS rows first, checked one by one: a common pattern fills the page
        there, and one that matches there often enough to fill it within the windows goes on so
        (`_windows`). Otherwise the names, from their text index (every distinct last component
        once, several times fewer than rows): when they are few and few rows hold them, those rows
        come through the index of rows by name; else the windows again. What the windows leave
        comes through the names."""
        (_, (like,)), rest = checks[0], checks[1:]
        edge = max(scope.high - limits.PROBE_ROWS, scope.low - 1)
        found = self._scan_ids(checks, scope, limit, ["f.id > ?", "f.id <= ?"], [edge, scope.high])
        if len(found) >= limit or edge < scope.low:
            return found
        names = None
        if not found or (limit - len(found)) * limits.PROBE_ROWS / len(found) > limits.WINDOWS * limits.SHORT_WINDOW:
            names = self._names_like(pattern, like, limits.NAMES_LISTED)
            if names == []:
                return found
            if names is not None and self._rows_of_names(names, scope, edge) < limits.NAME_ROWS:
                return found + self._newest_of_names(names, rest, scope, limit - len(found), edge)
        more, edge = self._windows(checks, replace(scope, high=edge), limit - len(found))
        found += more
        if len(found) >= limit or edge < scope.low:
            return found
        if names is None:
            names = self._names_like(pattern, like, None) or []
        # Names this common hold many rows (141,000 for "utils…" at 20 million files, 0.9–9 s to fetch
        # all): the newest first.
        return found + self._newest_of_names(names, rest, scope, limit - len(found), edge, span=limits.NAME_SPAN)

    def _windows(self, checks: Checks, scope: Scope, limit: int) -> tuple[list[int], int]:
        """The newest rows, SHORT_WINDOW ids at a time, while the matches seen so far say the page fills
        within WINDOWS windows. Returns the matches and the highest id not yet looked at (below
        `scope.low` when every id was). Each window's id range drives its plan (the planner guesses
        LIKE on Chinese text badly, by orders of magnitude).
        """
        found: list[int] = []
        edge, scanned = scope.high, 0
        while edge >= scope.low:
            start = max(edge - limits.SHORT_WINDOW, scope.low - 1)
            found += self._scan_ids(checks, scope, limit - len(found), ["f.id > ?", "f.id <= ?"], [start, edge])
            scanned += edge - start
            edge = start
            if len(found) >= limit:
                break
            if not found or (limit - len(found)) * scanned / len(found) > limits.WINDOWS * limits.SHORT_WINDOW - scanned:
                break
        return found, edge

    def _names_like(self, pattern: str, like: str, most: int | None) -> list[int] | None:
        """Through the names' text index; a pattern too short for it, through their characters."""
        if len(pattern) >= self.indexed_length:
            where, params = self._name_match(pattern, like)
        else:
            where, params = self._short_match("base", pattern, like)
        bound = "" if most is None else f" LIMIT {int(most) + 1}"
        ids = self._ids(f"SELECT id FROM catalog_names WHERE {where}{bound}", params)
        return None if most is not None and len(ids) > most else ids

    def _name_match(self, pattern: str, like: str) -> tuple[str, list[Any]]:
        """The condition on `catalog_names` that its text index serves, with LIKE deciding."""
        return "base LIKE ?" + ESCAPE, [like]

    def _rows_of_names(self, names: list[int], scope: Scope, high: int) -> int:
        """How many rows in the scope's id range up to `high` have one of the names `names`, counted
        up to NAME_ROWS."""
        rows = self.store.query("SELECT COUNT(*) FROM (SELECT 1 FROM catalog_entries WHERE name = ANY(?)"
                                " AND id BETWEEN ? AND ? LIMIT ?) s", [names, scope.low, high, limits.NAME_ROWS])
        return int(rows[0][0])

    def _newest_of_names(self, names: list[int], checks: Checks, scope: Scope, limit: int, high: int,
                         span: int | None = None) -> list[int]:
        """The newest `limit` ids up to `high` whose name is one of `names` and that pass `checks`,
        through the index of rows by name (`catalog_entries_name`): all at once and then sorted, or,
        given a `span` of ids, the newest span first and each next one four times wider, until the
        page is full. The OFFSET 0 fence makes the planner fetch every row of the names in the range
        rather than walk ids hoping to stop early."""
        where = scope.sql("f.name = ANY(?)", "f.id BETWEEN ? AND ?", *clauses_of(checks))
        found: list[int] = []
        while len(found) < limit and high >= scope.low:
            low = scope.low if span is None else max(scope.low, high - span + 1)
            found += self._ids(f"SELECT id FROM (SELECT f.id FROM catalog_entries f{where} OFFSET 0) s"
                               " ORDER BY id DESC LIMIT ?",
                               [names, low, high, *values_of(checks), *scope.params, limit - len(found)])
            high = low - 1
            span = None if span is None else span * 4
        return found
