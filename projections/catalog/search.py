"""One interface over the catalog's stores, and the part of a search that is the same on every store.

Each store has a module with a subclass of `CatalogSearch`: `sqlite` (FTS5 trigram indexes),
`postgres` (pg_trgm) and `opengauss` (PostgreSQL's plans with the built-in ngram parser, as openGauss
has no pg_trgm). A subclass creates its text indexes, writes the loader's rows and keeps the indexes
in step, and plans each step of a search. What every store shares lives here: a search is the union
of the rows in matching folders, the rows where the pattern crosses its own last "/", and the rows
whose last component holds it — each the newest `limit` ids, asked in that order so that a page
already full leaves only newer ids to look for (docs/架构.md §5).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

from projections.catalog import limits
from projections.catalog.query import (
    ESCAPE,
    Checks,
    Dirs,
    Scope,
    SearchQuery,
    clauses_of,
    escape,
    scope_of,
    values_of,
)
from projections.catalog.results import SELECT_STORED, decode, ordered
from projections.catalog.schema import COLUMNS_OF, EXTRA_KEYS, LAYOUT, RAW_KEY, files_view_select
from projections.store import Cursor, ViewStore


class CatalogSearch(ABC):
    """What the catalog asks of a store: its text indexes, kept in step with the rows, and search plans."""

    # The SQL of `catalog_files.mtime` from `f.mtime_ns`.
    mtime_sql: ClassVar[str]

    def __init__(self, store: ViewStore) -> None:
        self.store = store
        # What `write` reads as SQL NULL in the nullable entry columns (`schema.NULLABLE`).
        self.null: Any = getattr(store, "null", None)

    # --- schema -----------------------------------------------------------------------------
    @abstractmethod
    def ddl(self) -> list[str]:
        """Statements run after the tables are made: the text indexes and the SQL view `catalog_files`."""

    @abstractmethod
    def extra_sql(self, key: str) -> str:
        """SQL for one key of the JSON in `f.extra`, typed as its `catalog_files` column."""

    def files_view(self) -> str:
        """The SELECT behind `catalog_files` in this store's SQL."""
        return files_view_select(self.mtime_sql, {key: self.extra_sql(key) for key in (*EXTRA_KEYS, RAW_KEY)})

    @abstractmethod
    def files_kind(self, cursor: Cursor) -> str | None:
        """What `catalog_files` is: "table" (the first layout kept rows there), "view", or None."""

    @abstractmethod
    def table_columns(self, cursor: Cursor, table: str) -> tuple[str, ...]:
        """The columns of `table` in order; empty when there is no such table."""

    def layout(self) -> dict[str, tuple[str, ...]]:
        """The columns of each catalog table this store keeps (`schema.LAYOUT`, and its own)."""
        return dict(LAYOUT)

    @abstractmethod
    def drop_indexes(self, cursor: Cursor) -> None:
        """Drop what the common tables do not take with them (SQLite's FTS tables, PostgreSQL's names)."""

    @abstractmethod
    def empty(self, cursor: Cursor, tables: Sequence[str]) -> None:
        """Every row of `tables` and of their text indexes gone, in the caller's transaction."""

    # --- loading: rows written, the text indexes kept in step ------------------------------
    # Whether this store keeps `catalog_names` (every distinct last component once, its text index
    # there rather than on the rows) and fills `catalog_entries.name`; else `name` is 0.
    names: ClassVar[bool] = False
    # The shortest pattern the last-component index can look up (a trigram; openGauss's ngram: two).
    indexed_length: ClassVar[int] = 3
    # Whether `write` wants text values passed through `text` (the loader skips it if not).
    escapes: ClassVar[bool] = False

    def write(self, cursor: Cursor, tables: Sequence[tuple[str, Sequence[Sequence[Any]]]]) -> None:
        """Write one round of the loader's rows, table by table in the order given (`schema.COLUMNS_OF`;
        entry rows hold `null` for NULL and their text through `text`), and index them. A store may
        write them in the background and return at once: `settle` waits for them."""
        for table, rows in tables:
            if rows:
                self._write(cursor, table, rows)

    def _write(self, cursor: Cursor, table: str, rows: Sequence[Sequence[Any]]) -> None:
        self.store.bulk_insert(cursor, table, COLUMNS_OF[table], rows)

    @contextmanager
    def index_lookups(self, cursor: Cursor) -> Iterator[None]:
        """Around the loader's look-ups of folder and name ids by their hash key: each must read the
        key's index, whatever the planner believes of the table (SQLite: it always does)."""
        yield

    def round_rows(self) -> int:
        """How many entry rows the loader writes at a time."""
        return limits.FLUSH_ROWS

    def settle(self, raising: bool = True) -> None:
        """Wait until the rows `write` was given are written (it may write them in the
        background); its error, if any, is raised here (unless not `raising`)."""
        return

    def text(self, value: str) -> str:
        """`value` as `write` wants a text value of an entry row."""
        return value

    @abstractmethod
    def unindex_entries(self, cursor: Cursor, first: int, last: int) -> None:
        """The entries with ids `first`..`last` are about to be deleted: take them out of the index."""

    # --- search -----------------------------------------------------------------------------
    def search(self, query: SearchQuery) -> list[dict[str, Any]]:
        """Catalog rows whose full path contains `pattern` (any substring), within the filters.

        When more rows match than `limit`, the `limit` most recently catalogued ones (highest id:
        the latest backups) are returned. The rows are ordered by group (newest first), then full
        path, chunk and id — a deterministic order, the same on every store.
        """
        limit = max(1, int(query.limit))
        scope = scope_of(self.store, query)
        if scope is None:
            return []
        pattern = query.pattern.strip()
        if pattern:
            ids = self._matching_ids(pattern, scope, limit)
        else:
            bounds, bound_params = scope.ids("f.id")
            ids = self._ids(f"SELECT f.id FROM catalog_entries f{scope.sql(*bounds)} ORDER BY f.id DESC LIMIT ?",
                            [*bound_params, *scope.params, limit])
        return ordered(self.result_rows(ids))

    def under(self, path: str, group: str = "") -> list[dict[str, Any]]:
        """The rows of the file `path` and of everything in the folder `path` and below (exact match).

        Backslashes count as "/". Ordered by group (newest first), full path, chunk and id; no limit.
        """
        text = path.replace("\\", "/").rstrip("/")
        scope = scope_of(self.store, SearchQuery(group=group))
        if not text or scope is None:
            return []
        return ordered(self.result_rows(self._under_ids(text, text.rfind("/") + 1, scope)))

    def result_rows(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        if not ids:
            return []
        member_of, params = self._id_list(ids)
        return decode(self.store.query(f"{SELECT_STORED} WHERE {member_of}", params))

    @abstractmethod
    def _under_ids(self, text: str, cut: int, scope: Scope) -> list[int]:
        """The ids in folder `text` and below, and of the file `text` (its folder ends at `cut`)."""

    @abstractmethod
    def _id_list(self, ids: Sequence[int], column: str = "f.id") -> tuple[str, list[Any]]:
        """A condition on `column` meaning "one of `ids`", with its parameters."""

    def _ids(self, sql: str, params: Sequence[Any]) -> list[int]:
        return [int(row[0]) for row in self.store.query(sql, params)]

    def _matching_ids(self, pattern: str, scope: Scope, limit: int) -> list[int]:
        """The newest `limit` ids whose full path (folder + last component) contains `pattern`."""
        found: set[int] = set(self._ids_in_dirs(self._dirs_with(pattern, f"%{escape(pattern)}%"), scope, limit))
        # Only ids above a full page can change it; the steps after the folders search those alone.
        rest = self._narrowed(scope, found, limit)
        if rest is None:
            return sorted(found, reverse=True)[:limit]
        if rest.high - rest.low < limits.READ_ROWS:
            # A page filled by folders leaves a few newer ids (or the scope held few): reading them
            # costs less than any index. Finding the folders that end with "享/" read all of them,
            # 90–120 ms at 20 million files, to search a few hundred ids. (Up to 20,000 ids, the
            # reading itself was the slowest step of a 120,000-file catalog's searches: p99 13–17 ms,
            # 8 ms at 4,096.)
            found.update(self._full_path_ids(pattern, rest, limit))
            return sorted(found, reverse=True)[:limit]
        cut = pattern.rfind("/") + 1
        if not cut:
            found.update(self._ids_by_base(pattern, [], rest, limit))
        elif cut < len(pattern):
            found.update(self._ids_across(pattern[:cut], pattern[cut:], rest, limit))
        return sorted(found, reverse=True)[:limit]

    def _full_path_ids(self, pattern: str, scope: Scope, limit: int) -> list[int]:
        """The newest `limit` ids of the scope whose full path contains `pattern`, each row read."""
        bounds, bound_params = scope.ids("f.id")
        where = scope.sql("d.id = f.dir", "(d.path || f.base) LIKE ?" + ESCAPE, *bounds)
        return self._ids(f"SELECT f.id FROM catalog_entries f CROSS JOIN catalog_dirs d{where} ORDER BY f.id DESC LIMIT ?",
                         [f"%{escape(pattern)}%", *bound_params, *scope.params, limit])

    def _narrowed(self, scope: Scope, found: set[int], limit: int) -> Scope | None:
        """Once a page is full, only newer ids can change it: the scope above the page's oldest id
        (None when nothing newer can exist). Folders are searched first for this: a pattern in a
        common folder fills the page at once and leaves little to search by last component."""
        if len(found) < limit:
            return scope
        floor = sorted(found, reverse=True)[limit - 1]
        if floor >= scope.high:
            return None
        first = self.store.query("SELECT MAX(first_id) FROM catalog_packages WHERE first_id <= ?", (floor + 1,))
        return scope.above(floor, int(first[0][0] or 1))

    def _dirs_with(self, text: str, like: str) -> Dirs | None:
        """The folders whose path is LIKE `like` (`text` is its literal part); None when there are none.

        Listed first, up to MANY_DIRS of them: none means no run to walk at all, and a list shows the
        plans how many there are (SQLite reads a few through the index of runs by folder). More are
        tested row by row, never listed whole: listing the 228,000 folders holding "年/" at 20
        million files took SQLite 200 ms, and PostgreSQL 0.6–1 s to read and check as an array, for a
        page the newest rows fill.
        """
        found = self._dir_ids_like(text, like, limits.MANY_DIRS + 1)
        if not found:
            return None
        if len(found) > limits.MANY_DIRS:
            return Dirs("EXISTS (SELECT 1 FROM catalog_dirs dl WHERE dl.id = {} AND dl.path LIKE ?" + ESCAPE + ")",
                        [like], len(found))
        template, params = self._id_list(found, "{}")
        return Dirs(template, params, len(found))

    @abstractmethod
    def _dir_ids_like(self, text: str, like: str, most: int) -> list[int]:
        """The ids of up to `most` folders whose path is LIKE `like` (`text` is its literal part)."""

    def _ids_in_dirs(self, dirs: Dirs | None, scope: Scope, limit: int) -> list[int]:
        """The newest `limit` ids in the folders `dirs`."""
        if dirs is None:
            return []
        return self._runs_newest_first(dirs, [], scope, limit)

    @abstractmethod
    def _runs_newest_first(self, dirs: Dirs, checks: Checks, scope: Scope, limit: int) -> list[int]:
        """The newest `limit` ids in the folders `dirs` passing `checks`, through the folders' runs."""

    def _ids_across(self, head: str, tail: str, scope: Scope, limit: int) -> list[int]:
        """A pattern crossing its last "/": the folder ends with `head`, the last component starts with `tail`.

        Few rows in those folders: through their runs. Many (a head like "/" or "报告/"): let the
        tail lead, through the last-component index, checking the folder of each candidate — unless
        the tail is too short for that index: it would then be read for every last component holding
        the tail ("划/2" read the vocabulary of every trigram starting with "2": 1.6 s at 20 million
        files), while the folders' runs, newest first, soon fill the page.
        """
        if head == "/":
            # Every folder but "" ends with "/".
            empty = self._ids("SELECT id FROM catalog_dirs WHERE path = ''", [])
            dirs: Dirs | None = Dirs("{} <> ?", [empty[0] if empty else -1], limits.MANY_DIRS + 1)
        else:
            dirs = self._dirs_with(head, f"%{escape(head)}")
        if dirs is None:
            return []
        total = self._rows_in_dirs(dirs, scope)
        if not total:
            return []
        if total < self._across_run_rows(limit) or len(tail) < self.indexed_length:
            return self._runs_newest_first(dirs, [("f.base LIKE ?" + ESCAPE, [escape(tail) + "%"])], scope, limit)
        return self._ids_by_base(tail, [(dirs.on("f.dir"), dirs.params)], scope, limit, starting=True)

    def _ranges_in_pages(self, ranges: str, params: list[Any], checks: Checks, scope: Scope, limit: int,
                         below: int) -> list[int]:
        """The newest `limit` ids at or below `below` that lie in the id ranges `ranges` selects (runs)
        and pass `checks`. The ranges are read newest first, SPAN_PAGE at a time (`ranges` says
        through which index); their rows are checked in growing rounds through the primary key —
        when there is anything to check."""
        found: list[int] = []
        budget = limits.RUN_PAGE_IDS
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
            if not checks and not scope.where:
                # Every id in the runs is a match: no row needs reading.
                found += [i for bottom, top in _take(spans, limit - len(found)) for i in range(top, bottom - 1, -1)]
                continue
            found += self._ids_in_ranges(_take(spans, budget), checks, scope, limit - len(found))
            budget = min(budget * 4, 16 * limits.RUN_PAGE_IDS)
        return found

    def _ids_in_ranges(self, chosen: list[tuple[int, int]], checks: Checks, scope: Scope, limit: int) -> list[int]:
        """The newest `limit` ids in the id ranges `chosen` passing `checks`: a few ranges as BETWEENs,
        many as one list of ids."""
        if len(chosen) <= 32:
            inside = "(" + " OR ".join("f.id BETWEEN ? AND ?" for _ in chosen) + ")"
            inside_params: list[Any] = [bound for span in chosen for bound in span]
        else:
            inside, inside_params = self._id_list([i for bottom, top in chosen for i in range(top, bottom - 1, -1)])
        where = scope.sql(inside, *clauses_of(checks))
        return self._ids(f"SELECT f.id FROM catalog_entries f{where} ORDER BY f.id DESC LIMIT ?",
                         [*inside_params, *values_of(checks), *scope.params, limit])

    @abstractmethod
    def _across_run_rows(self, limit: int) -> int:
        """How many rows a crossing pattern's folders may hold and still be read through their runs."""

    def _rows_in_dirs(self, dirs: Dirs, scope: Scope) -> int:
        """About how many rows the folders hold within the scope's id range (whole runs that overlap
        it), counted up to a few thousand runs. More than MANY_DIRS folders count as large without
        counting: counting read their runs by folder (or, on PostgreSQL, as the planner misjudges a
        long folder list, every run in the id range — 2 s for "月/" at 2 million files), while the
        pattern's tail leads well through the last components."""
        if dirs.size > limits.MANY_DIRS:
            return limits.ACROSS_RUN_ROWS
        probe = self._run_probe()
        rows = self.store.query(
            "SELECT COUNT(*), COALESCE(SUM(n), 0) FROM (SELECT r.last_id - r.first_id + 1 AS n"
            f" FROM {self._runs_table(scope)}"
            f" WHERE {dirs.on('r.dir')} AND r.first_id BETWEEN ? AND ? AND r.last_id >= ? LIMIT ?) s",
            [*dirs.params, scope.runs_from, scope.high, scope.low, probe])
        runs, total = int(rows[0][0]), int(rows[0][1])
        return total if runs < probe else max(total, limits.ACROSS_RUN_ROWS)

    @abstractmethod
    def _run_probe(self) -> int:
        """How many runs `_rows_in_dirs` counts before it calls the folders large."""

    @abstractmethod
    def _runs_table(self, scope: Scope) -> str:
        """`catalog_runs r`, with whatever tells this store how to read it for `scope`."""

    def _ids_by_base(self, pattern: str, checks: Checks, scope: Scope, limit: int,
                     starting: bool = False) -> list[int]:
        """The newest `limit` ids whose last path component contains `pattern` (no "/") — or, `starting`,
        starts with it — and that pass `checks`."""
        like = f"{escape(pattern)}%" if starting else f"%{escape(pattern)}%"
        return self._base_ids(pattern, [("f.base LIKE ?" + ESCAPE, [like]), *checks], scope, limit)

    @abstractmethod
    def _base_ids(self, pattern: str, checks: Checks, scope: Scope, limit: int) -> list[int]:
        """The newest `limit` ids passing `checks`, the first of which is the LIKE on `f.base` that
        decides; `pattern` is the literal text the store's last-component index can look up."""

    def _scan_ids(self, checks: Checks, scope: Scope, limit: int, bounds: list[str],
                  bound_params: list[Any]) -> list[int]:
        """The newest `limit` ids in `bounds` passing `checks`, as the database plans it."""
        where = scope.sql(*clauses_of(checks), *bounds)
        return self._ids(f"SELECT f.id FROM catalog_entries f{where} ORDER BY f.id DESC LIMIT ?",
                         [*values_of(checks), *bound_params, *scope.params, limit])


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
