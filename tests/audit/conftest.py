"""Fixtures for the audit tests: the scripted history, built once per session, and a copy per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger import clock
from tests.audit.history import copy_history, shared_history


@pytest.fixture(scope="session")
def history(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> tuple[Path, dict[str, Any]]:
    """(the history's folder, what was recorded while it was told); shared by the xdist workers."""
    base = tmp_path_factory.getbasetemp()
    return shared_history((base.parent if worker_id != "master" else base) / "audit-history")


@pytest.fixture
def audit_copy(history: tuple[Path, dict[str, Any]], tmp_path: Path,
               monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """This test's own copy of the history (the environment set as it was told); the recordings."""
    folder, built = history
    copy_history(folder, built, tmp_path, monkeypatch)
    yield built
    clock.start_at(None)
