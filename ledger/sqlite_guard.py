"""Immutability for the embedded SQLite ledger: triggers that refuse UPDATE and DELETE of events."""

from __future__ import annotations

import sqlite3
from pathlib import Path

MESSAGE = "台账事件不可修改或删除"
TRIGGERS = {
    "stored_events_refuse_update": "UPDATE",
    "stored_events_refuse_delete": "DELETE",
}


def install_immutability_triggers(path: str | Path) -> None:
    connection = sqlite3.connect(str(path), timeout=30)
    try:
        for name, action in TRIGGERS.items():
            connection.execute(f"CREATE TRIGGER IF NOT EXISTS {name} BEFORE {action} ON stored_events "
                               f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")
        connection.commit()
    finally:
        connection.close()


def remove_immutability_triggers(path: str | Path) -> None:
    """For tests that must tamper with a stored event to prove `audit verify` notices."""
    connection = sqlite3.connect(str(path), timeout=30)
    try:
        for name in TRIGGERS:
            connection.execute(f"DROP TRIGGER IF EXISTS {name}")
        connection.commit()
    finally:
        connection.close()
