"""Rebuilding the ledger from tapes publishes how far it is, as job `catalog-rebuild` (issue 12)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from media.devices import open_session
from restore.recover import PROGRESS_ID, recover_from_tapes
from tests.restore.tapes import Written


def test_a_rebuild_from_tapes_publishes_the_cartridges_and_packages_it_read(
        lib_services: Any, backed_up: list[Written], taf_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bootstrap import build

    monkeypatch.setenv("DATA_DIR", str(taf_env / "新数据"))
    fresh = build()
    try:
        with open_session(fresh, "emulated:0", "恢复员") as session:
            recovery = recover_from_tapes(fresh, session, actor="恢复员")
        published = fresh.progress.latest(PROGRESS_ID)
    finally:
        fresh.close()
    assert published is not None and (published.kind, published.phase) == ("rebuild", "done")
    assert published.cartridges_done == published.cartridges_total == 4  # two with packages, two blank
    assert published.packages_read == len(backed_up) == recovery.new_packages
    assert published.fraction == 1.0 and published.message  # the last thing it told the operator
