"""The file catalog: one row per file version on tape, searchable by any substring of its path.

Rows come from `Cartridge.PackageWritten` manifests. The layout is chosen for bulk loads of
millions of files and for substring search over them (docs/架构.md §5):

- `catalog_dirs`: every distinct folder once, with its trailing "/" ("/srv/数据/报告/"; "" for a
  path without "/"). A full path is its folder followed by its last component (`base`).
- `catalog_entries`: one row per manifest entry: folder id, `base`, and the per-file facts. The
  rows of one package are one range of ids, handed out here in ledger order, so the newest rows
  have the highest ids.
- `catalog_packages`: one row per package: group, job, cartridge, tape position, its id range.
- `catalog_cartridges`: the barcode of each registered cartridge.
- `catalog_files`: a read-only SQL view with the catalog's row shape (`RESULT_COLUMNS`) for code
  that reads the catalog with its own SQL.

Substring search looks in two small things instead of millions of full paths: the folders
(few: one per folder, not per file) and the last path components. SQLite keeps contentless FTS5
trigram indexes of both (`detail=none`); PostgreSQL pg_trgm GIN indexes; openGauss, which has
no pg_trgm, its built-in ngram parser. Every candidate is checked again with LIKE, so the result
is exactly "the pattern is a substring of the full path" (LIKE's case rules: on SQLite ASCII
letters match either case, on PostgreSQL case matters).
"""

from __future__ import annotations

import gc
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from operator import itemgetter
from typing import Any

from projections.store import Cursor
from projections.view import View, event_name

COLUMNS = ("grp", "full_path", "root", "path", "name", "ext", "kind", "size", "mtime_ns", "mtime", "mode",
           "sha256", "member", "chunk_index", "total_chunks", "chunk_offset", "chunk_length", "link_target",
           "state", "package_id", "job_id", "cartridge", "tape_file", "header_block", "payload_block",
           "payload_blocks", "package_bytes", "written_at", "notification_id", "cartridge_id")
RESULT_COLUMNS = ("id", *COLUMNS)

# Stored per entry (the group and tape position are the package's). `dir` is a catalog_dirs id, `base`
# the last component of the full path; `cut` is where `path` starts in the full path (-1: the entry
# is its root itself); `root` is NULL when it is the full path's prefix up to `cut`. `extra` is NULL
# when member, total_chunks, chunk_offset, chunk_length, link_target and state are the usual ones
# (the full path without its leading "/", 1, 0, size, none, "ok"); else those six as JSON.
ENTRY_COLUMNS = ("id", "pkg", "dir", "base", "root", "cut", "ext", "kind", "size", "mtime_ns", "mode", "sha256",
                 "chunk_index", "extra")
_EXTRA_KEYS = ("member", "total_chunks", "chunk_offset", "chunk_length", "link_target", "state")
PACKAGE_COLUMNS = ("pkg", "package_id", "grp", "job_id", "cartridge_id", "cartridge", "tape_file",
                   "header_block", "payload_block", "payload_blocks", "package_bytes", "written_at",
                   "notification_id", "first_id", "last_id", "files")
# The columns each table must have; other columns mean another version of this view made them.
_LAYOUT = {"catalog_entries": ENTRY_COLUMNS, "catalog_dirs": ("id", "key", "path"),
           "catalog_packages": PACKAGE_COLUMNS}

# Manifest keys read for each entry, and their values when a manifest leaves one out.
_ENTRY_DEFAULTS = (("path", ""), ("root", ""), ("kind", "file"), ("size", 0), ("mtime_ns", 0), ("mode", 0),
                   ("sha256", None), ("member", ""), ("chunk_index", 0), ("total_chunks", 1), ("chunk_offset", 0),
                   ("chunk_length", 0), ("link_target", None), ("state", "ok"))
_ENTRY_FIELDS = itemgetter(*(key for key, _ in _ENTRY_DEFAULTS))
# Entry rows are written in rounds of this many (bounded memory, one round trip each on PostgreSQL).
FLUSH_ROWS = 50_000
# Below this many rows in the matching folders, collect them all through the folder index and sort;
# at or above, walk the rows newest first and stop at the limit.
DIR_COLLECT_ROWS = 20_000
# For one- and two-character patterns (shorter than a trigram): the newest rows checked with LIKE
# before the trigram vocabulary is asked for the rest.
SHORT_WINDOW = 150_000
# Appended to every indexed last component, so a one- or two-character pattern at its very end still
# starts a trigram ("算" in "预算" → "算//"). A component never contains "/".
SENTINEL = "//"

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
    return " AND ".join('"' + gram.replace('"', '""') + '"' for gram in grams)


