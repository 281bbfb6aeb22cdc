"""One folder of one group, a page at a time: what a file browser shows, at any catalog size.

A listing reads the folder's own rows only — through its runs (`catalog_runs.dir`), never the rows
of the folders below it — and answers one page of them, folders first, then by name. A name held
by several versions in the group (two runs in one month) is listed once, as its newest version.

Inside a backup's source root every subfolder has a row of its own (the scan records each folder),
so the folder's rows are the whole answer. Above the source roots (`/`, `/srv`, `C:`) there are no
such rows, nor for a folder whose own row was on a cartridge since erased: the child folders are
also those with folder totals in the group (`catalog_totals`, whose parent is this folder). Each
child folder carries its totals — files, bytes, newest time and the cartridges holding something
below it — read from its few totals rows, never from the rows below it (`projections/catalog/totals.py`).
The child folders are read whole (a folder has far fewer of them than files); the files a page at a time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from projections.catalog import totals
from projections.catalog.query import Scope, SearchQuery, scope_of
from projections.catalog.results import mtime_iso
from projections.catalog.schema import dir_key
from projections.store import ViewStore

_DRIVE = re.compile(r"^[A-Za-z]:(/|$)")
# A folder's rows through its runs, within the group's id range (`scope.ids` on r.first_id).
RUN_ENTRY = "catalog_runs r CROSS JOIN catalog_entries f"
_RUN_ENTRY_ON = "r.dir = ? AND f.id BETWEEN r.first_id AND r.last_id"
_HIDDEN_MAX = 500


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
    """The children of folder `path` in `group`, `limit` of them from `offset`: the child folders
    (each with its totals), then the files, a page of them read at a time."""
    prefix = folder_prefix(path)
    scope = scope_of(store, SearchQuery(group=group))
    if scope is None:
        return Listing(prefix, [], 0)
    folder = folder_id(store, prefix)
    parent = folder if prefix else totals.TOP  # the top's children are the roots: "/", "C:"
    children = totals.children(store, group, [parent]) if parent is not None else {}
    below = {totals.name_of(child): total for child, total in children.values()}
    own = _rows(store, folder, scope, "e.kind = 'dir'") if folder is not None else []
    # A folder known only from below (above the source roots, or its own row on a cartridge since erased).
    unnamed = sorted(set(below) - {row["name"] for row in own})
    folders = sorted([*own, *(_folder_node(name) for name in unnamed)], key=lambda node: node["name"])
    rows, files = folders[offset:offset + limit], 0
    if folder is not None:
        # A file named as a folder known only from below is that folder's (a folder outranks a file);
        # past a few hundred such folders (above the source roots, where files are few) not looked for.
        hide = (f"e.base NOT IN ({_marks(unnamed)})", unnamed) if 0 < len(unnamed) <= _HIDDEN_MAX else ("", [])
        files = _count_files(store, folder, scope, hide)
        if len(rows) < limit and offset + len(rows) - len(folders) < files:
            rows += _rows(store, folder, scope, "e.kind <> 'dir'", hide, offset=max(0, offset - len(folders)),
                          limit=limit - len(rows))
    return Listing(prefix, _with_places(store, rows, prefix, folder, scope, below), len(folders) + files)


def folder_id(store: ViewStore, prefix: str) -> int | None:
    """The `catalog_dirs` id of a folder spelt as `folder_prefix` spells it; None when unknown."""
    rows = store.query("SELECT id FROM catalog_dirs WHERE key = ? AND path = ?", (dir_key(prefix), prefix))
    return int(rows[0][0]) if rows else None


def run_where(scope: Scope, folder: int, extra: str = "", extra_params: Sequence[Any] = ()) -> tuple[str, list[Any]]:
    """The rows of `folder` within the group (and `extra`), as SQL on `RUN_ENTRY` with its parameters."""
    bounds, bound_params = scope.ids("r.first_id")
    clauses = [*bounds, extra] if extra else bounds
    return scope.sql(_RUN_ENTRY_ON, *clauses), [folder, *bound_params, *extra_params, *scope.params]


def _newest_per_name(scope: Scope, folder: int) -> tuple[str, list[Any]]:
    """The newest first chunk of each name in the folder (its id), as a subquery with its parameters."""
    where, params = run_where(scope, folder, "f.chunk_index = 0")
    return f"SELECT MAX(f.id) FROM {RUN_ENTRY}{where} GROUP BY f.base", params


def _among(store: ViewStore, ids: str) -> str:
    """`e.id` is one of the ids the subquery `ids` gives. PostgreSQL and openGauss plan `IN (…)` by
    their estimates, and with a condition on a column as skewed as `kind` may walk the whole table
    instead; `= ANY(ARRAY(…))` runs the subquery first and then looks each id up."""
    return f"e.id = ANY(ARRAY({ids}))" if store.dialect == "postgresql" else f"e.id IN ({ids})"


def _rows(store: ViewStore, folder: int, scope: Scope, kind: str, hide: tuple[str, list[Any]] = ("", []), *,
          offset: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
    """The newest version of each name in the folder whose newest version passes `kind` (SQL on `e`),
    but those `hide` leaves out, by name; a page of them when `limit` is given."""
    newest, params = _newest_per_name(scope, folder)
    page = " LIMIT ? OFFSET ?" if limit is not None else ""
    rows = store.query(
        "SELECT e.id, e.base, e.kind, e.size, e.mtime_ns, e.pkg, e.extra FROM catalog_entries e"
        f" WHERE {_among(store, newest)} AND {kind}{' AND ' + hide[0] if hide[0] else ''} ORDER BY e.base{page}",
        [*params, *hide[1], *((limit, offset) if limit is not None else ())])
    return [{"id": int(entry_id), "name": base, "kind": kind, "size": int(size), "mtime": mtime_iso(int(mtime_ns)),
             "pkg": pkg, "chunks": _chunks(extra)} for entry_id, base, kind, size, mtime_ns, pkg, extra in rows]


def _count_files(store: ViewStore, folder: int, scope: Scope, hide: tuple[str, list[Any]]) -> int:
    """How many names in the folder are files or links in their newest version (but those hidden)."""
    newest, params = _newest_per_name(scope, folder)
    return int(store.query(
        f"SELECT COUNT(*) FROM catalog_entries e WHERE {_among(store, newest)} AND e.kind <> 'dir'"
        f"{' AND ' + hide[0] if hide[0] else ''}", [*params, *hide[1]])[0][0])


def _chunks(extra: str | None) -> int:
    if not extra:
        return 1
    try:
        return int(json.loads(extra).get("total_chunks") or 1)
    except (ValueError, TypeError, AttributeError):
        return 1


def _folder_node(name: str) -> dict[str, Any]:
    return {"id": None, "name": name, "kind": "dir", "size": 0, "mtime": None, "pkg": None, "chunks": 1}


def _with_places(store: ViewStore, rows: list[dict[str, Any]], prefix: str, folder: int | None, scope: Scope,
                 below: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Each node's full path and every cartridge holding a chunk of it (two queries for the page); a
    folder's totals from `below` (by name), its cartridges those holding its own row or anything below it."""
    chunk_packages: dict[str, set[Any]] = {row["name"]: {row["pkg"]} for row in rows if row["pkg"] is not None}
    split = [row["name"] for row in rows if row["chunks"] > 1]
    if split and folder is not None:
        where, params = run_where(scope, folder, f"f.base IN ({_marks(split)})", split)
        for base, pkg in store.query(f"SELECT f.base, f.pkg FROM {RUN_ENTRY}{where}", params):
            chunk_packages[base].add(pkg)
    packages = sorted({pkg for found in chunk_packages.values() for pkg in found})
    places: dict[Any, tuple[str, str]] = {}
    if packages:
        places = {pkg: (job, cartridge) for pkg, job, cartridge in store.query(
            f"SELECT pkg, job_id, cartridge FROM catalog_packages WHERE pkg IN ({_marks(packages)})", packages)}
    nodes = []
    for row in rows:
        node = {"name": row["name"], "path": _child_path(prefix, row["name"]), "kind": row["kind"],
                "size": row["size"], "mtime": row["mtime"], "chunks": row["chunks"],
                "cartridges": _cartridges(places, row["pkg"], chunk_packages.get(row["name"], set())),
                "files": int(row["kind"] == "file"), "newest": row["mtime"]}
        if row["kind"] == "dir":
            total = below.get(row["name"], {"files": 0, "bytes": 0, "newest": None, "cartridges": []})
            own = [(row["id"], cartridge) for cartridge in node["cartridges"]] if row["id"] is not None else []
            node.update(files=total["files"], size=total["bytes"], cartridges=totals.ordered_cartridges(
                [*own, *total["cartridges"]]), newest=mtime_iso(total["newest"]) if total["newest"] is not None else None)
        nodes.append(node)
    return nodes


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
