"""Writing manifests into the catalog in bulk: entry rows in rounds, folders resolved once per round, ids in ledger order."""

from __future__ import annotations

import json
from operator import itemgetter
from typing import Any

from projections.catalog import limits, totals
from projections.catalog.schema import (
    DIR_COLUMNS,
    ENTRY_COLUMNS,
    EXTRA_KEYS,
    PACKAGE_COLUMNS,
    RAW_KEY,
    RUN_COLUMNS,
    dir_key,
)
from projections.catalog.search import CatalogSearch
from projections.store import Cursor

# Manifest keys read for each entry, and their values when a manifest leaves one out.
_ENTRY_DEFAULTS = (("path", ""), ("root", ""), ("kind", "file"), ("size", 0), ("mtime_ns", 0), ("mode", 0),
                   ("sha256", None), ("member", ""), ("chunk_index", 0), ("total_chunks", 1), ("chunk_offset", 0),
                   ("chunk_length", 0), ("link_target", None), ("state", "ok"), ("root_raw", None),
                   ("path_raw", None), ("link_target_raw", None))
_ENTRY_FIELDS = itemgetter(*(key for key, _ in _ENTRY_DEFAULTS))
# Folder ids looked up per query.
_KEYS_PER_LOOKUP = 500
_NO_TIME = -(1 << 63)  # a newest time any real one beats