def _fold_like_fts(text: str) -> str | None:
    """`text` as the trigram tokenizer folds it, or None when that is not certain (cased non-ASCII letters)."""
    if any(ord(ch) > 127 and (ch.lower() != ch or ch.upper() != ch) for ch in text):
        return None
    return text.lower()


@dataclass
class _Scope:
    """Filters of a search on entry alias `f`, and the id range that can hold its rows."""

    where: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)
    low: int = 1
    high: int = 0

    def sql(self, *extra: str) -> str:
        clauses = [*extra, *self.where]
        return " WHERE " + " AND ".join(clauses) if clauses else ""


class CatalogView(View):
    name = "catalog"
    table_names = ("catalog_entries", "catalog_dirs", "catalog_packages", "catalog_cartridges")
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
        statements = list(super().ddl())
        if self._sqlite:
            # SQLite's index on (dir) ends with the rowid: it serves "folder = ? and id in a range".
            statements += [
                "CREATE INDEX IF NOT EXISTS catalog_entries_dir ON catalog_entries (dir)",
                "CREATE VIRTUAL TABLE IF NOT EXISTS catalog_names_fts USING fts5(base, content='',"
                " tokenize='trigram', detail=none, columnsize=0)",
                "CREATE VIRTUAL TABLE IF NOT EXISTS catalog_names_vocab USING fts5vocab(catalog_names_fts, 'row')",
                "CREATE VIRTUAL TABLE IF NOT EXISTS catalog_dirs_fts USING fts5(path, content='',"
                " tokenize='trigram', detail=none, columnsize=0)",
                f"CREATE VIEW IF NOT EXISTS catalog_files AS {self._view_select()}",
            ]
            return statements
        statements.append("CREATE INDEX IF NOT EXISTS catalog_entries_dir ON catalog_entries (dir, id)")
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
            extra = {key: f"json_extract(f.extra, '$.{key}')" for key in _EXTRA_KEYS}
        else:
            mtime = ("to_char(to_timestamp(floor(f.mtime_ns / 1000000000.0)) AT TIME ZONE 'UTC',"
                     " 'YYYY-MM-DD\"T\"HH24:MI:SS') || '+00:00'")
            extra = {key: f"(f.extra::json ->> '{key}')" for key in _EXTRA_KEYS}
            for key, kind in (("total_chunks", "integer"), ("chunk_offset", "bigint"), ("chunk_length", "bigint")):
                extra[key] = f"{extra[key]}::{kind}"
        return (f"SELECT f.id AS id, p.grp AS grp, {full} AS full_path,"
                f" CASE WHEN f.root IS NULL THEN substr({full}, 1, f.cut - 1) ELSE f.root END AS root,"
                f" CASE WHEN f.cut < 0 THEN '' ELSE substr({full}, f.cut + 1) END AS path,"
                " CASE WHEN f.cut < 0 THEN '' ELSE f.base END AS name, f.ext AS ext, f.kind AS kind,"
                f" f.size AS size, f.mtime_ns AS mtime_ns, {mtime} AS mtime, f.mode AS mode, f.sha256 AS sha256,"
                f" CASE WHEN f.extra IS NULL THEN ltrim({full}, '/') ELSE {extra['member']} END AS member,"
                f" f.chunk_index AS chunk_index, COALESCE({extra['total_chunks']}, 1) AS total_chunks,"
                f" COALESCE({extra['chunk_offset']}, 0) AS chunk_offset,"
                f" CASE WHEN f.extra IS NULL THEN f.size ELSE {extra['chunk_length']} END AS chunk_length,"
                f" {extra['link_target']} AS link_target, COALESCE({extra['state']}, 'ok') AS state,"
                " p.package_id AS package_id, p.job_id AS job_id, p.cartridge AS cartridge, p.tape_file AS tape_file,"
                " p.header_block AS header_block, p.payload_block AS payload_block,"
                " p.payload_blocks AS payload_blocks, p.package_bytes AS package_bytes, p.written_at AS written_at,"
                " p.notification_id AS notification_id, p.cartridge_id AS cartridge_id"
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
        # times, each pass walking every live object (the decoded manifests included): about a third
        # of the load time. The rows hold no cycles; reference counting frees them.
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
                               " SELECT 'delete', id, base || ? FROM catalog_entries WHERE id BETWEEN ? AND ?",
                               (SENTINEL, first, last))
            cursor.execute("DELETE FROM catalog_entries WHERE id BETWEEN ? AND ?", (first, last))
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
            ids = self._ids(f"SELECT f.id FROM catalog_entries f{scope.sql()} ORDER BY f.id DESC LIMIT ?",
                            [*scope.params, limit])
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
        folder = text + "/"
        ids = self._ids("SELECT f.id FROM catalog_dirs d JOIN catalog_entries f ON f.dir = d.id"
                        f"{scope.sql('d.path >= ?', 'd.path < ?')}",
                        [folder, folder + "\U0010ffff", *scope.params])
        ids += self._ids("SELECT f.id FROM catalog_dirs d JOIN catalog_entries f ON f.dir = d.id"
                         f"{scope.sql('d.path = ?', 'f.base = ?')}", [text[:cut], text[cut:], *scope.params])
        return self._ordered(self._result_rows(ids))

    def _scope(self, query: SearchQuery) -> _Scope | None:
        """The filters as SQL on entry alias `f`; None when the group holds nothing."""
        scope = _Scope()
        if query.group:
            rows = self.store.query("SELECT MIN(first_id), MAX(last_id) FROM catalog_packages WHERE grp = ?",
                                    (query.group,))
            if not rows or rows[0][0] is None:
                return None
            scope.low, scope.high = int(rows[0][0]), int(rows[0][1])
            scope.where.append("f.id BETWEEN ? AND ?")
            scope.params += [scope.low, scope.high]
            # Backups run one after another, so a group's rows are usually one id range; when another
            # group's package lies inside it, each row's package is checked too.
            others = self.store.query("SELECT COUNT(*) FROM catalog_packages WHERE grp <> ? AND first_id <= ?"
                                      " AND last_id >= ?", (query.group, scope.high, scope.low))
            if others[0][0]:
                scope.where.append("f.pkg IN (SELECT pkg FROM catalog_packages WHERE grp = ?)")
                scope.params.append(query.group)
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
        """The newest `limit` ids whose full path (folder + last component) contains `pattern`.

        A pattern without "/" lies in the folder or in the last component; one with "/" lies in the
        folder, or crosses into the last component at its own last "/".
        """
        found: set[int] = set()
        if "/" not in pattern:
            found.update(self._ids_by_base(pattern, scope, limit))
        found.update(self._ids_in_dirs(self._dirs_with(pattern, f"%{_escape(pattern)}%"), None, scope, limit))
        cut = pattern.rfind("/") + 1
        if 0 < cut < len(pattern):
            head, tail = pattern[:cut], pattern[cut:]
            found.update(self._ids_in_dirs(self._dirs_with(head, f"%{_escape(head)}"),
                                           ("f.base LIKE ?" + _ESCAPE, _escape(tail) + "%"), scope, limit))
        return sorted(found, reverse=True)[:limit]

    def _dirs_with(self, text: str, like: str) -> tuple[str, list[Any]]:
        """SQL selecting the ids of folders whose path is LIKE `like`; `text` is the literal part."""
        if self._sqlite and len(text) >= 3:
            return ("SELECT x.rowid FROM catalog_dirs_fts x JOIN catalog_dirs d ON d.id = x.rowid"
                    " WHERE x.catalog_dirs_fts MATCH ? AND d.path LIKE ?" + _ESCAPE, [_trigrams(text), like])
        if self._opengauss and len(text) >= 2:
            return ("SELECT id FROM catalog_dirs WHERE to_tsvector('ngram', path) @@ plainto_tsquery('ngram', ?)"
                    " AND path LIKE ?" + _ESCAPE, [text, like])
        return "SELECT id FROM catalog_dirs WHERE path LIKE ?" + _ESCAPE, [like]

    def _ids_in_dirs(self, dirs: tuple[str, list[Any]], extra: tuple[str, Any] | None, scope: _Scope,
                     limit: int) -> list[int]:
        """The newest `limit` ids in the folders `dirs` (optionally with one more condition)."""
        dirs_sql, dirs_params = dirs
        inside = f"f.dir IN ({dirs_sql})"
        bounds, bound_params = (["f.id BETWEEN ? AND ?"], [scope.low, scope.high]) if scope.high else ([], [])
        collect = max(DIR_COLLECT_ROWS, 10 * limit)
        index_hint = " INDEXED BY catalog_entries_dir" if self._sqlite else ""
        count = self._ids(f"SELECT COUNT(*) FROM (SELECT 1 FROM catalog_entries f{index_hint}"
                          f" WHERE {' AND '.join([inside, *bounds])} LIMIT ?) s",
                          [*dirs_params, *bound_params, collect])[0]
        if not count:
            return []
        clauses = [inside] + ([extra[0]] if extra else [])
        params = [*dirs_params, *([extra[1]] if extra else []), *scope.params, limit]
        where = scope.sql(*clauses)
        if count < collect:
            # Few rows: all of them through the folder index, then the newest.
            if self._sqlite:
                sql = f"SELECT f.id FROM catalog_entries f INDEXED BY catalog_entries_dir{where} ORDER BY f.id DESC LIMIT ?"
            else:
                sql = f"SELECT id FROM (SELECT f.id FROM catalog_entries f{where} OFFSET 0) s ORDER BY id DESC LIMIT ?"
        else:
            # Many rows: newest first, stopping at the limit.
            hint = " NOT INDEXED" if self._sqlite else ""
            sql = f"SELECT f.id FROM catalog_entries f{hint}{where} ORDER BY f.id DESC LIMIT ?"
        return self._ids(sql, params)

    def _ids_by_base(self, pattern: str, scope: _Scope, limit: int) -> list[int]:
        """The newest `limit` ids whose last path component contains `pattern` (which has no "/")."""
        like = f"%{_escape(pattern)}%"
        if self._sqlite:
            if len(pattern) >= 3:
                return self._fts_ids(_trigrams(pattern), like, scope, limit, scope.high)
            return self._short_ids(pattern, like, scope, limit)
        if self._opengauss and len(pattern) >= 2:
            where = scope.sql("to_tsvector('ngram', f.base) @@ plainto_tsquery('ngram', ?)", "f.base LIKE ?" + _ESCAPE)
            return self._ids(f"SELECT f.id FROM catalog_entries f{where} ORDER BY f.id DESC LIMIT ?",
                             [pattern, like, *scope.params, limit])
        return self._ids(f"SELECT f.id FROM catalog_entries f{scope.sql('f.base LIKE ?' + _ESCAPE)}"
                         " ORDER BY f.id DESC LIMIT ?", [like, *scope.params, limit])

    def _fts_ids(self, match: str, like: str, scope: _Scope, limit: int, high: int) -> list[int]:
        """SQLite: candidates from the last-component trigram index, newest first, checked with LIKE.

        The id range is given to the index itself (`n.rowid`), so it never walks outside it.
        """
        bounds, params = [], []
        if high:
            bounds, params = ["n.rowid BETWEEN ? AND ?"], [scope.low, high]
        sql = ("SELECT n.rowid FROM catalog_names_fts n JOIN catalog_entries f ON f.id = n.rowid"
               f"{scope.sql('n.catalog_names_fts MATCH ?', 'f.base LIKE ?' + _ESCAPE, *bounds)}"
               " ORDER BY n.rowid DESC LIMIT ?")
        return self._ids(sql, [match, like, *params, *scope.params, limit])

    def _short_ids(self, pattern: str, like: str, scope: _Scope, limit: int) -> list[int]:
        """SQLite, one or two characters: too short for a trigram.

        First the newest SHORT_WINDOW rows with LIKE (a common pattern fills the page there). The
        rest comes from the trigram index: every indexed trigram that starts with the pattern
        (read from its vocabulary; the sentinel makes one exist even at the end of a name).
        """
        high = scope.high or self._max_id()
        edge = max(high - SHORT_WINDOW, scope.low - 1)
        window = self._ids(f"SELECT f.id FROM catalog_entries f"
                           f"{scope.sql('f.id > ?', 'f.id <= ?', 'f.base LIKE ?' + _ESCAPE)}"
                           " ORDER BY f.id DESC LIMIT ?", [edge, high, like, *scope.params, limit])
        if len(window) >= limit or edge < scope.low:
            return window
        folded = _fold_like_fts(pattern)
        if folded is None:
            rest = self._ids(f"SELECT f.id FROM catalog_entries f{scope.sql('f.id <= ?', 'f.base LIKE ?' + _ESCAPE)}"
                             " ORDER BY f.id DESC LIMIT ?", [edge, like, *scope.params, limit - len(window)])
            return window + rest
        terms = [row[0] for row in self.store.query(
            "SELECT term FROM catalog_names_vocab WHERE term >= ? AND term < ?", (folded, folded + "\U0010ffff"))]
        if not terms:
            return window
        match = " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)
        return window + self._fts_ids(match, like, scope, limit - len(window), edge)

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
            if extra is None:
                member, total_chunks, chunk_offset, chunk_length, link_target, state = (
                    full.lstrip("/"), 1, 0, size, None, "ok")
            else:
                values = json.loads(extra)
                member, total_chunks, chunk_offset, chunk_length, link_target, state = (
                    values[key] for key in _EXTRA_KEYS)
            results.append(dict(zip(RESULT_COLUMNS, (
                id_, grp, full, root, full[cut:] if cut >= 0 else "", base if cut >= 0 else "", ext, kind, size,
                mtime_ns, _mtime_iso(mtime_ns), mode, sha256, member, chunk_index, total_chunks, chunk_offset,
                chunk_length, link_target, state, *package), strict=True)))
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
        rows = self.store.query(
            "SELECT d.path || f.base, f.kind, f.size, f.mtime_ns, f.pkg, f.chunk_index"
            " FROM catalog_dirs d JOIN catalog_entries f ON f.dir = d.id"
            f"{scope.sql('d.path >= ?', 'd.path < ?')} ORDER BY 1",
            [prefix, prefix + "\U0010ffff", *scope.params])
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
        self.packages: list[tuple[Any, ...]] = []
        self.dirs: set[str] = set()
        self.next_id = 0
        self.next_pkg = 0
        self.roots: dict[str, str] = {}
        self.known: dict[str, int] = {}

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
        cursor.execute("SELECT barcode FROM catalog_cartridges WHERE cartridge_id = ?", (cartridge_id,))
        found = cursor.fetchone()
        pkg, first = self.next_pkg, self.next_id
        next_id = first
        rows, dirs, roots = self.rows, self.dirs, self.roots
        append, add_dir, fields = rows.append, dirs.add, _ENTRY_FIELDS
        for entry in event.manifest:
            try:
                (path, root, kind, size, mtime_ns, mode, sha256, member, chunk_index, total_chunks, chunk_offset,
                 chunk_length, link_target, state) = fields(entry)
            except KeyError:
                (path, root, kind, size, mtime_ns, mode, sha256, member, chunk_index, total_chunks, chunk_offset,
                 chunk_length, link_target, state) = (entry.get(key, default) for key, default in _ENTRY_DEFAULTS)
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
            folder = full[:split]
            add_dir(folder)
            if (member == full.lstrip("/") and total_chunks == 1 and chunk_offset == 0 and chunk_length == size
                    and link_target is None and state == "ok"):
                extra = None
            else:
                extra = json.dumps(dict(zip(_EXTRA_KEYS, (member, total_chunks, chunk_offset, chunk_length,
                                                          link_target, state), strict=True)), ensure_ascii=False)
            append([next_id, pkg, folder, base, None if cut > 0 and root == norm else root, cut, ext, kind, size,
                    mtime_ns, mode, sha256, chunk_index, extra])
            next_id += 1
        self.packages.append((pkg, event.package_id, event.group, event.job_id, cartridge_id,
                              found[0] if found else cartridge_id, event.tape_file, event.header_block,
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
        ids = self._dir_ids()
        rows = self.rows
        for row in rows:
            row[2] = ids[row[2]]
        if rows:
            store.bulk_insert(cursor, "catalog_entries", ENTRY_COLUMNS, rows)
            if view._sqlite:
                cursor.execute("INSERT INTO catalog_names_fts(rowid, base) SELECT id, base || ?"
                               " FROM catalog_entries WHERE id BETWEEN ? AND ?", (SENTINEL, rows[0][0], rows[-1][0]))
        store.bulk_insert(cursor, "catalog_packages", PACKAGE_COLUMNS, self.packages)
        self.rows = []
        self.packages = []
        self.dirs = set()

    def _dir_ids(self) -> dict[str, int]:
        """The id of every folder in this round, adding the new ones.

        Looked up by a 64-bit hash of the path: on PostgreSQL a lookup by path could be planned on the
        trigram index (pg_trgm answers "=" too), which is slow for many paths sharing most trigrams.
        """
        cursor, store, known = self.cursor, self.view.store, self.known
        wanted = {_dir_key(path): path for path in self.dirs if path not in known}
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
