"""Writing manifests into the catalog in bulk: rows in rounds, folders and names resolved once a round, ids in ledger order."""

from __future__ import annotations

import json
from typing import Any

from projections.catalog import totals
from projections.catalog.known import Known
from projections.catalog.schema import dir_key, extension
from projections.catalog.search import CatalogSearch
from projections.store import Cursor

# Folder and name ids looked up per query.
_KEYS_PER_LOOKUP = 500
_NO_TIME = -(1 << 63)  # a newest time any real one beats


class BulkLoader:
    """The catalog rows of one transaction's PackageWritten events, written in rounds (`CatalogSearch.round_rows`).

    Each package's rows get the next ids in ledger order, so the newest rows have the highest ids. A
    row names its folder and its last component by id; both are usually known already (`known`), and
    those that are not are looked up or added once per round, their rows mended then. The
    row-building loop inlines `schema.full_path`, `schema.extension` and `results.default_member`:
    it runs once per file of every backup, and is written for that (docs/性能.md, 规模（issue 18）).
    """

    def __init__(self, engine: CatalogSearch, cursor: Cursor, dirs: Known, names: Known) -> None:
        self.engine = engine
        self.store = engine.store
        self.cursor = cursor
        self.dirs, self.names = dirs, names
        self.rows: list[list[Any]] = []
        self.runs: list[list[Any]] = []
        self.packages: list[tuple[Any, ...]] = []
        # Rows and runs holding a folder path or a last component in place of its id, mended at flush.
        self.unresolved: list[list[Any]] = []
        # Last components not yet known → (extension, the component) as `CatalogSearch.text` gives them.
        self.new_names: dict[str, tuple[str, str]] = {}
        self.next_id = 0
        self.next_pkg = 0
        self.roots: dict[str, str] = {}
        self.barcodes: dict[str, str] = {}
        self.kinds: dict[str, str] = {}  # each kind as `CatalogSearch.text` gives it
        self.totals: totals.Pending = {}
        self.total_ids: dict[str, int] = {}  # the ids of the folders in `totals`

    def _start(self) -> None:
        if not self.next_id:
            self.next_id = self._max("catalog_entries", "id") + 1
            self.next_pkg = self._max("catalog_packages", "pkg") + 1
            self.dirs.check(self.cursor)
            if self.engine.names:
                self.names.check(self.cursor)

    def _max(self, table: str, column: str) -> int:
        self.cursor.execute(f"SELECT MAX({column}) FROM {table}")
        row = self.cursor.fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def _barcode(self, cartridge_id: str) -> str:
        barcode = self.barcodes.get(cartridge_id)
        if barcode is None:
            self.settle()
            self.cursor.execute("SELECT barcode FROM catalog_cartridges WHERE cartridge_id = ?", (cartridge_id,))
            found = self.cursor.fetchone()
            barcode = self.barcodes[cartridge_id] = found[0] if found else cartridge_id
        return barcode

    def add(self, event: Any, entries: list[Any], notification_id: int) -> None:
        """One PackageWritten event and its manifest (`ManifestEntry` objects): a row per entry, its
        runs, and the package's row."""
        self._start()
        cartridge_id = str(event.originator_id)
        barcode = self._barcode(cartridge_id)
        pkg, first = self.next_pkg, self.next_id
        next_id = first
        rows, runs, roots, unresolved, new_names = self.rows, self.runs, self.roots, self.unresolved, self.new_names
        dirs, names = self.dirs.ids, self.names.ids
        null, text, escapes, kinds = self.engine.null, self.engine.text, self.engine.escapes, self.kinds
        with_names = self.engine.names
        append, pending = rows.append, unresolved.append
        run_folder, run_length, run_first, run_dir = "", -1, first, None
        # Each folder's own rows in this package, for the folder totals: files, bytes, newest, first id.
        stats: dict[str, list[int]] = {}
        run_files = run_bytes = 0
        run_newest = _NO_TIME
        for entry in entries:
            path, root = entry.path, entry.root
            norm = roots.get(root)
            if norm is None:
                norm = roots[root] = root.replace("\\", "/").rstrip("/")
            if path:
                full = norm + "/" + path
                cut = len(norm) + 1
            else:
                full = norm or "/"
                cut = -1
            split = full.rfind("/") + 1
            base = full[split:]
            if split != run_length or not full.startswith(run_folder):
                if run_length >= 0:
                    runs.append([run_first, next_id - 1, run_dir])
                    _add_run(stats, run_folder, run_files, run_bytes, run_newest, run_first)
                run_folder, run_length, run_first = full[:split], split, next_id
                run_dir = dirs.get(run_folder)
                if run_dir is None:
                    run_dir = run_folder
                    pending(runs)  # the runs list itself: mended whole at flush
                run_files = run_bytes = 0
                run_newest = _NO_TIME
            size, mtime_ns, kind, chunk_index = entry.size, entry.mtime_ns, entry.kind, entry.chunk_index
            if chunk_index == 0:
                run_bytes += size
                if kind == "file":
                    run_files += 1
            if mtime_ns > run_newest:
                run_newest = mtime_ns
            if with_names:
                known = names.get(base)
                if known is None:
                    fresh = new_names.get(base)
                    if fresh is None:
                        fresh = new_names[base] = (text(extension(base)), text(base))
                    name: Any = base
                    ext, stored = fresh
                else:
                    name, ext, stored = known
            else:
                known, name, stored = (), 0, base
                dot = base.rfind(".")
                ext = base[dot + 1:].lower() if 0 < dot < len(base) - 1 else ""
            if cut < 0:
                ext = ""  # the entry is its root itself: no extension, as `schema.extension` of no name
            member = entry.member
            if (entry.total_chunks == 1 and entry.chunk_offset == 0 and entry.chunk_length == size
                    and entry.link_target is None and entry.state == "ok" and entry.root_raw is None
                    and entry.path_raw is None and entry.link_target_raw is None
                    and (len(member) + 1 == len(full) and full.endswith(member) and full[0] == "/"
                         and not member.startswith(("/", ":"))
                         or member == (full.lstrip("/") if full[1:2] != ":" else full[0] + full[2:]))):
                extra = null
            else:
                extra = text(_extra(entry))
            sha256 = entry.sha256
            if escapes:
                if sha256 is not None and not sha256.isalnum():  # hex digits as the backup writes it
                    sha256 = text(sha256)
                stored_kind = kinds.get(kind)
                if stored_kind is None:
                    stored_kind = kinds[kind] = text(kind)
                kind = stored_kind
            if sha256 is None:
                sha256 = null
            row = [next_id, pkg, run_dir, name, stored, null if cut > 0 and root == norm else text(root), cut, ext,
                   kind, size, mtime_ns, entry.mode, sha256, chunk_index, extra]
            append(row)
            if known is None or run_dir is run_folder:
                pending(row)
            next_id += 1
        if run_length >= 0:
            runs.append([run_first, next_id - 1, run_dir])
            _add_run(stats, run_folder, run_files, run_bytes, run_newest, run_first)
        totals.add_package(self.totals, (event.group, cartridge_id, barcode), stats)
        self.packages.append((pkg, event.package_id, event.group, event.job_id, cartridge_id,
                              barcode, event.tape_file, event.header_block,
                              event.payload_block, event.payload_blocks, event.payload_bytes,
                              event.timestamp.isoformat(), notification_id, first, next_id - 1, next_id - first))
        self.next_id = next_id
        self.next_pkg = pkg + 1
        if len(rows) >= self.engine.round_rows():
            self.flush()

    def finish(self) -> None:
        """Write everything held so far, the folder totals of the whole transaction included, and
        wait until it is written."""
        self.flush()
        self.settle()
        if self.totals:
            totals.write(self.cursor, self.store, self.totals, self.total_ids)
            self.totals, self.total_ids = {}, {}

    def settle(self) -> None:
        """Wait until the rows last written are (the store may write them in the background, and
        meanwhile the cursor is not to be used: call this first)."""
        self.engine.settle()

    def flush(self) -> None:
        """Write the rows, runs and packages held so far, with their new folders and names; they may
        still be on their way when this returns (`settle`). The folder totals wait for `finish`:
        the folders above a package are in every round."""
        if not self.rows and not self.packages:
            return
        self.settle()
        new_dirs: list[tuple[Any, ...]] = []
        new_names: list[tuple[Any, ...]] = []
        ids = self._dir_ids({run[2] for run in self.runs if type(run[2]) is str}
                            | (totals.folders_of(self.totals) - self.total_ids.keys()), new_dirs)
        self.total_ids.update(ids)
        name_ids = self._name_ids(self.new_names, new_names)
        rows, runs = self.rows, self.runs
        mend_runs = False
        for row in self.unresolved:
            if row is runs:
                mend_runs = True
                continue
            if type(row[2]) is str:
                row[2] = ids[row[2]]
            if type(row[3]) is str:
                row[3] = name_ids[row[3]][0]
        if mend_runs:
            for run in runs:
                if type(run[2]) is str:
                    run[2] = ids[run[2]]
        self.engine.write(self.cursor, [("catalog_dirs", new_dirs), ("catalog_names", new_names),
                                        ("catalog_runs", runs), ("catalog_packages", self.packages),
                                        ("catalog_entries", rows)])
        self.rows = []
        self.runs = []
        self.packages = []
        self.unresolved = []
        self.new_names = {}

    def _dir_ids(self, folders: set[str], new_rows: list[tuple[Any, ...]]) -> dict[str, int]:
        """The id of every folder in `folders`, the new ones added to `new_rows` for writing."""
        known = self.dirs
        ids = {path: known.ids[path] for path in folders if path in known.ids}
        wanted = [path for path in folders if path not in ids]
        found = {} if known.complete else self._lookup("catalog_dirs", "path", wanted)
        new = sorted(path for path in wanted if path not in found)
        if new:
            first = self._max("catalog_dirs", "id") + 1
            new_rows += [(first + i, dir_key(path), path) for i, path in enumerate(new)]
            found.update((path, id_) for id_, _, path in new_rows)
            known.wrote((new_rows[-1][0], new_rows[-1][2]))
        known.update(found)
        ids.update(found)
        return ids

    def _name_ids(self, wanted: dict[str, tuple[str, str]],
                  new_rows: list[tuple[Any, ...]]) -> dict[str, tuple[int, str, str]]:
        """(id, extension, component) of every last component in `wanted`, the new ones added to
        `new_rows` for writing."""
        if not wanted:
            return {}
        known = self.names
        found = {} if known.complete else {
            base: (id_, *wanted[base]) for base, id_ in self._lookup("catalog_names", "base", list(wanted)).items()}
        new = sorted(base for base in wanted if base not in found)
        if new:
            first = self._max("catalog_names", "id") + 1
            new_rows += [(first + i, dir_key(base), base) for i, base in enumerate(new)]
            found.update((base, (id_, *wanted[base])) for id_, _, base in new_rows)
            known.wrote((new_rows[-1][0], new_rows[-1][2]))
        known.update(found)
        return found

    def _lookup(self, table: str, column: str, texts: list[str]) -> dict[str, Any]:
        """The ids `table` holds for `texts` (by `schema.dir_key`, then the text itself)."""
        wanted = set(texts)
        keys = sorted({dir_key(text) for text in wanted})
        found: dict[str, Any] = {}
        with self.engine.index_lookups(self.cursor):
            for start in range(0, len(keys), _KEYS_PER_LOOKUP):
                chunk = keys[start:start + _KEYS_PER_LOOKUP]
                self.cursor.execute(f"SELECT {column}, id FROM {table} WHERE key IN ({', '.join('?' for _ in chunk)})",
                                    chunk)
                found.update((text, int(id_)) for text, id_ in self.cursor.fetchall() if text in wanted)
        return found


def _extra(entry: Any) -> str:
    """`catalog_entries.extra` of an entry with unusual member, chunks, link, state or raw names."""
    values: dict[str, Any] = {"member": entry.member, "total_chunks": entry.total_chunks,
                              "chunk_offset": entry.chunk_offset, "chunk_length": entry.chunk_length,
                              "link_target": entry.link_target, "state": entry.state}
    if entry.root_raw is not None or entry.path_raw is not None or entry.link_target_raw is not None:
        values["raw"] = json.dumps([entry.root_raw, entry.path_raw, entry.link_target_raw])
    return json.dumps(values, ensure_ascii=False)


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
