"""The file catalog: one row per file version on tape, searchable by any substring of its path.

Rows come from `Cartridge.PackageWritten` manifests. The layout is chosen for bulk loads of
millions of files and for substring search over them (docs/架构.md §5):

- `catalog_dirs`: every distinct folder once, with its trailing "/" ("/srv/数据/报告/"; "" for a
  path without "/"). A full path is its folder followed by its last component (`base`).
- `catalog_entries`: one row per manifest entry: folder id, `base`, and the per-file facts. The
  rows of one package are one range of ids, handed out here in ledger order, so the newest rows
  have the highest ids.
- `catalog_runs`: one row per run of consecutive entries in one folder (a package lists a
  folder's files together): the folder's entries without an index row per entry.
- `catalog_packages`: one row per package: group, job, cartridge, tape position, its id range.
- `catalog_cartridges`: the barcode of each registered cartridge.
- `catalog_files`: a read-only SQL view with the catalog's row shape (`RESULT_COLUMNS`) for code
  that reads the catalog with its own SQL.

Substring search looks in two smaller things than millions of full paths: the folders (one row
per folder, not per file) and the last path components. A pattern without "/" lies in one of the
two; a pattern with "/" lies in the folder or crosses into the last component at its own last
"/". SQLite keeps contentless FTS5 trigram indexes (`detail=none`) of the folders and of the last
components; PostgreSQL pg_trgm GIN indexes; openGauss, which has no pg_trgm, its built-in ngram
parser. The rows of matching folders come through `catalog_runs`. Every candidate is checked again
with LIKE, so the result is exactly "the pattern is a substring of the full path" (LIKE's case
rules: on SQLite ASCII letters match either case, on PostgreSQL case matters). How each kind of
pattern is looked up, and why: docs/架构.md §5.
"""

from __future__ import annotations

import gc
import hashlib
import json
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from operator import itemgetter
from typing import Any

from projections.store import Cursor
from projections.view import View, event_name

COLUMNS = ("grp", "full_path", "root", "path", "name", "ext", "kind", "size", "mtime_ns", "mtime", "mode",
           "sha256", "member", "chunk_index", "total_chunks", "chunk_offset", "chunk_length", "link_target",
           "state", "package_id", "job_id", "cartridge", "tape_file", "header_block", "payload_block",
           "payload_blocks", "package_bytes", "written_at", "notification_id", "cartridge_id", "raw")
RESULT_COLUMNS = ("id", *COLUMNS)

# Stored per entry (the group and tape position are the package's). `dir` is a catalog_dirs id, `base`
# the last component of the full path; `cut` is where `path` starts in the full path (-1: the entry
# is its root itself); `root` is NULL when it is the full path's prefix up to `cut`. `extra` is NULL
# when member, total_chunks, chunk_offset, chunk_length, link_target and state are the usual ones
# (`_default_member` of the full path, 1, 0, size, none, "ok"); else those six as JSON.
ENTRY_COLUMNS = ("id", "pkg", "dir", "base", "root", "cut", "ext", "kind", "size", "mtime_ns", "mode", "sha256",
                 "chunk_index", "extra")
_EXTRA_KEYS = ("member", "total_chunks", "chunk_offset", "chunk_length", "link_target", "state")
# Names that are not valid Unicode keep their exact bytes (`backup.names`): `raw` is then the JSON
# text of [root_raw, path_raw, link_target_raw], stored in `extra`; NULL for every other entry.
_RAW_KEY = "raw"
PACKAGE_COLUMNS = ("pkg", "package_id", "grp", "job_id", "cartridge_id", "cartridge", "tape_file",
                   "header_block", "payload_block", "payload_blocks", "package_bytes", "written_at",
                   "notification_id", "first_id", "last_id", "files")
# A run: consecutive entries of one folder. `chars` (PostgreSQL and openGauss; NULL on SQLite): every
# character of the run's last components, so a pattern too short for their text indexes reads only
# the runs that hold all its characters.
RUN_COLUMNS = ("first_id", "last_id", "dir", "chars")
# The columns each table must have; other columns mean another version of this view made them.
_LAYOUT = {"catalog_entries": ENTRY_COLUMNS, "catalog_dirs": ("id", "key", "path"),
           "catalog_packages": PACKAGE_COLUMNS, "catalog_runs": RUN_COLUMNS}

# Manifest keys read for each entry, and their values when a manifest leaves one out.
_ENTRY_DEFAULTS = (("path", ""), ("root", ""), ("kind", "file"), ("size", 0), ("mtime_ns", 0), ("mode", 0),
                   ("sha256", None), ("member", ""), ("chunk_index", 0), ("total_chunks", 1), ("chunk_offset", 0),
                   ("chunk_length", 0), ("link_target", None), ("state", "ok"), ("root_raw", None),
                   ("path_raw", None), ("link_target_raw", None))
_ENTRY_FIELDS = itemgetter(*(key for key, _ in _ENTRY_DEFAULTS))
# Entry rows are written in rounds of this many (bounded memory, one round trip each on PostgreSQL).
FLUSH_ROWS = 100_000
# A pattern crossing a "/" whose head's folders hold fewer rows than this (SQLite; PostgreSQL and
# openGauss: ACROSS_RUN_ROWS) is looked up through those folders' runs, else led by its tail; the
# folders' runs are counted up to RUN_PROBE of them (four times that on PostgreSQL and openGauss).
DIR_COLLECT_ROWS = 20_000
ACROSS_RUN_ROWS = 250_000
RUN_PROBE = 5_000
# The newest rows are checked in windows of this many ids: SQLite once, for patterns of one or two
# characters (shorter than a trigram) before the trigram vocabulary is asked for the rest;
# PostgreSQL and openGauss up to WINDOWS times before the text index (or the runs' characters,
# when they cover under 1/CHAR_RUNS_SHARE of the rows left) takes over.
SHORT_WINDOW = 150_000
WINDOWS = 4
CHAR_RUNS_SHARE = 8
# PostgreSQL and openGauss walking runs: runs read per query, ids checked in the first round
# (fourfold each round after), and the folder count above which the newest rows are tried first.
SPAN_PAGE = 8_192
RUN_PAGE_IDS = 8_192
MANY_DIRS = 2_000
# Appended to every indexed last component, so a one- or two-character pattern at its very end still
# starts a trigram ("算" in "预算" → "算//"). A component never contains "/".
SENTINEL = "//"
_FTS_TEXT = f"base || '{SENTINEL}'"

# Folders, then their runs, then the entries of each run: the join order is fixed (CROSS JOIN makes
# SQLite keep it), since a folder's rows are found only through its runs.
_DIR_RUN_ENTRY = "catalog_dirs d CROSS JOIN catalog_runs r CROSS JOIN catalog_entries f"
_DIR_RUN_ENTRY_ON = "r.dir = d.id AND f.id BETWEEN r.first_id AND r.last_id"

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_ESCAPE = " ESCAPE '\\'"


@dataclass(frozen=True)
class SearchQuery:
    pattern: str = ""
    group: str = ""
    ext: str = ""
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100


