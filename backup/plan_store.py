"""A job's package plan kept on disk, so a resumed job packs exactly what it planned.

Re-scanning after a crash could see changed files and plan different packages; the plan the job
started with is what the ledger's PackageRecorded events refer to. The store is complete before the
`Planned` event is recorded, and is only ever read by the same program version that wrote it.

One SQLite file per job: a row per package (its sequence number, id, payload bytes and the pickled,
compressed `PackagePlan`) and the scan's totals and warnings. It is written one package at a time
as the planner emits them and read the same way as the packers take them, so neither planning nor
packing holds more than a package's plan — a job of 20 million files has a plan of gigabytes. Only
the list of packages (a few hundred bytes each, a few thousand packages for a full tape) is read
whole. The file is written under a temporary name and renamed once complete, so a plan on disk is
always a whole plan.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import sqlite3
import zlib
from collections.abc import Iterable, Iterator, Set
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backup.plan import PackagePlan

PLAN_FILE = "plan.sqlite"
# What a job planned by an earlier version of this module left (one pickle of the whole plan).
_LEGACY_FILE = "plan.pickle"
# zlib level 1: a package's plan is mostly paths, which shrink about fourfold at this level for a
# few milliseconds per 5,000 files; the store of a full tape of small files stays well under a GiB.
_COMPRESSION = 1
_SCHEMA = (
    "CREATE TABLE packages (seq INTEGER PRIMARY KEY, package_id TEXT NOT NULL, payload_bytes INTEGER NOT NULL,"
    " plan BLOB NOT NULL)",
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
)


def encode_plan(plan: PackagePlan) -> bytes:
    """A package's plan as stored (`backup.entry.pickled_by_fields` keeps the pickling quick)."""
    return zlib.compress(pickle.dumps(plan, protocol=pickle.HIGHEST_PROTOCOL), _COMPRESSION)


def decode_plan(blob: bytes) -> PackagePlan:
    plan: PackagePlan = pickle.loads(zlib.decompress(blob))  # our own file, written by PlanWriter
    return plan


@dataclass(frozen=True, slots=True)
class PlannedPackage:
    """One package of a stored plan, without its members."""

    seq: int
    package_id: str
    payload_bytes: int


def plan_path(folder: Path, job_id: str) -> Path:
    return folder / "jobs" / job_id / PLAN_FILE


def digest(packages: Iterable[PlannedPackage | PackagePlan]) -> str:
    """The plan's fingerprint recorded with `BackupJob.Planned`: its sequence numbers and package ids."""
    hashed = hashlib.sha256()
    separator = b""
    for package in packages:
        hashed.update(separator + f"{package.seq}:{package.package_id}".encode())
        separator = b"\n"
    return hashed.hexdigest()


class StoredPlan:
    """A job's plan on disk: its packages listed, their plans read one at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with contextlib.closing(sqlite3.connect(path)) as db:
            meta = {key: json.loads(value) for key, value in db.execute("SELECT key, value FROM meta")}
            self.packages = [PlannedPackage(*row) for row in
                             db.execute("SELECT seq, package_id, payload_bytes FROM packages ORDER BY seq")]
        self.summary: dict[str, int] = meta["summary"]
        self.warnings: list[str] = meta["warnings"]
        self.warning_count: int = meta["warning_count"]

    @property
    def digest(self) -> str:
        return digest(self.packages)

    def plans(self, skip: Set[str] = frozenset()) -> Iterator[PackagePlan]:
        """The packages' plans in sequence order, but those whose id is in `skip`, one at a time.

        The connection is made on the first plan taken and closed when the iteration ends or the
        iterator is closed; any thread may take the plans, one at a time (the packer pool's lock).
        """
        wanted = [package.seq for package in self.packages if package.package_id not in skip]
        if not wanted:
            return
        with contextlib.closing(sqlite3.connect(self.path, check_same_thread=False)) as db:
            for seq in wanted:
                (blob,) = db.execute("SELECT plan FROM packages WHERE seq = ?", (seq,)).fetchone()
                yield decode_plan(blob)


class PlanWriter:
    """Stores a plan as the planner emits it; `finish` makes it appear whole, `close` drops an unfinished one."""

    def __init__(self, folder: Path, job_id: str) -> None:
        self._path = plan_path(folder, job_id)
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._temporary = self._path.with_name(self._path.name + ".tmp")
        self._temporary.unlink(missing_ok=True)  # what a run killed while planning left
        self._db: sqlite3.Connection | None = sqlite3.connect(self._temporary)
        # A scratch file until it is renamed: durability comes from one fsync at the end.
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        for statement in _SCHEMA:
            self._db.execute(statement)
        self.packages = 0

    def add(self, plan: PackagePlan) -> None:
        assert self._db is not None
        self._db.execute("INSERT INTO packages VALUES (?, ?, ?, ?)",
                         (plan.seq, plan.package_id, plan.payload_bytes, encode_plan(plan)))
        self.packages += 1

    def finish(self, summary: dict[str, int], warnings: list[str], warning_count: int) -> StoredPlan:
        """Record the scan's totals and warnings (the first `warnings`, of `warning_count`) and put the
        plan in place, flushed to disk."""
        assert self._db is not None
        meta: dict[str, Any] = {"summary": summary, "warnings": warnings, "warning_count": warning_count}
        self._db.executemany("INSERT INTO meta VALUES (?, ?)",
                             [(key, json.dumps(value, ensure_ascii=False)) for key, value in meta.items()])
        self._db.commit()
        self._db.close()
        self._db = None
        with open(self._temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(self._temporary, self._path)
        return StoredPlan(self._path)

    def close(self) -> None:
        """Drop the plan if `finish` was not reached (a failure while planning)."""
        if self._db is not None:
            self._db.close()
            self._db = None
            self._temporary.unlink(missing_ok=True)


def load_plan(folder: Path, job_id: str) -> StoredPlan | None:
    path = plan_path(folder, job_id)
    if not path.is_file():
        return None
    try:
        return StoredPlan(path)
    except (sqlite3.Error, KeyError, ValueError):
        return None


def discard_plan(folder: Path, job_id: str) -> None:
    """A finished job never resumes: its plan (large for millions of files) can go."""
    for name in (PLAN_FILE, _LEGACY_FILE):
        (folder / "jobs" / job_id / name).unlink(missing_ok=True)
