"""The tree of a group: a folder's children with what lies below each child folder, at any group size.

A folder's files and its child folders' own rows are the folder's rows (read through its runs); what
lies below each child folder comes from `catalog_totals` (`projections/catalog/totals.py`), a few rows
per child. Nothing below the children is read, so a group's top folder lists as fast in a group of
millions of files as in one of a hundred.

The top of a group ("" or "/") lists what is in the root "/" together with the other roots (a
Windows drive "C:", a relative root), as the tree always did.
"""

from __future__ import annotations

from typing import Any

from projections.catalog import totals
from projections.catalog.folders import RUN_ENTRY, folder_id, folder_prefix, run_where
from projections.catalog.query import SearchQuery, scope_of
from projections.catalog.results import mtime_iso
from projections.store import ViewStore


def children(store: ViewStore, group: str, path: str = "") -> list[dict[str, Any]]:
    """The immediate children of `path` in `group`: folders with the files and bytes below them, the
    newest time below them (`newest`) and their own time (`mtime`, None for a folder known only from
    what lies below it); files (a name several runs of the group hold: its newest version) — each with
    every cartridge holding a part of it, in the order written: all chunks of a split file, all of a folder."""
    scope = scope_of(store, SearchQuery(group=group))
    if scope is None:
        return []
    top = not path.replace("\\", "/").strip("/")
    if top:
        root = folder_id(store, "/")
        folders = [found for found in (folder_id(store, ""), root) if found is not None]
        parents = [totals.TOP, *([root] if root is not None else [])]
    else:
        found = folder_id(store, folder_prefix(path))
        if found is None:
            return []
        folders = parents = [found]
    rows: list[tuple[Any, ...]] = []
    for folder in folders:
        where, params = run_where(scope, folder)
        rows += store.query(f"SELECT f.id, f.base, f.kind, f.size, f.mtime_ns, f.pkg, f.chunk_index FROM {RUN_ENTRY}"
                            f"{where}", params)
    rows.sort()
    below = totals.children(store, group, parents)
    if top and root is not None:
        below.pop(root, None)  # the root "/" is the top itself
    return _nodes(rows, _places(store, rows), below)


def _places(store: ViewStore, rows: list[tuple[Any, ...]]) -> dict[Any, tuple[str, str]]:
    """Each package of `rows`: its job and cartridge."""
    packages = sorted({row[5] for row in rows})
    places: dict[Any, tuple[str, str]] = {}
    for start in range(0, len(packages), 500):
        chunk = packages[start:start + 500]
        places.update((pkg, (job, cartridge)) for pkg, job, cartridge in store.query(
            f"SELECT pkg, job_id, cartridge FROM catalog_packages WHERE pkg IN ({', '.join('?' for _ in chunk)})",
            chunk))
    return places


def _nodes(rows: list[tuple[Any, ...]], places: dict[Any, tuple[str, str]],
           below: dict[int, tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """The nodes from the folder's rows in id order and its child folders' totals."""
    nodes: dict[str, dict[str, Any]] = {}
    written: dict[str, list[tuple[int, str]]] = {}  # a folder's (first id, cartridge) pairs
    versions: dict[tuple[str, str], list[str]] = {}  # (name, job) → cartridges of that version's chunks
    for entry_id, name, kind, size, mtime_ns, pkg, chunk_index in rows:
        if not name:
            continue
        job, cartridge = places.get(pkg, ("", ""))
        node = nodes.get(name)
        if kind == "dir":  # a child folder's own row
            if node is None or node["kind"] != "dir":  # a folder outranks a file of the same name
                node = nodes[name] = _folder(name)
            node["mtime"] = mtime_iso(mtime_ns)
            written.setdefault(name, []).append((entry_id, cartridge))
            continue
        if cartridge and cartridge not in (chunks := versions.setdefault((name, job), [])):
            chunks.append(cartridge)
        if chunk_index == 0 and (node is None or node["kind"] != "dir"):  # ordered by id: the newest wins
            nodes[name] = {"name": name, "kind": kind, "files": int(kind == "file"), "size": size,
                           "mtime": mtime_iso(mtime_ns), "newest": mtime_iso(mtime_ns), "cartridges": [], "job": job}
    for path, total in below.values():
        name = totals.name_of(path)
        node = nodes.get(name)
        if node is None or node["kind"] != "dir":
            node = nodes[name] = _folder(name)
        node["files"] += total["files"]
        node["size"] += total["bytes"]
        if total["newest"] is not None:
            newest = mtime_iso(total["newest"])
            node["newest"] = max(node["newest"] or newest, newest)
        written.setdefault(name, []).extend(total["cartridges"])
    for node in nodes.values():
        if "job" in node:
            node["cartridges"] = versions.get((node["name"], node.pop("job")), [])
        else:
            node["cartridges"] = totals.ordered_cartridges(written.get(node["name"], []))
    return sorted(nodes.values(), key=lambda n: (n["kind"] != "dir", n["name"]))


def _folder(name: str) -> dict[str, Any]:
    return {"name": name, "kind": "dir", "files": 0, "size": 0, "mtime": None, "newest": None, "cartridges": []}
