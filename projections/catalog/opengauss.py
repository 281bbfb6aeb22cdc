"""The catalog on openGauss: PostgreSQL's plans, with the built-in ngram parser where PostgreSQL has pg_trgm.

openGauss ships no pg_trgm. Its `ngram` text-search parser splits text into two-character grams, so
its GIN indexes serve patterns from two characters on (pg_trgm: three). An ngram match only narrows
the candidates: LIKE still decides, as on every store. No openGauss server runs here, so this module
follows openGauss's documentation and is not tried against one (docs/架构.md §5).
"""

from __future__ import annotations

from typing import Any

from projections.catalog.postgres import PostgresSearch
from projections.catalog.query import ESCAPE

_MATCH = "to_tsvector('ngram', {}) @@ plainto_tsquery('ngram', ?)"


class OpenGaussSearch(PostgresSearch):
    """ngram GIN indexes on folders and names; the rest as on PostgreSQL."""

    indexed_length = 2

    def _text_indexes(self) -> list[str]:
        return ["CREATE INDEX IF NOT EXISTS catalog_names_ngram ON catalog_names USING gin (to_tsvector('ngram', base))",
                "CREATE INDEX IF NOT EXISTS catalog_dirs_ngram ON catalog_dirs USING gin (to_tsvector('ngram', path))"]

    def _serial_scans(self) -> list[str]:
        """Nothing: openGauss plans serially unless `query_dop` is raised, and names its own table
        options."""
        return []

    def _dir_ids_like(self, text: str, like: str, most: int) -> list[int]:
        if len(text) < self.indexed_length:
            return super()._dir_ids_like(text, like, most)
        return self._ids(f"SELECT id FROM catalog_dirs WHERE {_MATCH.format('path')} AND path LIKE ?{ESCAPE}"
                         f" LIMIT {int(most)}", [text, like])

    def _short_match(self, column: str, text: str, like: str) -> tuple[str, list[Any]]:
        """One character: the rows are read (no index of characters here; ngram serves two on)."""
        return f"({column} || '') LIKE ?" + ESCAPE, [like]

    def _name_match(self, pattern: str, like: str) -> tuple[str, list[Any]]:
        return f"{_MATCH.format('base')} AND base LIKE ?" + ESCAPE, [pattern, like]
