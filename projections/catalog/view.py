"""`CatalogView`: the catalog as a view of the ledger — its tables made, events applied, queries answered."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Sequence
from typing import Any

from projections.catalog.loader import BulkLoader
from projections.catalog.opengauss import OpenGaussSearch
from projections.catalog.postgres import PostgresSearch
from projections.catalog.query import DIR_RUN_ENTRY, DIR_RUN_ENTRY_ON, SearchQuery, scope_of
from projections.catalog.results import mtime_iso
from projections.catalog.schema import LAYOUT, TABLE_NAMES, TABLES
from projections.catalog.search import CatalogSearch
from projections.catalog.sqlite import SqliteSearch
from projections.store import Cursor, ViewStore
from projections.view import View, event_name


def search_for(store: ViewStore) -> CatalogSearch:
    """The one place that asks which store this is; everything after goes through `CatalogSearch`."""
    if store.dialect == "sqlite":
        return SqliteSearch(store)
    if getattr(store, "flavour", "postgresql") == "opengauss":
        return OpenGaussSearch(store)
    return PostgresSearch(store)


class CatalogView(View):
    """The catalog the Projector keeps: every file version on tape, by cartridge, package and group."""

    name = "catalog"
    table_names = TABLE_NAMES
    topics = ("ledger.domain.cartridge:Cartridge.Registered",
              "ledger.domain.cartridge:Cartridge.PackageWritten",
              "ledger.domain.cartridge:Cartridge.Erased",
              "ledger.domain.cartridge:Cartridge.Labelled")
    tables = TABLES

    def __init__(self, store: ViewStore) -> None:
        super().__init__(store)
        self.engine = search_for(store)

    # --- schema -----------------------------------------------------------------------------
    def ddl(self) -> Sequence[str]:
        tables = [sql.replace("{CHARS}", self.engine.chars_type) for sql in super().ddl()]
        return [*tables, *self.engine.ddl()]

    def create(self) -> None:
        with self.store.transaction() as cursor:
            if self._other_layout(cursor):
                self._drop_all(cursor)
        super().create()

    def _other_layout(self, cursor: Cursor) -> bool:
        """True when the catalog tables were made by another version of this view (the first one kept
        a table `catalog_files` with a full path per row); a view is rebuilt from the ledger, not migrated."""
        if self.engine.files_kind(cursor) == "table":
            return True
        return any((columns := self.engine.table_columns(cursor, table)) and columns != wanted
                   for table, wanted in LAYOUT.items())

    def _drop_all(self, cursor: Cursor) -> None:
        kind = self.engine.files_kind(cursor)
        cursor.execute(f"DROP {'TABLE' if kind == 'table' else 'VIEW'} IF EXISTS catalog_files")
        self.engine.drop_indexes(cursor)
        for table in self.table_names:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
        self.store.reset_tracking(cursor, self.name)

    def clear(self, cursor: Cursor) -> None:
        self.engine.empty(cursor, self.table_names)
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
        loader = BulkLoader(self.engine, cursor)
        for domain_event, notification in items:
            name = event_name(domain_event)
            if name == "Cartridge.PackageWritten":
                loader.add(domain_event, notification.id)
            elif name == "Cartridge.Registered":
                cursor.execute("INSERT INTO catalog_cartridges (cartridge_id, barcode) VALUES (?, ?)",
                               (str(domain_event.originator_id), domain_event.barcode))
            elif name in {"Cartridge.Erased", "Cartridge.Labelled"}:
                # An erased or relabelled tape no longer holds what it held; nothing can be restored from it.
                loader.flush()
                self._forget_cartridge(cursor, str(domain_event.originator_id))
        loader.flush()

    def _forget_cartridge(self, cursor: Cursor, cartridge_id: str) -> None:
        # Folder rows stay: a folder without rows changes no result.
        cursor.execute("SELECT first_id, last_id FROM catalog_packages WHERE cartridge_id = ?", (cartridge_id,))
        for first, last in cursor.fetchall():
            self.engine.unindex_entries(cursor, first, last)
            cursor.execute("DELETE FROM catalog_entries WHERE id BETWEEN ? AND ?", (first, last))
            cursor.execute("DELETE FROM catalog_runs WHERE first_id BETWEEN ? AND ?", (first, last))
        cursor.execute("DELETE FROM catalog_packages WHERE cartridge_id = ?", (cartridge_id,))

    # --- queries ----------------------------------------------------------------------------
    def search(self, query: SearchQuery) -> list[dict[str, Any]]:
        """Catalog rows whose full path contains `query.pattern`, the newest `query.limit` (`CatalogSearch.search`)."""
        return self.engine.search(query)

    def under(self, path: str, group: str = "") -> list[dict[str, Any]]:
        """The rows of the file `path` and of everything below the folder `path` (`CatalogSearch.under`)."""
        return self.engine.under(path, group)

    def count(self, group: str = "") -> int:
        sql = "SELECT COALESCE(SUM(files), 0) FROM catalog_packages" + (" WHERE grp = ?" if group else "")
        return int(self.store.query(sql, (group,) if group else ())[0][0])

    def groups(self) -> list[str]:
        return [row[0] for row in self.store.query("SELECT DISTINCT grp FROM catalog_packages ORDER BY grp")]

    def tree(self, group: str, path: str = "") -> list[dict[str, Any]]:
        """The immediate children of `path` in `group`: folders with the files and bytes below them,
        files (a name several runs of the group hold: its newest version) — each with every cartridge
        holding a part of it, in the order written: all chunks of a split file, all of a folder."""
        prefix = path.replace("\\", "/").rstrip("/") + "/" if path.strip("/") else ""
        if prefix and not prefix.startswith("/"):
            prefix = "/" + prefix
        scope = scope_of(self.store, SearchQuery(group=group))
        if scope is None:
            return []
        places = {pkg: (job, cartridge) for pkg, job, cartridge in self.store.query(
            "SELECT pkg, job_id, cartridge FROM catalog_packages WHERE grp = ?", (group,))}
        # A full path starts with the prefix (which ends with "/") exactly when its folder does.
        bounds, bound_params = scope.ids("r.first_id")
        rows = self.store.query(
            f"SELECT d.path || f.base, f.kind, f.size, f.mtime_ns, f.pkg, f.chunk_index FROM {DIR_RUN_ENTRY}"
            f"{scope.sql(DIR_RUN_ENTRY_ON, 'd.path >= ?', 'd.path < ?', *bounds)} ORDER BY f.id",
            [prefix, prefix + "\U0010ffff", *bound_params, *scope.params])
        return _children(rows, prefix, places)


def _children(rows: list[tuple[Any, ...]], prefix: str, places: dict[Any, tuple[str, str]]) -> list[dict[str, Any]]:
    """The tree's nodes from its rows in id order: each row is below a child folder, that folder's own
    row, or a chunk of a child file; `places` gives each package's job and cartridge."""
    children: dict[str, dict[str, Any]] = {}
    versions: dict[tuple[str, str], list[str]] = {}  # (name, job) → cartridges of that version's chunks
    for full, kind, size, mtime_ns, pkg, chunk_index in rows:
        rest = full[len(prefix):] if prefix else full.lstrip("/")
        head, sep, _ = rest.partition("/")
        if not head:
            continue
        job, cartridge = places.get(pkg, ("", ""))
        node = children.get(head)
        if sep or kind == "dir":  # inside the child folder, or the folder's own row
            if node is None or node["kind"] != "dir":  # a folder outranks a file of the same name
                node = children[head] = {"name": head, "kind": "dir", "files": 0, "size": 0, "mtime": None,
                                         "cartridges": []}
            if not sep:
                node["mtime"] = mtime_iso(mtime_ns)
            elif chunk_index == 0:
                node["files"] += kind == "file"
                node["size"] += size
            _add(node["cartridges"], cartridge)
            continue
        _add(versions.setdefault((head, job), []), cartridge)
        if chunk_index == 0 and (node is None or node["kind"] != "dir"):  # ordered by id: the newest wins
            children[head] = {"name": head, "kind": kind, "files": int(kind == "file"), "size": size,
                              "mtime": mtime_iso(mtime_ns), "cartridges": [], "job": job}
    for node in children.values():
        if "job" in node:
            node["cartridges"] = versions[(node["name"], node.pop("job"))]
    return sorted(children.values(), key=lambda n: (n["kind"] != "dir", n["name"]))


def _add(cartridges: list[str], cartridge: str) -> None:
    if cartridge and cartridge not in cartridges:
        cartridges.append(cartridge)
