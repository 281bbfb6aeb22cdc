"""One folder of one group, a page at a time: what a file browser shows, at any catalog size.

A listing reads the folder's own rows only — through its runs (`catalog_runs.dir`), never the rows
of the folders below it — and answers one page of them, folders first, then by name. A name held
by several versions in the group (two runs in one month) is listed once, as its newest version.

Inside a backup's source root every subfolder has a row of its own (the scan records each folder),
so the folder's rows are the whole answer. Above the source roots (`/`, `/srv`, `C:`) there are no
such rows: there the child folders are found in `catalog_dirs`, one index probe per child folder
(skipping everything below it), each checked to hold rows of the group. Folders carry no totals:
counting what lies below a folder would read all of it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from projections.catalog.query import Scope, SearchQuery, scope_of
from projections.catalog.results import mtime_iso
from projections.catalog.schema import dir_key
from projections.store import ViewStore

_DRIVE = re.compile(r"^[A-Za-z]:(/|$)")
_PAST = "\U0010ffff"  # sorts after every character a path holds: "x/" + _PAST is past all of "x/…"
# A folder's rows through its runs, within the group's id range (`scope.ids` on r.first_id).
_RUN_ENTRY = "catalog_runs r CROSS JOIN catalog_entries f"
_RUN_ENTRY_ON = "r.dir = ? AND f.id BETWEEN r.first_id AND r.last_id"


@dataclass(frozen=True)
class Listing:
    """One page of a folder: `children` from `offset`, `total` names in the folder."""

    prefix: str  # the folder with its trailing "/" ("" for the top)
    children: list[dict[str, Any]]
    total: int


def folder_prefix(path: str) -> str:
    """A folder path as `catalog_dirs` spells it: `/srv/数据/`, `C:/Users/`; "" for the top."""
    text = path.strip().replace("\\", "/")
    if not text:
        return ""
    if text.strip("/") == "":
        return "/"
    text = text.rstrip("/")
    if not text.startswith("/") and not _DRIVE.match(text):
        text = "/" + text
    return text + "/"


def folder_path(prefix: str) -> str:
    """A folder as a selection names it: no trailing "/" but for a root (`/`, `C:/`)."""
    trimmed = prefix.rstrip("/")
    return prefix if trimmed == "" or _DRIVE.fullmatch(trimmed + "/") else trimmed


def parent_folder(prefix: str) -> str | None:
    """The folder above `prefix` (a root's is the top, ""); None for the top itself."""
    if not prefix:
        return None
    trimmed = prefix.rstrip("/")
    if trimmed == "" or _DRIVE.fullmatch(trimmed + "/"):
        return ""
    return folder_path(trimmed[:trimmed.rfind("/") + 1])


def list_folder(store: ViewStore, group: str, path: str, *, offset: int = 0, limit: int = 200) -> Listing:
    """The children of folder `path` in `group`, `limit` of them from `offset`."""
    prefix = folder_prefix(path)
    scope = scope_of(store, SearchQuery(group=group))
    if scope is None:
        return Listing(prefix, [], 0)
    folder = _folder_id(store, prefix)
    if folder is not None and _inside_a_source(store, folder, scope):
        rows = _rows(store, folder, scope, offset=offset, limit=limit)
        total = _count(store, folder, scope)
    else:  # at or above the source roots: few rows here, child folders from catalog_dirs
        own = _rows(store, folder, scope) if folder is not None else []
        named = {row["name"] for row in own}
        found = [_folder_node(name) for name in _child_folders(store, prefix, scope) if name not in named]
        every = sorted([*own, *found], key=_order)
        rows, total = every[offset:offset + limit], len(every)
    return Listing(prefix, _with_places(store, rows, prefix, folder, scope), total)


def _order(node: dict[str, Any]) -> tuple[bool, str]:
    return node["kind"] != "dir", node["name"]


def _folder_id(store: ViewStore, prefix: str) -> int | None:
    rows = store.query("SELECT id FROM catalog_dirs WHERE key = ? AND path = ?", (dir_key(prefix), prefix))
    return int(rows[0][0]) if rows else None


def _where(scope: Scope, folder: int, extra: str = "", extra_params: Sequence[Any] = ()) -> tuple[str, list[Any]]:
    """The rows of `folder` within the group (and `extra`), as SQL on `_RUN_ENTRY` with its parameters."""
    bounds, bound_params = scope.ids("r.first_id")
    clauses = [*bounds, extra] if extra else bounds
    return scope.sql(_RUN_ENTRY_ON, *clauses), [folder, *bound_params, *extra_params, *scope.params]


def _inside_a_source(store: ViewStore, folder: int, scope: Scope) -> bool:
    """True when some row here lies below a source root (`cut` > 0): the folder is inside one."""
    where, params = _where(scope, folder, "f.cut > 0")
    return bool(store.query(f"SELECT 1 FROM {_RUN_ENTRY}{where} LIMIT 1", params))


def _newest_per_name(scope: Scope, folder: int) -> tuple[str, list[Any]]:
    """The newest first chunk of each name in the folder (its id), as a subquery with its parameters."""
    where, params = _where(scope, folder, "f.chunk_index = 0")
    return f"SELECT MAX(f.id) FROM {_RUN_ENTRY}{where} GROUP BY f.base", params


def _rows(store: ViewStore, folder: int, scope: Scope, *, offset: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
    newest, params = _newest_per_name(scope, folder)
    page = " LIMIT ? OFFSET ?" if limit is not None else ""
    rows = store.query(
        "SELECT e.base, e.kind, e.size, e.mtime_ns, e.pkg, e.extra FROM catalog_entries e"
        f" WHERE e.id IN ({newest}) ORDER BY CASE WHEN e.kind = 'dir' THEN 0 ELSE 1 END, e.base{page}",
        [*params, *((limit, offset) if limit is not None else ())])
    return [{"name": base, "kind": kind, "size": int(size), "mtime": mtime_iso(int(mtime_ns)), "pkg": pkg,
             "chunks": _chunks(extra)} for base, kind, size, mtime_ns, pkg, extra in rows]


def _count(store: ViewStore, folder: int, scope: Scope) -> int:
    where, params = _where(scope, folder, "f.chunk_index = 0")
    return int(store.query(f"SELECT COUNT(DISTINCT f.base) FROM {_RUN_ENTRY}{where}", params)[0][0])


def _chunks(extra: str | None) -> int:
    if not extra:
        return 1
    try:
        return int(json.loads(extra).get("total_chunks") or 1)
    except (ValueError, TypeError, AttributeError):
        return 1


def _folder_node(name: str) -> dict[str, Any]:
    return {"name": name, "kind": "dir", "size": 0, "mtime": None, "pkg": None, "chunks": 1}


def _child_folders(store: ViewStore, prefix: str, scope: Scope) -> list[str]:
    """The names of the folders directly inside `prefix` holding rows of the group: one probe each,
    jumping past everything below the child just found."""
    bounds, bound_params = scope.ids("r.first_id")
    # In path order, the first folder of the group past `after`: an index walk that stops at once.
    sql = ("SELECT d.path FROM catalog_dirs d WHERE d.path > ? AND d.path < ? AND EXISTS"
           f" (SELECT 1 FROM catalog_runs r WHERE r.dir = d.id AND {' AND '.join(bounds)}) ORDER BY d.path LIMIT 1")
    names: list[str] = []
    after = prefix
    while True:
        rows = store.query(sql, [after, prefix + _PAST, *bound_params])
        found = rows[0][0] if rows else None
        if found is None:
            return names
        name = _child_name(prefix, found)
        if name:
            names.append(name)
        # Past everything in this child (at the top, the root "/" has no name to add a "/" to).
        after = max(prefix + (name if name == "/" else name + "/") + _PAST, found)


def _child_name(prefix: str, folder: str) -> str:
    """The first component of `folder` below `prefix`; at the top, the root itself: `/` or `C:`."""
    rest = folder[len(prefix):]
    if not prefix and rest.startswith("/"):
        return "/"
    return rest.split("/", 1)[0]


def _with_places(store: ViewStore, rows: list[dict[str, Any]], prefix: str, folder: int | None,
                 scope: Scope) -> list[dict[str, Any]]:
    """Each node's full path and every cartridge holding a chunk of it (two queries for the page)."""
    chunk_packages: dict[str, set[Any]] = {row["name"]: {row["pkg"]} for row in rows if row["pkg"] is not None}
    split = [row["name"] for row in rows if row["chunks"] > 1]
    if split and folder is not None:
        where, params = _where(scope, folder, f"f.base IN ({_marks(split)})", split)
        for base, pkg in store.query(f"SELECT f.base, f.pkg FROM {_RUN_ENTRY}{where}", params):
            chunk_packages[base].add(pkg)
    packages = sorted({pkg for found in chunk_packages.values() for pkg in found})
    places: dict[Any, tuple[str, str]] = {}
    if packages:
        places = {pkg: (job, cartridge) for pkg, job, cartridge in store.query(
            f"SELECT pkg, job_id, cartridge FROM catalog_packages WHERE pkg IN ({_marks(packages)})", packages)}
    return [{"name": row["name"], "path": _child_path(prefix, row["name"]), "kind": row["kind"], "size": row["size"],
             "mtime": row["mtime"], "chunks": row["chunks"],
             "cartridges": _cartridges(places, row["pkg"], chunk_packages.get(row["name"], set()))} for row in rows]


def _cartridges(places: dict[Any, tuple[str, str]], first: Any, packages: set[Any]) -> list[str]:
    """The cartridges of one version — the packages of the job that wrote its first chunk — in the
    order they were written."""
    if first not in places:
        return []
    job = places[first][0]
    return list(dict.fromkeys(places[pkg][1] for pkg in sorted(packages) if pkg in places and places[pkg][0] == job))


def _marks(values: list[Any]) -> str:
    return ", ".join("?" for _ in values)


def _child_path(prefix: str, name: str) -> str:
    if prefix:
        return prefix + name
    return name + "/" if _DRIVE.match(name) else name
