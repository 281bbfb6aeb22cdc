"""How values look on a page: times in the server's local time zone, settings as people write them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

EMPTY = "—"


def when(moment: str | datetime | None) -> str:
    """An ISO timestamp (the ledger keeps UTC) as local "YYYY-MM-DD HH:MM:SS"."""
    if not moment:
        return EMPTY
    try:
        value = moment if isinstance(moment, datetime) else datetime.fromisoformat(moment)
    except ValueError:
        return str(moment)
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S") if value.tzinfo else value.strftime("%Y-%m-%d %H:%M:%S")


def editable(value: Any) -> str:
    """A setting's value as it is typed back in (lists separated by semicolons, 是/否)."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list | tuple):
        return "; ".join(str(item) for item in value)
    return "" if value is None else str(value)


def shown(value: Any) -> str:
    """A value for reading: like `editable`, with a dash for nothing."""
    return editable(value) or EMPTY


def size(count: int | float | None) -> str:
    """Bytes as people read them: 1.5 GiB, 300 MiB, 12 KiB."""
    if count is None:
        return EMPTY
    value = float(count)
    if abs(value) < 1024:
        return f"{value:.0f} B"
    for unit in ("KiB", "MiB", "GiB"):
        value /= 1024
        if abs(value) < 1024:
            return f"{value:.1f} {unit}"
    return f"{value / 1024:.1f} TiB"


def percent(part: int | float, whole: int | float) -> int:
    """How full, 0–100 (for a bar); 0 when the whole is unknown."""
    return max(0, min(100, round(100 * part / whole))) if whole else 0


def duration(seconds: float | None) -> str:
    """Seconds as people say them: 45 秒, 3 分 20 秒, 2 小时 5 分."""
    if seconds is None:
        return EMPTY
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} 小时 {minutes} 分"
    return f"{minutes} 分 {secs} 秒" if minutes else f"{secs} 秒"


def rate(bytes_per_second: float | None) -> str:
    """A speed: 85.0 MiB/s, or a dash when unknown."""
    return f"{size(bytes_per_second)}/s" if bytes_per_second else EMPTY
