"""Catalog: find file versions on tape, browse a group's folders, see the groups over time, rebuild.

The catalog is a read model of the ledger (`projections.catalog`): one row per file version (or
chunk of a split file) with its cartridge and tape position. A search matches any fragment of the
path (Chinese included), optionally within one group, of one type, modified within a time span
(local time; a bare date in `until` includes that whole day). Rebuilding from the ledger drops the
rows and follows the ledger again; rebuilding from tapes reads every cartridge the drive can reach
and records in the ledger what it does not know yet — the way back when the ledger itself is lost —
publishing how far it is as `catalog-rebuild`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from app.answer_cache import AnswerCache
from app.errors import BadRequest, Unknown
from media.devices import device_spec, open_session
from projections.catalog import CatalogView, SearchQuery
from projections.catalog.folders import folder_path, list_folder, parent_folder
from projections.groups import GroupsView
from restore import messages
from restore.ports import RecoveryServices
from restore.recover import PROGRESS_ID, CartridgeFindings, recover_from_tapes
from restore.selection import check_group

REBUILD_PROGRESS_ID = PROGRESS_ID
FOLDER_UNKNOWN = "备份组 {group} 中没有文件夹 {path}"
FOLDER_UNKNOWN_ADVICE = "请检查路径（完整路径，区分大小写），或先浏览上一级文件夹"
NOT_A_FOLDER = "{path} 是文件，不是文件夹"
FOLDER_PAGE, FOLDER_PAGE_MAX = 200, 1000
# Catalog rows of search answers kept for asking again (app.answer_cache): some tens of MiB at most.
SEARCH_ROWS_KEPT = 20_000


class CatalogDeps(RecoveryServices, Protocol):
    """The catalog view and the projector that keeps it, the groups view, and for a rebuild from
    tapes a device session (settings, ledger, progress store)."""

    @property
    def groups(self) -> GroupsView: ...


@dataclass(frozen=True)
class Position:
    """Where one chunk of a file version is on tape."""

    chunk: int
    sha256: str | None
    package_id: str
    cartridge: str
    tape_file: int
    payload_block: int


@dataclass(frozen=True)
class FileVersion:
    """One version of a file on tape: a split file's chunks together, with every cartridge."""

    group: str
    path: str
    kind: str  # file, dir or symlink
    size: int
    mtime: str  # UTC
    sha256: str | None  # None for a split file: each chunk has its own
    chunks: int
    cartridges: list[str]
    positions: list[Position]


@dataclass(frozen=True)
class SearchResult:
    files: list[FileVersion]
    limit_reached: bool  # there may be more: ask again with a larger limit


@dataclass(frozen=True)
class TreeNode:
    name: str
    kind: str  # dir, file or symlink
    files: int  # files below a folder; 1 for a file
    size: int
    mtime: str | None = None  # None for a folder known only from what lies below it
    # Every cartridge holding a part of it, in the order written: each chunk of a split file (its
    # newest version in the group), everything below a folder.
    cartridges: list[str] = field(default_factory=list)
    newest: str | None = None  # UTC: a file's time; the newest time below a folder (None: nothing below)


@dataclass(frozen=True)
class Folder:
    group: str
    path: str  # "" for the top
    children: list[TreeNode]


@dataclass(frozen=True)
class FolderEntry:
    """One child in a page of a folder: a folder, a file or a link, by its full path."""

    name: str
    path: str  # full path, as a restore selection takes it
    kind: str  # dir, file or symlink
    size: int  # a folder: the bytes of every file version below it (from its totals, not its rows)
    mtime: str | None  # UTC; None for a folder known only from what lies below it
    chunks: int  # >1: a file split over several packages
    # Every cartridge holding a chunk of this version, in the order written; for a folder, every
    # cartridge holding its own row or anything below it.
    cartridges: list[str]
    files: int = 0  # a folder: the file versions below it; a file: 1
    newest: str | None = None  # UTC: a file's time; the newest time below a folder (None: nothing below)


