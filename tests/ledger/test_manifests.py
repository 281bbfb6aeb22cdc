"""Manifests out of replay, snapshots (issue 18): loading what a tape holds decodes no manifest, and
loading a long-lived aggregate costs the same after a thousand events as after ten."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import msgspec
import pytest
from eventsourcing.persistence import IntegrityError

from backup.closing import index_entry
from ledger.application import SNAPSHOT_EVERY, Ledger
from ledger.domain import Cartridge
from ledger.domain.manifest import ManifestEntry, manifest_entries, manifest_sha256
from ledger.errors import UnreadableEvent
from ledger.sqlite_guard import remove_immutability_triggers

NS = 1_000_000_000


def manifest(package: int, entries: int) -> list[dict[str, Any]]:
    return [{"path": f"部门{package % 7}/项目{package:04d}/文件{n:05d}.txt", "root": "/srv/共享", "kind": "file",
             "size": 1000 + n, "mtime_ns": (1_760_000_000 + n) * NS, "mode": 0o644, "sha256": f"{package:032x}{n:032x}",
             "member": f"srv/共享/部门{package % 7}/项目{package:04d}/文件{n:05d}.txt", "chunk_index": 0,
             "total_chunks": 1, "chunk_offset": 0, "chunk_length": 1000 + n, "state": "ok"} for n in range(entries)]


def record(ledger: Ledger, barcode: str, package: int, entries: int) -> None:
    cartridge = ledger.cartridge(barcode)
    cartridge.record_package(job_id="job-规模", package_id=f"{barcode}-{package:05d}", group="2026-12",
                             sequence=package, tape_file=package, header_block=10 * package,
                             payload_block=10 * package + 2, payload_blocks=8, payload_bytes=1 << 20,
                             payload_sha256="e" * 64, compression="lzma2", manifest=manifest(package, entries))
    ledger.save(cartridge)


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    opened = Ledger(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp_path / "ledger.db")})
    yield opened
    opened.close()


class Decodes:
    """Every stored record the ledger decodes (events and snapshots), and those that held a manifest."""

    def __init__(self, ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
        self.states: list[dict[str, Any]] = []
        transcoder = ledger.mapper.transcoder
        decode = transcoder.decode
        monkeypatch.setattr(transcoder, "decode", lambda data: self._seen(decode(data)))

    def _seen(self, state: Any) -> Any:
        self.states.append(state)
        return state

    def clear(self) -> None:
        self.states.clear()

    @property
    def manifests(self) -> int:
        return sum(1 for state in self.states if isinstance(state, dict) and "manifest" in state)


def test_a_cartridge_of_200_packages_of_5000_entries_loads_and_closes_without_decoding_a_manifest(
        ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    ledger.register_cartridge("TAF200L9")
    for package in range(1, 201):
        record(ledger, "TAF200L9", package, 5_000)
    decodes = Decodes(ledger, monkeypatch)

    cartridge = ledger.cartridge("TAF200L9")
    assert len(cartridge.packages) == 200 and cartridge.bytes_written == 200 << 20
    assert decodes.manifests == 0 and len(decodes.states) < SNAPSHOT_EVERY  # a snapshot and the events after it
    together, packages = ledger.cartridge_with_packages("TAF200L9")  # what closing the cartridge reads
    entries = [index_entry(event) for event in packages]  # and writes into the tape index
    assert [entry.package_id for entry in entries] == cartridge.packages
    assert sum(event.entries for event in ledger.packages_on("TAF200L9")) == 1_000_000
    assert decodes.manifests == 0

    # The counter does see a manifest when one is read: the catalog's and the restore's way to it.
    entries_of_one = ledger.manifest(packages[41])
    assert decodes.manifests == 1 and entries_of_one == manifest(42, 5_000)
    assert packages[41].manifest_sha256 == manifest_sha256(entries_of_one)


def test_loading_costs_the_same_after_a_thousand_events_as_after_ten(ledger: Ledger,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    ledger.register_cartridge("TAF010L9")
    ledger.register_cartridge("TAF999L9")
    for package in range(1, 10):
        record(ledger, "TAF010L9", package, 3)
    for package in range(1, 1000):
        record(ledger, "TAF999L9", package, 3)
    decodes = Decodes(ledger, monkeypatch)
    few = ledger.cartridge("TAF010L9")
    after_ten = len(decodes.states)
    decodes.clear()
    many = ledger.cartridge("TAF999L9")
    assert (few.version, many.version) == (10, 1000)
    assert after_ten == 10 and len(decodes.states) <= SNAPSHOT_EVERY  # a snapshot, then what came after it
    assert len(many.packages) == 999 and many.next_tape_file == 1000


def test_an_old_ledger_without_snapshots_still_loads_and_gets_them_as_it_grows(
        ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ledger.register_cartridge("TAF001L9")
    for package in range(1, SNAPSHOT_EVERY + 10):
        record(ledger, "TAF001L9", package, 2)
    # A ledger of a release without snapshots: the same events, no snapshot table rows.
    import sqlite3

    with sqlite3.connect(tmp_path / "ledger.db") as connection:
        connection.execute("DELETE FROM stored_snapshots")
    connection.close()
    again = Ledger(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp_path / "ledger.db")})
    try:
        decodes = Decodes(again, monkeypatch)
        replayed = again.cartridge("TAF001L9")
        assert replayed.version == SNAPSHOT_EVERY + 10 and len(decodes.states) == SNAPSHOT_EVERY + 10  # every event
        for package in range(SNAPSHOT_EVERY + 10, 2 * SNAPSHOT_EVERY + 1):
            record(again, "TAF001L9", package, 2)
        decodes.clear()
        assert again.cartridge("TAF001L9").version == 2 * SNAPSHOT_EVERY + 1
        assert len(decodes.states) == 2  # the snapshot taken at 2 × SNAPSHOT_EVERY, and one event
    finally:
        again.close()


def test_a_package_and_its_manifest_are_saved_together_or_not_at_all(ledger: Ledger) -> None:
    ledger.register_cartridge("TAF002L9")
    first, second = ledger.cartridge("TAF002L9"), ledger.cartridge("TAF002L9")
    for copy, package in ((first, 1), (second, 2)):
        copy.record_package(job_id="j", package_id=f"p{package}", group="2026-12", sequence=package, tape_file=1,
                            header_block=1, payload_block=3, payload_blocks=1, payload_bytes=10,
                            payload_sha256="0" * 64, compression="copy", manifest=manifest(package, 4))
    ledger.save(first)
    with pytest.raises(IntegrityError):
        ledger.save(second)  # another process recorded first: neither its package nor its manifest is stored
    topics = [n.topic.rpartition(":")[2] for n in ledger.notifications()]
    assert topics == ["Cartridge.Registered", "Cartridge.PackageWritten", "PackageManifest.Recorded"]
    [written] = ledger.packages_on("TAF002L9")
    assert ledger.manifest_stream(written.manifest_id).package_id == "p1"


def test_a_manifest_read_from_tape_is_compared_by_its_digest(ledger: Ledger) -> None:
    ledger.register_cartridge("TAF003L9")
    record(ledger, "TAF003L9", 1, 30)
    [event] = ledger.packages_on("TAF003L9")
    from_tape = manifest(1, 30)
    assert ledger.manifest_agrees(event, from_tape)
    from_tape[17]["sha256"] = "0" * 64
    assert not ledger.manifest_agrees(event, from_tape)
    assert not ledger.manifest_agrees(event, manifest(1, 29))


def test_the_digest_is_of_the_canonical_form(ledger: Ledger) -> None:
    entries = manifest(3, 5)
    entries[1].update(path="行\u2028分隔\x01\"引号\\é.txt", link_target=None, size=2**70)
    canonical = json.dumps(entries, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    assert manifest_sha256(entries) == hashlib.sha256(canonical).hexdigest()
    reordered = [dict(reversed(list(entry.items()))) for entry in manifest(3, 5)]
    assert manifest_sha256(reordered) == manifest_sha256(manifest(3, 5))
    assert manifest_sha256(manifest(3, 5)) != manifest_sha256(manifest(3, 6))
    assert Cartridge.PackageWritten.class_version == 2


def test_the_catalog_reads_a_manifest_typed_and_gets_the_same_entries(ledger: Ledger) -> None:
    """`manifest_entries`, the catalog's way: one stored record decoded straight into entries, equal
    to what `manifest` gives — keys a manifest leaves out taking their usual values."""
    ledger.register_cartridge("TAF004L9")
    record(ledger, "TAF004L9", 1, 40)
    [event] = ledger.packages_on("TAF004L9")
    typed = ledger.manifest_entries(event)
    assert [msgspec.structs.asdict(entry) for entry in typed] == [
        {**msgspec.structs.asdict(ManifestEntry()), **entry} for entry in ledger.manifest(event)]
    assert typed[0].member == "srv/共享/部门1/项目0001/文件00000.txt" and typed[0].link_target is None


def test_a_manifest_of_an_earlier_release_in_its_event_is_read_typed_too() -> None:
    held = [{"path": "a.txt", "root": "/srv", "size": 3, "mtime_ns": 7}, {"path": "b", "kind": "dir"}]
    assert manifest_entries(held) == [ManifestEntry(path="a.txt", root="/srv", size=3, mtime_ns=7),
                                      ManifestEntry(path="b", kind="dir")]


def test_a_damaged_manifest_record_is_named_not_a_decoder_error(ledger: Ledger, tmp_path: Path) -> None:
    ledger.register_cartridge("TAF005L9")
    record(ledger, "TAF005L9", 1, 3)
    [event] = ledger.packages_on("TAF005L9")
    remove_immutability_triggers(tmp_path / "ledger.db")
    import sqlite3

    with sqlite3.connect(tmp_path / "ledger.db") as connection:
        connection.execute("UPDATE stored_events SET state = x'0291' WHERE originator_id = ?",
                           (UUID(event.manifest_id).hex,))
    connection.close()
    with pytest.raises(UnreadableEvent, match=f"数据包 {event.package_id} 的清单无法读取"):
        ledger.manifest_entries(event)
