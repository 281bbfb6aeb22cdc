"""Job history: every backup and restore job, its state, who asked, when, and its figures."""

from __future__ import annotations

from typing import Any

from ledger.domain.job import SKIPPED, verification_outcome
from projections.rows import as_dicts, from_json, to_json, update_columns
from projections.store import Cursor
from projections.view import View

_COLUMNS = ("job_id", "kind", "status", "grp", "sources_json", "requested_by", "requested_at", "started_at",
            "finished_at", "host", "reason", "figures_json", "warnings", "packages", "cartridges_json")
_BACKUP = ("Requested", "Planned", "PackageRecorded", "TapeChangeRequested", "TapeChangeSatisfied",
           "WarningRecorded", "Verified", "VerificationSkipped")
_SHARED = ("Started", "Paused", "Resumed", "Cancelled", "Failed", "Completed")
_VERIFICATION = "verification"


class JobsView(View):
    name = "jobs"
    title = "任务历史"
    table_names = ("jobs",)
    topics = (*(f"ledger.domain.job:BackupJob.{e}" for e in _BACKUP),
              "ledger.domain.job:RestoreJob.Requested", "ledger.domain.job:RestoreJob.PackageRestored",
              *(f"ledger.domain.job:Job.{e}" for e in _SHARED))
    tables = (
        "CREATE TABLE IF NOT EXISTS jobs ("
        " job_id VARCHAR(64) PRIMARY KEY, kind VARCHAR(16) NOT NULL, status VARCHAR(16) NOT NULL,"
        " grp VARCHAR(16) NOT NULL, sources_json TEXT NOT NULL, requested_by VARCHAR(200) NOT NULL,"
        " requested_at VARCHAR(40) NOT NULL, started_at VARCHAR(40), finished_at VARCHAR(40), host VARCHAR(64),"
        " reason TEXT, figures_json TEXT, warnings INTEGER NOT NULL, packages INTEGER NOT NULL,"
        " cartridges_json TEXT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status)",
    )

    def _set(self, cursor: Cursor, event: Any, **columns: Any) -> None:
        update_columns(cursor, "jobs", "job_id", str(event.originator_id), columns)

    def on_BackupJob_Requested(self, cursor: Cursor, event: Any, notification: Any) -> None:
        self._insert(cursor, event, event.kind, event.group, event.sources)

    def on_RestoreJob_Requested(self, cursor: Cursor, event: Any, notification: Any) -> None:
        self._insert(cursor, event, "restore", event.group, event.selection)

    def _insert(self, cursor: Cursor, event: Any, kind: str, group: str, sources: list[str]) -> None:
        cursor.execute("INSERT INTO jobs (job_id, kind, status, grp, sources_json, requested_by, requested_at,"
                       " warnings, packages, cartridges_json) VALUES (?, ?, 'requested', ?, ?, ?, ?, 0, 0, '[]')",
                       (str(event.originator_id), kind, group, to_json(sources), event.by,
                        event.timestamp.isoformat()))

    def on_Job_Started(self, cursor: Cursor, event: Any, notification: Any) -> None:
        self._set(cursor, event, status="running", started_at=event.timestamp.isoformat(), host=event.host)

    def on_Job_Paused(self, cursor: Cursor, event: Any, notification: Any) -> None:
        self._set(cursor, event, status="paused", reason=event.reason)

    def on_Job_Resumed(self, cursor: Cursor, event: Any, notification: Any) -> None:
        self._set(cursor, event, status="requested")

    def on_Job_Cancelled(self, cursor: Cursor, event: Any, notification: Any) -> None:
        self._set(cursor, event, status="cancelled", reason=event.reason, finished_at=event.timestamp.isoformat())

    def on_Job_Failed(self, cursor: Cursor, event: Any, notification: Any) -> None:
        self._set(cursor, event, status="failed", reason=event.reason, finished_at=event.timestamp.isoformat())

    def on_Job_Completed(self, cursor: Cursor, event: Any, notification: Any) -> None:
        self._set(cursor, event, status=event.outcome, figures_json=to_json(event.figures),
                  warnings=len(event.warnings), finished_at=event.timestamp.isoformat())

    def on_BackupJob_PackageRecorded(self, cursor: Cursor, event: Any, notification: Any) -> None:
        cursor.execute("SELECT packages, cartridges_json FROM jobs WHERE job_id = ?", (str(event.originator_id),))
        packages, cartridges = cursor.fetchone()
        barcodes = from_json(cartridges, [])
        if event.cartridge not in barcodes:
            barcodes.append(event.cartridge)
        self._set(cursor, event, packages=int(packages) + 1, cartridges_json=to_json(barcodes))

    def on_BackupJob_TapeChangeRequested(self, cursor: Cursor, event: Any, notification: Any) -> None:
        self._set(cursor, event, status="waiting_tape", reason=event.reason)

    def on_BackupJob_TapeChangeSatisfied(self, cursor: Cursor, event: Any, notification: Any) -> None:
        self._set(cursor, event, status="running", reason="")

    def on_BackupJob_WarningRecorded(self, cursor: Cursor, event: Any, notification: Any) -> None:
        cursor.execute("UPDATE jobs SET warnings = warnings + 1 WHERE job_id = ?", (str(event.originator_id),))

    def on_BackupJob_Verified(self, cursor: Cursor, event: Any, notification: Any) -> None:
        unreadable = list(getattr(event, "unreadable", None) or [])
        self._verified(cursor, event, {"outcome": verification_outcome(event.ok, event.checked, unreadable),
                                       "checked": event.checked, "mismatches": len(event.mismatches),
                                       "unreadable": len(unreadable)})

    def on_BackupJob_VerificationSkipped(self, cursor: Cursor, event: Any, notification: Any) -> None:
        self._verified(cursor, event, {"outcome": SKIPPED, "checked": 0, "mismatches": 0,
                                       "unreadable": len(event.unreadable)})

    def _verified(self, cursor: Cursor, event: Any, verification: dict[str, Any]) -> None:
        """The last read-back verification rides in the figures (no column of its own: a view's
        table is never altered), under "verification"; rows hand it out apart (`_decode`)."""
        cursor.execute("SELECT figures_json FROM jobs WHERE job_id = ?", (str(event.originator_id),))
        found = cursor.fetchone()
        figures = from_json(found[0] if found else None, {}) or {}
        figures[_VERIFICATION] = {**verification, "at": event.timestamp.isoformat(), "by": event.by}
        self._set(cursor, event, figures_json=to_json(figures))

    def rows(self, *, kind: str = "", status: str = "", group: str = "", since: str = "", until: str = "",
             limit: int = 50) -> list[dict[str, Any]]:
        """The newest `limit` jobs: of `kind` ("backup": every kind but restore), in `status`, of
        `group`, requested at or after `since` and before `until` (ISO timestamps, UTC)."""
        where: list[str] = ["kind <> 'restore'"] if kind == "backup" else []
        params: list[Any] = []
        for column, value in (("kind", "" if kind == "backup" else kind), ("status", status), ("grp", group)):
            if value:
                where.append(f"{column} = ?")
                params.append(value)
        for condition, value in (("requested_at >= ?", since), ("requested_at < ?", until)):
            if value:
                where.append(condition)
                params.append(value)
        sql = (f"SELECT {', '.join(_COLUMNS)} FROM jobs{' WHERE ' + ' AND '.join(where) if where else ''}"
               " ORDER BY requested_at DESC, job_id LIMIT ?")
        return [self._decode(row) for row in as_dicts(_COLUMNS, self.store.query(sql, (*params, limit)))]

    def unfinished(self, kind: str = "backup") -> list[dict[str, Any]]:
        sql = (f"SELECT {', '.join(_COLUMNS)} FROM jobs WHERE kind <> 'restore' AND status IN"
               " ('requested', 'running', 'waiting_tape') ORDER BY requested_at" if kind == "backup" else
               f"SELECT {', '.join(_COLUMNS)} FROM jobs WHERE kind = 'restore' AND status IN"
               " ('requested', 'running', 'waiting_tape') ORDER BY requested_at")
        return [self._decode(row) for row in as_dicts(_COLUMNS, self.store.query(sql))]

    @staticmethod
    def _decode(row: dict[str, Any]) -> dict[str, Any]:
        row["sources"] = from_json(row.pop("sources_json"), [])
        row["figures"] = from_json(row.pop("figures_json"), {}) or {}
        row["verification"] = row["figures"].pop(_VERIFICATION, {})
        row["cartridges"] = from_json(row.pop("cartridges_json"), [])
        return row
