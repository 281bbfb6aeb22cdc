"""A stored event's fields as plain JSON values, for the auditor who wants to see them as stored.

What must not be shown is hidden even from an auditor — a password's or an API token's hash, a
sealed secret's ciphertext (its masked hint stays) — and a long list (a package's manifest can
hold thousands of entries) is cut to its first items, with its full length reported.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

HIDDEN = "（已隐藏）"
LIST_ITEMS = 20  # a list longer than this shows its first items only
TEXT_CHARS = 2000


def _hidden(key: str) -> bool:
    return key.endswith("_hash") or key in {"ciphertext", "password", "token"}


def plain(value: Any, key: str = "") -> Any:
    """`value` as JSON can carry it (ids and times as text, bytes as hex), secrets hidden."""
    if _hidden(key) and value not in (None, ""):
        return HIDDEN
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value if len(value) <= TEXT_CHARS else value[:TEXT_CHARS] + "…"
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return bytes(value[:TEXT_CHARS // 2]).hex()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, dict):
        return {str(name): plain(item, str(name)) for name, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(item) for item in list(value)[:LIST_ITEMS]]
    return str(value)


def plain_fields(state: dict[str, Any]) -> tuple[dict[str, Any], dict[str, int]]:
    """Every field of an event's state, plain, and the lists that were cut, with their lengths."""
    shortened = {key: len(value) for key, value in state.items()
                 if isinstance(value, list | tuple | set | frozenset) and len(value) > LIST_ITEMS}
    return {key: plain(value, key) for key, value in sorted(state.items())}, shortened
