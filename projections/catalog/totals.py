"""Per-folder totals: what lies below each folder of each group, kept as the catalog loads.

`catalog_totals` holds one row per (group, folder, cartridge): the file versions below the folder
(at any depth) on that cartridge, their bytes, the newest modification time, and the first entry id
(the order cartridges were written in). The loader adds each package's rows to its folders and all
their ancestors; forgetting an erased or relabelled cartridge deletes its rows, so every total stays
exact — a newest time included, which a running total could not take back. Per cartridge because
that is the unit the catalog forgets, and because it answers "which cartridges hold something below
this folder" with no extra work.

A folder's listing reads its child folders' totals rows (index `(grp, parent)`) — a few per child —
never the entries below them, so it costs the same in a group of a hundred files or of millions.

Counted as the tree always counted: a file version is its first chunk (`chunk_index` 0) of kind
"file"; bytes are the `size` of every first chunk (a split file's whole size, once); every version
in the group counts (a file in two runs of one month counts twice).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from projections.store import Cursor, ViewStore

TOTAL_COLUMNS = ("grp", "dir", "cartridge_id", "parent", "cartridge", "files", "bytes", "newest", "first_id")
TOTALS_DDL = (
    "CREATE TABLE IF NOT EXISTS catalog_totals (grp VARCHAR(16) NOT NULL, dir BIGINT NOT NULL,"
    " cartridge_id VARCHAR(64) NOT NULL, parent BIGINT NOT NULL, cartridge VARCHAR(32) NOT NULL,"
    " files BIGINT NOT NULL, bytes BIGINT NOT NULL, newest BIGINT NOT NULL, first_id BIGINT NOT NULL,"
    " PRIMARY KEY (grp, dir, cartridge_id))",
    "CREATE INDEX IF NOT EXISTS catalog_totals_parent ON catalog_totals (grp, parent)",
    "CREATE INDEX IF NOT EXISTS catalog_totals_cartridge ON catalog_totals (cartridge_id)",
)
# A root folder ("/", "C:/", "rel/") has no folder above it: its parent is this id.
TOP = 0
_IDS_PER_QUERY = 500
# Starting values of a newest time and a first id, beaten by any real one.
_NO_TIME = -(1 << 63)
_NO_ID = 1 << 62

# (group, cartridge id, barcode) → folder path → [files, bytes, newest, first id]
Pending = dict[tuple[str, str, str], dict[str, list[int]]]


def parent_of(folder: str) -> str:
    """The folder above `folder` ("/srv/数据/" → "/srv/"; "/" and "C:/" → "", the top)."""
    return folder[:folder.rstrip("/").rfind("/") + 1] if folder.rstrip("/") else ""


def name_of(folder: str) -> str:
    """A folder's name in its parent's listing: its last component; "/" for the root; "C:" for a drive."""
    trimmed = folder.rstrip("/")
    return trimmed[trimmed.rfind("/") + 1:] if trimmed else "/"


def add_package(pending: Pending, key: tuple[str, str, str], folders: dict[str, list[int]]) -> None:
    """Add one package's totals per folder (its own rows only) to each folder and every one above it.

    The folders and their ancestors are summed bottom-up first (a parent's path is shorter than its
    child's), so each folder is merged into `pending` once however many folders lie below it."""
    sums = {folder: list(values) for folder, values in folders.items() if folder}  # "": the top itself
    for folder in list(sums):
        parent = parent_of(folder)
        while parent and parent not in sums:
            sums[parent] = [0, 0, _NO_TIME, _NO_ID]
            parent = parent_of(parent)
    for folder in sorted(sums, key=len, reverse=True):
        parent = parent_of(folder)
        if parent:
            _merge(sums[parent], sums[folder])
    into = pending.setdefault(key, {})
    for folder, values in sums.items():
        found = into.get(folder)
        if found is None:
            into[folder] = values
        else:
            _merge(found, values)


def _merge(into: list[int], values: list[int]) -> None:
    into[0] += values[0]
    into[1] += values[1]
    if values[2] > into[2]:
        into[2] = values[2]
    if values[3] < into[3]:
        into[3] = values[3]


def folders_of(pending: Pending) -> set[str]:
    return {folder for folders in pending.values() for folder in folders}


def write(cursor: Cursor, store: ViewStore, pending: Pending, ids: dict[str, int]) -> None:
    """Merge the pending totals into `catalog_totals`: rows that exist are replaced by their sums with
    the pending ones (a DELETE per few hundred, then one bulk insert: an UPDATE per row is a
    statement per row on PostgreSQL), new ones inserted."""
    rows: list[tuple[Any, ...]] = []
    for (group, cartridge_id, barcode), folders in pending.items():
        by_id = {ids[folder]: (folder, values) for folder, values in folders.items()}
        keys = sorted(by_id)
        existing: dict[int, tuple[int, int, int, int]] = {}
        for start in range(0, len(keys), _IDS_PER_QUERY):
            chunk = keys[start:start + _IDS_PER_QUERY]
            where = f"grp = ? AND cartridge_id = ? AND dir IN ({', '.join('?' for _ in chunk)})"
            cursor.execute(f"SELECT dir, files, bytes, newest, first_id FROM catalog_totals WHERE {where}",
                           [group, cartridge_id, *chunk])
            found = cursor.fetchall()
            if found:
                existing.update((int(row[0]), (int(row[1]), int(row[2]), int(row[3]), int(row[4]))) for row in found)
                cursor.execute(f"DELETE FROM catalog_totals WHERE {where}", [group, cartridge_id, *chunk])
        for folder_id in keys:
            folder, (files, size, newest, first) = by_id[folder_id]
            had = existing.get(folder_id)
            if had is not None:
                files, size, newest, first = had[0] + files, had[1] + size, max(had[2], newest), min(had[3], first)
            parent = parent_of(folder)
            rows.append((group, folder_id, cartridge_id, ids[parent] if parent else TOP, barcode,
                         files, size, newest, first))
    if rows:
        store.bulk_insert(cursor, "catalog_totals", TOTAL_COLUMNS, rows)


def forget(cursor: Cursor, cartridge_id: str) -> None:
    """The cartridge holds nothing any more (erased, relabelled): its share of every total goes."""
    cursor.execute("DELETE FROM catalog_totals WHERE cartridge_id = ?", (cartridge_id,))


# --- reading --------------------------------------------------------------------------------
def summed(rows: Iterable[Sequence[Any]]) -> dict[int, dict[str, Any]]:
    """Totals rows (dir, cartridge, files, bytes, newest, first id) summed per folder: files, bytes,
    newest mtime_ns, and (first id, cartridge) pairs to order the cartridges by."""
    found: dict[int, dict[str, Any]] = {}
    for folder, cartridge, files, size, newest, first in rows:
        total = found.setdefault(int(folder), {"files": 0, "bytes": 0, "newest": None, "cartridges": []})
        total["files"] += int(files)
        total["bytes"] += int(size)
        if total["newest"] is None or int(newest) > total["newest"]:
            total["newest"] = int(newest)
        total["cartridges"].append((int(first), cartridge))
    return found


def children(store: ViewStore, group: str, parents: Sequence[int]) -> dict[int, tuple[str, dict[str, Any]]]:
    """The folders directly inside the folders `parents` (ids; TOP for the top) holding something of
    `group`: id → (path, totals)."""
    if not parents:
        return {}
    rows = store.query(
        "SELECT t.dir, t.cartridge, t.files, t.bytes, t.newest, t.first_id, d.path FROM catalog_totals t"
        f" JOIN catalog_dirs d ON d.id = t.dir WHERE t.grp = ? AND t.parent IN ({', '.join('?' for _ in parents)})",
        [group, *parents])
    paths = {int(row[0]): row[6] for row in rows}
    return {folder: (paths[folder], total) for folder, total in summed(row[:6] for row in rows).items()}


def of_folders(store: ViewStore, group: str, folders: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The totals of the folders `folders` (ids) in `group`."""
    found: dict[int, dict[str, Any]] = {}
    keys = sorted(set(folders))
    for start in range(0, len(keys), _IDS_PER_QUERY):
        chunk = keys[start:start + _IDS_PER_QUERY]
        found.update(summed(store.query(
            "SELECT dir, cartridge, files, bytes, newest, first_id FROM catalog_totals"
            f" WHERE grp = ? AND dir IN ({', '.join('?' for _ in chunk)})", [group, *chunk])))
    return found


def ordered_cartridges(pairs: Iterable[tuple[int, str]]) -> list[str]:
    """Barcodes from (first id, barcode) pairs, in the order they were first written, once each."""
    return list(dict.fromkeys(barcode for _, barcode in sorted(pairs) if barcode))
