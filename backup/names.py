"""Rules for names: portable manifest paths, safe 7z member names, native paths for opening.

Invalid names (decision, recorded in the manifest format):
- In memory a name is a Python str. On Linux, bytes that are not valid UTF-8 arrive from
  `os.scandir` in surrogateescape form (U+DC80–U+DCFF); on Windows a name may hold lone UTF-16
  surrogates. Both round-trip inside one process but cannot be stored as UTF-8 text (JSON for the
  tape, PostgreSQL/openGauss text columns).
- A manifest therefore stores two fields: `path`, always valid Unicode for display and search
  (invalid bytes shown as "\\xNN", lone surrogates as "\\udc80"-style escapes), and `path_raw`, present only
  when the name is not valid Unicode: "posix:" + base64 of the exact file-name bytes, or
  "wtf8:" + base64 of the WTF-8 encoding of a Windows name. `decode_name` inverts this exactly.
- Such names never become 7z member names (7z stores UTF-16). Their member is
  `_taf_escaped/<package seq>-<member index>`; the manifest maps it back to the real name.
"""

from __future__ import annotations

import base64
import ntpath
import os
import re

ESCAPED_MEMBER_DIR = "_taf_escaped"
CHUNK_MARK = ".taf-chunk-"
# Windows refuses paths from MAX_PATH (260) on unless they carry the \\?\ prefix; stay clear of it.
WINDOWS_SHORT_PATH_LIMIT = 248
_RAW_POSIX = "posix:"
_RAW_WTF8 = "wtf8:"
_UNSAFE_IN_MEMBER = re.compile(r"[\x00-\x1f\x7f\\\ud800-\udfff]")


def is_valid_unicode(name: str) -> bool:
    """True when the name has no lone surrogates, so it encodes as UTF-8 and UTF-16."""
    if name.isascii():
        return True
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def display_name(name: str) -> str:
    """Valid Unicode for showing and searching; invalid parts become visible escapes."""
    if is_valid_unicode(name):
        return name
    out = []
    for ch in name:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:
            out.append(f"\\x{code - 0xDC00:02x}")
        elif 0xD800 <= code <= 0xDFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def encode_name(name: str, *, windows: bool = os.name == "nt") -> tuple[str, str | None]:
    """The manifest pair (path, path_raw) for a name; path_raw is None for valid names."""
    if is_valid_unicode(name):
        return name, None
    if windows:
        raw = _RAW_WTF8 + base64.b64encode(name.encode("utf-8", "surrogatepass")).decode("ascii")
    else:
        raw = _RAW_POSIX + base64.b64encode(name.encode("utf-8", "surrogateescape")).decode("ascii")
    return display_name(name), raw


def decode_name(path: str, path_raw: str | None) -> str:
    """Invert `encode_name`: the in-memory name as the scan produced it."""
    if path_raw is None:
        return path
    if path_raw.startswith(_RAW_POSIX):
        return base64.b64decode(path_raw[len(_RAW_POSIX) :]).decode("utf-8", "surrogateescape")
    if path_raw.startswith(_RAW_WTF8):
        return base64.b64decode(path_raw[len(_RAW_WTF8) :]).decode("utf-8", "surrogatepass")
    raise ValueError(f"unknown raw name scheme: {path_raw[:8]!r}")


def is_plain_component(part: str) -> bool:
    """A component any 7z tool accepts as part of a relative name and cannot turn into a traversal.

    Control characters and backslashes are refused (a backslash is a separator to Windows tools);
    characters Windows merely forbids (":", "?", …) stay, 7-Zip on Windows replaces them with "_".
    """
    return part not in ("", ".", "..") and _UNSAFE_IN_MEMBER.search(part) is None


def is_safe_member(member: str) -> bool:
    """True for a name `member_name` or `escaped_member_name` could have produced: relative,
    "/"-separated, every component plain — so no 7z tool can extract it outside its target."""
    return all(is_plain_component(part) for part in member.split("/"))


def root_tag(root: str, *, windows: bool = os.name == "nt") -> str:
    """The source root as a relative member-name prefix, the way tar strips a leading "/".

    "/srv/data" → "srv/data"; "C:\\Users\\李" → "C/Users/李"; "\\\\?\\C:\\x" → "C/x";
    "\\\\server\\share\\x" and "\\\\?\\UNC\\server\\share\\x" → "server/share/x"; "/" → "".
    """
    if not windows:
        return "/".join(part for part in root.split("/") if part)
    path = root
    if path.startswith("\\\\?\\UNC\\"):
        path = "\\\\" + path[8:]
    elif path.startswith("\\\\?\\"):
        path = path[4:]
    drive, rest = ntpath.splitdrive(path)
    parts = [p for p in drive.replace("/", "\\").split("\\") if p]
    if len(parts) == 1 and parts[0].endswith(":"):
        parts = [parts[0][:-1]]
    parts.extend(p for p in re.split(r"[\\/]", rest) if p)
    return "/".join(parts)


def chunk_suffix(chunk_index: int, total_chunks: int) -> str:
    """Suffix naming one piece of a split file; 1-based and zero-padded so `cat name.taf-chunk-*` works."""
    width = max(5, len(str(total_chunks)))
    return f"{CHUNK_MARK}{chunk_index + 1:0{width}d}-of-{total_chunks:0{width}d}"


def member_name(tag: str, rel_path: str, chunk_index: int = 0, total_chunks: int = 1) -> str | None:
    """The 7z member name for an entry, or None when the name needs the escaped form."""
    parts = rel_path.split("/")
    if tag:
        parts = tag.split("/") + parts
    if not all(is_plain_component(p) for p in parts):
        return None
    name = "/".join(parts)
    if total_chunks > 1:
        name += chunk_suffix(chunk_index, total_chunks)
    return name


def escaped_member_name(
    package_seq: int, member_index: int, chunk_index: int = 0, total_chunks: int = 1
) -> str:
    """The member name for an entry whose real name cannot be a 7z member name."""
    name = f"{ESCAPED_MEMBER_DIR}/{package_seq:06d}-{member_index:06d}"
    if total_chunks > 1:
        name += chunk_suffix(chunk_index, total_chunks)
    return name


def long_path_form(path: str) -> str:
    """An absolute Windows path in the \\\\?\\ form, which lifts the 260-character limit."""
    if path.startswith("\\\\?\\"):
        return path
    if path.startswith("\\\\"):
        return "\\\\?\\UNC\\" + path[2:]
    return "\\\\?\\" + path


def native_path(root: str, rel_path: str, *, windows: bool = os.name == "nt") -> str:
    """The path to open for an entry; on Windows long paths get the \\\\?\\ prefix."""
    if not windows:
        return root.rstrip("/") + "/" + rel_path
    path = root.rstrip("\\/") + "\\" + rel_path.replace("/", "\\")
    return path if len(path) < WINDOWS_SHORT_PATH_LIMIT else long_path_form(path)


def display_path(root: str, rel_path: str, *, windows: bool = os.name == "nt") -> str:
    """The full path as the operator should read it in a warning."""
    sep = "\\" if windows else "/"
    joined = root if not rel_path else root.rstrip("\\/") + sep + rel_path.replace("/", sep)
    return display_name(joined)
