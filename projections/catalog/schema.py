"""The catalog's tables and its row-shaped SQL view: what is stored per folder, entry, run and package.

The layout itself is described in the package docstring (`projections/catalog/__init__.py`); the
text indexes beside these tables belong to each store's module.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from projections.catalog.totals import TOTAL_COLUMNS, TOTALS_DDL

COLUMNS = ("grp", "full_path", "root", "path", "name", "ext", "kind", "size", "mtime_ns", "mtime", "mode",
           "sha256", "member", "chunk_index", "total_chunks", "chunk_offset", "chunk_length", "link_target",
           "state", "package_id", "job_id", "cartridge", "tape_file", "header_block", "payload_block",
           "payload_blocks", "package_bytes", "written_at", "notification_id", "cartridge_id", "raw")
RESULT_COLUMNS = ("id", *COLUMNS)

# Stored per entry (the group and tape position are the package's). `dir` is a catalog_dirs id, `base`
# the last component of the full path and `name` its catalog_names id (stores that keep names; else
# 0); `cut` is where `path` starts in the full path (-1: the entry is its root itself); `root` is NULL
# when it is the full path's prefix up to `cut`. `extra` is NULL when member, total_chunks,
# chunk_offset, chunk_length, link_target and state are the usual ones (`default_member` of the full
# path, 1, 0, size, none, "ok"); else those six as JSON.
ENTRY_COLUMNS = ("id", "pkg", "dir", "name", "base", "root", "cut", "ext", "kind", "size", "mtime_ns", "mode",
                 "sha256", "chunk_index", "extra")
# The entry columns that may hold NULL (the loader writes the store's `CatalogSearch.null` there).
NULLABLE = ("root", "sha256", "extra")
EXTRA_KEYS = ("member", "total_chunks", "chunk_offset", "chunk_length", "link_target", "state")
# Names that are not valid Unicode keep their exact bytes (`backup.names`): `raw` is then the JSON
# text of [root_raw, path_raw, link_target_raw], stored in `extra`; NULL for every other entry.
RAW_KEY = "raw"
PACKAGE_COLUMNS = ("pkg", "package_id", "grp", "job_id", "cartridge_id", "cartridge", "tape_file",
                   "header_block", "payload_block", "payload_blocks", "package_bytes", "written_at",
                   "notification_id", "first_id", "last_id", "files")
# A run: consecutive entries of one folder.
RUN_COLUMNS = ("first_id", "last_id", "dir")
DIR_COLUMNS = ("id", "key", "path")
# The columns each table must have; other columns mean another version of this view made them.
LAYOUT = {"catalog_entries": ENTRY_COLUMNS, "catalog_dirs": DIR_COLUMNS, "catalog_packages": PACKAGE_COLUMNS,
          "catalog_runs": RUN_COLUMNS, "catalog_totals": TOTAL_COLUMNS}

TABLE_NAMES = ("catalog_entries", "catalog_runs", "catalog_dirs", "catalog_packages", "catalog_cartridges",
               "catalog_totals")
# {ID} is the store's integer primary key (`View.ddl`). The text indexes, and how rows are found by
# their last component, are each store's (`CatalogSearch.ddl`).
TABLES = (
    "CREATE TABLE IF NOT EXISTS catalog_dirs (id {ID}, key BIGINT NOT NULL, path TEXT NOT NULL UNIQUE)",
    "CREATE INDEX IF NOT EXISTS catalog_dirs_key ON catalog_dirs (key)",
    "CREATE TABLE IF NOT EXISTS catalog_entries ("
    " id {ID}, pkg BIGINT NOT NULL, dir BIGINT NOT NULL, name BIGINT NOT NULL, base TEXT NOT NULL, root TEXT,"
    " cut INTEGER NOT NULL, ext VARCHAR(32) NOT NULL, kind VARCHAR(16) NOT NULL, size BIGINT NOT NULL,"
    " mtime_ns BIGINT NOT NULL, mode BIGINT NOT NULL, sha256 VARCHAR(64), chunk_index INTEGER NOT NULL, extra TEXT)",
    "CREATE TABLE IF NOT EXISTS catalog_runs (first_id {ID}, last_id BIGINT NOT NULL, dir BIGINT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS catalog_runs_dir ON catalog_runs (dir)",
    "CREATE TABLE IF NOT EXISTS catalog_packages ("
    " pkg {ID}, package_id VARCHAR(200) NOT NULL, grp VARCHAR(16) NOT NULL, job_id VARCHAR(64) NOT NULL,"
    " cartridge_id VARCHAR(64) NOT NULL, cartridge VARCHAR(32) NOT NULL, tape_file INTEGER NOT NULL,"
    " header_block BIGINT NOT NULL, payload_block BIGINT NOT NULL, payload_blocks BIGINT NOT NULL,"
    " package_bytes BIGINT NOT NULL, written_at VARCHAR(40) NOT NULL, notification_id BIGINT NOT NULL,"
    " first_id BIGINT NOT NULL, last_id BIGINT NOT NULL, files BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS catalog_cartridges (cartridge_id VARCHAR(64) PRIMARY KEY,"
    " barcode VARCHAR(32) NOT NULL)",
    "CREATE INDEX IF NOT EXISTS catalog_packages_group ON catalog_packages (grp)",
    "CREATE INDEX IF NOT EXISTS catalog_packages_cartridge ON catalog_packages (cartridge_id)",
    *TOTALS_DDL,
)

# Every distinct last component once, for stores whose text index of last components is of these
# rather than of every entry (`CatalogSearch.names`): a monthly full backup repeats nearly all of
# last month's names, so there are several times fewer names than entries.
NAME_COLUMNS = ("id", "key", "base")
NAME_TABLES = (
    "CREATE TABLE IF NOT EXISTS catalog_names (id BIGSERIAL PRIMARY KEY, key BIGINT NOT NULL, base TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS catalog_names_key ON catalog_names (key)",
)
# The columns of each table the loader writes, in the order of its rows.
COLUMNS_OF = {"catalog_entries": ENTRY_COLUMNS, "catalog_dirs": DIR_COLUMNS, "catalog_names": NAME_COLUMNS,
              "catalog_runs": RUN_COLUMNS, "catalog_packages": PACKAGE_COLUMNS}


def full_path(root: str, path: str) -> str:
    root = root.replace("\\", "/").rstrip("/")
    return f"{root}/{path}" if path else root or "/"


def extension(name: str) -> str:
    dot = name.rfind(".")
    return name[dot + 1:].lower() if 0 < dot < len(name) - 1 else ""


def dir_key(path: str) -> int:
    """`catalog_dirs.key` and `catalog_names.key`: a 64-bit hash of a folder's path or of a last
    component, the way both are looked up by their text.

    On PostgreSQL a lookup by the text itself could be planned on the trigram index (pg_trgm answers
    "=" too), which is slow for many texts sharing most trigrams.
    """
    return int.from_bytes(hashlib.blake2b(path.encode(), digest_size=8).digest(), "big", signed=True)


def files_view_select(mtime: str, extra: Mapping[str, str]) -> str:
    """The SELECT behind `catalog_files`: the rows of `search()`, in SQL, for code with SQL of its own.

    `mtime` is the store's SQL for `mtime` (as `results.mtime_iso` computes it) and `extra` its SQL for
    each key of `f.extra` (EXTRA_KEYS and RAW_KEY), typed as the column is.
    """
    full = "d.path || f.base"
    return (f"SELECT f.id AS id, p.grp AS grp, {full} AS full_path,"
            f" CASE WHEN f.root IS NULL THEN substr({full}, 1, f.cut - 1) ELSE f.root END AS root,"
            f" CASE WHEN f.cut < 0 THEN '' ELSE substr({full}, f.cut + 1) END AS path,"
            " CASE WHEN f.cut < 0 THEN '' ELSE f.base END AS name, f.ext AS ext, f.kind AS kind,"
            f" f.size AS size, f.mtime_ns AS mtime_ns, {mtime} AS mtime, f.mode AS mode, f.sha256 AS sha256,"
            f" CASE WHEN f.extra IS NOT NULL THEN {extra['member']} WHEN substr({full}, 2, 1) = ':'"
            f" THEN substr({full}, 1, 1) || substr({full}, 3) ELSE ltrim({full}, '/') END AS member,"
            f" f.chunk_index AS chunk_index, COALESCE({extra['total_chunks']}, 1) AS total_chunks,"
            f" COALESCE({extra['chunk_offset']}, 0) AS chunk_offset,"
            f" CASE WHEN f.extra IS NULL THEN f.size ELSE {extra['chunk_length']} END AS chunk_length,"
            f" {extra['link_target']} AS link_target, COALESCE({extra['state']}, 'ok') AS state,"
            " p.package_id AS package_id, p.job_id AS job_id, p.cartridge AS cartridge, p.tape_file AS tape_file,"
            " p.header_block AS header_block, p.payload_block AS payload_block,"
            " p.payload_blocks AS payload_blocks, p.package_bytes AS package_bytes, p.written_at AS written_at,"
            f" p.notification_id AS notification_id, p.cartridge_id AS cartridge_id, {extra[RAW_KEY]} AS raw"
            " FROM catalog_entries f JOIN catalog_dirs d ON d.id = f.dir JOIN catalog_packages p ON p.pkg = f.pkg")
