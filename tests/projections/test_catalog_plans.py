"""On PostgreSQL the catalog's queries run without parallel workers, even where the planner's costs
favour them (`PostgresSearch._serial_scans`): every catalog query reads a bounded few rows, and a
parallel plan chosen on a misjudged range join made a group's top folder 30–100 times slower."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.facade import make_app
from projections.catalog import SearchQuery
from projections.catalog.schema import TABLE_NAMES

NS = 1_000_000_000
ROOT = "/srv/共享"


def record(services: Any, group: str, barcode: str, files: int) -> None:
    ledger = services.ledger
    cartridge = ledger.register_cartridge(barcode)
    for number in range(1, 3):
        items = [{"path": f"部门{n % 7}/项目{n % 13}/报告{n:05d}.docx", "root": ROOT, "kind": "file", "size": n,
                  "mtime_ns": (1_700_000_000 + n) * NS, "mode": 0o644, "sha256": "0" * 64,
                  "member": f"srv/共享/部门{n % 7}/项目{n % 13}/报告{n:05d}.docx", "chunk_index": 0,
                  "total_chunks": 1, "chunk_offset": 0, "chunk_length": n, "state": "ok"}
                 for n in range(number * files, (number + 1) * files)]
        cartridge.record_package(job_id=f"job-{group}", package_id=f"{barcode}-{number}", group=group,
                                 sequence=number, tape_file=number, header_block=10 * number,
                                 payload_block=10 * number + 2, payload_blocks=5, payload_bytes=1234,
                                 payload_sha256="f" * 64, compression="lzma2", manifest=items)
    ledger.save(cartridge)


def parallel_nodes(services: Any, monkeypatch: pytest.MonkeyPatch, act: Any) -> list[str]:
    """The Gather nodes in the plans of every SELECT of the catalog's tables sent while `act()` runs
    (the projector's own position, read on the way, is not the catalog's)."""
    store = services.store
    query = store.query
    found: list[str] = []

    def planned(sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
        if sql.lstrip().upper().startswith("SELECT") and "catalog_" in sql:
            [(plan,)] = query(f"EXPLAIN (FORMAT JSON) {sql}", params)
            text = plan if isinstance(plan, str) else json.dumps(plan)
            found.extend(node for node in ("Gather Merge", "Gather") if f'"{node}"' in text)
        return query(sql, params)

    with monkeypatch.context() as patched:
        patched.setattr(store, "query", planned)
        act()
    return found


@pytest.mark.parametrize("store_kind", ["postgresql"], indirect=True)
def test_catalog_queries_are_planned_without_parallel_workers(services: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    record(services, "2026-01", "TAF001L9", 3_000)
    record(services, "2026-02", "TAF002L9", 3_000)
    catalog = make_app(services).catalog
    catalog.groups()  # caught up
    with services.store.transaction() as cursor:
        cursor.execute("ANALYZE")
        # Parallel workers cost nothing here: any plan that may use them will.
        for setting in ("parallel_setup_cost", "parallel_tuple_cost", "min_parallel_table_scan_size",
                        "min_parallel_index_scan_size"):
            cursor.execute(f"SET {setting} = 0")

    def browse() -> None:
        catalog.tree("2026-02", "")
        catalog.tree("2026-02", ROOT)
        services.catalog.search(SearchQuery(pattern="报告", group="2026-01"))
        services.catalog.search(SearchQuery(pattern="项目1"))
        services.catalog.under(f"{ROOT}/部门3", "2026-02")

    assert parallel_nodes(services, monkeypatch, browse) == []
    # The control: without the tables' option the same calls are planned with workers.
    with services.store.transaction() as cursor:
        for table in TABLE_NAMES:
            cursor.execute(f"ALTER TABLE {table} RESET (parallel_workers)")
    assert parallel_nodes(services, monkeypatch, browse)
    services.catalog.create()  # as every process that opens the catalog does
    assert parallel_nodes(services, monkeypatch, browse) == []


@pytest.mark.parametrize("store_kind", ["postgresql"], indirect=True)
def test_ids_are_looked_up_by_key_through_the_index_on_a_table_without_statistics(services: Any) -> None:
    """A table that grew in this load has no statistics: the planner then takes a look-up of 500 keys
    for most of the table and scans it whole (150 ms at 3.3 million names). The loader's look-ups run
    with sequential scans off (`PostgresSearch.index_lookups`)."""
    record(services, "2026-01", "TAF001L9", 3_000)
    make_app(services).catalog.groups()  # caught up: 6,000 names, never analyzed
    engine = services.catalog.engine
    keys = ", ".join(str(key) for key in range(-250, 250))
    lookup = f"EXPLAIN (FORMAT JSON) SELECT base, id FROM catalog_names WHERE key IN ({keys})"

    def plan(cursor: Any) -> str:
        cursor.execute(lookup)
        [(found,)] = cursor.fetchall()
        return found if isinstance(found, str) else json.dumps(found)

    with services.store.transaction() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'catalog_names'")
        assert cursor.fetchone()[0] <= 0  # never analyzed: the planner's own guess decides
        assert '"Seq Scan"' in plan(cursor)  # the control: left to itself, it scans every name
        with engine.index_lookups(cursor):
            assert '"Seq Scan"' not in plan(cursor) and "catalog_names_key" in plan(cursor)
        assert '"Seq Scan"' in plan(cursor)  # and only there


def sqlite_plans(services: Any, monkeypatch: pytest.MonkeyPatch, act: Any) -> list[str]:
    """SQLite's plan steps (EXPLAIN QUERY PLAN) of every SELECT of the catalog's tables sent while `act()` runs."""
    store = services.store
    query = store.query
    found: list[str] = []

    def planned(sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
        if sql.lstrip().upper().startswith("SELECT") and "catalog_" in sql:
            found.extend(str(row[-1]) for row in query(f"EXPLAIN QUERY PLAN {sql}", params))
        return query(sql, params)

    with monkeypatch.context() as patched:
        patched.setattr(store, "query", planned)
        act()
    return found


def walks_runs(step: str) -> bool:
    """A plan step that reads the runs one after another (all, or every one in an id range)."""
    return step.startswith(("SCAN r", "SEARCH r USING INTEGER PRIMARY KEY (rowid>"))


@pytest.mark.parametrize("store_kind", ["sqlite"], indirect=True)
def test_a_few_folders_runs_come_through_their_index_and_no_folder_means_no_runs(
        services: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Walking every run newest first and testing its folder grows with the catalog: a pattern that
    is in no folder walked all of them. The folders are listed first; a few are read through the index
    of runs by folder (`SqliteSearch._dirs_with`)."""
    from projections.catalog import limits

    record(services, "2026-01", "TAF001L9", 3_000)
    catalog = services.catalog
    make_app(services).catalog.groups()  # caught up

    def search(pattern: str) -> Any:
        return lambda: catalog.search(SearchQuery(pattern=pattern))

    in_no_folder = sqlite_plans(services, monkeypatch, search("报告0123"))
    assert not any("catalog_runs" in step or " r " in f"{step} " for step in in_no_folder), in_no_folder
    few = sqlite_plans(services, monkeypatch, search("项目12"))
    assert any("catalog_runs_dir" in step for step in few), few
    assert not any(walks_runs(step) or step.startswith("SCAN f") for step in few), few
    in_project_12 = sum(1 for n in range(3_000, 9_000) if n % 13 == 12)
    assert len(catalog.search(SearchQuery(pattern="项目12", limit=10_000))) == in_project_12
    # The control: more folders are walked run by run, listed (INDEXED_DIRS) or not (MANY_DIRS).
    for many in ("INDEXED_DIRS", "MANY_DIRS"):
        monkeypatch.setattr(limits, many, 0)
        assert any(walks_runs(step) for step in sqlite_plans(services, monkeypatch, search("项目12")))
        assert len(catalog.search(SearchQuery(pattern="项目12", limit=10_000))) == in_project_12


@pytest.mark.parametrize("store_kind", ["postgresql"], indirect=True)
def test_patterns_shorter_than_a_trigram_can_be_served_by_the_index_of_characters(services: Any) -> None:
    """pg_trgm reads its whole index for one or two characters; without another index they read
    every name and folder (300 and 60 ms at 20 million files). The condition `_short_match` writes
    is one the index of characters serves, and pg_trgm's cannot."""
    record(services, "2026-01", "TAF001L9", 3_000)
    make_app(services).catalog.groups()  # caught up
    engine = services.catalog.engine
    with services.store.transaction() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("SET LOCAL enable_seqscan = off")  # what an index can do, on this small table
        for table, column in (("catalog_names", "base"), ("catalog_dirs", "path")):
            for text in ("告", "项目"):
                where, params = engine._short_match(column, text, f"%{text}%")
                cursor.execute(f"EXPLAIN (FORMAT JSON) SELECT id FROM {table} WHERE {where} LIMIT 9",
                               params)
                [(found,)] = cursor.fetchall()
                plan = found if isinstance(found, str) else json.dumps(found)
                assert f"{table}_chars" in plan and "trgm" not in plan, plan
    assert len(services.catalog.search(SearchQuery(pattern="告", limit=10_000))) == 6_000
