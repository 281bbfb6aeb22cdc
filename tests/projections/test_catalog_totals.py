"""Folder totals (projections/catalog/totals.py): a folder's listing costs the same whatever lies below
its children, and every total — files, bytes, newest time, cartridges — stays what the rows say
through incremental loads, a rebuild, and cartridges erased or relabelled. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from app.catalog import Catalog
from app.facade import make_app
from projections.catalog import limits
from projections.catalog.results import mtime_iso
from projections.runner import Projector

NS = 1_000_000_000
ROOT = "/srv/数据"


def entry(path: str, kind: str = "file", size: int = 10, mtime: int = 1_700_000_000, chunk: int = 0, chunks: int = 1,
          root: str = ROOT) -> dict[str, Any]:
    return {"path": path, "root": root, "kind": kind, "size": size, "mtime_ns": mtime * NS, "mode": 0o644,
            "sha256": None if kind == "dir" else "0" * 64, "member": f"m/{path}.{chunk}", "chunk_index": chunk,
            "total_chunks": chunks, "chunk_offset": 150 * chunk, "chunk_length": size if chunks == 1 else 150,
            "state": "ok"}


def package(services: Any, barcode: str, number: int, items: list[dict[str, Any]], *, group: str = "2026-05",
            job: str = "job-1") -> None:
    ledger = services.ledger
    cartridge = ledger.register_cartridge(barcode)
    cartridge.record_package(job_id=job, package_id=f"pkg-{number}", group=group, sequence=number, tape_file=number,
                             header_block=10 * number, payload_block=10 * number + 2, payload_blocks=5,
                             payload_bytes=1234, payload_sha256="f" * 64, compression="lzma2", manifest=items)
    ledger.save(cartridge)


# --- the rows a listing makes the database read -------------------------------------------------
class Work:
    """What the view store's database does for the statements sent while watched: on SQLite the
    virtual-machine steps (the progress handler, every step); on PostgreSQL the rows every plan node
    produced or filtered out (EXPLAIN ANALYZE of the same statement). Also the rows handed back."""

    def __init__(self, store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        self.store = store
        self.done = self.rows = 0
        query = store.query

        def watched(sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
            if store.dialect == "postgresql" and sql.lstrip().upper().startswith("SELECT"):
                [(plan,)] = query(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
                plan = json.loads(plan) if isinstance(plan, str) else plan
                self.done += _rows_in(plan[0]["Plan"])
            rows = query(sql, params)
            self.rows += len(rows)
            return rows

        monkeypatch.setattr(store, "query", watched)

    @contextmanager
    def counting(self) -> Iterator[None]:
        self.done = self.rows = 0
        if self.store.dialect != "sqlite":
            yield
            return
        connection = self.store._connection()

        def step() -> int:
            self.done += 1
            return 0

        connection.set_progress_handler(step, 1)
        try:
            yield
        finally:
            connection.set_progress_handler(None, 1)

    def of(self, act: Callable[[], Any]) -> tuple[int, int]:
        with self.counting():
            act()
        return self.done, self.rows


def _rows_in(node: dict[str, Any]) -> int:
    loops = int(node.get("Actual Loops", 1))
    read = (int(node.get("Actual Rows", 0)) + int(node.get("Rows Removed by Filter", 0))
            + int(node.get("Rows Removed by Join Filter", 0)) + int(node.get("Rows Removed by Index Recheck", 0))) * loops
    return read + sum(_rows_in(child) for child in node.get("Plans", []))


def department_group(services: Any, group: str, barcode: str, files: int) -> None:
    """Five departments, each a project folder of `files` files, in two packages."""
    items = []
    for d in range(5):
        items += [entry(f"部门{d}", "dir", 0), entry(f"部门{d}/项目", "dir", 0)]
        items += [entry(f"部门{d}/项目/文件{f:05d}.txt", size=f, mtime=1_700_000_000 + f) for f in range(files)]
    half = len(items) // 2
    package(services, barcode, 1, items[:half], group=group, job=f"job-{group}")
    package(services, barcode, 2, items[half:], group=group, job=f"job-{group}")


def test_listing_a_folder_reads_the_same_whatever_lies_below_its_children(services: Any,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    department_group(services, "2026-01", "TAF001L9", 10)     # 50 files below /srv/数据
    department_group(services, "2026-02", "TAF002L9", 1_000)  # 5,000 files below it, the same folders
    catalog = make_app(services).catalog
    catalog.groups()  # caught up before anything is counted
    if services.store.dialect == "postgresql":
        # The plans of a catalog of millions, where reading a table or an index from its start costs
        # millions of rows: on a few thousand rows PostgreSQL would rather scan them all.
        with services.store.transaction() as cursor:
            cursor.execute("ANALYZE")
            for plan in ("seqscan", "mergejoin", "hashjoin"):
                cursor.execute(f"SET enable_{plan} = off")
    work = Work(services.store, monkeypatch)

    small_tree, large_tree = (work.of(lambda g=g: catalog.tree(g, ROOT)) for g in ("2026-01", "2026-02"))
    small_page, large_page = (work.of(lambda g=g: catalog.folder(g, ROOT)) for g in ("2026-01", "2026-02"))
    big = {node.name: node for node in catalog.tree("2026-02", ROOT).children}
    assert [(big[f"部门{d}"].files, big[f"部门{d}"].size) for d in range(5)] == [(1_000, 499_500)] * 5
    assert big["部门0"].newest == mtime_iso((1_700_000_000 + 999) * NS)
    assert [(c.files, c.size) for c in catalog.folder("2026-02", ROOT).children] == [(1_000, 499_500)] * 5
    # The same folders, a hundred times the files below them: the same work, within a few steps.
    for small, large in ((small_tree, large_tree), (small_page, large_page)):
        assert large[1] == small[1], (small, large)  # rows handed back
        assert large[0] <= small[0] * 1.05 + 50, (small, large)
    # The measure does see rows read below a folder: reading them all costs a hundredfold.
    small_under, large_under = (work.of(lambda g=g: services.catalog.under(ROOT, g)) for g in ("2026-01", "2026-02"))
    assert large_under[0] > 20 * small_under[0]


# --- totals against the rows ---------------------------------------------------------------------
def expected(services: Any, group: str) -> dict[str, dict[str, Any]]:
    """Every folder of `group` (as its path, "/srv/数据"): files, bytes and newest time below it, and the
    cartridges holding anything below it in the order written — summed from the rows themselves."""
    rows = services.store.query("SELECT full_path, kind, size, mtime_ns, chunk_index, cartridge, id"
                                " FROM catalog_files WHERE grp = ? ORDER BY id", (group,))
    found: dict[str, dict[str, Any]] = {}
    for full, kind, size, mtime_ns, chunk, cartridge, _ in rows:
        folder = full[:full.rfind("/") + 1]
        while folder:
            path = folder.rstrip("/") or "/"
            total = found.setdefault(path, {"files": 0, "size": 0, "newest": None, "cartridges": []})
            total["files"] += int(kind == "file" and chunk == 0)
            total["size"] += int(size) if chunk == 0 else 0
            newest = mtime_iso(int(mtime_ns))
            total["newest"] = max(total["newest"] or newest, newest)
            if cartridge not in total["cartridges"]:
                total["cartridges"].append(cartridge)
            folder = folder[:folder.rstrip("/").rfind("/") + 1]
    return found


def listed(catalog: Catalog, group: str) -> dict[str, dict[str, Any]]:
    """Every folder the file browser reaches from the top, with the totals its parent's page shows."""
    found: dict[str, dict[str, Any]] = {}
    waiting = [""]
    while waiting:
        page = catalog.folder(group, waiting.pop(), limit=1000)
        for child in page.children:
            if child.kind == "dir":
                found[child.path.rstrip("/") or "/"] = {"files": child.files, "size": child.size,
                                                       "newest": child.newest, "cartridges": child.cartridges}
                waiting.append(child.path)
    return found


