"""A view that decodes manifests without writing them (the operation log reads every event) still
counts their entries in the Projector's batches (issue 18): a page of manifest events is not held
decoded all at once. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from projections.audit import AuditLogView
from projections.runner import Projector
from projections.store import Cursor


class Watched(AuditLogView):
    def __init__(self, store: Any) -> None:
        super().__init__(store)
        self.transactions: list[list[str]] = []

    def apply(self, cursor: Cursor, items: Iterable[tuple[Any, Any]]) -> None:
        items = list(items)
        self.transactions.append([type(event).__qualname__ for event, _ in items])
        super().apply(cursor, items)


def test_manifests_weigh_their_entries_in_every_view(services: Any) -> None:
    ledger = services.ledger
    cartridge = ledger.register_cartridge("TAF001L9")
    for number in range(1, 4):
        cartridge.record_package(job_id="job-1", package_id=f"pkg-{number}", group="2026-05", sequence=number,
                                 tape_file=number, header_block=10 * number, payload_block=10 * number + 2,
                                 payload_blocks=5, payload_bytes=1234, payload_sha256="f" * 64, compression="lzma2",
                                 manifest=[{"path": f"{number}/{n}.txt", "kind": "file", "size": 1} for n in range(3_000)])
    ledger.save(cartridge)  # Registered, then each PackageWritten and the three manifests, in one save

    view = Watched(services.store)
    Projector(ledger, [view], rows=4_000).catch_up()
    assert [t.count("PackageManifest.Recorded") for t in view.transactions] == [1, 1, 1]
    assert sum(len(t) for t in view.transactions) == ledger.head_id() == 7
    assert [row["event"] for row in view.recent(10)][:3] == ["PackageManifest.Recorded"] * 3
    assert "记录数据包 pkg-3 的清单（3000 项）" in [row["summary"] for row in view.recent(10)]
