"""The restore page's file tree stays fast on a large group because a folder listing reads that one
folder: counted in catalog rows the store hands back, not in seconds.

The synthetic group holds 20,000 files: 24 department folders of 6 projects of 100 files each, and one
folder of 5,600 files directly inside it. Listing any folder reads its own children (one page of them),
a totals row per child folder and cartridge (what lies below it), and a handful of rows more, never the
rows below it — so the counts below do not grow with the group.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from app.facade import make_app
from tests.web.conftest import sign_in
from web.app import create_app

GROUP = "2026-05"
ROOT = "/srv/数据"
DEPARTMENTS, PROJECTS, FILES = 24, 6, 100
FLAT = 5_600
PER_PACKAGE = 5_000
NS = 1_000_000_000


def entry(path: str, kind: str = "file", size: int = 10) -> dict[str, Any]:
    return {"path": path, "root": ROOT, "kind": kind, "size": size, "mtime_ns": 1_700_000_000 * NS, "mode": 0o644,
            "sha256": None if kind == "dir" else "0" * 64, "member": f"m/{path}", "chunk_index": 0,
            "total_chunks": 1, "chunk_offset": 0, "chunk_length": size, "state": "ok"}


def manifest() -> list[dict[str, Any]]:
    """What a scan of ROOT lists: each folder, then what is in it."""
    items = []
    for d in range(DEPARTMENTS):
        items.append(entry(f"部门{d:02d}", "dir", 0))
        for p in range(PROJECTS):
            items.append(entry(f"部门{d:02d}/项目{p}", "dir", 0))
            items.extend(entry(f"部门{d:02d}/项目{p}/报告{f:03d}.docx") for f in range(FILES))
    items.append(entry("扁平", "dir", 0))
    items.extend(entry(f"扁平/记录{f:05d}.txt") for f in range(FLAT))
    return items


@pytest.fixture
def large(sqlite_services: Any) -> Any:
    """The synthetic group on one cartridge, caught up, and a user to browse it."""
    services = sqlite_services
    ledger = services.ledger
    cartridge = ledger.register_cartridge("TAF001L9")
    items = manifest()
    for number, start in enumerate(range(0, len(items), PER_PACKAGE), start=1):
        cartridge.record_package(job_id="job-大", package_id=f"pkg-{number}", group=GROUP, sequence=number,
                                 tape_file=number, header_block=10 * number, payload_block=10 * number + 2,
                                 payload_blocks=5, payload_bytes=1234, payload_sha256="f" * 64, compression="lzma2",
                                 manifest=items[start:start + PER_PACKAGE])
    ledger.save(cartridge)
    services.projector.catch_up(["catalog"])
    make_app(services).users.add("operator", "operator", "correct-horse-9", actor="测试")
    return services


class Counted:
    """The catalog rows and queries the view store answers while it is watched."""

    def __init__(self, store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        self.rows = self.queries = 0
        query = store.query

        def counted(sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
            rows = query(sql, params)
            if "catalog_" in sql:
                self.rows += len(rows)
                self.queries += 1
            return rows

        monkeypatch.setattr(store, "query", counted)

    def reset(self) -> None:
        self.rows = self.queries = 0


@pytest.fixture
def client(large: Any) -> Iterator[TestClient[Litestar]]:
    with TestClient(app=create_app(large)) as test_client:
        sign_in(test_client, "operator")
        yield test_client


def listing(client: TestClient[Litestar], path: str, **page: int) -> dict[str, Any]:
    answer = client.get("/api/v1/catalog/tree", params={"group": GROUP, "path": path, **page})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_folder_listing_reads_that_folder_not_the_group(client: TestClient[Litestar], large: Any,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    assert large.catalog.count(GROUP) == DEPARTMENTS * (1 + PROJECTS * (1 + FILES)) + 1 + FLAT
    counted = Counted(large.store, monkeypatch)

    top = listing(client, ROOT)  # 20,000 files below it; 25 folders in it, each with its totals
    assert top["total"] == DEPARTMENTS + 1 and [c["kind"] for c in top["children"]] == ["dir"] * (DEPARTMENTS + 1)
    assert [c["files"] for c in top["children"]] == [FLAT] + [PROJECTS * FILES] * DEPARTMENTS  # 扁平 sorts first
    assert counted.rows <= 2 * top["total"] + 16 and counted.queries <= 10, (counted.rows, counted.queries)

    counted.reset()
    project = listing(client, f"{ROOT}/部门07/项目3")
    assert project["total"] == FILES and project["children"][0]["path"] == f"{ROOT}/部门07/项目3/报告000.docx"
    assert counted.rows <= FILES + 16 and counted.queries <= 10

    counted.reset()
    flat = listing(client, f"{ROOT}/扁平", offset=FLAT - 100, limit=200)  # a long folder, a page at a time
    assert flat["total"] == FLAT and len(flat["children"]) == 100
    assert flat["children"][-1]["name"] == f"记录{FLAT - 1:05d}.txt" and flat["parent"] == ROOT
    assert counted.rows <= 100 + 16 and counted.queries <= 10

    counted.reset()
    above = [listing(client, path) for path in ("", "/", "/srv")]  # above the source root: folders found by probing
    assert [[c["path"] for c in folder["children"]] for folder in above] == [["/"], ["/srv"], [ROOT]]
    assert counted.rows <= 3 * 10 and counted.queries <= 3 * 10, (counted.rows, counted.queries)

    page = client.get("/catalog/tree", params={"group": GROUP, "path": f"{ROOT}/扁平"}, headers={"hx-request": "true"})
    assert page.text.count('class="node node-file"') == 200 and f"已显示 200 / 共 {FLAT} 项" in page.text
    assert "offset=200" in page.text


def package(services: Any, barcode: str, number: int, items: list[dict[str, Any]], *, group: str = GROUP,
            job: str = "job-1") -> None:
    """One package of `items` recorded on cartridge `barcode` (registered on first use)."""
    ledger = services.ledger
    cartridge = ledger.register_cartridge(barcode)  # the one registered before, if it was
    cartridge.record_package(job_id=job, package_id=f"pkg-{number}", group=group, sequence=number, tape_file=number,
                             header_block=10 * number, payload_block=10 * number + 2, payload_blocks=5,
                             payload_bytes=1234, payload_sha256="f" * 64, compression="lzma2", manifest=items)
    ledger.save(cartridge)


def test_a_folder_lists_alike_on_sqlite_and_postgresql(services: Any) -> None:
    """Versions, split files over two cartridges, a file given as a source of its own, another group."""
    catalog = make_app(services).catalog
    split = [{**entry("大.bin", size=300), "chunk_index": index, "total_chunks": 2, "chunk_offset": 150 * index,
              "chunk_length": 150} for index in range(2)]
    package(services, "TAF001L9", 1, [entry("报告", "dir", 0), entry("报告/a.docx"), entry("报告/2024", "dir", 0),
                                      entry("报告/2024/b.xlsx"), entry("readme.txt", size=1), split[0]])
    package(services, "TAF002L9", 2, [split[1], {**entry(""), "root": "/etc/hosts", "member": "hosts"}])
    package(services, "TAF002L9", 3, [entry("readme.txt", size=2)], job="job-2")  # a newer version, same group
    package(services, "TAF002L9", 4, [{**entry("x.txt"), "root": "/home/李"}], group="2026-04")

    def names(path: str, **page: int) -> list[tuple[str, str, int, list[str]]]:
        return [(c.name, c.kind, c.size, c.cartridges) for c in catalog.folder(GROUP, path, **page).children]

    # A folder's size and cartridges: every file version below it (split files once, by their size).
    assert names("") == [("/", "dir", 333, ["TAF001L9", "TAF002L9"])]
    assert names("/") == [("etc", "dir", 10, ["TAF002L9"]), ("srv", "dir", 323, ["TAF001L9", "TAF002L9"])]  # not /home
    assert names("/etc") == [("hosts", "file", 10, ["TAF002L9"])]
    assert names(ROOT) == [("报告", "dir", 20, ["TAF001L9"]), ("readme.txt", "file", 2, ["TAF002L9"]),
                           ("大.bin", "file", 300, ["TAF001L9", "TAF002L9"])]
    assert names(ROOT, offset=1, limit=1) == [("readme.txt", "file", 2, ["TAF002L9"])]
    page = catalog.folder(GROUP, f"{ROOT}/报告/")
    assert (page.path, page.parent, page.total) == (f"{ROOT}/报告", ROOT, 2)
    assert [c.path for c in page.children] == [f"{ROOT}/报告/2024", f"{ROOT}/报告/a.docx"]
    assert catalog.folder("2026-04", "/home").children[0].path == "/home/李"