def check(services: Any, catalog: Catalog, group: str = "2026-05") -> dict[str, dict[str, Any]]:
    want = {path: total for path, total in expected(services, group).items()
            if path.startswith(("/", "D:"))}
    assert listed(catalog, group) == want
    tree = {node.name: node for node in catalog.tree(group, ROOT).children}
    for name, node in tree.items():
        if node.kind == "dir":
            total = want[f"{ROOT}/{name}"]
            assert (node.files, node.size, node.newest, node.cartridges) == (
                total["files"], total["size"], total["newest"], total["cartridges"]), name
    return want


def test_totals_follow_loads_rebuilds_and_cartridges_leaving(services: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "FLUSH_ROWS", 2)  # rows written in rounds: a folder's totals merged many times
    catalog = make_app(services).catalog
    package(services, "TAF001L9", 1, [
        entry("报告", "dir", 0), entry("报告/a.docx", size=10), entry("报告/2024", "dir", 0),
        entry("报告/2024/b.xlsx", size=20, mtime=1_760_000_000), entry("照片", "dir", 0),
        entry("照片/海边.jpg", size=30), entry("大.bin", size=300, chunks=2), entry("readme.txt", size=1)])
    package(services, "TAF003L9", 9, [entry("报告/old.docx", size=7)], group="2026-04")
    services.projector.catch_up(["catalog"])
    first = check(services, catalog)
    assert first[f"{ROOT}/报告"]["files"] == 2 and first["/"]["size"] == 361

    services.projector.rows = 3  # the next events over several transactions
    package(services, "TAF002L9", 2, [
        entry("大.bin", size=300, chunk=1, chunks=2), entry("报告/2024/c.pdf", size=40, mtime=1_710_000_000),
        entry("合同/x.docx", size=50, root="D:\\归档")])
    package(services, "TAF002L9", 3, [entry("报告/a.docx", size=11, mtime=1_750_000_000), entry("新", "dir", 0),
                                      entry("新/深", "dir", 0), entry("新/深/很深", "dir", 0),
                                      entry("新/深/很深/文件.txt", size=5)], job="job-2")
    services.projector.catch_up(["catalog"])
    loaded = check(services, catalog)
    assert loaded[f"{ROOT}/报告"]["cartridges"] == ["TAF001L9", "TAF002L9"]
    assert loaded[f"{ROOT}/报告/2024"]["newest"] == mtime_iso(1_760_000_000 * NS)
    assert loaded["D:/归档"]["files"] == 1 and loaded["/srv"]["files"] == 8

    catalog.rebuild()
    assert check(services, catalog) == loaded

    cartridge = services.ledger.cartridge("TAF001L9")
    cartridge.erase("short", active_groups=[], by="管理员")
    services.ledger.save(cartridge)
    services.projector.catch_up(["catalog"])
    erased = check(services, catalog)
    assert f"{ROOT}/照片" not in erased and erased[f"{ROOT}/报告/2024"]["newest"] == mtime_iso(1_710_000_000 * NS)
    assert erased[f"{ROOT}/报告"]["cartridges"] == ["TAF002L9"] and erased["/"]["size"] == 56

    services.ledger.label_cartridge("TAF002L9", volume_serial="TAF002", pool="默认池", block_size=65536, by="管理员")
    services.projector.catch_up(["catalog"])
    assert services.store.query("SELECT COUNT(*) FROM catalog_totals WHERE grp = ?", ("2026-05",)) == [(0,)]
    assert listed(catalog, "2026-04") == {path: total for path, total in expected(services, "2026-04").items()}
    assert listed(catalog, "2026-04")[ROOT]["cartridges"] == ["TAF003L9"]


def test_a_catalog_made_before_folder_totals_is_rebuilt_with_them(services: Any) -> None:
    package(services, "TAF001L9", 1, [entry("报告", "dir", 0), entry("报告/a.docx", size=10)])
    services.projector.catch_up(["catalog"])
    with services.store.transaction() as cursor:
        cursor.execute("DROP TABLE catalog_totals")  # as the release before issue 18 left it
    catalog_view = type(services.catalog)(services.store)
    Projector(services.ledger, [catalog_view]).catch_up()
    assert [(n.name, n.files, n.size) for n in make_app(services).catalog.tree("2026-05", ROOT).children] == [
        ("报告", 1, 10)]
