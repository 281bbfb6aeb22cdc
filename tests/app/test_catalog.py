"""The catalog service (app/catalog.py): real packages on the emulated library, the real catalog view."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.catalog import REBUILD_PROGRESS_ID, Catalog
from app.facade import make_app
from kernel.errors import EXIT_NOT_FOUND, EXIT_USAGE, TafError, describe
from tests.restore.tapes import Written

GROUP = "2026-05"


@pytest.fixture
def services(lib_services: Any) -> Any:
    return lib_services


@pytest.fixture
def catalog(services: Any, backed_up: list[Written]) -> Catalog:
    return make_app(services).catalog


def refused_with(error: BaseException, code: int, *words: str) -> None:
    report = describe(error)
    assert isinstance(error, TafError) and report.exit_code == code, report
    assert all(word in report.message for word in words), report.message


def test_search_finds_versions_by_fragment_type_group_and_date(catalog: Catalog, source: Path) -> None:
    [report] = catalog.search("季度").files
    assert (report.path, report.group, report.kind) == (f"{source}/报告/季度总结.docx", GROUP, "file")
    assert report.sha256 and report.chunks == 1 and len(report.positions) == 1
    [split] = catalog.search("数据库备份").files
    assert split.chunks == 4 and split.sha256 is None and [p.chunk for p in split.positions] == [0, 1, 2, 3]
    assert all(p.payload_block > 0 and p.cartridge in split.cartridges for p in split.positions)
    assert [f.path.rsplit("/", 1)[1] for f in catalog.search(type="DOCX").files] == ["季度总结.docx"]
    assert len(catalog.search(group=GROUP).files) >= 9
    assert catalog.search(since="2030-01-01").files == []
    assert catalog.search(until="2023-11-13").files == []
    assert catalog.search(since="2023-11-13", until="2023-11-15T00:00").files
    few = catalog.search(limit=2)
    assert few.limit_reached and len(few.files) <= 2
    assert not catalog.search("不存在的文件名").limit_reached


def test_search_refuses_what_it_cannot_answer(catalog: Catalog) -> None:
    cases = [({"group": "2026-07"}, EXIT_NOT_FOUND, "没有备份组 2026-07"), ({"group": "2026-13"}, EXIT_USAGE, "备份组"),
             ({"since": "昨天"}, EXIT_USAGE, "日期“昨天”无效"), ({"limit": 0}, EXIT_USAGE, "条数必须是正整数")]
    for query, code, words in cases:
        with pytest.raises(TafError) as raised:
            catalog.search("x", **query)
        refused_with(raised.value, code, words)


def test_tree_walks_down_a_group(catalog: Catalog, source: Path) -> None:
    top = catalog.tree(GROUP)
    assert top.path == "" and top.children
    inside = {node.name: node for node in catalog.tree(GROUP, str(source)).children}
    assert (inside["报告"].kind, inside["报告"].files) == ("dir", 2)
    assert inside["视频.mp4"].size == 150 * 1024 and len(inside["视频.mp4"].cartridges) == 1
    assert set(inside["视频.mp4"].cartridges) <= {"TAF001L9", "TAF002L9"}
    assert inside["快捷方式"].kind == "symlink"
    assert [n.name for n in catalog.tree(GROUP, str(source / "报告")).children] == ["2024", "季度总结.docx"]
    for group, code in (("  ", EXIT_USAGE), ("2026-08", EXIT_NOT_FOUND)):
        with pytest.raises(TafError) as raised:
            catalog.tree(group)
        refused_with(raised.value, code)


def test_groups_show_each_group_with_its_cartridges_and_files(catalog: Catalog) -> None:
    [group] = catalog.groups()
    assert (group.name, group.active, group.rotated_out_at) == (GROUP, True, None)
    assert sorted(group.cartridges) == ["TAF001L9", "TAF002L9"] and group.files >= 9


def test_rebuild_from_the_ledger_keeps_every_version(catalog: Catalog) -> None:
    before = catalog.search(limit=1000)
    assert catalog.rebuild().files == sum(len(f.positions) for f in before.files)
    assert catalog.search(limit=1000) == before


def test_rebuild_from_tapes_brings_a_lost_ledger_back(catalog: Catalog, services: Any, library_env: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    before = [(f.path, f.sha256, f.chunks) for f in catalog.search(limit=1000).files]
    monkeypatch.setenv("DATA_DIR", str(library_env / "新台账"))  # the ledger is lost; the tapes are not
    from bootstrap import build

    fresh = build()
    try:
        again = make_app(fresh).catalog
        heard: list[str] = []
        recovery = again.rebuild_from_tapes(actor="值班员", say=heard.append)
        assert sorted(c.barcode for c in recovery.cartridges) == ["TAF001L9", "TAF002L9"]
        assert recovery.registered == 2 and recovery.new_packages > 0 and recovery.groups_opened == [GROUP]
        assert recovery.blank == ["TAF003L9", "TAF004L9"] and "从 2 盘磁带重建" in recovery.text
        assert any("TAF003L9 是空白磁带" in line for line in heard)
        assert [(f.path, f.sha256, f.chunks) for f in again.search(limit=1000).files] == before
        published = fresh.progress.latest(recovery.progress_id)
        assert recovery.progress_id == REBUILD_PROGRESS_ID == "catalog-rebuild"
        assert published is not None and (published.phase, published.cartridges_done) == ("done", 4)
        assert again.rebuild_from_tapes(actor="值班员").new_packages == 0
    finally:
        fresh.close()


def test_rebuild_from_tapes_without_a_taf_tape_learns_nothing(services: Any) -> None:
    catalog = make_app(services).catalog
    with pytest.raises(TafError) as raised:
        catalog.rebuild_from_tapes(actor="值班员")
    refused_with(raised.value, EXIT_NOT_FOUND, "没有读到任何本系统的磁带")
    assert catalog.search().files == [] and catalog.groups() == []


def test_a_search_asked_again_is_answered_from_the_kept_answer_until_the_catalog_moves(
        catalog: Catalog, services: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from projections.catalog import CatalogView
    from tests.restore.tapes import back_up

    searched: list[str] = []
    view_search = CatalogView.search
    monkeypatch.setattr(CatalogView, "search", lambda view, query: searched.append(query.pattern) or view_search(view, query))
    first = catalog.search("季度")
    assert catalog.search("季度") == first and searched == ["季度"]  # the same question: not searched again
    assert catalog.search("季度", limit=5) and searched == ["季度", "季度"]  # another question is
    make_app(services).users.add("lisi", "operator", "lisi-password-1", actor="测试员")
    assert catalog.search("季度") == first and len(searched) == 2  # an event the catalog does not follow

    later = tmp_path / "后来的"
    later.mkdir()
    (later / "季度计划.xlsx").write_bytes(b"plan")
    back_up(services, [later], group=GROUP, barcodes=["TAF003L9"], staging=tmp_path / "staging-2", job_id="job-后来")
    again = catalog.search("季度")
    assert len(searched) == 3 and {f.path for f in again.files} == {f.path for f in first.files} | {
        f"{later}/季度计划.xlsx"}
