"""Recovery from tapes alone (B2): an empty ledger learns what the tapes hold, and restores work again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from media.devices import open_session
from projections.catalog import SearchQuery
from restore import service
from restore.recover import recover_from_tapes
from tests.restore.tapes import Written, tree_of

KEY = ("grp", "full_path", "kind", "size", "mtime_ns", "mode", "sha256", "member", "chunk_index", "total_chunks",
       "chunk_offset", "chunk_length", "link_target", "package_id", "job_id", "cartridge", "tape_file",
       "header_block", "payload_block", "payload_blocks", "package_bytes")


def _rows(services: Any, pattern: str = "") -> list[tuple[Any, ...]]:
    services.projector.catch_up()
    return sorted(tuple(row[k] for k in KEY) for row in services.catalog.search(SearchQuery(pattern, limit=10_000)))


def _event_names(services: Any) -> list[str]:
    return [type(services.ledger.mapper.to_domain_event(n)).__qualname__ for n in services.ledger.notifications()]


@pytest.fixture
def empty_ledger(lib_services: Any, backed_up: list[Written], taf_env: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A second installation on the same library, with a ledger that knows nothing."""
    from bootstrap import build

    monkeypatch.setenv("DATA_DIR", str(taf_env / "新数据"))
    built = build()
    yield built
    built.close()


def test_a_catalog_rebuilt_from_tapes_matches_the_original(lib_services: Any, empty_ledger: Any,
                                                           backed_up: list[Written], source: Path,
                                                           tmp_path: Path) -> None:
    assert _rows(empty_ledger) == []
    with open_session(empty_ledger, "emulated:0", "恢复员") as session:
        said: list[str] = []
        recovery = recover_from_tapes(empty_ledger, session, actor="恢复员", say=said.append)
    assert recovery.registered == 2 and recovery.new_packages == len(backed_up)
    assert recovery.groups_opened == ["2026-05"] and not recovery.warnings
    assert recovery.blank == ["TAF003L9", "TAF004L9"]
    assert all(c.chain_head == "ab" * 32 for c in recovery.cartridges) and len(said) == 4
    original = _rows(lib_services)
    assert original and _rows(empty_ledger) == original
    assert _rows(empty_ledger, "季度") == _rows(lib_services, "季度") != []
    cartridge = empty_ledger.ledger.cartridge("TAF001L9")
    assert cartridge.label_sequence == 1 and cartridge.pool == "默认池" and cartridge.index_written
    assert sorted(empty_ledger.ledger.group("2026-05").cartridges) == ["TAF001L9", "TAF002L9"]

    before = _event_names(empty_ledger)
    with open_session(empty_ledger, "emulated:0", "恢复员") as session:
        again = recover_from_tapes(empty_ledger, session, actor="恢复员")
    assert again.registered == 0 and again.new_packages == 0 and again.groups_opened == []
    after = _event_names(empty_ledger)
    knowledge = ("Cartridge.Registered", "Cartridge.Labelled", "Cartridge.PackageWritten", "Cartridge.IndexWritten",
                 "BackupGroup.Opened", "BackupGroup.CartridgeAdded")
    assert [n for n in after if n in knowledge] == [n for n in before if n in knowledge]
    assert _rows(empty_ledger) == original

    target = tmp_path / "从磁带重建后恢复"
    job, _, _ = service.request(empty_ledger, [str(source)], target, by="恢复员")
    summary = service.run(empty_ledger, str(job.id), device="emulated:0", actor="恢复员", poll_seconds=0.01)
    assert summary.status == "succeeded", summary.warnings
    assert tree_of(target.joinpath(*source.parts[1:])) == tree_of(source)


def test_recovery_records_a_tape_as_it_reads_it_never_holding_its_manifests_at_once(
        lib_services: Any, empty_ledger: Any, backed_up: list[Written], monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 18: packages are recorded in saves of at most RECORD_ENTRIES entries while the tape is
    read (one package alone when it holds more), and the result is what one save would have made."""
    from restore import recover

    monkeypatch.setattr(recover, "RECORD_ENTRIES", 3)
    saves: list[int] = []  # manifest entries each save recorded
    change = empty_ledger.ledger.change

    def counting(act: Any, **kwargs: Any) -> Any:
        def counted() -> Any:
            changed = act()
            saves.append(sum(event.entries for aggregate in (changed or ()) if aggregate is not None
                             for event in getattr(aggregate, "pending_events", ())
                             if type(event).__name__ == "PackageWritten"))
            return changed
        return change(counted, **kwargs)

    monkeypatch.setattr(empty_ledger.ledger, "change", counting)
    with open_session(empty_ledger, "emulated:0", "恢复员") as session:
        recovery = recover_from_tapes(empty_ledger, session, actor="恢复员")
    assert recovery.new_packages == len(backed_up) and not recovery.warnings
    sizes = {w.result.package_id: len(w.result.manifest) for w in backed_up}
    assert sum(saves) == sum(sizes.values()) and len([s for s in saves if s]) > 2
    assert all(saved <= 3 or saved in sizes.values() for saved in saves)
    assert _rows(empty_ledger) == _rows(lib_services)
    assert all(empty_ledger.ledger.cartridge(b).index_written for b in ("TAF001L9", "TAF002L9"))
