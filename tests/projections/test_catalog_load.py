"""Loading the catalog fast (issue 18) without losing a row: folder and name ids kept between batches,
rows written by the store in the background, text as COPY reads it, a layout of an earlier release
rebuilt — on SQLite and PostgreSQL, each checked against what the manifests said."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

import pytest

from projections.catalog import CatalogView, SearchQuery, limits
from projections.catalog import totals as totals_module
from projections.runner import Projector
from tests.projections.test_catalog_search import entry, record

# Names that COPY's text format would read as escapes, or CSV as quoting, if they were not written right.
AWKWARD = ["制表\t符.txt", "换行\n名.txt", "回车\r名.txt", "反斜杠\\n.txt", "\\N", "\\", '引号"名".txt', "逗号,名.txt",
           "百分号%名.txt", "空格 名.txt", "末尾空格 "]


def package(folder: str, names: list[str], **extra: Any) -> list[dict[str, Any]]:
    return [entry(f"{folder}/{name}", **extra) for name in names]


def full_paths(view: CatalogView) -> list[str]:
    return sorted(row["full_path"] for row in view.search(SearchQuery(limit=100_000)))


def check_ids(view: CatalogView) -> None:
    """Every row's folder and name ids are those of its folder and last component, each held once."""
    store = view.store
    assert store.query("SELECT COUNT(*) FROM catalog_entries f LEFT JOIN catalog_dirs d ON d.id = f.dir"
                       " WHERE d.id IS NULL") == [(0,)]
    assert store.query("SELECT COUNT(*), COUNT(DISTINCT path) FROM catalog_dirs")[0][0] == \
        store.query("SELECT COUNT(DISTINCT path) FROM catalog_dirs")[0][0]
    if view.engine.names:
        assert store.query("SELECT COUNT(*) FROM catalog_entries f LEFT JOIN catalog_names n ON n.id = f.name"
                           " WHERE n.base IS NULL OR n.base <> f.base") == [(0,)]
        [(names, distinct)] = store.query("SELECT COUNT(*), COUNT(DISTINCT base) FROM catalog_names")
        assert names == distinct == store.query("SELECT COUNT(DISTINCT base) FROM catalog_entries")[0][0]
    else:
        assert store.query("SELECT COUNT(*) FROM catalog_entries WHERE name <> 0") == [(0,)]


def test_a_second_process_goes_on_with_the_same_folder_and_name_ids(services: Any) -> None:
    first = CatalogView(services.store)
    one = Projector(services.ledger, [first])
    record(services, "TAF501L9", "2026-01", [package("甲/报告", ["a.txt", "b.txt"]), package("乙", ["a.txt"])])
    one.catch_up()
    # Another process knows none of the ids: it looks the folders and names up.
    second = CatalogView(services.store)
    two = Projector(services.ledger, [second])
    record(services, "TAF502L9", "2026-02", [package("甲/报告", ["a.txt", "c.txt"]), package("丙", ["b.txt"])])
    two.catch_up()
    check_ids(second)
    # The first process's ids are stale now (the tables grew meanwhile): it looks them up again.
    record(services, "TAF503L9", "2026-03", [package("丙", ["a.txt", "d.txt"]), package("丁", ["c.txt"])])
    one.catch_up()
    check_ids(first)
    assert full_paths(first) == sorted(f"/srv/数据/{path}" for path in [
        "甲/报告/a.txt", "甲/报告/b.txt", "乙/a.txt", "甲/报告/a.txt", "甲/报告/c.txt", "丙/b.txt", "丙/a.txt",
        "丙/d.txt", "丁/c.txt"])


def applied(services: Any, view: CatalogView, after: int, *, roll_back: bool = False) -> int:
    """Apply the catalog's events after notification `after` in one transaction, as the Projector
    does (rolled back at the end when asked); returns the last notification id."""
    ledger = view.ledger = services.ledger
    notifications = ledger.recorder.select_notifications(after, 100, topics=view.topics, inclusive_of_start=False)
    with pytest.raises(RuntimeError) if roll_back else nullcontext(), services.store.transaction() as cursor:
        view.apply(cursor, [(ledger.mapper.to_domain_event(n), n) for n in notifications])
        if roll_back:
            raise RuntimeError("rolled back")
    return int(notifications[-1].id)