def full_path(root: str, path: str) -> str:
    root = root.replace("\\", "/").rstrip("/")
    return f"{root}/{path}" if path else root or "/"


def extension(name: str) -> str:
    dot = name.rfind(".")
    return name[dot + 1:].lower() if 0 < dot < len(name) - 1 else ""


def _mtime_iso(mtime_ns: int) -> str:
    """UTC, whole seconds (rounded down), e.g. "2023-11-14T22:13:20+00:00"; the SQL view computes the same."""
    try:
        return (_EPOCH + timedelta(seconds=mtime_ns // 1_000_000_000)).isoformat()
    except OverflowError:
        return ""


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _trigrams(text: str) -> str:
    """An FTS5 query: every trigram of `text` (each quoted, so nothing in it is query syntax), AND-ed."""
    grams = dict.fromkeys(text[i:i + 3] for i in range(len(text) - 2))
    return " AND ".join(_quoted(gram) for gram in grams)


def _unindexed(checks: list[tuple[str, list[Any]]]) -> list[tuple[str, list[Any]]]:
    """PostgreSQL and openGauss: the checks written so that no text index can serve them (`f.base || ''`
    is not the indexed expression), for queries whose id range or id list must drive the plan; the
    ngram match is left out there (LIKE decides anyway)."""
    return [(clause.replace("f.base", "(f.base || '')"), values) for clause, values in checks
            if "to_tsvector" not in clause]


def _text_array(items: Iterable[str]) -> str:
    """A PostgreSQL text[] literal (as COPY reads it) holding `items`."""
    quoted = ('"' + item.replace("\\", "\\\\").replace('"', '\\"') + '"' for item in sorted(items))
    return "{" + ",".join(quoted) + "}"


def _default_member(full: str) -> str:
    """The 7z member name the backup gives a full path: without leading "/", a drive letter without
    its colon ("/srv/a" → "srv/a", "D:/共享/a" → "D/共享/a"). The SQL view computes the same."""
    return full[0] + full[2:] if full[1:2] == ":" else full.lstrip("/")


def _quoted(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _fold_like_fts(text: str) -> str | None:
    """`text` as the trigram tokenizer folds it, or None when that is not certain (cased non-ASCII letters)."""
    if any(ord(ch) > 127 and (ch.lower() != ch or ch.upper() != ch) for ch in text):
        return None
    return text.lower()


@dataclass(frozen=True)
class _Dirs:
    """A set of folders as a condition: `on(column)` is SQL with `params`."""

    template: str
    params: list[Any]
    size: int = 0  # how many folders, when listed (PostgreSQL and openGauss)

    def on(self, column: str) -> str:
        return self.template.format(column)


@dataclass
class _Scope:
    """Filters of a search on entry alias `f` (`where`), and the id range that can hold its rows
    (`low`..`high`; an empty catalog or group has no scope at all)."""

    where: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)
    low: int = 1
    high: int = 0
    # Where a run overlapping low..high can start at the earliest: the first id of the package
    # holding `low` (runs never cross packages). Equal to `low` for a whole group.
    runs_from: int = 1

    def sql(self, *extra: str) -> str:
        clauses = [*extra, *self.where]
        return " WHERE " + " AND ".join(clauses) if clauses else ""

    def ids(self, column: str) -> tuple[list[str], list[Any]]:
        """The id range on `column`. Kept out of `where`: given a constant range and a join's range
        on the same rowid, SQLite may scan the constant one for every joined row."""
        return [f"{column} BETWEEN ? AND ?"], [self.low, self.high]

    def above(self, floor: int, package_first: int) -> _Scope:
        """The same filters for ids above `floor` only; `package_first` is the first id of its package."""
        return replace(self, low=max(self.low, floor + 1), runs_from=max(self.runs_from, package_first))


class CatalogView(View):
    name = "catalog"
    table_names = ("catalog_entries", "catalog_runs", "catalog_dirs", "catalog_packages", "catalog_cartridges")
    topics = ("ledger.domain.cartridge:Cartridge.Registered",
              "ledger.domain.cartridge:Cartridge.PackageWritten",
              "ledger.domain.cartridge:Cartridge.Erased",
              "ledger.domain.cartridge:Cartridge.Labelled")
    tables = (
        "CREATE TABLE IF NOT EXISTS catalog_dirs (id {ID}, key BIGINT NOT NULL, path TEXT NOT NULL UNIQUE)",
        "CREATE INDEX IF NOT EXISTS catalog_dirs_key ON catalog_dirs (key)",
        "CREATE TABLE IF NOT EXISTS catalog_entries ("
        " id {ID}, pkg BIGINT NOT NULL, dir BIGINT NOT NULL, base TEXT NOT NULL, root TEXT, cut INTEGER NOT NULL,"
        " ext VARCHAR(32) NOT NULL, kind VARCHAR(16) NOT NULL, size BIGINT NOT NULL, mtime_ns BIGINT NOT NULL,"
        " mode BIGINT NOT NULL, sha256 VARCHAR(64), chunk_index INTEGER NOT NULL, extra TEXT)",
        "CREATE TABLE IF NOT EXISTS catalog_runs (first_id {ID}, last_id BIGINT NOT NULL, dir BIGINT NOT NULL,"
        " chars {CHARS})",
        "CREATE INDEX IF NOT EXISTS catalog_runs_dir ON catalog_runs (dir)",
        "CREATE TABLE IF NOT EXISTS catalog_packages ("
        " pkg {ID}, package_id VARCHAR(200) NOT NULL, grp VARCHAR(16) NOT NULL, job_id VARCHAR(64) NOT NULL,"
        " cartridge_id VARCHAR(64) NOT NULL, cartridge VARCHAR(32) NOT NULL, tape_file INTEGER NOT NULL,"
        " header_block BIGINT NOT NULL, payload_block BIGINT NOT NULL, payload_blocks BIGINT NOT NULL,"
        " package_bytes BIGINT NOT NULL, written_at VARCHAR(40) NOT NULL, notification_id BIGINT NOT NULL,"
        " first_id BIGINT NOT NULL, last_id BIGINT NOT NULL, files BIGINT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS catalog_cartridges (cartridge_id VARCHAR(64) PRIMARY KEY,"
        " barcode VARCHAR(32) NOT NULL)",
        "CREATE INDEX IF NOT EXISTS catalog_packages_group ON catalog_packages (grp)",
        "CREATE INDEX IF NOT EXISTS catalog_packages_cartridge ON catalog_packages (cartridge_id)",
    )

    @property
    def _sqlite(self) -> bool:
        return self.store.dialect == "sqlite"

    @property
    def _opengauss(self) -> bool:
        return not self._sqlite and getattr(self.store, "flavour", "postgresql") == "opengauss"

    def ddl(self) -> Sequence[str]:
        statements = [sql.replace("{CHARS}", "TEXT" if self._sqlite else "TEXT[]") for sql in super().ddl()]
        if self._sqlite:
            statements += [
                "CREATE VIRTUAL TABLE IF NOT EXISTS catalog_names_fts USING fts5(base, content='',"
                " tokenize='trigram', detail=none, columnsize=0)",
                "CREATE VIRTUAL TABLE IF NOT EXISTS catalog_names_vocab USING fts5vocab(catalog_names_fts, 'row')",
                "CREATE VIRTUAL TABLE IF NOT EXISTS catalog_dirs_fts USING fts5(path, content='',"
                " tokenize='trigram', detail=none, columnsize=0)",
                # Merge segments when 8 (not 4) wait on a level: a third less work per inserted row,
                # a few more segments for a query to read (well under a millisecond).
                "INSERT INTO catalog_names_fts(catalog_names_fts, rank) VALUES ('automerge', 8)",
                "INSERT INTO catalog_dirs_fts(catalog_dirs_fts, rank) VALUES ('automerge', 8)",
                f"CREATE VIEW IF NOT EXISTS catalog_files AS {self._view_select()}",
            ]
            return statements
        statements.append("CREATE INDEX IF NOT EXISTS catalog_runs_chars ON catalog_runs USING gin (chars)")
        if self._opengauss:
            statements += [
                "CREATE INDEX IF NOT EXISTS catalog_entries_ngram ON catalog_entries"
                " USING gin (to_tsvector('ngram', base))",
                "CREATE INDEX IF NOT EXISTS catalog_dirs_ngram ON catalog_dirs USING gin (to_tsvector('ngram', path))",
            ]
        else:
            statements += [
                "CREATE EXTENSION IF NOT EXISTS pg_trgm",
                "CREATE INDEX IF NOT EXISTS catalog_entries_trgm ON catalog_entries USING gin (base gin_trgm_ops)",
                "CREATE INDEX IF NOT EXISTS catalog_dirs_trgm ON catalog_dirs USING gin (path gin_trgm_ops)",
            ]
        statements.append(f"CREATE OR REPLACE VIEW catalog_files AS {self._view_select()}")
        return statements

    def _view_select(self) -> str:
        full = "d.path || f.base"
        if self._sqlite:
            seconds = ("CASE WHEN f.mtime_ns >= 0 THEN f.mtime_ns / 1000000000"
                       " ELSE -((999999999 - f.mtime_ns) / 1000000000) END")
            mtime = f"strftime('%Y-%m-%dT%H:%M:%S+00:00', {seconds}, 'unixepoch')"
            extra = {key: f"json_extract(f.extra, '$.{key}')" for key in (*_EXTRA_KEYS, _RAW_KEY)}
        else:
            mtime = ("to_char(to_timestamp(floor(f.mtime_ns / 1000000000.0)) AT TIME ZONE 'UTC',"
                     " 'YYYY-MM-DD\"T\"HH24:MI:SS') || '+00:00'")
            extra = {key: f"(f.extra::json ->> '{key}')" for key in (*_EXTRA_KEYS, _RAW_KEY)}
            for key, kind in (("total_chunks", "integer"), ("chunk_offset", "bigint"), ("chunk_length", "bigint")):
                extra[key] = f"{extra[key]}::{kind}"
        return (f"SELECT f.id AS id, p.grp AS grp, {full} AS full_path,"
                f" CASE WHEN f.root IS NULL THEN substr({full}, 1, f.cut - 1) ELSE f.root END AS root,"
                f" CASE WHEN f.cut < 0 THEN '' ELSE substr({full}, f.cut + 1) END AS path,"
                " CASE WHEN f.cut < 0 THEN '' ELSE f.base END AS name, f.ext AS ext, f.kind AS kind,"
                f" f.size AS size, f.mtime_ns AS mtime_ns, {mtime} AS mtime, f.mode AS mode, f.sha256 AS sha256,"
                f" CASE WHEN f.extra IS NOT NULL THEN {extra['member']} WHEN substr({full}, 2, 1) = ':'"
                f" THEN substr({full}, 1, 1) || substr({full}, 3) ELSE ltrim({full}, '/') END AS member,"
                f" f.chunk_index AS chunk_index, COALESCE({extra['total_chunks']}, 1) AS total_chunks,"
                f" COALESCE({extra['chunk_offset']}, 0) AS chunk_offset,"
                f" CASE WHEN f.extra IS NULL THEN f.size ELSE {extra['chunk_length']} END AS chunk_length,"
                f" {extra['link_target']} AS link_target, COALESCE({extra['state']}, 'ok') AS state,"
                " p.package_id AS package_id, p.job_id AS job_id, p.cartridge AS cartridge, p.tape_file AS tape_file,"
                " p.header_block AS header_block, p.payload_block AS payload_block,"
                " p.payload_blocks AS payload_blocks, p.package_bytes AS package_bytes, p.written_at AS written_at,"
                f" p.notification_id AS notification_id, p.cartridge_id AS cartridge_id, {extra[_RAW_KEY]} AS raw"
                " FROM catalog_entries f JOIN catalog_dirs d ON d.id = f.dir JOIN catalog_packages p ON p.pkg = f.pkg")

    def create(self) -> None:
        with self.store.transaction() as cursor:
            if self._other_layout(cursor):
                self._drop_all(cursor)
        super().create()

    def _other_layout(self, cursor: Cursor) -> bool:
        """True when the catalog tables were made by another version of this view (the first one kept
        a table `catalog_files` with a full path per row); a view is rebuilt from the ledger, not migrated."""
        if self._sqlite:
            cursor.execute("SELECT type FROM sqlite_master WHERE name = 'catalog_files'")
            found = cursor.fetchone()
            layout = {table: self._columns(cursor, f"SELECT name FROM pragma_table_info('{table}') ORDER BY cid")
                      for table in _LAYOUT}
        else:
            cursor.execute("SELECT CASE table_type WHEN 'BASE TABLE' THEN 'table' ELSE 'view' END"
                           " FROM information_schema.tables"
                           " WHERE table_schema = current_schema() AND table_name = 'catalog_files'")
            found = cursor.fetchone()
            layout = {table: self._columns(cursor, "SELECT column_name FROM information_schema.columns"
                                           " WHERE table_schema = current_schema()"
                                           f" AND table_name = '{table}' ORDER BY ordinal_position")
                      for table in _LAYOUT}
        return bool(found and found[0] == "table") or any(
            columns and columns != _LAYOUT[table] for table, columns in layout.items())

    @staticmethod
    def _columns(cursor: Cursor, sql: str) -> tuple[str, ...]:
        cursor.execute(sql)
        return tuple(row[0] for row in cursor.fetchall())

    def _drop_all(self, cursor: Cursor) -> None:
        if self._sqlite:
            cursor.execute("SELECT type FROM sqlite_master WHERE name = 'catalog_files'")
            found = cursor.fetchone()
            cursor.execute(f"DROP {'TABLE' if found and found[0] == 'table' else 'VIEW'} IF EXISTS catalog_files")
            for table in ("catalog_fts", "catalog_names_vocab", "catalog_names_fts", "catalog_dirs_fts"):
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
        else:
            cursor.execute("SELECT table_type FROM information_schema.tables"
                           " WHERE table_schema = current_schema() AND table_name = 'catalog_files'")
            found = cursor.fetchone()
            cursor.execute(f"DROP {'TABLE' if found and found[0] == 'BASE TABLE' else 'VIEW'} IF EXISTS catalog_files")
        for table in self.table_names:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
        self.store.reset_tracking(cursor, self.name)

    def clear(self, cursor: Cursor) -> None:
        if self._sqlite:
            super().clear(cursor)
            cursor.execute("INSERT INTO catalog_names_fts(catalog_names_fts) VALUES ('delete-all')")
            cursor.execute("INSERT INTO catalog_dirs_fts(catalog_dirs_fts) VALUES ('delete-all')")
            return
        # TRUNCATE is transactional on PostgreSQL and openGauss, and far quicker than DELETE of millions.
        cursor.execute(f"TRUNCATE {', '.join(self.table_names)}")
        self.store.reset_tracking(cursor, self.name)

    # --- following the ledger ---------------------------------------------------------------
    def apply(self, cursor: Cursor, items: Iterable[tuple[Any, Any]]) -> None:
        # Building a hundred thousand row lists would wake the cyclic garbage collector hundreds of
        # times, each pass walking every live object (the decoded manifests included): a third of the
        # time spent building rows. The rows hold no cycles; reference counting frees them.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._apply(cursor, items)
        finally:
            if collecting:
                gc.enable()

    def _apply(self, cursor: Cursor, items: Iterable[tuple[Any, Any]]) -> None:
        batch = _Batch(self, cursor)
        for domain_event, notification in items:
            name = event_name(domain_event)
            if name == "Cartridge.PackageWritten":
                batch.add(domain_event, notification.id)
            elif name == "Cartridge.Registered":
                cursor.execute("INSERT INTO catalog_cartridges (cartridge_id, barcode) VALUES (?, ?)",
                               (str(domain_event.originator_id), domain_event.barcode))
            elif name in {"Cartridge.Erased", "Cartridge.Labelled"}:
                # An erased or relabelled tape no longer holds what it held; nothing can be restored from it.
                batch.flush()
                self._forget_cartridge(cursor, str(domain_event.originator_id))
        batch.flush()

    def _forget_cartridge(self, cursor: Cursor, cartridge_id: str) -> None:
        cursor.execute("SELECT first_id, last_id FROM catalog_packages WHERE cartridge_id = ?", (cartridge_id,))
        for first, last in cursor.fetchall():
            if self._sqlite:
                cursor.execute("INSERT INTO catalog_names_fts(catalog_names_fts, rowid, base)"
                               f" SELECT 'delete', id, {_FTS_TEXT} FROM catalog_entries WHERE id BETWEEN ? AND ?",
                               (first, last))
            cursor.execute("DELETE FROM catalog_entries WHERE id BETWEEN ? AND ?", (first, last))
            cursor.execute("DELETE FROM catalog_runs WHERE first_id BETWEEN ? AND ?", (first, last))
        cursor.execute("DELETE FROM catalog_packages WHERE cartridge_id = ?", (cartridge_id,))

    # --- queries ----------------------------------------------------------------------------
    def search(self, query: SearchQuery) -> list[dict[str, Any]]:
        """Catalog rows whose full path contains `pattern` (any substring), within the filters.

        When more rows match than `limit`, the `limit` most recently catalogued ones (highest id:
        the latest backups) are returned. The rows are ordered by group (newest first), then full
        path, chunk and id — a deterministic order, the same on every store.
        """
        limit = max(1, int(query.limit))
        scope = self._scope(query)
        if scope is None:
            return []
        pattern = query.pattern.strip()
        if pattern:
            ids = self._matching_ids(pattern, scope, limit)
        else:
            bounds, bound_params = scope.ids("f.id")
            ids = self._ids(f"SELECT f.id FROM catalog_entries f{scope.sql(*bounds)} ORDER BY f.id DESC LIMIT ?",
                            [*bound_params, *scope.params, limit])
        return self._ordered(self._result_rows(ids))

    def under(self, path: str, group: str = "") -> list[dict[str, Any]]:
        """The rows of the file `path` and of everything in the folder `path` and below (exact match).

        Backslashes count as "/". Ordered by group (newest first), full path, chunk and id; no limit.
        """
        text = path.replace("\\", "/").rstrip("/")
        scope = self._scope(SearchQuery(group=group))
        if not text or scope is None:
            return []
        cut = text.rfind("/") + 1
        if not self._sqlite:
            below = self._ids("SELECT id FROM catalog_dirs WHERE path >= ? AND path < ?",
                              [text + "/", text + "/\U0010ffff"])
            # By the path's hash: "path = ?" may be planned on the trigram index (see _Batch._dir_ids).
            itself = self._ids("SELECT id FROM catalog_dirs WHERE key = ? AND path = ?",
                               [_dir_key(text[:cut]), text[:cut]])
            ids = self._all_in_dirs(below, [], scope) + self._all_in_dirs(itself, [("f.base = ?", [text[cut:]])], scope)
            return self._ordered(self._result_rows(ids))
        bounds, bound_params = scope.ids("r.first_id")
        joined = f"SELECT f.id FROM {_DIR_RUN_ENTRY}"
        ids = self._ids(joined + scope.sql(_DIR_RUN_ENTRY_ON, "d.path >= ?", "d.path < ?", *bounds),
                        [text + "/", text + "/\U0010ffff", *bound_params, *scope.params])
        ids += self._ids(joined + scope.sql(_DIR_RUN_ENTRY_ON, "d.path = ?", "f.base = ?", *bounds),
                         [text[:cut], text[cut:], *bound_params, *scope.params])
        return self._ordered(self._result_rows(ids))

    def _all_in_dirs(self, dir_ids: list[int], checks: list[tuple[str, list[Any]]], scope: _Scope) -> list[int]:
        """PostgreSQL and openGauss: every id in the folders `dir_ids` passing `checks`, through their
        runs and the primary key (a join of runs and rows is planned badly there)."""
        if not dir_ids:
            return []
        runs = self.store.query("SELECT first_id, last_id FROM catalog_runs WHERE dir = ANY(?)"
                                " AND first_id BETWEEN ? AND ? AND last_id >= ?",
                                [dir_ids, scope.runs_from, scope.high, scope.low])
        wanted = [i for first, last in runs for i in range(max(int(first), scope.low), min(int(last), scope.high) + 1)]
        found: list[int] = []
        plain = _unindexed(checks)
        where = scope.sql("f.id = ANY(?)", *(clause for clause, _ in plain))
        for start in range(0, len(wanted), 65_536):
            found += self._ids(f"SELECT f.id FROM catalog_entries f{where}",
                               [wanted[start:start + 65_536], *(v for _, values in plain for v in values),
                                *scope.params])
        return found

    def _scope(self, query: SearchQuery) -> _Scope | None:
        """The filters as SQL on entry alias `f`; None when the catalog or the group holds nothing."""
        scope = _Scope()
        if query.group:
            rows = self.store.query("SELECT MIN(first_id), MAX(last_id) FROM catalog_packages WHERE grp = ?",
                                    (query.group,))
            if not rows or rows[0][0] is None:
                return None
            scope.low, scope.high = int(rows[0][0]), int(rows[0][1])
            scope.runs_from = scope.low
            # Backups run one after another, so a group's rows are usually one id range; when another
            # group's package lies inside it, each row's package is checked too.
            others = self.store.query("SELECT COUNT(*) FROM catalog_packages WHERE grp <> ? AND first_id <= ?"
                                      " AND last_id >= ?", (query.group, scope.high, scope.low))
            if others[0][0]:
                scope.where.append("f.pkg IN (SELECT pkg FROM catalog_packages WHERE grp = ?)")
                scope.params.append(query.group)
        else:
            scope.high = self._max_id()
            if not scope.high:
                return None
        if query.ext:
            scope.where.append("f.ext = ?")
            scope.params.append(query.ext.lower().lstrip("."))
        if query.since:
            scope.where.append("f.mtime_ns >= ?")
            scope.params.append(int(query.since.timestamp() * 1e9))
        if query.until:
            scope.where.append("f.mtime_ns < ?")
            scope.params.append(int(query.until.timestamp() * 1e9))
        return scope

    def _ids(self, sql: str, params: Sequence[Any]) -> list[int]:
        return [int(row[0]) for row in self.store.query(sql, params)]

    def _matching_ids(self, pattern: str, scope: _Scope, limit: int) -> list[int]:
        """The newest `limit` ids whose full path (folder + last component) contains `pattern`."""
        found: set[int] = set(self._ids_in_dirs(self._dirs_with(pattern, f"%{_escape(pattern)}%"), scope, limit))
        cut = pattern.rfind("/") + 1
        if 0 < cut < len(pattern) and (rest := self._narrowed(scope, found, limit)):
            found.update(self._ids_across(pattern[:cut], pattern[cut:], rest, limit))
        if "/" not in pattern and (rest := self._narrowed(scope, found, limit)):
            found.update(self._ids_by_base(pattern, [], rest, limit))
        return sorted(found, reverse=True)[:limit]

    def _narrowed(self, scope: _Scope, found: set[int], limit: int) -> _Scope | None:
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

    def _dirs_with(self, text: str, like: str) -> _Dirs | None:
        """The folders whose path is LIKE `like` (`text` is its literal part); None when there are none.

        SQLite: as a subquery (its planner handles it well). PostgreSQL and openGauss: as an array of
        ids, so the planner sees how many folders there are (it guesses a LIKE on paths badly).
        """
        if self._sqlite:
            if len(text) >= 3:
                return _Dirs("{} IN (SELECT x.rowid FROM catalog_dirs_fts x JOIN catalog_dirs d ON d.id = x.rowid"
                             " WHERE x.catalog_dirs_fts MATCH ? AND d.path LIKE ?" + _ESCAPE + ")",
                             [_trigrams(text), like])
            return _Dirs("{} IN (SELECT id FROM catalog_dirs WHERE path LIKE ?" + _ESCAPE + ")", [like])
        if self._opengauss and len(text) >= 2:
            sql = ("SELECT id FROM catalog_dirs WHERE to_tsvector('ngram', path) @@ plainto_tsquery('ngram', ?)"
                   " AND path LIKE ?" + _ESCAPE)
            found = self._ids(sql, [text, like])
        else:
            found = self._ids("SELECT id FROM catalog_dirs WHERE path LIKE ?" + _ESCAPE, [like])
        return _Dirs("{} = ANY(?)", [found], len(found)) if found else None

    def _rows_in_dirs(self, dirs: _Dirs, scope: _Scope) -> int:
        """About how many rows the folders hold within the scope's id range (whole runs that overlap
        it), counted up to a few thousand runs."""
        probe = RUN_PROBE if self._sqlite else 4 * RUN_PROBE
        # A narrow id range: walk its runs rather than every run of (possibly very many) folders.
        hint = " NOT INDEXED" if self._sqlite and scope.high - scope.runs_from < 16 * RUN_PROBE else ""
        rows = self.store.query(
            "SELECT COUNT(*), COALESCE(SUM(n), 0) FROM (SELECT r.last_id - r.first_id + 1 AS n"
            f" FROM catalog_runs r{hint}"
            f" WHERE {dirs.on('r.dir')} AND r.first_id BETWEEN ? AND ? AND r.last_id >= ? LIMIT ?) s",
            [*dirs.params, scope.runs_from, scope.high, scope.low, probe])
        runs, total = int(rows[0][0]), int(rows[0][1])
        return total if runs < probe else max(total, ACROSS_RUN_ROWS)

    def _runs_newest_first(self, dirs: _Dirs, checks: list[tuple[str, list[Any]]], scope: _Scope,
                           limit: int) -> list[int]:
        """The newest `limit` ids in the folders `dirs` passing `checks`, through the folders' runs.

        Runs are disjoint id ranges, so ordering by (run, id) is ordering by id: SQLite walks the
        runs from the newest and stops at the limit. PostgreSQL and openGauss plan that join
        badly, so there the runs are read newest first in growing pages and checked by id.
        """
        if not self._sqlite:
            if dirs.size > MANY_DIRS:
                return self._many_dirs_newest_first(dirs, checks, scope, limit)
            return self._ranges_in_pages(f"SELECT first_id, last_id FROM catalog_runs WHERE {dirs.on('dir')}",
                                         dirs.params, checks, scope, limit, scope.high)
        # Each run clipped to the scope's range (a run may straddle its low end, see _narrowed).
        where = scope.sql("f.id BETWEEN MAX(r.first_id, ?) AND MIN(r.last_id, ?)", dirs.on("r.dir"),
                          "r.first_id BETWEEN ? AND ?", "r.last_id >= ?", *(clause for clause, _ in checks))
        return self._ids("SELECT f.id FROM catalog_runs r NOT INDEXED CROSS JOIN catalog_entries f"
                         f"{where} ORDER BY r.first_id DESC, f.id DESC LIMIT ?",
                         [scope.low, scope.high, *dirs.params, scope.runs_from, scope.high, scope.low,
                          *(v for _, values in checks for v in values), *scope.params, limit])

    def _ids_in_dirs(self, dirs: _Dirs | None, scope: _Scope, limit: int) -> list[int]:
        """The newest `limit` ids in the folders `dirs`."""
        if dirs is None:
            return []
        return self._runs_newest_first(dirs, [], scope, limit)

    def _many_dirs_newest_first(self, dirs: _Dirs, checks: list[tuple[str, list[Any]]], scope: _Scope,
                                limit: int) -> list[int]:
        """PostgreSQL and openGauss, a folder set too large to list its runs cheaply (a pattern like
        "年/"): its rows are common, so the newest windows usually fill the page; the rest through runs."""
        inside = (dirs.on("f.dir"), dirs.params)
        found, edge = self._windows([inside, *checks], scope, limit)
        if len(found) >= limit or edge < scope.low:
            return found
        return found + self._ranges_in_pages(f"SELECT first_id, last_id FROM catalog_runs WHERE {dirs.on('dir')}",
                                             dirs.params, checks, scope, limit - len(found), edge)

    def _ranges_in_pages(self, ranges: str, params: list[Any], checks: list[tuple[str, list[Any]]], scope: _Scope,
                         limit: int, below: int) -> list[int]:
        """PostgreSQL and openGauss: the newest `limit` ids at or below `below` that lie in the id ranges
        `ranges` selects (runs) and pass `checks`. The ranges are read newest first, SPAN_PAGE at a
        time (one bitmap scan); their rows are checked in growing rounds through the primary key."""
        found: list[int] = []
        budget = RUN_PAGE_IDS
        plain = _unindexed(checks)
        spans: deque[tuple[int, int]] = deque()
        more = True
        while len(found) < limit:
            if not spans and more and below >= scope.low:
                page = self.store.query(f"{ranges} AND first_id BETWEEN ? AND ? AND last_id >= ?"
                                        " ORDER BY first_id DESC LIMIT ?",
                                        [*params, scope.runs_from, below, scope.low, SPAN_PAGE])
                more = len(page) == SPAN_PAGE
                spans.extend((max(int(first), scope.low), min(int(last), below)) for first, last in page)
                below = int(page[-1][0]) - 1 if page else scope.low - 1
            if not spans:
                break
            chosen: list[tuple[int, int]] = []
            size = 0
            while spans and size < budget:
                bottom, top = spans.popleft()
                cut = max(bottom, top - (budget - size) + 1)
                if cut > bottom:
                    spans.appendleft((bottom, cut - 1))
                chosen.append((cut, top))
                size += top - cut + 1
            if len(chosen) <= 32:
                inside = "(" + " OR ".join("f.id BETWEEN ? AND ?" for _ in chosen) + ")"
                inside_params: list[Any] = [bound for span in chosen for bound in span]
            else:
                ids = [i for bottom, top in chosen for i in range(top, bottom - 1, -1)]
                inside, inside_params = "f.id = ANY(?)", [ids]
            where = scope.sql(inside, *(clause for clause, _ in plain))
            found += self._ids(f"SELECT f.id FROM catalog_entries f{where} ORDER BY f.id DESC LIMIT ?",
                               [*inside_params, *(v for _, values in plain for v in values), *scope.params,
                                limit - len(found)])
            budget = min(budget * 4, 16 * RUN_PAGE_IDS)
        return found

    def _ids_across(self, head: str, tail: str, scope: _Scope, limit: int) -> list[int]:
        """A pattern crossing its last "/": the folder ends with `head`, the last component starts with `tail`.

        Few rows in those folders: through their runs. Many (a head like "/" or "报告/"): let the
        tail lead, through the last-component index, checking the folder of each candidate.
        """
        if head == "/":
            # Every folder but "" ends with "/".
            empty = self._ids("SELECT id FROM catalog_dirs WHERE path = ''", [])
            dirs: _Dirs | None = _Dirs("{} <> ?", [empty[0] if empty else -1], MANY_DIRS + 1)
        else:
            dirs = self._dirs_with(head, f"%{_escape(head)}")
        if dirs is None:
            return []
        total = self._rows_in_dirs(dirs, scope)
        if not total:
            return []
        # PostgreSQL reads runs by id at about a microsecond a row, still far cheaper than its text index
        # on a common tail (a heap fetch per candidate); only a huge folder set lets the tail lead.
        if total < (max(DIR_COLLECT_ROWS, 10 * limit) if self._sqlite else ACROSS_RUN_ROWS):
            return self._runs_newest_first(dirs, [("f.base LIKE ?" + _ESCAPE, [_escape(tail) + "%"])], scope, limit)
        return self._ids_by_base(tail, [(dirs.on("f.dir"), dirs.params)], scope, limit, starting=True)

    def _ids_by_base(self, pattern: str, checks: list[tuple[str, list[Any]]], scope: _Scope, limit: int,
                     starting: bool = False) -> list[int]:
        """The newest `limit` ids whose last path component contains `pattern` (no "/") — or, `starting`,
        starts with it — and that pass `checks`."""
        like = f"{_escape(pattern)}%" if starting else f"%{_escape(pattern)}%"
        checks = [("f.base LIKE ?" + _ESCAPE, [like]), *checks]
        if self._sqlite:
            if len(pattern) >= 3:
                return self._fts_ids(_trigrams(pattern), checks, scope, limit, scope.high)
            return self._short_ids(pattern, checks, scope, limit)
        if self._opengauss and len(pattern) >= 2:
            checks.insert(0, ("to_tsvector('ngram', f.base) @@ plainto_tsquery('ngram', ?)", [pattern]))
        indexed = len(pattern) >= (2 if self._opengauss else 3)
        return self._window_then_collect(checks, scope, limit, None if indexed else sorted(set(pattern)))

    def _windows(self, checks: list[tuple[str, list[Any]]], scope: _Scope, limit: int) -> tuple[list[int], int]:
        """PostgreSQL and openGauss: the newest rows, SHORT_WINDOW ids at a time, while the matches seen
        so far say the page fills within WINDOWS windows. Returns the matches and the highest id not
        yet looked at (below `scope.low` when every id was).

        The checks are written so that no text index can serve them (the planner guesses LIKE on
        Chinese text badly, by orders of magnitude): each window's id range drives its plan.
        """
        found: list[int] = []
        edge, scanned = scope.high, 0
        plain = _unindexed(checks)
        while edge >= scope.low:
            start = max(edge - SHORT_WINDOW, scope.low - 1)
            found += self._scan_ids(plain, scope, limit - len(found), ["f.id > ?", "f.id <= ?"], [start, edge])
            scanned += edge - start
            edge = start
            if len(found) >= limit:
                break
            if not found or (limit - len(found)) * scanned / len(found) > WINDOWS * SHORT_WINDOW - scanned:
                break
        return found, edge

    def _window_then_collect(self, checks: list[tuple[str, list[Any]]], scope: _Scope, limit: int,
                             chars: list[str] | None) -> list[int]:
        """PostgreSQL and openGauss: windows of the newest rows (`_windows`); then every other match,
        rare by then, through the text index and sorted — or, for a pattern too short for that index
        (`chars` given), through the runs that hold all its characters (when they hold under
        1/CHAR_RUNS_SHARE of the rows left; else one parallel scan of the table is quicker than
        reading them by id). The OFFSET 0 fence makes the planner fetch all matches (the text index)
        rather than walk ids hoping to stop early.
        """
        found, edge = self._windows(checks, scope, limit)
        if len(found) >= limit or edge < scope.low:
            return found
        if chars is not None:
            covered = self.store.query(
                "SELECT COALESCE(SUM(last_id - first_id + 1), 0) FROM catalog_runs WHERE chars @> ?"
                " AND first_id BETWEEN ? AND ? AND last_id >= ?", [chars, scope.runs_from, edge, scope.low])[0][0]
            if int(covered) * CHAR_RUNS_SHARE < edge - scope.low + 1:
                return found + self._ranges_in_pages("SELECT first_id, last_id FROM catalog_runs WHERE chars @> ?",
                                                     [chars], checks, scope, limit - len(found), edge)
        where = scope.sql(*(clause for clause, _ in checks), "f.id BETWEEN ? AND ?")
        return found + self._ids(f"SELECT id FROM (SELECT f.id FROM catalog_entries f{where} OFFSET 0) s"
                                 " ORDER BY id DESC LIMIT ?", [*(v for _, values in checks for v in values),
                                                                scope.low, edge, *scope.params, limit - len(found)])

    def _scan_ids(self, checks: list[tuple[str, list[Any]]], scope: _Scope, limit: int, bounds: list[str],
                  bound_params: list[Any]) -> list[int]:
        """The newest `limit` ids in `bounds` passing `checks`, as the database plans it."""
        where = scope.sql(*(clause for clause, _ in checks), *bounds)
        return self._ids(f"SELECT f.id FROM catalog_entries f{where} ORDER BY f.id DESC LIMIT ?",
                         [*(v for _, values in checks for v in values), *bound_params, *scope.params, limit])

    def _fts_ids(self, match: str, checks: list[tuple[str, list[Any]]], scope: _Scope, limit: int,
                 high: int) -> list[int]:
        """SQLite: candidates from the trigram index, newest first, each checked with `checks`.

        The id range goes to the index itself (`n.rowid`), so it never walks outside it.
        """
        bounds, params = ["n.rowid BETWEEN ? AND ?"], [scope.low, high]
        where = scope.sql("n.catalog_names_fts MATCH ?", "f.id = n.rowid", *(clause for clause, _ in checks), *bounds)
        return self._ids(f"SELECT n.rowid FROM catalog_names_fts n CROSS JOIN catalog_entries f{where}"
                         " ORDER BY n.rowid DESC LIMIT ?",
                         [match, *(v for _, values in checks for v in values), *params, *scope.params, limit])

    def _short_ids(self, pattern: str, checks: list[tuple[str, list[Any]]], scope: _Scope,
                   limit: int) -> list[int]:
        """SQLite, one or two characters: too short for a trigram.

        First the newest SHORT_WINDOW rows (a common pattern fills the page there). The rest comes
        from the trigram index: every indexed trigram that starts with the pattern (read from its
        vocabulary; the sentinel makes one exist even at the end of a name).
        """
        high = scope.high
        edge = max(high - SHORT_WINDOW, scope.low - 1)
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

    def _max_id(self) -> int:
        rows = self.store.query("SELECT MAX(id) FROM catalog_entries")
        return int(rows[0][0]) if rows and rows[0][0] is not None else 0

    def _result_rows(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        if not ids:
            return []
        if self._sqlite:
            member_of, params = "f.id IN (SELECT value FROM json_each(?))", [json.dumps(list(ids))]
        else:
            member_of, params = "f.id = ANY(?)", [list(ids)]
        rows = self.store.query(
            "SELECT f.id, p.grp, d.path, f.base, f.root, f.cut, f.ext, f.kind, f.size, f.mtime_ns, f.mode, f.sha256,"
            " f.chunk_index, f.extra, p.package_id, p.job_id, p.cartridge, p.tape_file, p.header_block,"
            " p.payload_block, p.payload_blocks, p.package_bytes, p.written_at, p.notification_id, p.cartridge_id"
            " FROM catalog_entries f JOIN catalog_dirs d ON d.id = f.dir JOIN catalog_packages p ON p.pkg = f.pkg"
            f" WHERE {member_of}", params)
        results = []
        for (id_, grp, folder, base, root, cut, ext, kind, size, mtime_ns, mode, sha256, chunk_index, extra,
             *package) in rows:
            full = folder + base
            if root is None:
                root = full[:cut - 1]
            raw = None
            if extra is None:
                member, total_chunks, chunk_offset, chunk_length, link_target, state = (
                    _default_member(full), 1, 0, size, None, "ok")
            else:
                values = json.loads(extra)
                member, total_chunks, chunk_offset, chunk_length, link_target, state = (
                    values[key] for key in _EXTRA_KEYS)
                raw = values.get(_RAW_KEY)
            results.append(dict(zip(RESULT_COLUMNS, (
                id_, grp, full, root, full[cut:] if cut >= 0 else "", base if cut >= 0 else "", ext, kind, size,
                mtime_ns, _mtime_iso(mtime_ns), mode, sha256, member, chunk_index, total_chunks, chunk_offset,
                chunk_length, link_target, state, *package, raw), strict=True)))
        return results

    @staticmethod
    def _ordered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rows.sort(key=lambda r: (r["full_path"], r["chunk_index"], r["id"]))
        rows.sort(key=lambda r: r["grp"], reverse=True)  # stable: path order kept within a group
        return rows

    def count(self, group: str = "") -> int:
        sql = "SELECT COALESCE(SUM(files), 0) FROM catalog_packages" + (" WHERE grp = ?" if group else "")
        return int(self.store.query(sql, (group,) if group else ())[0][0])

    def groups(self) -> list[str]:
        return [row[0] for row in self.store.query("SELECT DISTINCT grp FROM catalog_packages ORDER BY grp")]

    def tree(self, group: str, path: str = "") -> list[dict[str, Any]]:
        """The immediate children of `path` in `group`: folders with counts, files with sizes."""
        prefix = path.replace("\\", "/").rstrip("/") + "/" if path.strip("/") else ""
        if prefix and not prefix.startswith("/"):
            prefix = "/" + prefix
        scope = self._scope(SearchQuery(group=group))
        if scope is None:
            return []
        cartridges = dict(self.store.query("SELECT pkg, cartridge FROM catalog_packages WHERE grp = ?", (group,)))
        # A full path starts with the prefix (which ends with "/") exactly when its folder does.
        bounds, bound_params = scope.ids("r.first_id")
        rows = self.store.query(
            f"SELECT d.path || f.base, f.kind, f.size, f.mtime_ns, f.pkg, f.chunk_index FROM {_DIR_RUN_ENTRY}"
            f"{scope.sql(_DIR_RUN_ENTRY_ON, 'd.path >= ?', 'd.path < ?', *bounds)} ORDER BY 1",
            [prefix, prefix + "\U0010ffff", *bound_params, *scope.params])
        children: dict[str, dict[str, Any]] = {}
        for full, kind, size, mtime_ns, pkg, chunk_index in rows:
            rest = full[len(prefix):] if prefix else full.lstrip("/")
            head, sep, _ = rest.partition("/")
            if not head:
                continue
            if sep:
                node = children.setdefault(head, {"name": head, "kind": "dir", "files": 0, "size": 0})
                if node["kind"] == "dir" and chunk_index == 0:
                    node["files"] += kind == "file"
                node["size"] += size if chunk_index == 0 else 0
            elif chunk_index == 0:
                node = children.get(head)
                if node is None or node["kind"] != "dir":
                    children[head] = {"name": head, "kind": kind, "files": 1 if kind == "file" else 0,
                                      "size": size, "mtime": _mtime_iso(mtime_ns), "cartridge": cartridges.get(pkg)}
        return sorted(children.values(), key=lambda n: (n["kind"] != "dir", n["name"]))


class _Batch:
    """Entry rows of one transaction, written in rounds: folders resolved once per round, ids in ledger order."""

    def __init__(self, view: CatalogView, cursor: Cursor) -> None:
        self.view = view
        self.cursor = cursor
        self.rows: list[list[Any]] = []
        self.runs: list[list[Any]] = []
        self.packages: list[tuple[Any, ...]] = []
        self.next_id = 0
        self.next_pkg = 0
        self.roots: dict[str, str] = {}
        self.known: dict[str, int] = {}
        self.barcodes: dict[str, str] = {}

    def _start(self) -> None:
        if not self.next_id:
            self.next_id = self._max("catalog_entries", "id") + 1
            self.next_pkg = self._max("catalog_packages", "pkg") + 1

    def _max(self, table: str, column: str) -> int:
        self.cursor.execute(f"SELECT MAX({column}) FROM {table}")
        row = self.cursor.fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def add(self, event: Any, notification_id: int) -> None:
        self._start()
        cursor = self.cursor
        cartridge_id = str(event.originator_id)
        barcode = self.barcodes.get(cartridge_id)
        if barcode is None:
            cursor.execute("SELECT barcode FROM catalog_cartridges WHERE cartridge_id = ?", (cartridge_id,))
            found = cursor.fetchone()
            barcode = self.barcodes[cartridge_id] = found[0] if found else cartridge_id
        pkg, first = self.next_pkg, self.next_id
        next_id = first
        rows, runs, roots = self.rows, self.runs, self.roots
        first_run, first_row = len(runs), len(rows)
        append, fields = rows.append, _ENTRY_FIELDS
        run_folder, run_length, run_first = "", -1, first
        for entry in event.manifest:
            try:
                (path, root, kind, size, mtime_ns, mode, sha256, member, chunk_index, total_chunks, chunk_offset,
                 chunk_length, link_target, state, root_raw, path_raw, target_raw) = fields(entry)
            except KeyError:
                (path, root, kind, size, mtime_ns, mode, sha256, member, chunk_index, total_chunks, chunk_offset,
                 chunk_length, link_target, state, root_raw, path_raw, target_raw) = (
                    entry.get(key, default) for key, default in _ENTRY_DEFAULTS)
            norm = roots.get(root)
            if norm is None:
                norm = roots[root] = root.replace("\\", "/").rstrip("/")
            if path:
                full = norm + "/" + path
                cut = len(norm) + 1
                split = full.rfind("/") + 1
                base = full[split:]
                dot = base.rfind(".")
                ext = base[dot + 1:].lower() if 0 < dot < len(base) - 1 else ""
            else:
                full = norm or "/"
                cut = -1
                split = full.rfind("/") + 1
                base = full[split:]
                ext = ""
            if split == run_length and full.startswith(run_folder):
                folder = run_folder  # the same folder as the entry before: one string object for the run
            else:
                folder = full[:split]
                if run_length >= 0:
                    runs.append([run_first, next_id - 1, run_folder])
                run_folder, run_length, run_first = folder, split, next_id
            raw = (None if root_raw is None and path_raw is None and target_raw is None
                   else json.dumps([root_raw, path_raw, target_raw]))
            if (total_chunks == 1 and chunk_offset == 0 and chunk_length == size and link_target is None
                    and state == "ok" and raw is None
                    and member == (full.lstrip("/") if full[1:2] != ":" else full[0] + full[2:])):
                extra = None
            else:
                values = dict(zip(_EXTRA_KEYS, (member, total_chunks, chunk_offset, chunk_length, link_target, state),
                                  strict=True))
                if raw is not None:
                    values[_RAW_KEY] = raw
                extra = json.dumps(values, ensure_ascii=False)
            append([next_id, pkg, folder, base, None if cut > 0 and root == norm else root, cut, ext, kind, size,
                    mtime_ns, mode, sha256, chunk_index, extra])
            next_id += 1
        if run_length >= 0:
            runs.append([run_first, next_id - 1, run_folder])
        for run in runs[first_run:]:
            if self.view._sqlite:
                run.append(None)
                continue
            seen: set[str] = set()
            for row in rows[first_row + run[0] - first:first_row + run[1] - first + 1]:
                seen.update(row[3])
            run.append(_text_array(seen))
        self.packages.append((pkg, event.package_id, event.group, event.job_id, cartridge_id,
                              barcode, event.tape_file, event.header_block,
                              event.payload_block, event.payload_blocks, event.payload_bytes,
                              event.timestamp.isoformat(), notification_id, first, next_id - 1, next_id - first))
        self.next_id = next_id
        self.next_pkg = pkg + 1
        if len(rows) >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.rows and not self.packages:
            return
        view, cursor, store = self.view, self.cursor, self.view.store
        ids = self._dir_ids({run[2] for run in self.runs})
        rows, runs = self.rows, self.runs
        for row in rows:
            row[2] = ids[row[2]]
        for run in runs:
            run[2] = ids[run[2]]
        if rows:
            store.bulk_insert(cursor, "catalog_entries", ENTRY_COLUMNS, rows)
            if view._sqlite:
                cursor.execute(f"INSERT INTO catalog_names_fts(rowid, base) SELECT id, {_FTS_TEXT}"
                               " FROM catalog_entries WHERE id BETWEEN ? AND ?", (rows[0][0], rows[-1][0]))
        if runs:
            store.bulk_insert(cursor, "catalog_runs", RUN_COLUMNS, runs)
        store.bulk_insert(cursor, "catalog_packages", PACKAGE_COLUMNS, self.packages)
        self.rows = []
        self.runs = []
        self.packages = []

    def _dir_ids(self, folders: set[str]) -> dict[str, int]:
        """The id of every folder in this round, adding the new ones.

        Looked up by a 64-bit hash of the path: on PostgreSQL a lookup by path could be planned on the
        trigram index (pg_trgm answers "=" too), which is slow for many paths sharing most trigrams.
        """
        cursor, store, known = self.cursor, self.view.store, self.known
        wanted = {_dir_key(path): path for path in folders if path not in known}
        keys = sorted(wanted)
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            cursor.execute(f"SELECT path, id FROM catalog_dirs WHERE key IN ({', '.join('?' for _ in chunk)})", chunk)
            known.update((path, int(id_)) for path, id_ in cursor.fetchall())
        new = sorted(path for path in wanted.values() if path not in known)
        if new:
            first = self._max("catalog_dirs", "id") + 1
            rows = [(first + i, _dir_key(path), path) for i, path in enumerate(new)]
            store.bulk_insert(cursor, "catalog_dirs", ("id", "key", "path"), rows)
            if self.view._sqlite:
                cursor.executemany("INSERT INTO catalog_dirs_fts(rowid, path) VALUES (?, ?)",
                                   [(id_, path) for id_, _, path in rows])
            known.update((path, id_) for id_, _, path in rows)
        return known


def _dir_key(path: str) -> int:
    return int.from_bytes(hashlib.blake2b(path.encode(), digest_size=8).digest(), "big", signed=True)
