"""Backup sources a face may offer: the server's folders under the allowed roots, and the check that
chosen sources lie within them.

The roots are BACKUP_ALLOWED_ROOTS, else the parent folder of each configured backup source; with
neither there are none, and a face lets the person type a path (unconfined, as on the CLI). Every
path is judged by its real location: a symbolic link inside a root that points outside is outside.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from app.errors import BadRequest, Refused, Unknown

LISTED = 500  # folders shown at most in one listing


class OutsideRoots(Refused):
    """A path outside every allowed root: refused before anything is read or recorded."""

    http_status = 403
    default_message = "该路径不在允许的备份范围内"


@dataclass(frozen=True)
class FolderEntry:
    name: str
    path: str  # absolute, as it is to be backed up


@dataclass(frozen=True)
class SourceFolder:
    """One step of the folder browser: `path` and its subfolders, or (path "") the roots themselves."""

    path: str  # "" for the list of roots
    parent: str | None  # where "up" goes: "" back to the roots, None at the roots
    roots: list[str]
    folders: list[FolderEntry]
    more: int  # subfolders not listed (beyond LISTED)
    confined: bool  # False: no roots configured, any path may be typed


def allowed_roots(configured: Iterable[Path], sources: Iterable[str]) -> list[Path]:
    """The configured roots, else the parents of the backup sources; real paths, each once, in order."""
    chosen = list(configured) or [Path(source).expanduser().parent for source in sources]
    roots: list[Path] = []
    for root in chosen:
        real = Path(os.path.realpath(root))
        if real not in roots:
            roots.append(real)
    return roots


def _inside(path: Path, roots: list[Path]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


def _real(path: str) -> Path:
    text = path.strip()
    if not text:
        raise BadRequest("路径不能为空")
    if "\0" in text:
        raise BadRequest("路径中不能有空字符")
    try:
        candidate = Path(text).expanduser()
    except RuntimeError:  # "~name" of a user this host does not know
        raise BadRequest(f"无法识别路径中的用户目录：{text}") from None
    if not candidate.is_absolute():
        raise BadRequest(f"请写完整的路径（以 / 或盘符开头）：{text}")
    return Path(os.path.realpath(candidate))


def confine(sources: list[str], roots: list[Path], *, setting: str = "BACKUP_ALLOWED_ROOTS",
            scope: str = "备份") -> list[str]:
    """The paths as real absolute paths, each once; OutsideRoots for any outside the roots (none
    configured: any absolute path passes, the job itself checks it). `setting` names the roots and
    `scope` what they are for (备份 / 恢复), both shown to the person refused."""
    chosen: list[str] = []
    for source in sources:
        real = _real(source)
        if roots and not _inside(real, roots):
            raise OutsideRoots(f"{source} 不在允许的{scope}范围内（{_names(roots)}）",
                               f"请选择该范围内的目录，或请管理员调整 {setting}")
        if str(real) not in chosen:
            chosen.append(str(real))
    return chosen


def browse(path: str, roots: list[Path], limit: int = LISTED) -> SourceFolder:
    """The subfolders of `path` (within the roots), or the roots themselves for an empty path."""
    names = [str(root) for root in roots]
    if not path.strip():
        return SourceFolder("", None, names, [FolderEntry(str(root), str(root)) for root in roots if root.is_dir()],
                            0, bool(roots))
    if not roots:
        raise BadRequest("没有配置可浏览的目录范围（BACKUP_ALLOWED_ROOTS）：请直接输入要备份的完整路径")
    folder = Path(confine([path], roots)[0])
    if not folder.is_dir():
        raise Unknown(f"目录不存在：{folder}")
    try:
        with os.scandir(folder) as entries:
            found = sorted((entry for entry in entries if _listable(entry, roots)), key=lambda entry: entry.name)
    except PermissionError:
        raise BadRequest(f"没有权限读取目录 {folder}") from None
    parent = "" if folder in roots else str(folder.parent)
    return SourceFolder(str(folder), parent, names,
                        [FolderEntry(entry.name, str(folder / entry.name)) for entry in found[:limit]],
                        max(0, len(found) - limit), True)


def _listable(entry: os.DirEntry[str], roots: list[Path]) -> bool:
    try:
        if not entry.is_dir():
            return False
    except OSError:
        return False
    return not entry.is_symlink() or _inside(Path(os.path.realpath(entry.path)), roots)


def _names(roots: list[Path]) -> str:
    return "、".join(str(root) for root in roots)
