"""Byte counts as people read them, the same in every message, table and notice.

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