class BulkLoader:
    """The catalog rows of one transaction's PackageWritten events, written in rounds of FLUSH_ROWS.

    Each package's rows get the next ids in ledger order, so the newest rows have the highest ids. The
    row-building loop inlines `schema.full_path`, `schema.extension` and `results.default_member`: it
    runs once per file of every backup.
    """

    def __init__(self, engine: CatalogSearch, cursor: Cursor) -> None:
        self.engine = engine
        self.store = engine.store
        self.cursor = cursor
        self.rows: list[list[Any]] = []
        self.runs: list[list[Any]] = []
        self.packages: list[tuple[Any, ...]] = []
        self.next_id = 0
        self.next_pkg = 0
        self.roots: dict[str, str] = {}
        self.known: dict[str, int] = {}
        self.barcodes: dict[str, str] = {}
        self.totals: totals.Pending = {}

    def _start(self) -> None:
        if not self.next_id:
            self.next_id = self._max("catalog_entries", "id") + 1
            self.next_pkg = self._max("catalog_packages", "pkg") + 1

    def _max(self, table: str, column: str) -> int:
        self.cursor.execute(f"SELECT MAX({column}) FROM {table}")
        row = self.cursor.fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def _barcode(self, cartridge_id: str) -> str:
        barcode = self.barcodes.get(cartridge_id)
        if barcode is None:
            self.cursor.execute("SELECT barcode FROM catalog_cartridges WHERE cartridge_id = ?", (cartridge_id,))
            found = self.cursor.fetchone()
            barcode = self.barcodes[cartridge_id] = found[0] if found else cartridge_id
        return barcode

    def add(self, event: Any, notification_id: int) -> None:
        """One PackageWritten event: a row per manifest entry, its runs, and the package's row."""
        self._start()
        cartridge_id = str(event.originator_id)
        barcode = self._barcode(cartridge_id)
        pkg, first = self.next_pkg, self.next_id
        next_id = first
        rows, runs, roots = self.rows, self.runs, self.roots
        first_run, first_row = len(runs), len(rows)
        append, fields = rows.append, _ENTRY_FIELDS
        run_folder, run_length, run_first = "", -1, first
        # Each folder's own rows in this package, for the folder totals: files, bytes, newest, first id.
        stats: dict[str, list[int]] = {}
        run_files = run_bytes = 0
        run_newest = _NO_TIME
        for entry in event.manifest:
            try:
                (path, root, kind, size, mtime_ns, mode, sha256, member, chunk_index, total_chunks, chunk_offset,
                 chunk_length, link_target, state, root_raw, path_raw, target_raw) = fields(entry)
            except KeyError:
                (path, root, kind, size, mtime_ns, mode, sha256, member, chunk_index, total_chunks, chunk_offset,
                 chunk_length, link_target, state, root_raw, path_raw, target_raw) = (
                    entry.get(key, default) for key, default in _ENTRY_DEFAULTS)
            norm = roots.get(root)
            if norm is None:
                norm = roots[root] = root.replace("\\", "/").rstrip("/")
            if path:
                full = norm + "/" + path
                cut = len(norm) + 1
                split = full.rfind("/") + 1
                base = full[split:]
                dot = base.rfind(".")
                ext = base[dot + 1:].lower() if 0 < dot < len(base) - 1 else ""
            else:
                full = norm or "/"
                cut = -1
                split = full.rfind("/") + 1
                base = full[split:]
                ext = ""
            if split == run_length and full.startswith(run_folder):
                folder = run_folder  # the same folder as the entry before: one string object for the run
            else:
                folder = full[:split]
                if run_length >= 0:
                    runs.append([run_first, next_id - 1, run_folder])
                    _add_run(stats, run_folder, run_files, run_bytes, run_newest, run_first)
                run_folder, run_length, run_first = folder, split, next_id
                run_files = run_bytes = 0
                run_newest = _NO_TIME
            if chunk_index == 0:
                run_bytes += size
                if kind == "file":
                    run_files += 1
            if mtime_ns > run_newest:
                run_newest = mtime_ns
            raw = (None if root_raw is None and path_raw is None and target_raw is None
                   else json.dumps([root_raw, path_raw, target_raw]))
            if (total_chunks == 1 and chunk_offset == 0 and chunk_length == size and link_target is None
                    and state == "ok" and raw is None
                    and member == (full.lstrip("/") if full[1:2] != ":" else full[0] + full[2:])):
                extra = None
            else:
                values = dict(zip(EXTRA_KEYS, (member, total_chunks, chunk_offset, chunk_length, link_target, state),
                                  strict=True))
                if raw is not None:
                    values[RAW_KEY] = raw
                extra = json.dumps(values, ensure_ascii=False)
            append([next_id, pkg, folder, base, None if cut > 0 and root == norm else root, cut, ext, kind, size,
                    mtime_ns, mode, sha256, chunk_index, extra])
            next_id += 1
        if run_length >= 0:
            runs.append([run_first, next_id - 1, run_folder])
            _add_run(stats, run_folder, run_files, run_bytes, run_newest, run_first)
        totals.add_package(self.totals, (event.group, cartridge_id, barcode), stats)
        run_chars = self.engine.run_chars
        for run in runs[first_run:]:
            run.append(run_chars(rows, first_row + run[0] - first, first_row + run[1] - first + 1))
        self.packages.append((pkg, event.package_id, event.group, event.job_id, cartridge_id,
                              barcode, event.tape_file, event.header_block,
                              event.payload_block, event.payload_blocks, event.payload_bytes,
                              event.timestamp.isoformat(), notification_id, first, next_id - 1, next_id - first))
        self.next_id = next_id
        self.next_pkg = pkg + 1
        if len(rows) >= limits.FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        """Write the rows, runs and packages held so far, with their folders and text index entries."""
        if not self.rows and not self.packages:
            return
        cursor, store = self.cursor, self.store
        ids = self._dir_ids({run[2] for run in self.runs} | totals.folders_of(self.totals))
        rows, runs = self.rows, self.runs
        for row in rows:
            row[2] = ids[row[2]]
        for run in runs:
            run[2] = ids[run[2]]
        if rows:
            store.bulk_insert(cursor, "catalog_entries", ENTRY_COLUMNS, rows)
            self.engine.index_entries(cursor, rows[0][0], rows[-1][0])
        if runs:
            store.bulk_insert(cursor, "catalog_runs", RUN_COLUMNS, runs)
        store.bulk_insert(cursor, "catalog_packages", PACKAGE_COLUMNS, self.packages)
        totals.write(cursor, store, self.totals, ids)
        self.rows = []
        self.runs = []
        self.packages = []
        self.totals = {}

    def _dir_ids(self, folders: set[str]) -> dict[str, int]:
        """The id of every folder in this round, adding the new ones; looked up by `schema.dir_key`."""
        cursor, known = self.cursor, self.known
        wanted = {dir_key(path): path for path in folders if path not in known}
        keys = sorted(wanted)
        for start in range(0, len(keys), _KEYS_PER_LOOKUP):
            chunk = keys[start:start + _KEYS_PER_LOOKUP]
            cursor.execute(f"SELECT path, id FROM catalog_dirs WHERE key IN ({', '.join('?' for _ in chunk)})", chunk)
            known.update((path, int(id_)) for path, id_ in cursor.fetchall())
        new = sorted(path for path in wanted.values() if path not in known)
        if new:
            first = self._max("catalog_dirs", "id") + 1
            rows = [(first + i, dir_key(path), path) for i, path in enumerate(new)]
            self.store.bulk_insert(cursor, "catalog_dirs", DIR_COLUMNS, rows)
            self.engine.index_dirs(cursor, rows)
            known.update((path, id_) for id_, _, path in rows)
        return known


def _add_run(stats: dict[str, list[int]], folder: str, files: int, size: int, newest: int, first: int) -> None:
    """One run's rows into its folder's totals for the package (a folder may have several runs)."""
    found = stats.get(folder)
    if found is None:
        stats[folder] = [files, size, newest, first]
    else:
        found[0] += files
        found[1] += size
        if newest > found[2]:
            found[2] = newest
