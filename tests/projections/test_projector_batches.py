"""The Projector's transactions are bounded by rows, not events: a few packages with huge manifests
are split over several transactions, each event decoded once and applied once (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from projections.catalog import CatalogView
from projections.runner import Projector
from projections.store import Cursor

NS = 1_000_000_000


def manifest(package: int, entries: int) -> list[dict[str, Any]]:
    return [{"path": f"包{package}/文件{n:05d}.txt", "root": "/srv/数据", "kind": "file", "size": 1,
             "mtime_ns": 1_700_000_000 * NS, "mode": 0o644, "sha256": "0" * 64,
             "member": f"srv/数据/包{package}/文件{n:05d}.txt", "chunk_index": 0, "total_chunks": 1,
             "chunk_offset": 0, "chunk_length": 1, "state": "ok"} for n in range(entries)]


class Watched(CatalogView):
    """The catalog, noting the rows (manifest entries) and events of each transaction it is given."""

    def __init__(self, store: Any) -> None:
        super().__init__(store)
        self.transactions: list[list[int]] = []

    def apply(self, cursor: Cursor, items: Iterable[tuple[Any, Any]]) -> None:
        items = list(items)
        self.transactions.append([self.rows_of(event) for event, _ in items
                                  if type(event).__qualname__ == "Cartridge.PackageWritten"])
        super().apply(cursor, items)


def test_a_batch_of_few_events_with_huge_manifests_is_split_by_rows(services: Any) -> None:
    ledger = services.ledger
    cartridge = ledger.register_cartridge("TAF001L9")
    for number, entries in enumerate([2_400, 2_400, 2_400, 300, 300, 5_000], start=1):
        cartridge.record_package(job_id="job-1", package_id=f"pkg-{number}", group="2026-05", sequence=number,
                                 tape_file=number, header_block=10 * number, payload_block=10 * number + 2,
                                 payload_blocks=5, payload_bytes=1234, payload_sha256="f" * 64,
                                 compression="lzma2", manifest=manifest(number, entries))
    ledger.save(cartridge)  # one save: the six packages are neighbours in the ledger

    view = Watched(services.store)
    Projector(ledger, [view], rows=5_000).catch_up()  # a batch of 1,000 events would take them all at once
    packages = [rows for rows in view.transactions if rows]
    assert packages == [[2_400, 2_400], [2_400, 300, 300], [5_000]]  # a package larger than the bound goes alone
    assert view.count("2026-05") == 12_800
    assert [(n["name"], n["files"]) for n in view.tree("2026-05", "/srv/数据")] == [
        (f"包{number}", entries) for number, entries in enumerate([2_400, 2_400, 2_400, 300, 300, 5_000], start=1)]

    again = Watched(services.store)
    Projector(ledger, [again], rows=1_000).rebuild()
    assert [rows for rows in again.transactions if rows] == [[2_400], [2_400], [2_400], [300, 300], [5_000]]
    assert again.count() == 12_800


def test_pages_of_large_stored_events_shrink_to_a_byte_budget(services: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from projections import runner

    ledger = services.ledger
    cartridge = ledger.register_cartridge("TAF001L9")
    for number in range(1, 7):
        cartridge.record_package(job_id="job-1", package_id=f"pkg-{number}", group="2026-05", sequence=number,
                                 tape_file=number, header_block=10 * number, payload_block=10 * number + 2,
                                 payload_blocks=5, payload_bytes=1234, payload_sha256="f" * 64,
                                 compression="lzma2", manifest=manifest(number, 50))
    ledger.save(cartridge)
    pages: list[int] = []
    select = ledger.recorder.select_notifications

    def recorded(*args: Any, **kwargs: Any) -> Any:
        pages.append(args[1])
        return select(*args, **kwargs)

    monkeypatch.setattr(ledger.recorder, "select_notifications", recorded)
    monkeypatch.setattr(runner, "PAGE_BYTES", 1)  # every stored event is over the budget: one at a time
    view = CatalogView(services.store)
    Projector(ledger, [view], batch=3).catch_up()
    assert pages[0] == 3 and set(pages[1:]) == {1} and view.count() == 300


def test_the_first_page_is_small_and_later_pages_grow_while_events_are_small(services: Any,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A view's first page is FIRST_PAGE events (their size is unknown: a thousand stored manifests
    would be hundreds of MiB); small events then let the pages grow to the batch."""
    from projections.audit import AuditLogView
    from projections.runner import FIRST_PAGE

    for number in range(FIRST_PAGE * 4):
        services.ledger.register_cartridge(f"T{number:05d}L9")
    asked: list[int] = []
    select = services.ledger.recorder.select_notifications

    def counted(start: int, limit: int, *args: Any, **kwargs: Any) -> Any:
        asked.append(limit)
        return select(start, limit, *args, **kwargs)

    monkeypatch.setattr(services.ledger.recorder, "select_notifications", counted)
    view = AuditLogView(services.store)
    Projector(services.ledger, [view], batch=1000).rebuild(["audit_log"])
    assert asked[0] == FIRST_PAGE < 1000 and asked[1] == 1000  # small events: the next page is the whole batch
