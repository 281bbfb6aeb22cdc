"""Which search each store gets, and what openGauss changes in PostgreSQL's plans.

No openGauss server runs here, so its module is checked by the SQL it sends to a recording store;
the plans it shares with PostgreSQL run against the real server in test_catalog_search.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from projections.catalog import SearchQuery, limits
from projections.catalog.opengauss import OpenGaussSearch
from projections.catalog.postgres import PostgresSearch
from projections.catalog.sqlite import SqliteSearch
from projections.catalog.view import search_for


class RecordingStore:
    """Stands in for a PostgreSQL-compatible store: answers every query with no rows except the
    catalog's highest id, and keeps each statement it was sent."""

    dialect = "postgresql"

    def __init__(self, flavour: str = "postgresql", max_id: int = 10) -> None:
        self.flavour = flavour
        self.max_id = max_id
        self.sent: list[tuple[str, list[Any]]] = []

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self.sent.append((sql, list(params)))
        if sql.startswith("SELECT MAX(id) FROM catalog_entries"):
            return [(self.max_id,)]
        if sql.startswith("SELECT COALESCE(SUM(last_id - first_id + 1), 0)"):
            return [(0,)]
        return []

    def statements_with(self, text: str) -> list[tuple[str, list[Any]]]:
        return [(sql, params) for sql, params in self.sent if text in sql]


class SqliteLike:
    dialect = "sqlite"


@pytest.mark.parametrize(("store", "kind"), [
    (SqliteLike(), SqliteSearch),
    (RecordingStore("postgresql"), PostgresSearch),
    (RecordingStore("opengauss"), OpenGaussSearch),
], ids=["sqlite", "postgresql", "opengauss"])
def test_each_store_gets_the_search_written_for_it(store: Any, kind: type) -> None:
    assert type(search_for(store)) is kind


def test_opengauss_indexes_with_its_ngram_parser_where_postgresql_uses_pg_trgm() -> None:
    postgres = PostgresSearch(RecordingStore()).ddl()  # type: ignore[arg-type]
    opengauss = OpenGaussSearch(RecordingStore("opengauss")).ddl()  # type: ignore[arg-type]
    assert not any("trgm" in sql for sql in opengauss)
    # Folders and names are indexed, never the rows themselves (one name for many rows).
    assert [sql for sql in opengauss if "ngram" in sql] == [
        "CREATE INDEX IF NOT EXISTS catalog_names_ngram ON catalog_names USING gin (to_tsvector('ngram', base))",
        "CREATE INDEX IF NOT EXISTS catalog_dirs_ngram ON catalog_dirs USING gin (to_tsvector('ngram', path))"]
    assert [sql for sql in postgres if "gin_trgm_ops" in sql] == [
        "CREATE INDEX IF NOT EXISTS catalog_names_trgm ON catalog_names USING gin (base gin_trgm_ops)",
        "CREATE INDEX IF NOT EXISTS catalog_dirs_trgm ON catalog_dirs USING gin (path gin_trgm_ops)"]
    # openGauss plans serially unless query_dop is raised: no table options to keep workers away.
    assert not any("parallel_workers" in sql for sql in opengauss)
    # PostgreSQL's index of characters serves patterns shorter than a trigram; openGauss's ngram
    # serves two characters on, and it has no such index.
    assert [sql for sql in postgres if "string_to_array" in sql] == [
        "CREATE INDEX IF NOT EXISTS catalog_names_chars ON catalog_names USING gin (string_to_array(base, NULL))",
        "CREATE INDEX IF NOT EXISTS catalog_dirs_chars ON catalog_dirs USING gin (string_to_array(path, NULL))"]
    assert [sql for sql in opengauss if "ngram" not in sql] == [
        sql for sql in postgres if "trgm" not in sql and "parallel_workers" not in sql and "string_to_array" not in sql]


@pytest.mark.parametrize("pattern", ["预算", "年度总结"])
def test_opengauss_asks_its_ngram_index_of_names_from_two_characters_on(monkeypatch: pytest.MonkeyPatch,
                                                                        pattern: str) -> None:
    monkeypatch.setattr(limits, "PROBE_ROWS", 3)  # the newest 3 of 10 rows hold nothing: the names are asked
    monkeypatch.setattr(limits, "READ_ROWS", 3)  # ten rows: searched through the indexes, not read
    store = RecordingStore("opengauss")
    assert OpenGaussSearch(store).search(SearchQuery(pattern=pattern)) == []  # type: ignore[arg-type]
    [(folders, folder_params)] = store.statements_with("FROM catalog_dirs WHERE to_tsvector('ngram', path)")
    assert folder_params == [pattern, f"%{pattern}%"] and "path LIKE ?" in folders
    [(names, name_params)] = store.statements_with("FROM catalog_names WHERE")
    assert "to_tsvector('ngram', base) @@ plainto_tsquery('ngram', ?) AND base LIKE ?" in names
    assert name_params == [pattern, f"%{pattern}%"]
    # No name holds it: no row is read but the newest few (and the catalog's highest id, its scope).
    [scope, probe] = [(sql, params) for sql, params in store.statements_with("FROM catalog_entries")]
    assert scope[0] == "SELECT MAX(id) FROM catalog_entries" and probe[1][-3:] == [7, 10, 100]


@pytest.mark.parametrize(("flavour", "pattern", "indexed"), [
    ("postgresql", "年度总结", True), ("postgresql", "预算", False), ("postgresql", "算", False),
    ("opengauss", "预算", True), ("opengauss", "算", False),
])
def test_a_pattern_too_short_for_the_text_index_reads_the_names_without_it(
        monkeypatch: pytest.MonkeyPatch, flavour: str, pattern: str, indexed: bool) -> None:
    monkeypatch.setattr(limits, "PROBE_ROWS", 3)
    monkeypatch.setattr(limits, "READ_ROWS", 3)  # ten rows: searched through the indexes, not read
    store = RecordingStore(flavour)
    search = OpenGaussSearch(store) if flavour == "opengauss" else PostgresSearch(store)  # type: ignore[arg-type]
    assert search.search(SearchQuery(pattern=pattern)) == []
    [(names, params)] = store.statements_with("FROM catalog_names WHERE")
    # `base || ''` is not the indexed expression: a pattern with no trigram (or bigram) would make
    # the index read every one of its entries.
    assert ("(base || '') LIKE ?" in names) is not indexed
    assert f"%{pattern}%" in params and names.endswith(f"LIMIT {limits.NAMES_LISTED + 1}")
    # PostgreSQL finds such a name through its characters instead (openGauss reads the names).
    by_characters = "string_to_array(base, NULL) @> string_to_array(?, NULL)" in names
    assert by_characters is (flavour == "postgresql" and not indexed)
    assert (pattern in params) is (by_characters or indexed and flavour == "opengauss")
