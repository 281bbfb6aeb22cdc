"""What a restore selection means, resolved against the catalog.

Each PATH argument is one of three things, decided by its form alone (never by what happens to
be in the catalog, so the same words always mean the same selection):

- `/` — everything (in the group given with `--group`, or in every group).
- an absolute path — `/srv/data/报告.docx`, `/srv/data/财务`, `C:/Users/李`, `C:\\Users\\李`: that
  file, or that folder and everything below it. Backslashes count as `/`.
- anything else — a substring of the full path, as `catalog search` matches it (`报告`, `.xlsx`,
  `2024/财务`).

Several versions of one path (from several groups or runs) can match; a restore takes one of
each: the one in `--group` if given, else the newest (latest group, then latest backup run).
A folder path uses the catalog's `under()` (exact, unlimited); "everything" reads the catalog's
row-shaped SQL view `catalog_files` directly, since `search()` has a limit meant for screens.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ledger.domain.group import check_group_name
from ledger.errors import InvalidValue
from projections.catalog import RESULT_COLUMNS, CatalogView, SearchQuery
from restore import messages
from restore.errors import BadRequest, NothingFound

# A pattern matching more rows than this is almost certainly a mistake; a folder path is not limited.
PATTERN_LIMIT = 200_000
_DRIVE = re.compile(r"^[A-Za-z]:/")


@dataclass(frozen=True)
class Selector:
    kind: str  # "all", "path" or "pattern"
    text: str


def parse_selector(raw: str) -> Selector:
    text = raw.strip()
    if not text:
        raise BadRequest(messages.text("selection_empty"))
    slashed = text.replace("\\", "/")
    if slashed.strip("/") == "":
        return Selector("all", "/")
    if slashed.startswith("/") or _DRIVE.match(slashed):
        return Selector("path", slashed.rstrip("/"))
    return Selector("pattern", slashed)


def check_group(catalog: CatalogView, group: str) -> str:
    """The group name if the catalog holds it; a clear refusal otherwise."""
    if not group:
        return ""
    try:
        check_group_name(group)
    except InvalidValue as error:
        raise BadRequest(error.message) from error
    if group not in catalog.groups():
        raise NothingFound(messages.text("group_unknown", group=group), messages.text("group_unknown_advice"))
    return group


def resolve(catalog: CatalogView, selection: Sequence[str], group: str = "", as_of: int = 0) -> list[dict[str, Any]]:
    """Catalog rows (files, folders, links, every chunk) of one version per selected path.

    `as_of` (a ledger notification id) ignores rows recorded later, so a job resumed after new
    backups still restores what it first chose.
    """
    if not selection:
        raise BadRequest(messages.text("selection_empty"))
    selectors = [parse_selector(item) for item in selection]
    check_group(catalog, group)
    found: dict[Any, dict[str, Any]] = {}
    for selector in selectors:
        for row in _rows(catalog, selector, group):
            if not as_of or int(row["notification_id"]) <= as_of:
                found[row["id"]] = row
    return latest_versions(found.values())


def _rows(catalog: CatalogView, selector: Selector, group: str) -> list[dict[str, Any]]:
    if selector.kind == "pattern":
        rows = catalog.search(SearchQuery(pattern=selector.text, group=group, limit=PATTERN_LIMIT + 1))
        if len(rows) > PATTERN_LIMIT:
            raise BadRequest(messages.text("pattern_too_wide", pattern=selector.text, limit=PATTERN_LIMIT),
                             messages.text("pattern_too_wide_advice"))
        return rows
    if selector.kind == "path":
        return catalog.under(selector.text, group)
    # Everything (in a group): the catalog's row-shaped view, without a screen-sized limit.
    sql = f"SELECT {', '.join(RESULT_COLUMNS)} FROM catalog_files" + (" WHERE grp = ?" if group else "")
    return [dict(zip(RESULT_COLUMNS, row, strict=True)) for row in catalog.store.query(sql, (group,) if group else ())]


def latest_versions(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One version per path: the latest group, then the latest run (by ledger order) within it."""
    versions: dict[str, dict[tuple[str, str], list[dict[str, Any]]]] = {}
    for row in rows:
        versions.setdefault(row["full_path"], {}).setdefault((row["grp"], row["job_id"]), []).append(row)
    chosen: list[dict[str, Any]] = []
    for candidates in versions.values():
        _, best = max(candidates.items(),
                      key=lambda item: (item[0][0], max(int(r["notification_id"]) for r in item[1])))
        # A chunk recorded twice (it should not be) counts once: keep its latest record.
        chunks: dict[int, dict[str, Any]] = {}
        for row in sorted(best, key=lambda r: int(r["notification_id"])):
            chunks[int(row["chunk_index"])] = row
        chosen.extend(chunks[index] for index in sorted(chunks))
    chosen.sort(key=lambda r: (r["full_path"], int(r["chunk_index"])))
    return chosen


def file_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows that need a package read from tape (folders and links come from the catalog alone)."""
    return [row for row in rows if row["kind"] == "file"]
