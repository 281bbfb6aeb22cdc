"""Settings as they stand: the value of every key changed through the ledger, and who changed it."""

from __future__ import annotations

import json
from typing import Any

from projections.store import Cursor
from projections.view import View


class SettingsView(View):
    name = "settings"
    title = "设置"
    table_names = ("settings_current",)
    topics = ("ledger.domain.settings:Settings.SettingChanged",)
    tables = (
        "CREATE TABLE IF NOT EXISTS settings_current ("
        " setting_key VARCHAR(200) PRIMARY KEY,"
        " value_json TEXT NOT NULL,"
        " changed_at VARCHAR(40) NOT NULL,"
        " changed_by VARCHAR(200) NOT NULL)",
    )

    def on_Settings_SettingChanged(self, cursor: Cursor, event: Any, notification: Any) -> None:
        row = (json.dumps(event.new, ensure_ascii=False), event.timestamp.isoformat(), event.by, event.key)
        cursor.execute("UPDATE settings_current SET value_json = ?, changed_at = ?, changed_by = ?"
                       " WHERE setting_key = ?", row)
        if getattr(cursor, "rowcount", 0) == 0:
            cursor.execute("INSERT INTO settings_current (value_json, changed_at, changed_by, setting_key)"
                           " VALUES (?, ?, ?, ?)", row)

    def values(self) -> dict[str, Any]:
        return {key: json.loads(value) for key, value in
                self.store.query("SELECT setting_key, value_json FROM settings_current")}

    def rows(self) -> list[dict[str, Any]]:
        return [{"key": k, "value": json.loads(v), "changed_at": at, "changed_by": by} for k, v, at, by in
                self.store.query("SELECT setting_key, value_json, changed_at, changed_by FROM settings_current"
                                 " ORDER BY setting_key")]
