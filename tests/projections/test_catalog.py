"""The catalog: rows from PackageWritten manifests, substring search, tree, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from projections.catalog import CatalogView, SearchQuery
from projections.runner import Projector

NS = 1_000_000_000


def manifest(names: list[str], root: str = "/srv/数据") -> list[dict]:
    return [{"path": name, "root": root, "kind": "file", "size": 10 * (i + 1), "mtime_ns": (1_700_000_000 + i) * NS,
             "mode": 0o644, "sha256": f"{i:064x}", "member": f"m/{name}", "chunk_index": 0, "total_chunks": 1,
             "chunk_offset": 0, "chunk_length": 10 * (i + 1), "state": "ok"} for i, name in enumerate(names)]


def write(services, barcode: str, group: str, package: str, names: list[str], tape_file: int = 1) -> None:  # noqa: ANN001
    ledger = services.ledger
    cartridge = ledger.register_cartridge(barcode)
    cartridge.record_package(job_id="job-1", package_id=package, group=group, sequence=tape_file, tape_file=tape_file,
                             header_block=2 * tape_file, payload_block=2 * tape_file + 2, payload_blocks=5,
                             payload_bytes=1234, payload_sha256="f" * 64, compression="lzma2",
                             manifest=manifest(names))
    ledger.save(cartridge)


@pytest.fixture
def catalog(services):  # noqa: ANN001, ANN201
    view = CatalogView(services.store)
    projector = Projector(services.ledger, [view])
    write(services, "TAF001L9", "2026-04", "pkg-1", ["报告/二〇二六年度总结.docx", "报告/预算.xlsx", "readme.txt"])
    write(services, "TAF002L9", "2026-05", "pkg-2", ["报告/二〇二六年度总结.docx", "照片/海边.jpg"], tape_file=1)
    projector.catch_up()
    view.projector = projector  # type: ignore[attr-defined]
    return view


def test_every_manifest_entry_becomes_a_row_with_its_tape_position(catalog) -> None:  # noqa: ANN001
    assert catalog.count() == 5
    [row] = catalog.search(SearchQuery(pattern="readme"))
    assert row["full_path"] == "/srv/数据/readme.txt"
    assert (row["cartridge"], row["grp"], row["package_id"], row["tape_file"]) == ("TAF001L9", "2026-04", "pkg-1", 1)
    assert (row["header_block"], row["payload_block"], row["payload_blocks"]) == (2, 4, 5)
    assert row["ext"] == "txt" and row["sha256"] == f"{2:064x}"


@pytest.mark.parametrize(("pattern", "expected"), [
    ("年度总结", 2),        # Chinese substring of at least three characters (trigram index)
    ("预算", 1),            # two characters: below the trigram length, still found
    ("报告/", 3),
    ("海", 1),
    ("100%", 0),            # wildcards in the pattern are literal
    ("_", 0),
])
def test_substring_search_finds_any_part_of_a_path(catalog, pattern: str, expected: int) -> None:  # noqa: ANN001
    assert len(catalog.search(SearchQuery(pattern=pattern))) == expected


def test_search_filters_by_group_type_and_date(catalog) -> None:  # noqa: ANN001
    assert [r["grp"] for r in catalog.search(SearchQuery(pattern="总结", group="2026-05"))] == ["2026-05"]
    assert [r["name"] for r in catalog.search(SearchQuery(ext=".jpg"))] == ["海边.jpg"]
    since = datetime.fromtimestamp(1_700_000_001, tz=timezone.utc)
    assert {r["name"] for r in catalog.search(SearchQuery(since=since, group="2026-04"))} == {"预算.xlsx", "readme.txt"}
    assert len(catalog.search(SearchQuery(limit=2))) == 2


def test_the_tree_shows_folders_then_files(catalog) -> None:  # noqa: ANN001
    top = catalog.tree("2026-04", "/srv/数据")
    assert [(n["name"], n["kind"]) for n in top] == [("报告", "dir"), ("readme.txt", "file")]
    assert top[0]["files"] == 2
    inner = catalog.tree("2026-04", "/srv/数据/报告")
    assert [n["name"] for n in inner] == ["二〇二六年度总结.docx", "预算.xlsx"]
    assert catalog.tree("2026-04", "/nowhere") == []


def test_an_erased_cartridge_leaves_the_catalog(services, catalog) -> None:  # noqa: ANN001
    cartridge = services.ledger.cartridge("TAF001L9")
    cartridge.erase("short", active_groups=[], by="admin")
    services.ledger.save(cartridge)
    catalog.projector.catch_up()
    assert catalog.count() == 2
    assert {r["cartridge"] for r in catalog.search(SearchQuery(pattern="报告"))} == {"TAF002L9"}
    assert len(catalog.search(SearchQuery(pattern="年度总结"))) == 1


def test_a_rebuild_gives_the_same_search_results(catalog) -> None:  # noqa: ANN001
    before = catalog.search(SearchQuery(pattern="报告"))
    catalog.projector.rebuild()
    after = catalog.search(SearchQuery(pattern="报告"))
    strip = [{k: v for k, v in r.items() if k != "id"} for r in before]
    assert [{k: v for k, v in r.items() if k != "id"} for r in after] == strip
    assert catalog.groups() == ["2026-04", "2026-05"]


def test_a_files_view_left_by_an_older_version_is_made_anew(catalog) -> None:  # noqa: ANN001
    """Before `raw` existed the SQLite view was made only if missing, so an old one stayed."""
    store = catalog.store
    with store.transaction() as cursor:
        cursor.execute("DROP VIEW catalog_files")
        cursor.execute("CREATE VIEW catalog_files AS SELECT 1 AS id")
    catalog.create()
    rows = store.query("SELECT full_path, raw FROM catalog_files")
    assert len(rows) == 5 and all(raw is None for _, raw in rows)