@dataclass(frozen=True)
class FolderPage:
    """One page of a folder in a group: folders first, then by name; `total` names in all."""

    group: str
    path: str  # the folder ("" for the top)
    parent: str | None  # the folder above (None at the top)
    children: list[FolderEntry]
    offset: int
    limit: int
    total: int


@dataclass(frozen=True)
class GroupEntry:
    """One monthly backup group on the timeline."""

    name: str
    opened_at: str
    active: bool
    runs: int
    cartridges: list[str]
    files: int  # file versions the catalog holds for it
    rotated_out_at: str | None
    rotation_reason: str | None


@dataclass(frozen=True)
class CatalogRebuilt:
    files: int


@dataclass(frozen=True)
class TapeRecovery:
    cartridges: list[CartridgeFindings]
    groups_opened: list[str]
    registered: int
    new_packages: int
    files: int  # file versions the catalog holds afterwards
    blank: list[str]
    warnings: list[str]
    text: str  # the summary an operator reads
    progress_id: str = REBUILD_PROGRESS_ID


def parse_when(text: str | None, *, end: bool = False) -> datetime | None:
    """A local date or date-time; with `end`, a bare date means the end of that day."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadRequest(messages.text("bad_date", value=text)) from None
    if end and len(text.strip()) == 10:
        moment += timedelta(days=1)
    return moment.astimezone() if moment.tzinfo is None else moment


def _versions(rows: list[dict[str, Any]]) -> dict[tuple[str, str, str], list[dict[str, Any]]]:
    """The rows of each file version (group, job, path), in the order the versions first appear."""
    versions: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for row in rows:
        versions.setdefault((row["grp"], row["job_id"], row["full_path"]), []).append(row)
    return versions


def collapse(rows: list[dict[str, Any]]) -> list[FileVersion]:
    """One entry per file version: the chunks of a split file together, in order, with every cartridge."""
    found = []
    for chunks in _versions(rows).values():
        chunks = sorted(chunks, key=lambda row: row["chunk_index"])
        first = chunks[0]
        found.append(FileVersion(
            first["grp"], first["full_path"], first["kind"], first["size"], first["mtime"],
            first["sha256"] if first["total_chunks"] == 1 else None, first["total_chunks"],
            list(dict.fromkeys(row["cartridge"] for row in chunks)),
            [Position(row["chunk_index"], row["sha256"], row["package_id"], row["cartridge"], row["tape_file"],
                      row["payload_block"]) for row in chunks]))
    return found


def with_every_chunk(catalog: CatalogView, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`rows` and the chunks of their split files a limited search left out: where a file is must
    name every cartridge holding a part of it."""
    missing = []
    for (group, job, path), chunks in _versions(rows).items():
        if len(chunks) < chunks[0]["total_chunks"]:
            have = {row["chunk_index"] for row in chunks}
            missing += [row for row in catalog.under(path, group)
                        if row["job_id"] == job and row["full_path"] == path and row["chunk_index"] not in have]
    return rows + missing


