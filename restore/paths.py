"""Where a restored entry goes under the target folder, and the checks that keep it there.

The layout mirrors the 7z member names (and so what `7z x` of a package gives): the source root
without its leading "/" (or drive colon), then the path below it — `/srv/data` + `a/b.txt` goes to
`<target>/srv/data/a/b.txt`, `C:\\Users\\李` + `x.txt` to `<target>/C/Users/李/x.txt`.

Nothing may land outside the target, whatever a manifest or a 7z member says:
- every component must be a plain name: not empty, not `.` or `..`, no NUL, no `/` — and no `\\`
  on Windows, where it is a separator; a path may not be absolute or start with a drive letter;
- folders are created one component at a time, and an existing component is followed only if its
  real path stays inside the target (a link planted in the target cannot redirect a write);
- a symbolic link is created only if what it points to stays inside the target.
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath

from backup.names import root_tag
from kernel.errors import EXIT_STATE, TafError
from restore import messages

_WINDOWS_ROOT = re.compile(r"^([A-Za-z]:[\\/]|\\\\)")
_DRIVE_START = re.compile(r"^[A-Za-z]:")
_WINDOWS = os.name == "nt"


class UnsafePath(TafError):
    """An entry whose name would leave the target folder; `reason` is a Chinese explanation.
    Nothing is written there (exit code 3, HTTP 409)."""

    exit_code = EXIT_STATE
    default_message = "拒绝写到目标文件夹以外"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _components(text: str, what: str) -> list[str]:
    separators = r"[\\/]" if _WINDOWS else r"/"
    parts = re.split(separators, text)
    for part in parts:
        if part in ("", ".", "..") or "\x00" in part:
            raise UnsafePath(messages.text("unsafe_component", what=what, name=text))
        if _WINDOWS and (":" in part or part.endswith((" ", "."))):
            raise UnsafePath(messages.text("unsafe_component", what=what, name=text))
    return parts


def relative_parts(root: str, path: str) -> list[str]:
    """The components below the target for an entry at `path` under source `root`.

    Raises `UnsafePath` for an absolute or escaping `path` or a root that cannot be mapped.
    """
    if path.startswith(("/", "\\")) or _DRIVE_START.match(path):
        raise UnsafePath(messages.text("unsafe_absolute", name=path))
    windows_root = bool(_WINDOWS_ROOT.match(root))
    if ".." in re.split(r"[\\/]", root):
        raise UnsafePath(messages.text("unsafe_component", what="备份源", name=root))
    tag = root_tag(root, windows=windows_root)
    parts = [p for p in tag.split("/") if p] if tag else []
    for part in parts:
        if part in (".", "..") or "\x00" in part or (_WINDOWS and "\\" in part):
            raise UnsafePath(messages.text("unsafe_component", what="备份源", name=root))
    return parts + _components(path, "路径") if path else parts


def check_member(member: str) -> None:
    """A 7z member name TAF would ever ask py7zr for: relative, no traversal, no drive letter."""
    if member.startswith(("/", "\\")) or _DRIVE_START.match(member) or "\\" in member:
        raise UnsafePath(messages.text("unsafe_member", name=member))
    for part in member.split("/"):
        if part in ("", ".", "..") or "\x00" in part:
            raise UnsafePath(messages.text("unsafe_member", name=member))


def inside(target: Path, path: Path) -> bool:
    """True if `path` (followed through any links) is `target` or below it."""
    real_target = os.path.realpath(target)
    real = os.path.realpath(path)
    return real == real_target or real.startswith(real_target.rstrip(os.sep) + os.sep)


def ensure_folder(target: Path, parts: list[str]) -> Path:
    """Create `target/parts…` one component at a time; refuse a component that leads outside.

    Returns the folder. An existing file where a folder is needed raises `UnsafePath` too.
    """
    current = target
    for part in parts:
        current = current / part
        if os.path.lexists(current):
            if not inside(target, current):
                raise UnsafePath(messages.text("unsafe_link_in_target", name=str(current)))
            if not current.is_dir():
                raise UnsafePath(messages.text("not_a_folder", name=str(current)))
            continue
        current.mkdir()
    return current


def link_stays_inside(target: Path, parts: list[str], link_target: str) -> bool:
    """Whether a link at `target/parts…` pointing at `link_target` points inside `target`.

    Decided on the names alone (the link may be created before what it points to): an absolute
    target, a drive letter, or enough `..` to climb above the target is outside.
    """
    if not link_target or link_target.startswith(("/", "\\")) or _DRIVE_START.match(link_target):
        return False
    depth = len(parts) - 1  # components of the folder holding the link
    for part in re.split(r"[\\/]", link_target):
        if part in ("", "."):
            continue
        if part == "..":
            depth -= 1
            if depth < 0:
                return False
        else:
            depth += 1
    return True


def renamed(path: Path) -> Path:
    """The first free `name (恢复 N).ext` beside `path`."""
    pure = PurePosixPath(path.name)
    stem, suffix = (pure.stem, pure.suffix) if pure.stem else (path.name, "")
    number = 1
    while True:
        candidate = path.with_name(messages.text("renamed_file", stem=stem, number=number, suffix=suffix))
        if not os.path.lexists(candidate):
            return candidate
        number += 1


def partial_name(path: Path, job_id: str) -> Path:
    """The hidden file a restore writes into before the result is checked and given its name."""
    return path.with_name(f".{path.name}.taf-{job_id[:8]}.part")
