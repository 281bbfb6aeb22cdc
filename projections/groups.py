"""Monthly backup groups: when each opened, its runs, whether it is active, which cartridges hold it.

A group's cartridges come from two sources: the group's own CartridgeAdded events, and the `group`
field of every Cartridge.PackageWritten (the tape layer may record either). A cartridge stops
holding a group when it is erased or relabelled, as the Cartridge aggregate itself forgets them.
"""

from __future__ import annotations

from typing import Any

from projections.rows import as_dicts, from_json, insert_missing, to_json
from projections.store import Cursor
from projections.view import View

_COLUMNS = ("name", "opened_at", "opened_by", "active", "runs", "runs_json", "rotated_out_at", "rotation_reason")
_GROUP_EVENTS = ("Opened", "RunAdded", "CartridgeAdded", "RotatedOut")
_CARTRIDGE_EVENTS = ("Registered", "PackageWritten", "Erased", "Labelled")


class GroupsView(View):
    name = "groups"
    title = "备份组"
    table_names = ("backup_groups", "backup_group_members", "backup_group_barcodes")
    topics = (*(f"ledger.domain.group:BackupGroup.{event}" for event in _GROUP_EVENTS),
              *(f"ledger.domain.cartridge:Cartridge.{event}" for event in _CARTRIDGE_EVENTS))
    tables = (
        "CREATE TABLE IF NOT EXISTS backup_groups ("
        " group_id VARCHAR(64) PRIMARY KEY,"
        " name VARCHAR(16) NOT NULL UNIQUE,"
        " opened_at VARCHAR(40) NOT NULL,"
        " opened_by VARCHAR(200) NOT NULL,"
        " active INTEGER NOT NULL,"
        " runs INTEGER NOT NULL,"
        " runs_json TEXT NOT NULL,"
        " rotated_out_at VARCHAR(40),"
        " rotation_reason TEXT)",
        "CREATE TABLE IF NOT EXISTS backup_group_members ("
        " group_name VARCHAR(16) NOT NULL,"
        " barcode VARCHAR(64) NOT NULL,"
        " PRIMARY KEY (group_name, barcode))",
        # Package events name the cartridge only by aggregate id; this maps it to the barcode.
        "CREATE TABLE IF NOT EXISTS backup_group_barcodes ("
        " cartridge_id VARCHAR(64) PRIMARY KEY,"
        " barcode VARCHAR(64) NOT NULL)",
    )

    # --- following the ledger -----------------------------------------------------------------
    def on_BackupGroup_Opened(self, cursor: Cursor, event: Any, notification: Any) -> None:
        # Opening is the first run; RunAdded events then number the runs (1 may be recorded too).
        cursor.execute("INSERT INTO backup_groups (group_id, name, opened_at, opened_by, active, runs, runs_json,"
                       " rotated_out_at, rotation_reason) VALUES (?, ?, ?, ?, 1, 1, '[]', NULL, NULL)",
                       (str(event.originator_id), event.name, event.timestamp.isoformat(), event.by))

    def on_BackupGroup_RunAdded(self, cursor: Cursor, event: Any, notification: Any) -> None:
        group_id = str(event.originator_id)
        cursor.execute("SELECT runs, runs_json FROM backup_groups WHERE group_id = ?", (group_id,))
        runs, run_ids = cursor.fetchone()
        job_ids = from_json(run_ids, [])
        job_ids.append(event.job_id)
        cursor.execute("UPDATE backup_groups SET runs = ?, runs_json = ? WHERE group_id = ?",
                       (max(int(runs), int(event.run_number)), to_json(job_ids), group_id))

    def on_BackupGroup_CartridgeAdded(self, cursor: Cursor, event: Any, notification: Any) -> None:
        cursor.execute("SELECT name FROM backup_groups WHERE group_id = ?", (str(event.originator_id),))
        insert_missing(cursor, "backup_group_members", {"group_name": cursor.fetchone()[0],
                                                        "barcode": event.barcode})

    def on_BackupGroup_RotatedOut(self, cursor: Cursor, event: Any, notification: Any) -> None:
        cursor.execute("UPDATE backup_groups SET active = 0, rotated_out_at = ?, rotation_reason = ?"
                       " WHERE group_id = ?", (event.timestamp.isoformat(), event.reason, str(event.originator_id)))

    def on_Cartridge_Registered(self, cursor: Cursor, event: Any, notification: Any) -> None:
        cursor.execute("INSERT INTO backup_group_barcodes (cartridge_id, barcode) VALUES (?, ?)",
                       (str(event.originator_id), event.barcode))

    def on_Cartridge_PackageWritten(self, cursor: Cursor, event: Any, notification: Any) -> None:
        if event.group:
            insert_missing(cursor, "backup_group_members", {"group_name": event.group,
                                                            "barcode": self._barcode(cursor, event)})

    def on_Cartridge_Erased(self, cursor: Cursor, event: Any, notification: Any) -> None:
        cursor.execute("DELETE FROM backup_group_members WHERE barcode = ?", (self._barcode(cursor, event),))

    on_Cartridge_Labelled = on_Cartridge_Erased

    @staticmethod
    def _barcode(cursor: Cursor, event: Any) -> str:
        cursor.execute("SELECT barcode FROM backup_group_barcodes WHERE cartridge_id = ?", (str(event.originator_id),))
        return str(cursor.fetchone()[0])

    # --- queries ------------------------------------------------------------------------------
    def _select(self, where: str = "", params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        groups = as_dicts(_COLUMNS, self.store.query(
            f"SELECT {', '.join(_COLUMNS)} FROM backup_groups {where} ORDER BY name", params))
        members: dict[str, list[str]] = {}
        for group_name, barcode in self.store.query(
                "SELECT group_name, barcode FROM backup_group_members ORDER BY group_name, barcode"):
            members.setdefault(group_name, []).append(barcode)
        for group in groups:
            group["active"] = bool(group["active"])
            group["runs"] = int(group["runs"])
            group["run_ids"] = from_json(group.pop("runs_json"), [])
            group["cartridges"] = members.get(group["name"], [])
        return groups

    def all(self) -> list[dict[str, Any]]:
        return self._select()

    def active(self) -> list[dict[str, Any]]:
        return self._select("WHERE active = 1")

    def by_name(self, name: str) -> dict[str, Any] | None:
        rows = self._select("WHERE name = ?", (name,))
        return rows[0] if rows else None
