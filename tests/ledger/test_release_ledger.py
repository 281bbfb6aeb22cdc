"""A ledger written by the release before issue 18 (zlib JSON events) still replays, verifies and
loads the catalog with today's transcoder; events written now go into the same ledger the new way.

`fixtures/release-ledger.db` was made with that release by `fixtures/make_release_ledger.py`
(three monthly backups on the emulated library, a tape erased and reused, a failed backup, a restore,
DingTalk reports, and a package of 3,000 entries); `release-ledger.json` holds what that release
answered about it. Each test works on a copy.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from ledger.transcoder import stored_format

FIXTURES = Path(__file__).resolve().parent / "fixtures"
RECORD = json.loads((FIXTURES / "release-ledger.json").read_text(encoding="utf-8"))
MADE_AT = "2026-03-25T10:00:00+00:00"


@pytest.fixture
def release(taf_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the release's ledger as this installation's ledger, in the environment it was made in."""
    data = taf_env / "data"
    data.mkdir()
    shutil.copyfile(FIXTURES / "release-ledger.db", data / "ledger.db")
    for key, value in RECORD["env"].items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("VTL_DIR", str(taf_env / "vtl"))
    monkeypatch.setenv("TAF_NOW", MADE_AT)
    monkeypatch.setenv("TAF_USER", "审计演练")
    return data / "ledger.db"


def formats(ledger_file: Path) -> Counter[str]:
    with sqlite3.connect(ledger_file) as connection:
        found = Counter(stored_format(bytes(state)) for (state,) in connection.execute("SELECT state FROM stored_events"))
    connection.close()
    return found


def test_the_release_ledger_replays_as_the_release_answered(release: Path) -> None:
    from tests.audit.history import live_answers

    assert formats(release) == {"json+zlib": RECORD["events"]}
    answers, recorded = live_answers(), dict(RECORD["answers"])
    # The gateway's address and key came from the environment of the run that made it, not the ledger.
    answers["settings"], recorded["settings"] = ([row for row in rows if not row["key"].startswith("dingtalk_api")]
                                                 for rows in (answers["settings"], recorded["settings"]))
    assert answers == recorded  # inventory, groups, settings, jobs, notifications


def test_audit_verify_passes_over_old_and_new_events(release: Path, cli: Any) -> None:
    verified = cli("audit", "verify", "--no-tapes", "--json")
    assert verified.code == 0, verified.err
    assert (verified.json()["head"], verified.json()["checked"]) == (RECORD["head"], RECORD["events"])
    assert cli("settings", "set", "compression_level", "3").code == 0
    assert cli("notify", "recipients", "add", "新值班", "13800000018").code == 0
    mixed = formats(release)
    assert mixed["json+zlib"] == RECORD["events"] and mixed["msgpack"] >= 2
    again = cli("audit", "verify", "--no-tapes", "--json")
    assert again.code == 0 and again.json()["checked"] > RECORD["events"], again.err
    assert again.json()["head"] != RECORD["head"]


def test_the_catalog_loads_from_the_release_ledger(release: Path) -> None:
    from app.facade import make_app
    from bootstrap import build
    from tests.audit.history import normalised
    from tests.ledger.fixtures.make_release_ledger import catalog_facts

    assert catalog_facts() == RECORD["catalog"]
    services = build()
    try:
        catalog = make_app(services).catalog
        assert catalog.rebuild().files == sum(files for _, files in RECORD["catalog"]["groups"])
        cartridge = services.ledger.register_cartridge("TAF010L9")
        cartridge.record_package(job_id="job-新", package_id="pkg-新-1", group="2026-03", sequence=1, tape_file=1,
                                 header_block=10, payload_block=12, payload_blocks=4, payload_bytes=4_000,
                                 payload_sha256="d" * 64, compression="lzma2",
                                 manifest=[{"path": f"新/{n}.txt", "root": "/srv/大量", "kind": "file", "size": 7,
                                            "mtime_ns": 1_770_000_000_000_000_000, "mode": 0o644, "sha256": "e" * 64,
                                            "member": f"srv/大量/新/{n}.txt", "chunk_index": 0, "total_chunks": 1,
                                            "chunk_offset": 0, "chunk_length": 7, "state": "ok"} for n in range(50)])
        services.ledger.save(cartridge)
        srv = {node.name: node for node in catalog.tree("2026-03", "/srv").children}
        before = {name: (files, size) for name, _, files, size, _ in RECORD["catalog"]["trees"]["2026-03"]}
        assert (srv["大量"].files, srv["大量"].size) == (before["srv"][0] + 50, before["srv"][1] + 350)
        assert srv["大量"].cartridges == ["TAF009L9", "TAF010L9"]
    finally:
        services.close()
    assert formats(release)["msgpack+zstd"] == 1
    assert normalised(catalog_facts()["search"]["凭证"]) == RECORD["catalog"]["search"]["凭证"]
