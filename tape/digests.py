"""The SHA-256 of a file on disk, as the packer takes it and the tape writer checks it.

A module of its own, importing only the standard library, so that packer processes can use the
same function as the tape writer without loading the SCSI stack.
"""

from __future__ import annotations

import hashlib
import os

_CHUNK = 1 << 20


def file_sha256(path: str | os.PathLike[str]) -> tuple[int, str]:
    """The file's size in bytes and its SHA-256 (hex), read in 1 MiB chunks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()
