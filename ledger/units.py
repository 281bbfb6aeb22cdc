"""Byte counts and durations as people read them, the same in every message, table and notice.

Here because every room that talks to people (cli, restore, jobs, notify) may import the ledger
and nothing else in common.
"""

from __future__ import annotations


def human_bytes(count: int | float) -> str:
    """Binary units with one decimal: 512 B, 1.5 KiB, 3.0 GiB; TiB is the largest unit."""
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(value) < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"


def human_duration(seconds: float) -> str:
    """Chinese, the two largest units: 45 秒, 3 分 20 秒, 2 小时 5 分, 1 天 3 小时 (rounded down)."""
    whole = max(0, int(seconds))
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "天"), (hours, "小时"), (minutes, "分"), (secs, "秒")]
    first = next((i for i, (value, _) in enumerate(parts) if value), len(parts) - 1)
    shown = [f"{value} {unit}" for value, unit in parts[first:first + 2] if value]
    return " ".join(shown) or "0 秒"
