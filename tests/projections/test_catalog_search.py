"""Catalog search at the edges, on SQLite and PostgreSQL: every strategy against a brute-force reference.

The reference is the definition: a row matches when the pattern is a substring of its full path,
with LIKE's case rules (ASCII letters match either case on SQLite; case matters on PostgreSQL).
Small thresholds make the small test catalog take every path of the search code.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from projections.catalog import RESULT_COLUMNS, CatalogView, SearchQuery, limits
from projections.runner import Projector

NS = 1_000_000_000
LONG_DIR = "/".join(f"第{i}层目录（很长的名字）" for i in range(20))
LONG_NAME = "超长文件名" * 60 + ".txt"

PATHS = [
    "报告/二〇二六年度总结.docx", "报告/预算.xlsx", "报告/预算", "报告/季度预算表.xlsx", "财务/2024/报告/发票.pdf",
    "readme.txt", "README.md", "src/Main.java", "src/main.py", "照片/海边.jpg", "照片/IMG_0421.JPG",
    "100%完成.txt", "100 完成.txt", "a_b.txt", "axb.txt", 'say "hi".txt', "back\\slash.txt", "百分号%目录/x.txt",
    f"{LONG_DIR}/{LONG_NAME}", "深/一/二/三/四/五/文件.bin", "算", "ab", "x.ab", ".hidden", "无扩展名", "空 格/名 字.txt",
]
PATTERNS = [
    "年度总结", "预算", "算", "报告/", "/报告/", "报告/预", "财务/2024/报告/发票.pdf", "/srv/数据/readme.txt", "readme",
    "README", "ReadMe", "main", "MAIN", "ab", "a_b", "_", "%", "100%", "100%完", '"hi"', '"', "\\", "back\\slash", "%目录/",
    "第19层目录（很长的名字）/超长", "名字）/第1", LONG_NAME[100:140], "超长文件名超长", "x", "b", ".", "/", "//", "深/一/二",
    "五/文件", "/文件", "srv/数据/深", "无扩展名", "空 格", "格/名", "不存在", "zz", "hidden", "e", "IMG_04", "jpg", "JPG",
    "AB", "E", "Ma", "Ä", "{", "{a,", "}", "照片", "片", "/一", "一/", "rc", "SR", "Rc", "务/", "srv", "据/",
]


def entry(path: str, root: str = "/srv/数据", **extra: Any) -> dict[str, Any]:
    item = {"path": path, "path_raw": None, "root": root, "root_raw": None, "kind": "file", "size": 10 + len(path),
            "mtime_ns": (1_700_000_000 + len(path)) * NS, "mode": 0o644, "member": f"{root.strip('/')}/{path}",
            "sha256": f"{len(path):064x}", "chunk_index": 0, "chunk_offset": 0, "chunk_length": 10 + len(path),
            "total_chunks": 1, "link_target": None, "link_target_raw": None, "state": "ok"}
    item.update(extra)
    return item


def record(services, barcode: str, group: str, packages: list[list[dict[str, Any]]],  # noqa: ANN001
           job: str = "job-1") -> None:
    ledger = services.ledger
    cartridge = ledger.register_cartridge(barcode)
    for manifest in packages:
        tape_file = cartridge.next_tape_file
        cartridge.record_package(job_id=job, package_id=f"{barcode}-{tape_file}", group=group, sequence=tape_file,
                                 tape_file=tape_file, header_block=10 * tape_file, payload_block=10 * tape_file + 2,
                                 payload_blocks=4, payload_bytes=4096, payload_sha256="f" * 64, compression="lzma2",
                                 manifest=manifest)
    ledger.save(cartridge)


def expected(view: CatalogView, rows: list[dict[str, Any]], pattern: str) -> set[int]:
    if view.store.dialect == "sqlite":
        fold = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
        return {r["id"] for r in rows if pattern.translate(fold) in r["full_path"].translate(fold)}
    return {r["id"] for r in rows if pattern in r["full_path"]}


@pytest.fixture(params=["through-names", "newest-rows-first"])
def small_thresholds(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Small sizes; on PostgreSQL the rows of matching names are read through the index of rows by
    name ("through-names"), or, the names being too many or holding too many rows, the newest rows
    are checked first and only the rest comes through the names ("newest-rows-first")."""
    many = request.param == "newest-rows-first"
    monkeypatch.setattr(limits, "PROBE_ROWS", 2)
    monkeypatch.setattr(limits, "READ_ROWS", 2)
    monkeypatch.setattr(limits, "NAMES_LISTED", 1 if many else 10**6)
    monkeypatch.setattr(limits, "NAME_ROWS", 2 if many else 10**6)
    monkeypatch.setattr(limits, "NAME_SPAN", 3)
    monkeypatch.setattr(limits, "SHORT_WINDOW", 7)
    monkeypatch.setattr(limits, "FLUSH_ROWS", 5)
    monkeypatch.setattr(limits, "RUN_PROBE", 3)
    monkeypatch.setattr(limits, "RUN_PAGE_IDS", 2)
    monkeypatch.setattr(limits, "SPAN_PAGE", 3)
    monkeypatch.setattr(limits, "MANY_DIRS", 4)
    monkeypatch.setattr(limits, "INDEXED_DIRS", 2)


