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
    assert [sql for sql in opengauss if "ngram" in sql] == [
        "CREATE INDEX IF NOT EXISTS catalog_entries_ngram ON catalog_entries USING gin (to_tsvector('ngram', base))",
        "CREATE INDEX IF NOT EXISTS catalog_dirs_ngram ON catalog_dirs USING gin (to_tsvector('ngram', path))"]
    # openGauss plans serially unless query_dop is raised: no table options to keep workers away.
    assert not any("parallel_workers" in sql for sql in opengauss)
    assert [sql for sql in opengauss if "ngram" not in sql] == [
        sql for sql in postgres if "trgm" not in sql and "parallel_workers" not in sql]


@pytest.mark.parametrize("pattern", ["预算", "年度总结"])
def test_opengauss_asks_its_ngram_index_from_two_characters_on(monkeypatch: pytest.MonkeyPatch, pattern: str) -> None:
    monkeypatch.setattr(limits, "SHORT_WINDOW", 3)
    store = RecordingStore("opengauss")
    assert OpenGaussSearch(store).search(SearchQuery(pattern=pattern)) == []  # type: ignore[arg-type]
    [(folders, folder_params)] = store.statements_with("FROM catalog_dirs WHERE to_tsvector('ngram', path)")
    assert folder_params == [pattern, f"%{pattern}%"] and "path LIKE ?" in folders
    # The windows of the newest rows are led by their id range, never by the text index.
    windows = store.statements_with("f.id > ?")
    assert windows and not any("to_tsvector" in sql for sql, _ in windows)
    [(names, name_params)] = store.statements_with("to_tsvector('ngram', f.base) @@ plainto_tsquery('ngram', ?)")
    assert "OFFSET 0" in names and name_params[:2] == [pattern, f"%{pattern}%"]
    assert not store.statements_with("chars @>")


def test_postgresql_reads_the_runs_characters_for_a_pattern_too_short_for_a_trigram(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "SHORT_WINDOW", 3)
    store = RecordingStore("postgresql")
    assert PostgresSearch(store).search(SearchQuery(pattern="预算")) == []  # type: ignore[arg-type]
    # First how many rows those runs hold, then (few enough) the runs themselves.
    runs = store.statements_with("chars @> ?")
    assert len(runs) == 2 and all(params[0] == ["算", "预"] for _, params in runs)
    assert not store.statements_with("ngram")