class Catalog:
    def __init__(self, deps: CatalogDeps) -> None:
        self._deps = deps
        self._answers: AnswerCache[SearchResult] = AnswerCache(SEARCH_ROWS_KEPT)

    def search(self, fragment: str = "", *, group: str = "", type: str = "", since: str | None = None,
               until: str | None = None, limit: int = 100) -> SearchResult:
        """File versions whose path holds `fragment` (all, when empty), newest first, at most `limit`
        catalog rows; `type` is an extension (docx, jpg), the dates bound the modification time."""
        if limit < 1:
            raise BadRequest("条数必须是正整数")
        start, stop = parse_when(since), parse_when(until, end=True)
        catalog = self._deps.catalog
        self._deps.projector.catch_up(["catalog"])
        question, version = (fragment, group, type, start, stop, limit), catalog.position()
        kept = self._answers.get(question, version)
        if kept is not None:
            return kept
        check_group(catalog, group)
        rows = catalog.search(SearchQuery(pattern=fragment, group=group, ext=type, since=start, until=stop,
                                          limit=limit))
        result = SearchResult(collapse(with_every_chunk(catalog, rows)), len(rows) >= limit)
        self._answers.put(question, version, result, len(rows))
        return result

    def tree(self, group: str, path: str = "") -> Folder:
        """The folders and files directly inside `path` (the top when empty) in `group`, each with
        every cartridge holding a part of it; a folder with the files, bytes and newest time below it,
        from its totals (the rows below it are not read). A folder the group does not hold is Unknown."""
        name = self._group_to_browse(group)
        folder = path.replace("\\", "/")
        children = [TreeNode(**node) for node in self._deps.catalog.tree(name, folder)]
        if not children and folder.strip("/"):
            self._check_folder(name, folder)
        return Folder(name, folder, children)

    def _check_folder(self, group: str, folder: str) -> None:
        """An empty listing: an empty folder is fine; a file, or nothing by that name, is refused."""
        own = [row for row in self._deps.catalog.under(folder, group)
               if row["full_path"].rstrip("/") == folder.rstrip("/")]
        if not own:
            raise Unknown(FOLDER_UNKNOWN.format(group=group, path=folder), FOLDER_UNKNOWN_ADVICE)
        if not any(row["kind"] == "dir" for row in own):
            raise BadRequest(NOT_A_FOLDER.format(path=folder))

    def folder(self, group: str, path: str = "", *, offset: int = 0, limit: int = FOLDER_PAGE) -> FolderPage:
        """One page of the folder `path` (the top when empty) in `group`: it reads that folder's own
        rows and its child folders' totals only, however large the group, so a file browser can open
        any folder at once."""
        if offset < 0 or not 1 <= limit <= FOLDER_PAGE_MAX:
            raise BadRequest(f"分页参数无效：起点不能为负，每页 1–{FOLDER_PAGE_MAX} 项")
        name = self._group_to_browse(group)
        listing = list_folder(self._deps.catalog.store, name, path, offset=offset, limit=limit)
        children = [FolderEntry(**node) for node in listing.children]
        return FolderPage(name, folder_path(listing.prefix), parent_folder(listing.prefix), children, offset, limit,
                          listing.total)

    def _group_to_browse(self, group: str) -> str:
        self._deps.projector.catch_up(["catalog"])
        name = group.strip()
        if not name:
            raise BadRequest("请指定备份组（YYYY-MM）")
        return check_group(self._deps.catalog, name)

    def groups(self) -> list[GroupEntry]:
        """Every backup group, oldest first: when it opened, its runs, cartridges and files, and
        whether (and why) it was rotated out."""
        self._deps.projector.catch_up(["groups", "catalog"])
        catalog = self._deps.catalog
        return [GroupEntry(row["name"], row["opened_at"], row["active"], row["runs"], row["cartridges"],
                           catalog.count(row["name"]), row["rotated_out_at"], row["rotation_reason"])
                for row in sorted(self._deps.groups.all(), key=lambda row: (row["opened_at"], row["name"]))]

    def rebuild(self) -> CatalogRebuilt:
        """Drop the catalog's rows and follow the ledger again."""
        self._deps.projector.rebuild(["catalog"])
        return CatalogRebuilt(self._deps.catalog.count())

    def rebuild_from_tapes(self, *, actor: str, device: str | None = None, changer: str | None = None,
                           say: Callable[[str], None] | None = None) -> TapeRecovery:
        """Read every cartridge the drive can reach (the one in a standalone drive) and record what
        the ledger does not know; `say` hears each cartridge's outcome as it comes. Nothing read is
        ours: Unknown, and nothing changed."""
        spec = device_spec(self._deps.settings, device)
        with open_session(self._deps, spec, actor, changer_spec=changer) as session:
            recovery = recover_from_tapes(self._deps, session, actor=actor, say=say)
        if not recovery.cartridges:
            raise Unknown(messages.text("recover_nothing"))
        return TapeRecovery(list(recovery.cartridges), list(recovery.groups_opened), recovery.registered, recovery.new_packages,
                            recovery.files, list(recovery.blank), list(recovery.warnings), recovery.text)
