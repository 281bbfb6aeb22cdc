"""Helpers for the packing tests: source trees, extraction with py7zr and with the 7-Zip binary."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import py7zr
import pytest

from backup.entry import EntryKind, FileEntry


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_entry(
    rel: str,
    size: int = 0,
    *,
    root: str = "/src",
    kind: EntryKind = EntryKind.FILE,
    target: str | None = None,
) -> FileEntry:
    mode = {EntryKind.FILE: 0o100644, EntryKind.DIR: 0o040755, EntryKind.SYMLINK: 0o120777}[kind]
    return FileEntry(
        root, rel, kind, size if kind is EntryKind.FILE else 0, 1_700_000_000_000_000_000, mode, target
    )


def extract_with_py7zr(path: str) -> dict[str, bytes]:
    """Every member with data, by member name."""
    with py7zr.SevenZipFile(path) as archive:
        factory = py7zr.io.BytesIOFactory(1 << 30)
        archive.extractall(factory=factory)
        return {name: factory.get(name).read() for name in factory.products}


def extract_with_7zip(tool: str, archive: str, into: Path) -> None:
    into.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([tool, "x", "-snl", "-y", f"-o{into}", archive], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def check_with_7zip(tool: str, archive: str) -> str:
    done = subprocess.run([tool, "t", archive], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def write_file(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def text_bytes(n: int, seed: int = 1) -> bytes:
    """Log-like, compressible bytes."""
    words = [f"word{(i * 7919 + seed) % 613}" for i in range(4096)]
    out = bytearray()
    i = 0
    while len(out) < n:
        out += (
            f"2026-05-01 12:{i % 60:02d}:00 INFO {words[i % 4096]} {words[(i * 31) % 4096]} id={i}\n".encode()
        )
        i += 1
    return bytes(out[:n])


def random_bytes(n: int, seed: int = 1) -> bytes:
    import random

    return random.Random(seed).randbytes(n)


ON_POSIX = os.name == "posix"


@pytest.fixture
def job_services_with(taf_env: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """Services for a backup job's data folder: the small-cartridge settings, plus `overrides`."""
    from bootstrap import build
    from tests.backup.jobkit import set_job_settings

    built: list[object] = []

    def make(**overrides: str) -> object:
        set_job_settings(monkeypatch, **overrides)
        services = build()
        built.append(services)
        return services

    yield make
    for services in built:
        services.close()  # type: ignore[attr-defined]


@pytest.fixture
def job_services(job_services_with):  # noqa: ANN001, ANN201
    return job_services_with()
