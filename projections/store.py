"""Where views keep their rows: a SQLite file or a PostgreSQL/openGauss database.

Views write SQL with `?` placeholders and portable types; the store converts placeholders for
psycopg2. Each view's tracking position lives in `view_tracking` and is written in the same
transaction as the view's rows, so every event is applied exactly once.
"""

from __future__ import annotations

import math
import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from kernel.errors import TafError

_TRACKING_DDL = ("CREATE TABLE IF NOT EXISTS view_tracking ("
                 "view_name VARCHAR(200) PRIMARY KEY, notification_id BIGINT NOT NULL)")


class DuplicateTracking(TafError):
    """The position was already applied: the whole batch is rolled back (the runner's own signal)."""

    default_message = "投影已处理过这个位置"


class Cursor(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ...) -> Any: ...
    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Any: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class _CopyNull:
    """NULL as `PostgresViewStore.bulk_insert` writes it. The csv module quotes every field but
    numbers; this one counts as a number (it has `__float__`) and its text is empty, so it is the one
    unquoted empty field, which COPY … CSV reads as NULL — and an empty string stays a string."""

    def __float__(self) -> float:
        return math.nan

    def __str__(self) -> str:
        return ""

    def __repr__(self) -> str:
        return "NULL"


class ViewStore:
    dialect = "abstract"
    # NULL in rows given to `bulk_insert` (None works too, at some cost on PostgreSQL).
    null: Any = None

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:  # pragma: no cover - abstract
        raise NotImplementedError
        yield

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.transaction() as cursor:
            cursor.execute(sql, params)
            return [tuple(row) for row in cursor.fetchall()]

    def ensure_tracking(self) -> None:
        with self.transaction() as cursor:
            cursor.execute(_TRACKING_DDL)

    def max_tracking_id(self, view_name: str) -> int:
        rows = self.query("SELECT notification_id FROM view_tracking WHERE view_name = ?", (view_name,))
        return int(rows[0][0]) if rows else 0

    def set_tracking(self, cursor: Cursor, view_name: str, notification_id: int, previous: int) -> None:
        """Move the view's position from `previous` to `notification_id`, or refuse.

        A compare-and-set: if another projector moved the position meanwhile, nothing matches and
        the batch is refused before any row is written. No ON CONFLICT (openGauss lacks it):
        UPDATE from the expected position, else INSERT the first position, where a primary-key
        clash means another writer got there first.
        """
        if notification_id <= previous:
            raise DuplicateTracking(f"{view_name} 的位置 {notification_id} 不在 {previous} 之后")
        if previous:
            cursor.execute("UPDATE view_tracking SET notification_id = ? WHERE view_name = ? AND notification_id = ?",
                           (notification_id, view_name, previous))
            if _rowcount(cursor) != 1:
                raise DuplicateTracking(f"{view_name} 已不在位置 {previous}")
            return
        cursor.execute("SELECT notification_id FROM view_tracking WHERE view_name = ?", (view_name,))
        if cursor.fetchone() is not None:
            raise DuplicateTracking(f"{view_name} 已有位置，不能从头开始")
        try:
            cursor.execute("INSERT INTO view_tracking (view_name, notification_id) VALUES (?, ?)",
                           (view_name, notification_id))
        except Exception as error:  # the driver's IntegrityError
            if "unique" in str(error).lower() or "duplicate" in str(error).lower():
                raise DuplicateTracking(str(error)) from error
            raise

    def bulk_insert(self, cursor: Cursor, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Insert many rows in one round of work (never a transaction per row)."""
        marks = ", ".join("?" for _ in columns)
        cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

    def reset_tracking(self, cursor: Cursor, view_name: str) -> None:
        cursor.execute("DELETE FROM view_tracking WHERE view_name = ?", (view_name,))

    def close(self) -> None:  # pragma: no cover - overridden
        pass


def _rowcount(cursor: Cursor) -> int:
    return int(getattr(cursor, "rowcount", 0))


class SqliteViewStore(ViewStore):
    dialect = "sqlite"

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._lock = threading.RLock()
        self._connections: list[sqlite3.Connection] = []
        self._memory: sqlite3.Connection | None = None
        self.ensure_tracking()

    def _connection(self) -> sqlite3.Connection:
        if self.path == ":memory:":
            if self._memory is None:
                self._memory = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
            return self._memory
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            self._local.connection = connection
            self._connections.append(connection)
        return connection

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        with self._lock if self.path == ":memory:" else _nullcontext():
            connection = self._connection()
            cursor = connection.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            try:
                yield cursor
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            else:
                connection.execute("COMMIT")
            finally:
                cursor.close()

    def close(self) -> None:
        for connection in self._connections:
            connection.close()
        self._connections.clear()
        self._local = threading.local()
        if self._memory is not None:
            self._memory.close()
            self._memory = None


@contextmanager
def _nullcontext() -> Iterator[None]:
    yield


class _PgCursor:
    """Adapts `?` placeholders to psycopg2's `%s`."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    @staticmethod
    def _sql(sql: str) -> str:
        return re.sub(r"\?", "%s", sql.replace("%", "%%"))

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._cursor.execute(self._sql(sql), tuple(params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Any:
        import psycopg2.extras

        # execute_batch sends many rows per round trip: a bulk load, not a row per statement.
        return psycopg2.extras.execute_batch(self._cursor, self._sql(sql), rows, page_size=1000)

    def fetchone(self) -> Any:
        return self._cursor.fetchone()

    def fetchall(self) -> list[Any]:
        return list(self._cursor.fetchall())

    @property
    def rowcount(self) -> int:
        return int(self._cursor.rowcount)

    @property
    def raw(self) -> Any:
        return self._cursor


class PostgresViewStore(ViewStore):
    """Views in PostgreSQL or openGauss (PG compatibility mode), through psycopg2.

    `flavour` tells the two apart where their SQL differs (catalog text search only).
    """

    dialect = "postgresql"
    null = _CopyNull()

    def __init__(self, *, host: str, port: int | str, user: str, password: str, dbname: str,
                 schema: str = "public", connect_timeout: int = 10, flavour: str = "postgresql") -> None:
        import psycopg2

        self.flavour = flavour
        self._params = {"host": host, "port": int(port), "user": user, "password": password,
                        "dbname": dbname, "connect_timeout": connect_timeout}
        self._psycopg2 = psycopg2
        self.schema = schema
        self._local = threading.local()
        self._connections: list[Any] = []
        self.ensure_tracking()

    def _connection(self) -> Any:
        connection = getattr(self._local, "connection", None)
        if connection is None or connection.closed:
            connection = self._psycopg2.connect(**self._params)
            if self.schema != "public":
                with connection.cursor() as cursor:
                    cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
                    cursor.execute(f'SET search_path TO "{self.schema}"')
                connection.commit()
            self._local.connection = connection
            self._connections.append(connection)
        return connection

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        connection = self._connection()
        try:
            cursor = connection.cursor()
        except self._psycopg2.InterfaceError:
            self._local.connection = None
            connection = self._connection()
            cursor = connection.cursor()
        try:
            yield _PgCursor(cursor)
        except BaseException:
            if not connection.closed:
                connection.rollback()
            raise
        else:
            connection.commit()
        finally:
            cursor.close()

    def bulk_insert(self, cursor: Cursor, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """COPY … FROM STDIN in CSV: the fastest bulk path PostgreSQL and openGauss share.

        Every value but numbers is quoted, so an empty string or the text \\N stays a string, and NULL
        is the one unquoted empty field (`self.null`; a row holding None is rewritten first). The csv
        module writes whole rows in C, with no Python per value.
        """
        import csv
        import io

        null = self.null
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC).writerows(
            [null if value is None else value for value in row] if None in row else row for row in rows)
        buffer.seek(0)
        raw: Any = cursor.raw if isinstance(cursor, _PgCursor) else cursor  # psycopg2's cursor
        raw.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)", buffer)

    def copy_in(self, cursor: Cursor, table: str, columns: Sequence[str], text: str) -> None:
        """COPY … FROM STDIN of rows already in COPY's text format (tab-separated, \\N for NULL)."""
        import io

        raw: Any = cursor.raw if isinstance(cursor, _PgCursor) else cursor
        raw.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", io.StringIO(text), size=1 << 20)

    def close(self) -> None:
        for connection in self._connections:
            if not connection.closed:
                connection.close()
        self._connections.clear()
        self._local = threading.local()
