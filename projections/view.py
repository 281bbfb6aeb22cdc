"""A view: tables that follow some ledger events, with a handler per event name."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from projections.store import Cursor, ViewStore


def event_name(domain_event: Any) -> str:
    """`Cartridge.Labelled` → "Cartridge.Labelled"; `Job.Started` on a backup job stays "Job.Started"."""
    return type(domain_event).__qualname__

# The advisory lock that serialises making the views' tables on PostgreSQL and openGauss.
VIEW_DDL_LOCK_KEY = 0x7AF_1ED6E6


class View:
    """Subclasses set `name`, `tables` (DDL per dialect) and `handle_<Aggregate>_<Event>` methods."""

    name: ClassVar[str] = "view"
    # What a user reads for it (the name is what commands take).
    title: ClassVar[str] = "读模型"
    tables: ClassVar[Sequence[str]] = ()
    table_names: ClassVar[Sequence[str]] = ()
    # Limit which event topics are read for this view; empty means all.
    topics: ClassVar[Sequence[str]] = ()

    def __init__(self, store: ViewStore) -> None:
        self.store = store

    def ddl(self) -> Sequence[str]:
        postgres = self.store.dialect == "postgresql"
        replacements = {"{BLOB}": "BYTEA" if postgres else "BLOB",
                        "{ID}": "BIGSERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY"}
        statements = []
        for sql in self.tables:
            for marker, value in replacements.items():
                sql = sql.replace(marker, value)
            statements.append(sql)
        return statements

    def create(self) -> None:
        with self.store.transaction() as cursor:
            if self.store.dialect == "postgresql":
                # Every process makes its views on start; two doing so at once (a worker and a CLI
                # command) would race on DROP/CREATE VIEW. One at a time, each in its transaction.
                cursor.execute(f"SELECT pg_advisory_xact_lock({VIEW_DDL_LOCK_KEY})")
            for statement in self.ddl():
                cursor.execute(statement)

    def clear(self, cursor: Cursor) -> None:
        for table in self.table_names:
            cursor.execute(f"DELETE FROM {table}")
        self.store.reset_tracking(cursor, self.name)

    def position(self) -> int:
        return self.store.max_tracking_id(self.name)

    # The ledger the Projector follows for this view (the catalog reads package manifests from it).
    ledger: Any = None
    # Views that only need the stored record (the hash chain) skip decoding events.
    needs_events: ClassVar[bool] = True
    rebuild_with_all: ClassVar[bool] = True
    # Keys of events' state this view never reads: left undecoded (the ledger's mapper `without`).
    skipped_fields: ClassVar[frozenset[str]] = frozenset()

    def rows_of(self, domain_event: Any) -> int:
        """About how many rows applying `domain_event` writes: what the Projector's batches are bounded by.

        An event holding a manifest (a PackageManifest's, or a PackageWritten of a release before
        issue 18) weighs its entries even where none becomes a row: the batch holds them decoded."""
        held = vars(domain_event).get("manifest") if domain_event is not None else None
        return max(1, len(held)) if isinstance(held, list) else 1

    def apply(self, cursor: Cursor, items: Iterable[tuple[Any, Any]]) -> None:
        """Apply (domain event, stored notification) pairs in order; subclasses may batch."""
        for domain_event, notification in items:
            handler = getattr(self, "on_" + event_name(domain_event).replace(".", "_"), None)
            if handler is not None:
                handler(cursor, domain_event, notification)
            else:
                self.on_any(cursor, domain_event, notification)

    def on_any(self, cursor: Cursor, domain_event: Any, notification: Any) -> None:
        """Called for events without a specific handler."""
