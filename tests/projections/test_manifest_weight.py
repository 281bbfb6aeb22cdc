"""Manifests in the Projector's batches (issue 18). A view that decodes manifests without writing them
counts their entries in its batches, so a page of manifest events is not held decoded all at once; the
operation log, which follows every event, leaves a manifest's entries undecoded altogether and still
says how many there were. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from projections.audit import AuditLogView
from projections.runner import Projector
from projections.store import Cursor
from projections.view import View


class Watching:
    """Keeps, per transaction, each event's name and the manifest entries it arrived with (None: none)."""

    def watch(self, items: list[tuple[Any, Any]]) -> None:
        held = [(type(event).__qualname__, vars(event).get("manifest")) for event, _ in items]
        self.transactions.append([name for name, _ in held])
        self.manifests.extend(manifest for name, manifest in held if name == "PackageManifest.Recorded")


class WatchedLog(AuditLogView, Watching):
    def __init__(self, store: Any) -> None:
        super().__init__(store)
        self.transactions: list[list[str]] = []
        self.manifests: list[Any] = []

    def apply(self, cursor: Cursor, items: Iterable[tuple[Any, Any]]) -> None:
        items = list(items)
        self.watch(items)
        super().apply(cursor, items)


class Everything(View, Watching):
    """A view that reads every event whole and writes nothing."""

    name = "everything"

    def __init__(self, store: Any) -> None:
        super().__init__(store)
        self.transactions: list[list[str]] = []
        self.manifests: list[Any] = []

    def apply(self, cursor: Cursor, items: Iterable[tuple[Any, Any]]) -> None:
        self.watch(list(items))


def _three_packages(ledger: Any) -> None:
    cartridge = ledger.register_cartridge("TAF001L9")
    for number in range(1, 4):
        cartridge.record_package(job_id="job-1", package_id=f"pkg-{number}", group="2026-05", sequence=number,
                                 tape_file=number, header_block=10 * number, payload_block=10 * number + 2,
                                 payload_blocks=5, payload_bytes=1234, payload_sha256="f" * 64, compression="lzma2",
                                 manifest=[{"path": f"{number}/{n}.txt", "kind": "file", "size": 1} for n in range(3_000)])
    ledger.save(cartridge)  # Registered, then each PackageWritten and the three manifests, in one save


def test_a_view_that_decodes_manifests_weighs_their_entries(services: Any) -> None:
    _three_packages(services.ledger)
    view = Everything(services.store)
    Projector(services.ledger, [view], rows=4_000).catch_up()
    assert [t.count("PackageManifest.Recorded") for t in view.transactions] == [1, 1, 1]
    assert [len(manifest) for manifest in view.manifests] == [3_000] * 3


def test_the_operation_log_leaves_manifests_undecoded_and_counts_them(services: Any) -> None:
    ledger = services.ledger
    _three_packages(ledger)
    view = WatchedLog(services.store)
    Projector(ledger, [view], rows=4_000).catch_up()
    assert view.transactions == [["Cartridge.Registered"] + ["Cartridge.PackageWritten"] * 3
                                 + ["PackageManifest.Recorded"] * 3]
    assert view.manifests == [None, None, None]
    assert sum(len(t) for t in view.transactions) == ledger.head_id() == 7
    assert [row["event"] for row in view.recent(10)][:3] == ["PackageManifest.Recorded"] * 3
    assert "记录数据包 pkg-3 的清单（3000 项）" in [row["summary"] for row in view.recent(10)]
