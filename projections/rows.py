"""Small helpers the views share: rows as dicts, JSON columns, and "insert unless present"."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from projections.store import Cursor


def as_dicts(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    return [dict(zip(columns, row, strict=True)) for row in rows]


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def from_json(text: str | None, empty: Any) -> Any:
    return json.loads(text) if text else empty


def insert_missing(cursor: Cursor, table: str, key: dict[str, Any]) -> None:
    """INSERT the row named by ``key`` unless it exists (openGauss has no ON CONFLICT)."""
    where = " AND ".join(f"{column} = ?" for column in key)
    cursor.execute(f"SELECT 1 FROM {table} WHERE {where}", tuple(key.values()))
    if cursor.fetchone() is None:
        columns = ", ".join(key)
        marks = ", ".join("?" for _ in key)
        cursor.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", tuple(key.values()))


def update_columns(cursor: Cursor, table: str, key_column: str, key: Any, columns: dict[str, Any]) -> None:
    """UPDATE the named columns of the row whose ``key_column`` is ``key``."""
    assignments = ", ".join(f"{column} = ?" for column in columns)
    cursor.execute(f"UPDATE {table} SET {assignments} WHERE {key_column} = ?", (*columns.values(), key))
