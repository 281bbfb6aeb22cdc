"""Fixtures for restore tests: services over a small emulated library, a source tree backed up to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.restore.tapes import Written, back_up, make_tree


@pytest.fixture
def library_env(taf_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A four-slot emulated library with 8 MiB cartridges, created on first use."""
    monkeypatch.setenv("VTL_SLOTS", "4")
    monkeypatch.setenv("VTL_CAPACITY", "8M")
    monkeypatch.setenv("VTL_DIR", str(taf_env / "vtl"))
    monkeypatch.setenv("TAF_USER", "测试员")
    return taf_env


@pytest.fixture
def lib_services(library_env: Path) -> Iterator[Any]:
    from bootstrap import build

    built = build()
    yield built
    built.close()


@pytest.fixture
def source(tmp_path: Path) -> Path:
    root = tmp_path / "源数据"
    root.mkdir()
    make_tree(root)
    return root


@pytest.fixture
def backed_up(lib_services: Any, source: Path, tmp_path: Path) -> list[Written]:
    """The source tree packed and written over two cartridges, recorded in the ledger."""
    return back_up(lib_services, [source], group="2026-05", barcodes=["TAF001L9", "TAF002L9"],
                   staging=tmp_path / "staging")
