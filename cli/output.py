"""Printing for the CLI: Chinese text for people, `--json` for scripts."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, set | frozenset):
        return sorted(value)
    return str(value)


def emit_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, default=_default, indent=2) + "\n")


def emit_table(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]]) -> None:
    """Print rows as aligned columns; `columns` are (key, Chinese heading)."""
    if not rows:
        print("（无记录）")
        return
    cells = [[_cell(row.get(key)) for key, _ in columns] for row in rows]
    headings = [title for _, title in columns]
    widths = [max(_width(h), *(_width(c[i]) for c in cells)) for i, h in enumerate(headings)]
    print("  ".join(_pad(h, w) for h, w in zip(headings, widths, strict=True)))
    for row in cells:
        print("  ".join(_pad(c, w) for c, w in zip(row, widths, strict=True)))


# A stored timestamp (ISO 8601 with a time) in a table cell is shown on the local clock to the second.
_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?")


def shown_time(value: datetime | str) -> str:
    """`value` as people read it: local time, to the second (a string that is no timestamp as it is)."""
    if isinstance(value, str):
        if not _STAMP.fullmatch(value):
            return value
        try:
            at = datetime.fromisoformat(value)
        except ValueError:  # shaped like a time but none (hour 99): shown as it was stored
            return value
    else:
        at = value
    return at.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime | str):
        return shown_time(value)
    return str(value)


def _width(text: str) -> int:
    # CJK characters take two terminal columns.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