@pytest.fixture
def catalog(services, small_thresholds):  # noqa: ANN001, ANN201
    view = CatalogView(services.store)
    projector = Projector(services.ledger, [view], batch=2)
    record(services, "TAF001L9", "2026-04", [[entry(p) for p in PATHS[:9]], [entry(p) for p in PATHS[9:]]])
    record(services, "TAF002L9", "2026-05", [[entry(p) for p in PATHS]])
    record(services, "TAF003L9", "2026-05", [[entry("Users/李/文档/合同.docx", root="C:\\",
                                                    member="C/Users/李/文档/合同.docx")]])
    projector.catch_up()
    view.projector = projector  # type: ignore[attr-defined]
    return view


def display_order(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Group newest first; within a group by full path, chunk and id."""
    by_path = sorted(rows, key=lambda r: (r["full_path"], r["chunk_index"], r["id"]))
    return sorted(by_path, key=lambda r: r["grp"], reverse=True)


def every_row(view: CatalogView) -> list[dict[str, Any]]:
    return view.search(SearchQuery(limit=10_000))


@pytest.mark.parametrize("strategy", ["collect", "newest-first"])
def test_every_pattern_finds_exactly_the_rows_containing_it(catalog, monkeypatch, strategy: str) -> None:  # noqa: ANN001
    if strategy == "newest-first":
        monkeypatch.setattr(limits, "DIR_COLLECT_ROWS", 0)
    rows = every_row(catalog)
    assert len(rows) == catalog.count() == 2 * len(PATHS) + 1
    for pattern in PATTERNS:
        found = {r["id"] for r in catalog.search(SearchQuery(pattern=pattern, limit=10_000))}
        assert found == expected(catalog, rows, pattern), pattern


def test_a_full_page_holds_the_newest_matches_in_a_stable_order(catalog) -> None:  # noqa: ANN001
    rows = every_row(catalog)
    for pattern in [*PATTERNS, "数据/报", "数据/", "/srv/数据/报"]:
        want = sorted(expected(catalog, rows, pattern), reverse=True)
        for limit in (1, 3, 7):
            page = catalog.search(SearchQuery(pattern=pattern, limit=limit))
            assert sorted((r["id"] for r in page), reverse=True) == want[:limit], (pattern, limit)
            assert page == display_order(page)
    assert catalog.search(SearchQuery(pattern="报告", limit=3)) == catalog.search(SearchQuery(pattern="报告", limit=3))


def test_group_type_and_date_filters_combine_with_every_strategy(catalog, monkeypatch) -> None:  # noqa: ANN001
    since = 1_700_000_010 * NS
    rows = every_row(catalog)
    for collect in (10**9, 0):
        monkeypatch.setattr(limits, "DIR_COLLECT_ROWS", collect)
        for pattern in ["报告", "算", "txt", "/", "报告/预", "x"]:
            for group in ["2026-04", "2026-05"]:
                got = {r["id"] for r in catalog.search(SearchQuery(pattern=pattern, group=group, ext="TXT", limit=999,
                                                                   since=_time(since)))}
                want = {i for i in expected(catalog, rows, pattern)
                        if (r := next(x for x in rows if x["id"] == i))["grp"] == group and r["ext"] == "txt"
                        and r["mtime_ns"] >= since}
                assert got == want, (pattern, group)
    assert catalog.search(SearchQuery(pattern="报告", group="2030-01")) == []


def test_interleaved_groups_are_told_apart_by_package(services, small_thresholds) -> None:  # noqa: ANN001
    view = CatalogView(services.store)
    projector = Projector(services.ledger, [view])
    record(services, "TAF101L9", "2026-06", [[entry("甲/报告1.txt")]], job="a")
    record(services, "TAF102L9", "2026-07", [[entry("乙/报告2.txt")]], job="b")
    record(services, "TAF101L9", "2026-06", [[entry("甲/报告3.txt")]], job="a")
    projector.catch_up()
    assert [r["full_path"] for r in view.search(SearchQuery(pattern="报告", group="2026-06"))] == [
        "/srv/数据/甲/报告1.txt", "/srv/数据/甲/报告3.txt"]
    assert [r["name"] for r in view.search(SearchQuery(pattern="", group="2026-07"))] == ["报告2.txt"]
    assert [n["name"] for n in view.tree("2026-06", "/srv/数据")] == ["甲"]
    assert view.count("2026-06") == 2 and view.groups() == ["2026-06", "2026-07"]


def test_rows_read_back_exactly_as_the_manifest_said(services) -> None:  # noqa: ANN001
    view = CatalogView(services.store)
    projector = Projector(services.ledger, [view])
    items = [
        entry("视频/大文件.mp4", size=9 << 30, chunk_index=1, chunk_offset=3 << 30, chunk_length=3 << 30,
              total_chunks=3, member="srv/数据/视频/大文件.mp4.taf-chunk-00002-of-00003"),
        entry("链接", kind="symlink", size=0, chunk_length=0, sha256=None, link_target="../目标"),
        entry("变了.txt", state="changed"),
        entry("", root="/srv/数据/", kind="dir", size=0, chunk_length=0, sha256=None, member="srv/数据"),
        entry("文档/a.TXT", root="D:\\共享\\", member="D/共享/文档/a.TXT"),
        entry("x", root="/", member="x"),
        entry("\U0001f600/emoji 名.txt"),
    ]
    record(services, "TAF201L9", "2026-08", [items])
    projector.catch_up()
    rows = {r["full_path"]: r for r in view.search(SearchQuery(limit=100))}
    assert set(rows) == {"/srv/数据/视频/大文件.mp4", "/srv/数据/链接", "/srv/数据/变了.txt", "/srv/数据",
                         "D:/共享/文档/a.TXT", "/x", "/srv/数据/\U0001f600/emoji 名.txt"}
    chunk = rows["/srv/数据/视频/大文件.mp4"]
    assert (chunk["chunk_index"], chunk["total_chunks"], chunk["chunk_offset"], chunk["chunk_length"]) == (
        1, 3, 3 << 30, 3 << 30)
    assert chunk["member"] == "srv/数据/视频/大文件.mp4.taf-chunk-00002-of-00003"
    assert rows["/srv/数据/链接"]["link_target"] == "../目标" and rows["/srv/数据/链接"]["kind"] == "symlink"
    assert rows["/srv/数据/变了.txt"]["state"] == "changed"
    top = rows["/srv/数据"]
    assert (top["root"], top["path"], top["name"], top["kind"]) == ("/srv/数据/", "", "", "dir")
    windows = rows["D:/共享/文档/a.TXT"]
    assert (windows["root"], windows["path"], windows["name"], windows["ext"]) == (
        "D:\\共享\\", "文档/a.TXT", "a.TXT", "txt")
    assert windows["member"] == "D/共享/文档/a.TXT"
    assert (rows["/x"]["root"], rows["/x"]["path"], rows["/x"]["member"]) == ("/", "x", "x")
    plain = rows["/srv/数据/变了.txt"]
    assert (plain["member"], plain["mtime"]) == ("srv/数据/变了.txt", "2023-11-14T22:13:26+00:00")
    # The SQL view other code reads gives the very same rows.
    by_sql = {row[2]: dict(zip(RESULT_COLUMNS, row, strict=True))
              for row in view.store.query(f"SELECT {', '.join(RESULT_COLUMNS)} FROM catalog_files")}
    assert by_sql == rows


def test_a_name_that_is_not_valid_unicode_keeps_its_exact_bytes_in_raw(services) -> None:  # noqa: ANN001
    view = CatalogView(services.store)
    path_raw = "posix:" + base64.b64encode("坏名/报".encode() + b"\xff.txt").decode()
    record(services, "TAF401L9", "2026-10", [[
        entry("坏名/报\\xff.txt", path_raw=path_raw, member="_taf_escaped/1-0"),
        entry("好名.txt"),
    ]])
    Projector(services.ledger, [view]).catch_up()
    [bad] = view.search(SearchQuery(pattern="xff"))
    assert json.loads(bad["raw"]) == [None, path_raw, None] and bad["member"] == "_taf_escaped/1-0"
    assert view.under("/srv/数据/坏名") == [bad]
    [good] = view.search(SearchQuery(pattern="好名"))
    assert good["raw"] is None
    by_sql = dict(view.store.query("SELECT full_path, raw FROM catalog_files"))
    assert by_sql == {bad["full_path"]: bad["raw"], good["full_path"]: None}


def test_under_selects_a_file_or_a_whole_folder(catalog) -> None:  # noqa: ANN001
    assert {r["grp"] for r in catalog.under("/srv/数据/报告/预算")} == {"2026-04", "2026-05"}
    assert [r["name"] for r in catalog.under("/srv/数据/报告", "2026-04")] == [
        "二〇二六年度总结.docx", "季度预算表.xlsx", "预算", "预算.xlsx"]
    assert len(catalog.under("\\srv\\数据\\深\\", "2026-05")) == 1
    assert catalog.under("/srv/数据/报", "2026-05") == []
    assert [r["full_path"] for r in catalog.under("C:/Users/李")] == ["C:/Users/李/文档/合同.docx"]


def test_rebuild_and_erase_keep_search_and_the_index_in_step(services, catalog) -> None:  # noqa: ANN001
    def snapshot() -> list[tuple[Any, ...]]:
        return [tuple(r[k] for k in RESULT_COLUMNS if k != "id")
                for p in PATTERNS for r in catalog.search(SearchQuery(pattern=p, limit=10_000))]

    before = snapshot()
    catalog.projector.rebuild()
    assert snapshot() == before
    cartridge = services.ledger.cartridge("TAF001L9")
    cartridge.erase("short", active_groups=[], by="admin")
    services.ledger.save(cartridge)
    catalog.projector.catch_up()
    rows = every_row(catalog)
    assert {r["grp"] for r in rows} == {"2026-05"} and catalog.groups() == ["2026-05"]
    for pattern in PATTERNS:
        found = {r["id"] for r in catalog.search(SearchQuery(pattern=pattern, limit=10_000))}
        assert found == expected(catalog, rows, pattern), pattern
    # New rows after an erase are found too (the index takes the next ids).
    record(services, "TAF004L9", "2026-06", [[entry("新/报告.txt")]])
    catalog.projector.catch_up()
    assert [r["grp"] for r in catalog.search(SearchQuery(pattern="新/报告"))] == ["2026-06"]


def test_a_catalog_from_the_first_layout_is_dropped_and_rebuilt(services) -> None:  # noqa: ANN001
    store = services.store
    with store.transaction() as cursor:
        CatalogView(store)._drop_all(cursor)
        cursor.execute("CREATE TABLE catalog_files (id INTEGER PRIMARY KEY, grp VARCHAR(16), full_path TEXT)")
        cursor.execute("CREATE TABLE catalog_cartridges (cartridge_id VARCHAR(64) PRIMARY KEY, barcode VARCHAR(32))")
        store.set_tracking(cursor, "catalog", 999_999, previous=0)
    record(services, "TAF301L9", "2026-09", [[entry("旧/新.txt")]])
    view = CatalogView(store)
    Projector(services.ledger, [view]).catch_up()
    assert [r["full_path"] for r in view.search(SearchQuery(pattern="旧"))] == ["/srv/数据/旧/新.txt"]


def _time(ns: int):  # noqa: ANN202
    from datetime import datetime, timezone

    return datetime.fromtimestamp(ns / NS, tz=timezone.utc)
