"""A ledger and tapes made by the release before issue 18, opened with today's code (issue 18, "show").

`fixtures/release_backup` holds what `fixtures/make_release_backup.sh` made with that release's CLI:
a backup of a small tree (a file split over three packages, Chinese names, an empty file, a link)
on the emulated library, its read-back verification and a restore — events as zlib JSON, every
PackageWritten carrying its manifest. Today's code must replay it, verify its hash chain as stored,
fill the catalog from it, restore and verify from it, and append to it: the old packages are read
with their manifests in the event, the new ones with manifests in their own stream, each once.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from ledger.chain import walk
from ledger.transcoder import stored_format
from tests.conftest import run_cli

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "release_backup"
EXPECTED: dict[str, Any] = json.loads((FIXTURE / "expected.json").read_text(encoding="utf-8"))
BARCODE = EXPECTED["cartridge"]


@pytest.fixture
def release(taf_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = taf_env / "data"
    data.mkdir(parents=True)
    shutil.copyfile(FIXTURE / "ledger.db", data / "ledger.db")
    shutil.copytree(FIXTURE / "vtl", data / "vtl")
    for key, value in EXPECTED["env"].items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("TAF_USER", "测试员")
    return data


def restored_files(root: Path) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            found[rel] = {"link": os.readlink(path)}
        elif path.is_file():
            data = path.read_bytes()
            found[rel] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                          "mtime_ns": path.stat().st_mtime_ns}
    return found


def ledger_facts() -> dict[str, Any]:
    from app.facade import make_app
    from bootstrap import build

    services = build()
    try:
        ledger = services.ledger
        stored = list(ledger.notifications(stop=EXPECTED["events"]))
        cartridge = ledger.cartridge(BARCODE)
        packages = ledger.packages_on(BARCODE)
        manifests = [ledger.manifest(event) for event in packages]
        groups = {group.name: group.files for group in make_app(services).catalog.groups()}
        return {"stored": stored, "head": [*walk(stored)][-1], "cartridge": cartridge, "packages": packages,
                "manifests": manifests, "groups": groups, "files": services.catalog.count()}
    finally:
        services.close()


def test_a_release_ledger_replays_verifies_catalogs_restores_and_takes_new_backups(release: Path,
                                                                                    taf_env: Path) -> None:
    before = ledger_facts()
    # Nothing stored was rewritten: the chain over the release's events is the head it printed.
    assert before["head"] == (EXPECTED["events"], bytes.fromhex(EXPECTED["head"]))
    assert {stored_format(n.state) for n in before["stored"]} == {"json+zlib"}
    cartridge, packages, manifests = before["cartridge"], before["packages"], before["manifests"]
    assert len(cartridge.packages) == EXPECTED["packages"] == len(packages) and cartridge.index_written
    # Its PackageWritten events are read as they were stored: the manifest in the event, the counts upcast.
    assert [event.manifest_id for event in packages] == [None] * EXPECTED["packages"]
    assert [event.entries for event in packages] == [len(manifest) for manifest in manifests]
    sources = {entry["path"] for manifest in manifests for entry in manifest if entry["kind"] != "dir"}
    assert sources == set(EXPECTED["files"])
    files = sum(1 for item in EXPECTED["files"].values() if "sha256" in item)
    assert sum(event.files for event in packages) == files
    entries = sum(event.entries for event in packages)
    assert before["groups"][EXPECTED["group"]] == entries  # the catalog's rows: every entry, chunks included

    verified = run_cli("audit", "verify", "--json")
    assert verified.code == 0 and verified.json()["ok"], verified.out + verified.err
    assert {head["kind"]: head["ok"] for head in verified.json()["heads"]} == {"job": True, "tape": True}

    found = run_cli("catalog", "search", "大文件", "--json")
    [big] = found.json()["files"]
    assert (big["chunks"], [p["tape_file"] for p in big["positions"]]) == (3, [1, 2, 3])

    target = taf_env / "恢复"
    restored = run_cli("restore", "run", EXPECTED["source"], "--target", str(target), "--wait")
    assert restored.code == 0, restored.out + restored.err
    assert restored_files(target / EXPECTED["source"].lstrip("/")) == EXPECTED["files"]

    checked = run_cli("backup", "verify", EXPECTED["backup_job"], "--json")
    assert checked.code == 0 and checked.json()["outcome"] == "verified", checked.out + checked.err
    assert checked.json()["checked"] == EXPECTED["packages"]

    # Today's code appends to the same ledger; the new packages' manifests go to their own stream.
    source = taf_env / "新数据"
    (source / "月报").mkdir(parents=True)
    for number in range(5):
        (source / "月报" / f"第{number}期.txt").write_text(f"第 {number} 期月报\n" * 50, encoding="utf-8")
    backed_up = run_cli("backup", "run", "--source", str(source), "--group", EXPECTED["group"], "--wait")
    assert backed_up.code == 0, backed_up.out + backed_up.err
    after = ledger_facts()
    new = [event for event in after["packages"] if event.manifest_id is not None]
    old = [event for event in after["packages"] if event.manifest_id is None]
    assert [event.package_id for event in old] == [event.package_id for event in packages]
    assert new and sum(event.files for event in new) == 5  # appended to the release's tape
    [new_job] = {event.job_id for event in new}
    checked = run_cli("backup", "verify", new_job, "--json")  # the tape's manifest against the recorded digest
    assert checked.code == 0 and checked.json()["outcome"] == "verified", checked.out + checked.err
    # Each package catalogued once, whichever way its manifest was stored.
    assert after["groups"][EXPECTED["group"]] == entries + sum(event.entries for event in new)
    assert run_cli("catalog", "rebuild").code == 0
    assert ledger_facts()["groups"] == after["groups"]
    again = run_cli("audit", "verify", "--json")
    assert again.code == 0 and again.json()["ok"], again.out + again.err
