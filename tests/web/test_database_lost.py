"""Every page of the navigation, with the ledger database really gone bad under a running app (its
file overwritten, as a failed disk or a stray copy would leave it): each answers with a Chinese
message that says so — the page with what it can still show, or a 503 — and never an internal error."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from tests.web.conftest import sign_in
from web.app import create_app
from web.areas.dashboard import SNAPSHOT_SECONDS
from web.pages import NAVIGATION


def test_every_page_says_the_database_is_unreachable_and_none_is_an_internal_error(web_services: Any,
                                                                                    taf_env: Path) -> None:
    with TestClient(app=create_app(web_services)) as client:
        sign_in(client, "admin")
        assert all(client.get(entry.path).status_code == 200 for entry in NAVIGATION)
        ledger_file = web_services.settings.data_dir / "ledger.db"
        assert ledger_file.is_file()
        for part in (ledger_file, *ledger_file.parent.glob("ledger.db-*")):  # its write-ahead log too
            size = part.stat().st_size
            with part.open("r+b") as damaged:  # the same files the open connections read
                damaged.write(b"not an SQLite database any more!" * (size // 32 + 1))
        time.sleep(SNAPSHOT_SECONDS + 0.5)  # past the dashboard's shared snapshot, taken before the damage
        for entry in NAVIGATION:
            answer = client.get(entry.path)
            assert answer.status_code in (200, 401, 503), (entry.path, answer.status_code, answer.text[-400:])
            assert "内部错误" not in answer.text, entry.path
            if answer.status_code == 200:
                assert "数据库" in answer.text, entry.path
