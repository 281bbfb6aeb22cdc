"""One SHA-256 of a file for the packer and the tape writer."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tape.digests import file_sha256


@pytest.mark.parametrize("size", [0, 1, (1 << 20) - 1, 1 << 20, (3 << 20) + 17])
def test_size_and_digest_across_chunk_boundaries(tmp_path: Path, size: int) -> None:
    content = bytes(i * 7 % 251 for i in range(size))
    path = tmp_path / "包.7z"
    path.write_bytes(content)
    assert file_sha256(path) == (size, hashlib.sha256(content).hexdigest())
    assert file_sha256(str(path)) == file_sha256(path)
