"""What the command-line tests of issue 13 share: a small emulated library, and files put on its
tapes the way a backup puts them (`tests.restore.tapes.back_up`) before the commands look at them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.restore.tapes import back_up

GROUP = "2026-05"


def small_library(monkeypatch: pytest.MonkeyPatch, *, user: str = "值班员") -> None:
    """Four slots of 8 MiB cartridges; `user` acts at the command line."""
    monkeypatch.setenv("VTL_SLOTS", "4")
    monkeypatch.setenv("VTL_CAPACITY", "8M")
    monkeypatch.setenv("TAF_USER", user)


def on_tapes(source: Path, barcodes: list[str], staging: Path) -> None:
    """Write `source` over `barcodes` into the group GROUP and record it in the ledger."""
    from bootstrap import build

    services = build()
    try:
        back_up(services, [source], group=GROUP, barcodes=barcodes, staging=staging)
    finally:
        services.close()
