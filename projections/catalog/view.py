"""`CatalogView`: the catalog as a view of the ledger — its tables made, events applied, queries answered."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Sequence
from typing import Any

from projections.catalog import limits, totals
from projections.catalog.known import Known
from projections.catalog.loader import BulkLoader
from projections.catalog.manifests import entries_of
from projections.catalog.opengauss import OpenGaussSearch
from projections.catalog.postgres import PostgresSearch
from projections.catalog.query import SearchQuery
from projections.catalog.schema import TABLE_NAMES, TABLES
from projections.catalog.search import CatalogSearch
from projections.catalog.sqlite import SqliteSearch
from projections.catalog.tree import children
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
    title = "文件目录"
    table_names = TABLE_NAMES
    topics = ("ledger.domain.cartridge:Cartridge.Registered",
              "ledger.domain.cartridge:Cartridge.PackageWritten",
              "ledger.domain.cartridge:Cartridge.Erased",
              "ledger.domain.cartridge:Cartridge.Labelled")
    tables = TABLES

    def __init__(self, store: ViewStore) -> None:
        super().__init__(store)
        self.engine = search_for(store)
        # Folder and name ids kept from one batch to the next (`known`).
        self.dirs = Known("catalog_dirs", "path", limits.KNOWN_DIRS)
        self.names = Known("catalog_names", "base", limits.KNOWN_NAMES)

    # --- schema -----------------------------------------------------------------------------
    def ddl(self) -> Sequence[str]:
        return [*super().ddl(), *self.engine.ddl()]

    def create(self) -> None:
        with self.store.transaction() as cursor:
            if self._other_layout(cursor):
                self._drop_all(cursor)
        super().create()

    def _other_layout(self, cursor: Cursor) -> bool:
        """True when the catalog tables were made by another version of this view (the first one kept
        a table `catalog_files` with a full path per row; one before issue 18 had no folder totals,
        and one of issue 18 no table of names); a view is rebuilt from the ledger, not migrated."""
        if self.engine.files_kind(cursor) == "table":
            return True
        layout = self.engine.layout()
        found = {table: self.engine.table_columns(cursor, table) for table in layout}
        return any(found.values()) and any(columns != layout[table] for table, columns in found.items())

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
        self.dirs.forget()
        self.names.forget()

    # --- following the ledger ---------------------------------------------------------------
    def rows_of(self, domain_event: Any) -> int:
        """A package is worth a row per manifest entry: the Projector's batches are bounded by these
        (PackageWritten counts its entries, whether its manifest is in it or in its own stream)."""
        return max(1, int(getattr(domain_event, "entries", 0) or 0))

    def apply(self, cursor: Cursor, items: Iterable[tuple[Any, Any]]) -> None:
        # Building a hundred thousand row lists would wake the cyclic garbage collector hundreds of
        # times, each pass walking every live object (the decoded manifests included): a third of the
        # time spent building rows. The rows hold no cycles; reference counting frees them.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._apply(cursor, items)
        except BaseException:
            self.engine.settle(raising=False)  # nothing may still be writing when the transaction rolls back
            # The transaction rolls back: ids it handed out must not be remembered (`known`).
            self.dirs.forget()
            self.names.forget()
            raise
        finally:
            if collecting:
                gc.enable()

    def _apply(self, cursor: Cursor, items: Iterable[tuple[Any, Any]]) -> None:
        loader = BulkLoader(self.engine, cursor, self.dirs, self.names)
        for domain_event, notification in items:
            name = event_name(domain_event)
            if name == "Cartridge.PackageWritten":
                loader.add(domain_event, entries_of(domain_event, self.ledger), notification.id)
            elif name == "Cartridge.Registered":
                loader.settle()
                cursor.execute("INSERT INTO catalog_cartridges (cartridge_id, barcode) VALUES (?, ?)",
                               (str(domain_event.originator_id), domain_event.barcode))
            elif name in {"Cartridge.Erased", "Cartridge.Labelled"}:
                # An erased or relabelled tape no longer holds what it held; nothing can be restored from it.
                loader.finish()
                self._forget_cartridge(cursor, str(domain_event.originator_id))
        loader.finish()

    def _forget_cartridge(self, cursor: Cursor, cartridge_id: str) -> None:
        # Folder and name rows stay: a folder or a name without rows changes no result.
        cursor.execute("SELECT first_id, last_id FROM catalog_packages WHERE cartridge_id = ?", (cartridge_id,))
        for first, last in cursor.fetchall():
            self.engine.unindex_entries(cursor, first, last)
            cursor.execute("DELETE FROM catalog_entries WHERE id BETWEEN ? AND ?", (first, last))
            cursor.execute("DELETE FROM catalog_runs WHERE first_id BETWEEN ? AND ?", (first, last))
        cursor.execute("DELETE FROM catalog_packages WHERE cartridge_id = ?", (cartridge_id,))
        totals.forget(cursor, cartridge_id)

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
        """The immediate children of `path` in `group` (`tree.children`): folders with the files,
        bytes and newest time below them, read from their totals; files, their newest version."""
        return children(self.store, group, path)
