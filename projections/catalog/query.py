"""A catalog search as SQL: the query, its filters as an id range plus conditions, and folder sets as conditions."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from projections.store import ViewStore

# SQL conditions with their parameters, all on entry alias `f`, all to hold.
Checks = list[tuple[str, list[Any]]]

# LIKE patterns are written with `escape`, so "%", "_" and "\" in a search pattern are literal.
ESCAPE = " ESCAPE '\\'"

# Folders, then their runs, then the entries of each run: the join order is fixed (CROSS JOIN makes
# SQLite keep it), since a folder's rows are found only through its runs.
DIR_RUN_ENTRY = "catalog_dirs d CROSS JOIN catalog_runs r CROSS JOIN catalog_entries f"
DIR_RUN_ENTRY_ON = "r.dir = d.id AND f.id BETWEEN r.first_id AND r.last_id"


@dataclass(frozen=True)
class SearchQuery:
    """What a search asks for: a substring of the full path (empty: any), filters, and a page size."""

    pattern: str = ""
    group: str = ""
    ext: str = ""
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100


def escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def clauses_of(checks: Checks) -> list[str]:
    return [clause for clause, _ in checks]


def values_of(checks: Checks) -> list[Any]:
    return [value for _, values in checks for value in values]


@dataclass(frozen=True)
class Dirs:
    """A set of folders as a condition: `on(column)` is SQL with `params`."""

    template: str
    params: list[Any]
    size: int = 0  # how many folders (listed up to just over MANY_DIRS)

    def on(self, column: str) -> str:
        return self.template.format(column)


@dataclass
class Scope:
    """Filters of a search on entry alias `f` (`where`), and the id range that can hold its rows
    (`low`..`high`; an empty catalog or group has no scope at all)."""

    where: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)
    low: int = 1
    high: int = 0
    # Where a run overlapping low..high can start at the earliest: the first id of the package
    # holding `low` (runs never cross packages). Equal to `low` for a whole group.
    runs_from: int = 1

    def sql(self, *extra: str) -> str:
        clauses = [*extra, *self.where]
        return " WHERE " + " AND ".join(clauses) if clauses else ""

    def ids(self, column: str) -> tuple[list[str], list[Any]]:
        """The id range on `column`. Kept out of `where`: given a constant range and a join's range
        on the same rowid, SQLite may scan the constant one for every joined row."""
        return [f"{column} BETWEEN ? AND ?"], [self.low, self.high]

    def above(self, floor: int, package_first: int) -> Scope:
        """The same filters for ids above `floor` only; `package_first` is the first id of its package."""
        return replace(self, low=max(self.low, floor + 1), runs_from=max(self.runs_from, package_first))


def scope_of(store: ViewStore, query: SearchQuery) -> Scope | None:
    """The filters as SQL on entry alias `f`; None when the catalog or the group holds nothing."""
    scope = Scope()
    if query.group:
        rows = store.query("SELECT MIN(first_id), MAX(last_id) FROM catalog_packages WHERE grp = ?", (query.group,))
        if not rows or rows[0][0] is None:
            return None
        scope.low, scope.high = int(rows[0][0]), int(rows[0][1])
        scope.runs_from = scope.low
        # Backups run one after another, so a group's rows are usually one id range; when another
        # group's package lies inside it, each row's package is checked too.
        others = store.query("SELECT COUNT(*) FROM catalog_packages WHERE grp <> ? AND first_id <= ?"
                             " AND last_id >= ?", (query.group, scope.high, scope.low))
        if others[0][0]:
            scope.where.append("f.pkg IN (SELECT pkg FROM catalog_packages WHERE grp = ?)")
            scope.params.append(query.group)
    else:
        rows = store.query("SELECT MAX(id) FROM catalog_entries")
        scope.high = int(rows[0][0]) if rows and rows[0][0] is not None else 0
        if not scope.high:
            return None
    if query.ext:
        scope.where.append("f.ext = ?")
        scope.params.append(query.ext.lower().lstrip("."))
    if query.since:
        scope.where.append("f.mtime_ns >= ?")
        scope.params.append(int(query.since.timestamp() * 1e9))
    if query.until:
        scope.where.append("f.mtime_ns < ?")
        scope.params.append(int(query.until.timestamp() * 1e9))
    return scope
