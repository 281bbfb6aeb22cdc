"""Does a package give its files back? The restore's own extraction, run with sinks that only hash.

Read-back verification (B6) asks this of every package it reads: "verified" means each member
came out of the 7z with the size and SHA-256 its manifest records, through the same code a restore
runs (`restore.extract`, with its header corrections), not merely that the bytes on tape are
intact. Nothing is written to disk but the payload already in the staging file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backup.names import decode_name
from restore import messages
from restore.archive import UNPACK_ERRORS, HeaderRepairs, stored_sizes, unpack_error_text
from restore.extract import Sink, extract_members


@dataclass
class PackageCheck:
    """The outcome for one package: which members did not come back, and what was corrected."""

    members: int = 0
    failed: list[str] = field(default_factory=list)  # display paths of members that did not come back
    error: str = ""  # why extraction stopped, when it did
    repairs: HeaderRepairs = field(default_factory=HeaderRepairs)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.error


def _expected_digest(entry: dict[str, Any]) -> str | None:
    if entry.get("kind") == "symlink":
        target = decode_name(entry.get("link_target") or "", entry.get("link_target_raw"))
        return hashlib.sha256(target.encode("utf-8", "surrogateescape")).hexdigest()
    return entry.get("sha256")


def _display(entry: dict[str, Any]) -> str:
    root = str(entry.get("root", "")).rstrip("/")
    return f"{root}/{entry.get('path', '')}" if root else str(entry.get("path", ""))


def check_package(archive: Path, manifest: list[dict[str, Any]], scratch: Path) -> PackageCheck:
    """Extract every member of `archive` that has data and compare it with `manifest`."""
    wanted = [entry for entry in manifest if entry.get("kind") in ("file", "symlink") and entry.get("member")]
    sinks = {entry["member"]: Sink(None) for entry in wanted}
    result = PackageCheck(members=len(wanted))
    try:
        result.repairs = extract_members(archive, sinks, scratch, stored_sizes(manifest))
    except UNPACK_ERRORS as error:
        result.error = messages.text("unpack_stopped", error=unpack_error_text(error))
    for entry in wanted:
        sink = sinks[entry["member"]]
        if not (sink.closed and sink.written == int(entry.get("chunk_length", 0))
                and sink.sha256 == _expected_digest(entry)):
            result.failed.append(_display(entry))
    return result