def test_ids_handed_out_in_a_transaction_that_rolled_back_are_not_used_again(services: Any) -> None:
    view = CatalogView(services.store)
    record(services, "TAF511L9", "2026-01", [package("甲", ["a.txt"])])
    seen = applied(services, view, 0)
    # A batch that adds folders and names, rolled back after the view applied it.
    record(services, "TAF512L9", "2026-02", [package("乙/新", ["新.txt", "旧.txt"])])
    seen = applied(services, view, seen, roll_back=True)
    # Other folders and names take those ids meanwhile (another process).
    record(services, "TAF513L9", "2026-03", [package("丙/别的", ["别的.txt"])])
    seen = applied(services, CatalogView(services.store), seen)
    # The view that rolled back finds its ids gone, and looks again.
    record(services, "TAF514L9", "2026-04", [package("乙/新", ["新.txt", "更新.txt"])])
    applied(services, view, seen)
    check_ids(view)
    assert [row["full_path"] for row in view.search(SearchQuery(pattern="乙/新"))] == [
        "/srv/数据/乙/新/新.txt", "/srv/数据/乙/新/更新.txt"]


def test_a_batch_that_fails_is_applied_whole_when_tried_again(services: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    view = CatalogView(services.store)
    projector = Projector(services.ledger, [view])
    record(services, "TAF521L9", "2026-01", [package("甲", ["a.txt"]), package("乙/深", ["b.txt", "c.txt"])])
    write = totals_module.write
    monkeypatch.setattr(totals_module, "write", lambda *args: (_ for _ in ()).throw(OSError("磁盘已满")))
    with pytest.raises(OSError):
        projector.catch_up()
    assert view.count() == 0 and view.position() == 0
    monkeypatch.setattr(totals_module, "write", write)
    projector.catch_up()
    check_ids(view)
    assert view.count() == 3 and [n["name"] for n in view.tree("2026-01", "/srv/数据")] == ["乙", "甲"]


def test_few_ids_kept_in_memory_give_the_same_catalog(services: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "KNOWN_DIRS", 3)
    monkeypatch.setattr(limits, "KNOWN_NAMES", 3)
    monkeypatch.setattr(limits, "FLUSH_ROWS", 4)
    view = CatalogView(services.store)
    projector = Projector(services.ledger, [view], batch=2)
    folders = [f"部门{n}/项目{n % 3}" for n in range(6)]
    for month in range(1, 4):
        record(services, f"TAF53{month}L9", f"2026-0{month}",
               [package(folder, [f"文件{n}.txt" for n in range(month + 2)]) for folder in folders])
        projector.catch_up()
    check_ids(view)
    assert view.count() == 6 * (3 + 4 + 5)
    assert len(view.search(SearchQuery(pattern="项目1/文件4"))) == 2 * 1


def test_names_that_look_like_escapes_or_quotes_come_back_exactly(services: Any) -> None:
    view = CatalogView(services.store)
    projector = Projector(services.ledger, [view])
    items = [entry(f"怪{n}/{name}") for n, name in enumerate(AWKWARD)]
    items += [entry(f"链接\t{n}", kind="symlink", sha256=None, link_target=f"目标\\N\n{n}", size=0, chunk_length=0)
              for n in range(2)]
    items += [entry("根\\N/x.txt", root="/srv/制表\t根"), entry("y.txt", member="成员\\t名\n"),
              entry("z.txt", sha256="不是\\十六\t进制", kind="奇\\怪")]
    record(services, "TAF541L9", "2026-05", [items])
    projector.catch_up()
    rows = {row["full_path"]: row for row in view.search(SearchQuery(limit=1000))}
    assert set(rows) == {f"/srv/数据/怪{n}/{name}" for n, name in enumerate(AWKWARD)} | {
        "/srv/数据/链接\t0", "/srv/数据/链接\t1", "/srv/制表\t根/根\\N/x.txt", "/srv/数据/y.txt", "/srv/数据/z.txt"}
    for n, name in enumerate(AWKWARD):
        row = rows[f"/srv/数据/怪{n}/{name}"]
        assert (row["name"], row["sha256"], row["raw"]) == (name, f"{len(f'怪{n}/{name}'):064x}", None)
        assert view.search(SearchQuery(pattern=name, limit=1000))
    assert rows["/srv/数据/链接\t1"]["link_target"] == "目标\\N\n1" and rows["/srv/数据/链接\t1"]["sha256"] is None
    assert rows["/srv/制表\t根/根\\N/x.txt"]["root"] == "/srv/制表\t根"
    assert rows["/srv/数据/y.txt"]["member"] == "成员\\t名\n"
    assert (rows["/srv/数据/z.txt"]["sha256"], rows["/srv/数据/z.txt"]["kind"]) == ("不是\\十六\t进制", "奇\\怪")
    check_ids(view)


# The catalog tables as the first release of issue 18 made them: a trigram index of every row's last
# component, and each run's characters (PostgreSQL); no name ids.
PREVIOUS_LAYOUT = (
    "CREATE TABLE catalog_entries (id BIGINT PRIMARY KEY, pkg BIGINT NOT NULL, dir BIGINT NOT NULL, base TEXT NOT NULL,"
    " root TEXT, cut INTEGER NOT NULL, ext VARCHAR(32) NOT NULL, kind VARCHAR(16) NOT NULL, size BIGINT NOT NULL,"
    " mtime_ns BIGINT NOT NULL, mode BIGINT NOT NULL, sha256 VARCHAR(64), chunk_index INTEGER NOT NULL, extra TEXT)",
    "CREATE TABLE catalog_runs (first_id BIGINT PRIMARY KEY, last_id BIGINT NOT NULL, dir BIGINT NOT NULL, chars TEXT)",
    "INSERT INTO catalog_entries VALUES (1, 1, 1, '旧行.txt', NULL, 10, 'txt', 'file', 1, 0, 420, NULL, 0, NULL)",
)


def test_a_catalog_of_the_previous_layout_is_rebuilt_from_the_ledger(services: Any) -> None:
    store = services.store
    record(services, "TAF551L9", "2026-06", [package("新/布局", ["文件.txt"])])
    with store.transaction() as cursor:
        CatalogView(store)._drop_all(cursor)
        for statement in PREVIOUS_LAYOUT:
            cursor.execute(statement)
        store.set_tracking(cursor, "catalog", 999_999, previous=0)
    view = CatalogView(store)
    Projector(services.ledger, [view]).catch_up()
    assert full_paths(view) == ["/srv/数据/新/布局/文件.txt"]
    assert view.search(SearchQuery(pattern="旧行")) == []
    check_ids(view)


@pytest.mark.parametrize("store_kind", ["postgresql"], indirect=True)
def test_an_error_while_the_server_writes_rows_in_the_background_fails_the_batch(
        services: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    store = services.store
    view = CatalogView(store)
    projector = Projector(services.ledger, [view])
    record(services, "TAF561L9", "2026-07", [package("甲", ["a.txt", "b.txt"])])
    copy_in = type(store).copy_in

    def failing(*args: Any) -> None:
        raise OSError("连接中断")

    monkeypatch.setattr(type(store), "copy_in", failing)
    with pytest.raises(OSError, match="连接中断"):
        projector.catch_up()
    assert view.position() == 0 and store.query("SELECT COUNT(*) FROM catalog_packages") == [(0,)]
    monkeypatch.setattr(type(store), "copy_in", copy_in)
    projector.catch_up()
    assert full_paths(view) == ["/srv/数据/甲/a.txt", "/srv/数据/甲/b.txt"]


@pytest.mark.parametrize("store_kind", ["postgresql"], indirect=True)
def test_bulk_rows_keep_null_an_empty_string_and_backslash_n_apart(services: Any) -> None:
    store = services.store
    with store.transaction() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE nulls (n INTEGER, a TEXT, b TEXT, c TEXT)")
        store.bulk_insert(cursor, "nulls", ("n", "a", "b", "c"),
                          [(1, "", store.null, "\\N"), (2, None, "", ",\""), (3, 0, None, "")])
        cursor.execute("SELECT n, a, b, c FROM nulls ORDER BY n")
        assert [tuple(row) for row in cursor.fetchall()] == [(1, "", None, "\\N"), (2, None, "", ",\""),
                                                             (3, "0", None, "")]
