"""Catalog rows as callers see them: stored entries read back into `RESULT_COLUMNS`, in display order."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from projections.catalog.schema import EXTRA_KEYS, RAW_KEY, RESULT_COLUMNS

# The stored columns `decode` reads, joined with the folder and the package; the caller adds which ids.
SELECT_STORED = (
    "SELECT f.id, p.grp, d.path, f.base, f.root, f.cut, f.ext, f.kind, f.size, f.mtime_ns, f.mode, f.sha256,"
    " f.chunk_index, f.extra, p.package_id, p.job_id, p.cartridge, p.tape_file, p.header_block,"
    " p.payload_block, p.payload_blocks, p.package_bytes, p.written_at, p.notification_id, p.cartridge_id"
    " FROM catalog_entries f JOIN catalog_dirs d ON d.id = f.dir JOIN catalog_packages p ON p.pkg = f.pkg")

def mtime_iso(mtime_ns: int) -> str:
    """UTC, whole seconds (rounded down), e.g. "2023-11-14T22:13:20+00:00"; the SQL view computes the same."""
    try:
        return datetime.fromtimestamp(mtime_ns // 1_000_000_000, timezone.utc).isoformat()
    except (OverflowError, OSError, ValueError):
        return ""


def default_member(full: str) -> str:
    """The 7z member name the backup gives a full path: without leading "/", a drive letter without
    its colon ("/srv/a" → "srv/a", "D:/共享/a" → "D/共享/a"). The SQL view computes the same."""
    return full[0] + full[2:] if full[1:2] == ":" else full.lstrip("/")


def decode(rows: Iterable[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Rows of SELECT_STORED as result rows: the full path put together, the usual values filled in."""
    results = []
    for (id_, grp, folder, base, root, cut, ext, kind, size, mtime_ns, mode, sha256, chunk_index, extra,
         *package) in rows:
        full = folder + base
        if root is None:
            root = full[:cut - 1]
        raw = None
        if extra is None:
            member, total_chunks, chunk_offset, chunk_length, link_target, state = (
                default_member(full), 1, 0, size, None, "ok")
        else:
            values = json.loads(extra)
            member, total_chunks, chunk_offset, chunk_length, link_target, state = (
                values[key] for key in EXTRA_KEYS)
            raw = values.get(RAW_KEY)
        results.append(dict(zip(RESULT_COLUMNS, (
            id_, grp, full, root, full[cut:] if cut >= 0 else "", base if cut >= 0 else "", ext, kind, size,
            mtime_ns, mtime_iso(mtime_ns), mode, sha256, member, chunk_index, total_chunks, chunk_offset,
            chunk_length, link_target, state, *package, raw), strict=True)))
    return results


def ordered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """By group (newest first), then full path, chunk and id: the same order on every store."""
    rows.sort(key=lambda r: (r["full_path"], r["chunk_index"], r["id"]))
    rows.sort(key=lambda r: r["grp"], reverse=True)  # stable: path order kept within a group
    return rows
