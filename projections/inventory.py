"""The tape inventory: one row per cartridge, as its Cartridge events left it."""

from __future__ import annotations

from typing import Any

from projections.rows import as_dicts, from_json, to_json, update_columns
from projections.store import Cursor
from projections.view import View

_EVENTS = ("Registered", "Labelled", "Loaded", "Unloaded", "Moved", "PackageWritten", "IndexWritten",
           "TapeFull", "Expired", "Erased", "Retired", "RetentionChanged", "HealthRecorded")
_COLUMNS = ("barcode", "media_type", "status", "pool", "location", "worm", "volume_serial", "label_sequence",
            "bytes_written", "capacity_bytes", "last_written_at", "retention_months", "groups_json",
            "package_count", "health_json", "updated_at")


class InventoryView(View):
    name = "inventory"
    title = "磁带清单"
    table_names = ("inventory",)
    topics = tuple(f"ledger.domain.cartridge:Cartridge.{event}" for event in _EVENTS)
    tables = (
        "CREATE TABLE IF NOT EXISTS inventory ("
        " cartridge_id VARCHAR(64) PRIMARY KEY,"
        " barcode VARCHAR(64) NOT NULL UNIQUE,"
        " media_type VARCHAR(16) NOT NULL,"
        " status VARCHAR(16) NOT NULL,"
        " pool VARCHAR(200) NOT NULL,"
        " location VARCHAR(200) NOT NULL,"
        " worm INTEGER NOT NULL,"
        " volume_serial VARCHAR(64) NOT NULL,"
        " label_sequence INTEGER NOT NULL,"
        " bytes_written BIGINT NOT NULL,"
        " capacity_bytes BIGINT NOT NULL,"
        " last_written_at VARCHAR(40),"
        " retention_months INTEGER,"
        " groups_json TEXT NOT NULL,"
        " package_count INTEGER NOT NULL,"
        " health_json TEXT NOT NULL,"
        " updated_at VARCHAR(40) NOT NULL)",
        "CREATE INDEX IF NOT EXISTS inventory_status ON inventory (status)",
    )

    # --- following the ledger -----------------------------------------------------------------
    def _update(self, cursor: Cursor, event: Any, **columns: Any) -> None:
        columns["updated_at"] = event.timestamp.isoformat()
        update_columns(cursor, "inventory", "cartridge_id", str(event.originator_id), columns)

    def _current(self, cursor: Cursor, event: Any) -> tuple[int, int, list[str]]:
        cursor.execute("SELECT bytes_written, package_count, groups_json FROM inventory WHERE cartridge_id = ?",
                       (str(event.originator_id),))
        row = cursor.fetchone()
        return int(row[0]), int(row[1]), from_json(row[2], [])

    def on_Cartridge_Registered(self, cursor: Cursor, event: Any, notification: Any) -> None:
        status = "cleaning" if event.media_type == "CLN" else "scratch"
        cursor.execute(
            "INSERT INTO inventory (cartridge_id, barcode, media_type, status, pool, location, worm, volume_serial,"
            " label_sequence, bytes_written, capacity_bytes, last_written_at, retention_months, groups_json,"
            " package_count, health_json, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, '', 0, 0, ?, NULL, NULL,"
            " '[]', 0, '{}', ?)",
            (str(event.originator_id), event.barcode, event.media_type, status, event.pool, event.location,
             int(bool(event.worm)), int(event.capacity_bytes or 0), event.timestamp.isoformat()))

    def on_Cartridge_Labelled(self, cursor: Cursor, event: Any, notification: Any) -> None:
        # A new label starts the cartridge afresh: nothing on it, so no write date to age from.
        self._update(cursor, event, volume_serial=event.volume_serial, label_sequence=event.label_sequence,
                     pool=event.pool, status="scratch", bytes_written=0, package_count=0, groups_json="[]",
                     last_written_at=None)

    def on_Cartridge_Loaded(self, cursor: Cursor, event: Any, notification: Any) -> None:
        self._update(cursor, event, location=f"drive:{event.drive}")

    def on_Cartridge_Unloaded(self, cursor: Cursor, event: Any, notification: Any) -> None:
        self._update(cursor, event, location=event.location)

    def on_Cartridge_Moved(self, cursor: Cursor, event: Any, notification: Any) -> None:
        self._update(cursor, event, location=event.location)

    def on_Cartridge_PackageWritten(self, cursor: Cursor, event: Any, notification: Any) -> None:
        written, packages, groups = self._current(cursor, event)
        if event.group and event.group not in groups:
            groups.append(event.group)
        self._update(cursor, event, status="active", bytes_written=written + int(event.payload_bytes),
                     package_count=packages + 1, groups_json=to_json(groups),
                     last_written_at=event.timestamp.isoformat())

    def on_Cartridge_IndexWritten(self, cursor: Cursor, event: Any, notification: Any) -> None:
        self._update(cursor, event)

    def on_Cartridge_TapeFull(self, cursor: Cursor, event: Any, notification: Any) -> None:
        self._update(cursor, event, status="full")

    def on_Cartridge_Expired(self, cursor: Cursor, event: Any, notification: Any) -> None:
        self._update(cursor, event, status="expired")

    def on_Cartridge_Erased(self, cursor: Cursor, event: Any, notification: Any) -> None:
        self._update(cursor, event, status="scratch", bytes_written=0,
                     package_count=0, groups_json="[]", last_written_at=None)

    def on_Cartridge_Retired(self, cursor: Cursor, event: Any, notification: Any) -> None:
        self._update(cursor, event, status="retired")

    def on_Cartridge_RetentionChanged(self, cursor: Cursor, event: Any, notification: Any) -> None:
        # A longer retention takes an expired cartridge back to what it was (events before it had no status).
        status = getattr(event, "status", None)
        self._update(cursor, event, retention_months=event.new, **({"status": status} if status else {}))

    def on_Cartridge_HealthRecorded(self, cursor: Cursor, event: Any, notification: Any) -> None:
        self._update(cursor, event, health_json=to_json(event.snapshot))

    # --- queries ------------------------------------------------------------------------------
    def _select(self, where: str = "", params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        rows = self.store.query(f"SELECT {', '.join(_COLUMNS)} FROM inventory {where} ORDER BY barcode", params)
        return [_decoded(row) for row in as_dicts(_COLUMNS, rows)]

    def all(self) -> list[dict[str, Any]]:
        return self._select()

    def by_barcode(self, barcode: str) -> dict[str, Any] | None:
        rows = self._select("WHERE barcode = ?", (barcode,))
        return rows[0] if rows else None

    def by_status(self, status: str) -> list[dict[str, Any]]:
        return self._select("WHERE status = ?", (status,))


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    row["groups"] = from_json(row.pop("groups_json"), [])
    row["health"] = from_json(row.pop("health_json"), {})
    row["worm"] = bool(row["worm"])
    for key in ("label_sequence", "bytes_written", "capacity_bytes", "package_count"):
        row[key] = int(row[key])
    if row["retention_months"] is not None:
        row["retention_months"] = int(row["retention_months"])
    return row
