"""Fixtures for the console's tests: real services over an emulated library (with a robot, or a
standalone drive), and the restore tests' backed-up tree for the 恢复 screen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.restore.conftest import backed_up, lib_services, library_env, source  # noqa: F401


@pytest.fixture
def library(lib_services: Any) -> Any:  # noqa: F811
    """Services over a four-slot emulated library of small cartridges (the restore tests' own)."""
    return lib_services


@pytest.fixture
def standalone(taf_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Services over one standalone emulated drive (VTL_SLOTS=0) whose cartridges fill up after a
    few MiB, so a backup asks for the next one; the configured sources are a small tree."""
    from app.facade import make_app
    from bootstrap import build
    from tests.backup.jobkit import make_tree, set_job_settings

    tree = make_tree(taf_env / "源数据", 60)
    set_job_settings(monkeypatch, VTL_SLOTS="0", BACKUP_SOURCES=str(tree))
    built = build()
    # The drive's first use registers it in the ledger; two first uses at the same moment (the
    # console reading the drive, a job opening it) collide on that registration, so it is done here.
    make_app(built).tapes.drive_status(actor="测试")
    yield built
    built.close()
