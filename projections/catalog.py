"""The file catalog: one row per file version on tape, searchable by any substring of its path.

Rows come from `Cartridge.PackageWritten` manifests and are loaded in bulk (one insert round per
batch of events, COPY on PostgreSQL). Substring search has one interface over SQLite FTS5 with the
trigram tokenizer, PostgreSQL pg_trgm, and openGauss's ngram text search.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from projections.store import Cursor
from projections.view import View, event_name

COLUMNS = ("grp", "full_path", "root", "path", "name", "ext", "kind", "size", "mtime_ns", "mtime", "mode",
           "sha256", "member", "chunk_index", "total_chunks", "chunk_offset", "chunk_length", "link_target",
           "state", "package_id", "job_id", "cartridge", "tape_file", "header_block", "payload_block",
           "payload_blocks", "package_bytes", "written_at", "notification_id", "cartridge_id")
RESULT_COLUMNS = ("id", *COLUMNS)


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
    return datetime.fromtimestamp(mtime_ns / 1e9, tz=timezone.utc).isoformat(timespec="seconds")


class CatalogView(View):
    name = "catalog"
    table_names = ("catalog_files", "catalog_cartridges")
    topics = ("ledger.domain.cartridge:Cartridge.Registered",
              "ledger.domain.cartridge:Cartridge.PackageWritten",
              "ledger.domain.cartridge:Cartridge.Erased",
              "ledger.domain.cartridge:Cartridge.Labelled")
    tables = (
        "CREATE TABLE IF NOT EXISTS catalog_files ("
        " id {ID}, grp VARCHAR(16) NOT NULL, full_path TEXT NOT NULL, root TEXT NOT NULL, path TEXT NOT NULL,"
        " name TEXT NOT NULL, ext VARCHAR(32) NOT NULL, kind VARCHAR(16) NOT NULL, size BIGINT NOT NULL,"
        " mtime_ns BIGINT NOT NULL, mtime VARCHAR(40) NOT NULL, mode BIGINT NOT NULL, sha256 VARCHAR(64),"
        " member TEXT NOT NULL, chunk_index INTEGER NOT NULL, total_chunks INTEGER NOT NULL,"
        " chunk_offset BIGINT NOT NULL, chunk_length BIGINT NOT NULL, link_target TEXT, state VARCHAR(16) NOT NULL,"
        " package_id VARCHAR(200) NOT NULL, job_id VARCHAR(64) NOT NULL, cartridge VARCHAR(32) NOT NULL,"
        " tape_file INTEGER NOT NULL, header_block BIGINT NOT NULL, payload_block BIGINT NOT NULL,"
        " payload_blocks BIGINT NOT NULL, package_bytes BIGINT NOT NULL, written_at VARCHAR(40) NOT NULL,"
        " notification_id BIGINT NOT NULL, cartridge_id VARCHAR(64) NOT NULL)",
        "CREATE TABLE IF NOT EXISTS catalog_cartridges (cartridge_id VARCHAR(64) PRIMARY KEY,"
        " barcode VARCHAR(32) NOT NULL)",
        "CREATE INDEX IF NOT EXISTS catalog_files_group_path ON catalog_files (grp, full_path)",
        "CREATE INDEX IF NOT EXISTS catalog_files_package ON catalog_files (package_id)",
        "CREATE INDEX IF NOT EXISTS catalog_files_cartridge ON catalog_files (cartridge_id)",
    )

    def ddl(self) -> Sequence[str]:
        statements = list(super().ddl())
        if self.store.dialect == "sqlite":
            statements.append("CREATE VIRTUAL TABLE IF NOT EXISTS catalog_fts USING fts5("
                              "full_path, content='catalog_files', content_rowid='id', tokenize='trigram')")
        elif getattr(self.store, "flavour", "postgresql") == "opengauss":
            statements.append("CREATE INDEX IF NOT EXISTS catalog_files_ngram ON catalog_files"
                              " USING gin (to_tsvector('ngram', full_path))")
        else:
            statements.append("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            statements.append("CREATE INDEX IF NOT EXISTS catalog_files_trgm ON catalog_files"
                              " USING gin (full_path gin_trgm_ops)")
        return statements

    def clear(self, cursor: Cursor) -> None:
        super().clear(cursor)
        if self.store.dialect == "sqlite":
            cursor.execute("INSERT INTO catalog_fts(catalog_fts) VALUES ('delete-all')")

    # --- following the ledger ---------------------------------------------------------------
    def apply(self, cursor: Cursor, items: Any) -> None:
        rows: list[tuple[Any, ...]] = []
        for domain_event, notification in items:
            name = event_name(domain_event)
            if name == "Cartridge.Registered":
                cursor.execute("INSERT INTO catalog_cartridges (cartridge_id, barcode) VALUES (?, ?)",
                               (str(domain_event.originator_id), domain_event.barcode))
            elif name == "Cartridge.PackageWritten":
                rows.extend(self._rows(cursor, domain_event, notification.id))
            elif name in {"Cartridge.Erased", "Cartridge.Labelled"}:
                # An erased or relabelled tape no longer holds what it held; nothing can be restored from it.
                self._flush(cursor, rows)
                rows = []
                self._forget_cartridge(cursor, domain_event)
        self._flush(cursor, rows)

    def _rows(self, cursor: Cursor, event: Any, notification_id: int) -> list[tuple[Any, ...]]:
        cartridge_id = str(event.originator_id)
        cursor.execute("SELECT barcode FROM catalog_cartridges WHERE cartridge_id = ?", (cartridge_id,))
        found = cursor.fetchone()
        barcode = found[0] if found else cartridge_id
        written_at = event.timestamp.isoformat()
        rows = []
        for entry in event.manifest:
            path = entry.get("path", "")
            root = entry.get("root", "")
            name = path.rsplit("/", 1)[-1]
            mtime_ns = int(entry.get("mtime_ns", 0))
            rows.append((event.group, full_path(root, path), root, path, name, extension(name),
                         entry.get("kind", "file"), int(entry.get("size", 0)), mtime_ns, _mtime_iso(mtime_ns),
                         int(entry.get("mode", 0)), entry.get("sha256"), entry.get("member", ""),
                         int(entry.get("chunk_index", 0)), int(entry.get("total_chunks", 1)),
                         int(entry.get("chunk_offset", 0)), int(entry.get("chunk_length", 0)),
                         entry.get("link_target"), entry.get("state", "ok"), event.package_id, event.job_id,
                         barcode, event.tape_file, event.header_block, event.payload_block, event.payload_blocks,
                         event.payload_bytes, written_at, notification_id, cartridge_id))
        return rows

    def _flush(self, cursor: Cursor, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        first_id = self._max_id(cursor)
        self.store.bulk_insert(cursor, "catalog_files", COLUMNS, rows)
        if self.store.dialect == "sqlite":
            cursor.execute("INSERT INTO catalog_fts(rowid, full_path) SELECT id, full_path FROM catalog_files"
                           " WHERE id > ?", (first_id,))

    @staticmethod
    def _max_id(cursor: Cursor) -> int:
        cursor.execute("SELECT MAX(id) FROM catalog_files")
        row = cursor.fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def _forget_cartridge(self, cursor: Cursor, event: Any) -> None:
        cartridge_id = str(event.originator_id)
        if self.store.dialect == "sqlite":
            cursor.execute("INSERT INTO catalog_fts(catalog_fts, rowid, full_path) SELECT 'delete', id, full_path"
                           " FROM catalog_files WHERE cartridge_id = ?", (cartridge_id,))
        cursor.execute("DELETE FROM catalog_files WHERE cartridge_id = ?", (cartridge_id,))

    # --- queries ----------------------------------------------------------------------------
    def search(self, query: SearchQuery) -> list[dict[str, Any]]:
        where: list[str] = []
        params: list[Any] = []
        pattern = query.pattern.strip()
        if pattern:
            clause, values = self._substring_clause(pattern)
            where.append(clause)
            params.extend(values)
        if query.group:
            where.append("grp = ?")
            params.append(query.group)
        if query.ext:
            where.append("ext = ?")
            params.append(query.ext.lower().lstrip("."))
        if query.since:
            where.append("mtime_ns >= ?")
            params.append(int(query.since.timestamp() * 1e9))
        if query.until:
            where.append("mtime_ns < ?")
            params.append(int(query.until.timestamp() * 1e9))
        sql = (f"SELECT {', '.join(RESULT_COLUMNS)} FROM catalog_files"
               f"{' WHERE ' + ' AND '.join(where) if where else ''} ORDER BY grp DESC, full_path, chunk_index LIMIT ?")
        params.append(max(1, query.limit))
        return [dict(zip(RESULT_COLUMNS, row, strict=True)) for row in self.store.query(sql, params)]

    def _substring_clause(self, pattern: str) -> tuple[str, list[Any]]:
        like = "%" + pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        if self.store.dialect == "sqlite":
            if len(pattern) >= 3:
                # The trigram index finds candidates; LIKE keeps exact substring semantics.
                quoted = '"' + pattern.replace('"', '""') + '"'
                return ("id IN (SELECT rowid FROM catalog_fts WHERE catalog_fts MATCH ?) "
                        "AND full_path LIKE ? ESCAPE '\\'", [quoted, like])
            return "full_path LIKE ? ESCAPE '\\'", [like]
        if getattr(self.store, "flavour", "postgresql") == "opengauss" and len(pattern) >= 2:
            return ("to_tsvector('ngram', full_path) @@ plainto_tsquery('ngram', ?) AND full_path LIKE ? ESCAPE '\\'",
                    [pattern, like])
        return "full_path LIKE ? ESCAPE '\\'", [like]

    def count(self, group: str = "") -> int:
        sql = "SELECT COUNT(*) FROM catalog_files" + (" WHERE grp = ?" if group else "")
        return int(self.store.query(sql, (group,) if group else ())[0][0])

    def groups(self) -> list[str]:
        return [row[0] for row in self.store.query("SELECT DISTINCT grp FROM catalog_files ORDER BY grp")]

    def tree(self, group: str, path: str = "") -> list[dict[str, Any]]:
        """The immediate children of `path` in `group`: folders with counts, files with sizes."""
        prefix = path.replace("\\", "/").rstrip("/") + "/" if path.strip("/") else ""
        if prefix and not prefix.startswith("/"):
            prefix = "/" + prefix
        rows = self.store.query(
            "SELECT full_path, kind, size, mtime, cartridge, chunk_index FROM catalog_files"
            " WHERE grp = ? AND full_path >= ? AND full_path < ? ORDER BY full_path",
            (group, prefix or "", (prefix or "") + "\U0010ffff"))
        children: dict[str, dict[str, Any]] = {}
        for full, kind, size, mtime, cartridge, chunk_index in rows:
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
                                      "size": size, "mtime": mtime, "cartridge": cartridge}
        return sorted(children.values(), key=lambda n: (n["kind"] != "dir", n["name"]))
