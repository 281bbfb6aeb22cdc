"""psycopg2 plumbing for the openGauss/PostgreSQL ledger store: pool, errors, retries.

Kept apart from ``ledger.opengauss`` so that the recorders there read as SQL and nothing
else. Like every persistence module of the ledger it imports only psycopg2, eventsourcing
and the standard library (ARCHITECTURE.md §1).

Why not ``psycopg2.pool.ThreadedConnectionPool``: it opens ``minconn`` connections
eagerly in its constructor and raises instead of waiting when it is exhausted. The pool
below connects lazily, waits (bounded) for a free slot, and can drop every idle connection
at once when one of them turns out to be dead, which is what a database restart looks like.
"""

from __future__ import annotations

import hashlib
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from functools import wraps
from threading import BoundedSemaphore, Lock
from typing import Any, ParamSpec, TypeVar

import psycopg2
import psycopg2.extensions
import psycopg2.extras
from eventsourcing.persistence import (
    ConnectionPoolClosedError,
    ConnectionUnavailableError,
    DatabaseError,
    DataError,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    PersistenceError,
    ProgrammingError,
)

# NAMEDATALEN is 64 on both PostgreSQL and openGauss; longer names are silently truncated,
# which would make catalog look-ups by the full name miss.
MAX_IDENTIFIER_BYTES = 63

# Retries cover a restart or fail-over of the database: 0.1 + 0.2 + 0.4 + 0.8 + 1.6 s.
RETRY_ATTEMPTS = 6
RETRY_FIRST_DELAY = 0.1
RETRY_MAX_DELAY = 2.0

_P = ParamSpec("_P")
_R = TypeVar("_R")

# Most specific first: psycopg2's classes form the same PEP 249 hierarchy as ours.
_ERROR_MAP: tuple[tuple[type[psycopg2.Error], type[PersistenceError]], ...] = (
    (psycopg2.InterfaceError, InterfaceError),
    (psycopg2.DataError, DataError),
    (psycopg2.OperationalError, OperationalError),
    (psycopg2.IntegrityError, IntegrityError),
    (psycopg2.InternalError, InternalError),
    (psycopg2.ProgrammingError, ProgrammingError),
    (psycopg2.NotSupportedError, NotSupportedError),
    (psycopg2.DatabaseError, DatabaseError),
    (psycopg2.Error, PersistenceError),
)


def quote_ident(name: str) -> str:
    """Quote an SQL identifier (table, schema, index, trigger name)."""
    return '"' + name.replace('"', '""') + '"'


def check_identifier(name: str) -> None:
    """Refuse names the server would truncate (the stock module does the same)."""
    if len(name.encode()) > MAX_IDENTIFIER_BYTES:
        raise ProgrammingError(f"标识符超过 {MAX_IDENTIFIER_BYTES} 字节：{name}")


def derived_name(table: str, suffix: str) -> str:
    """Name of an index or trigger that belongs to ``table``, at most 63 bytes.

    A table name may itself use all 63 bytes, so ``<table>_<suffix>`` is shortened with a
    digest of the table name: still unique per table and stable between runs, so catalog
    existence checks keep finding it.
    """
    name = f"{table}_{suffix}"
    if len(name.encode()) <= MAX_IDENTIFIER_BYTES:
        return name
    digest = hashlib.sha1(table.encode()).hexdigest()[:8]
    room = MAX_IDENTIFIER_BYTES - len(suffix.encode()) - len(digest) - 2
    head = table.encode()[:room].decode(errors="ignore")
    return f"{head}_{digest}_{suffix}"


@contextmanager
def translated_errors() -> Iterator[None]:
    """Re-raise psycopg2 errors as eventsourcing's PEP 249 exceptions."""
    try:
        yield
    except psycopg2.Error as error:
        for driver_class, our_class in _ERROR_MAP:
            if isinstance(error, driver_class):
                raise our_class(str(error).strip()) from error
        raise  # pragma: no cover - psycopg2.Error is the last entry of the map


def retry_transient(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """Retry a whole recorder call after a lost connection, with exponential backoff.

    Each attempt runs in a fresh transaction on a checked connection, so a retry never
    continues half a transaction. A pool timeout is not retried: the pool already waited.
    A commit whose acknowledgement was lost may be retried and then reports IntegrityError
    (the stock postgres module behaves the same way).
    """

    @wraps(func)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        delay = RETRY_FIRST_DELAY
        for attempt in range(1, RETRY_ATTEMPTS + 1):
            try:
                return func(*args, **kwargs)
            except ConnectionUnavailableError:
                raise
            except (InterfaceError, OperationalError):
                if attempt == RETRY_ATTEMPTS:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_DELAY)
        raise AssertionError("unreachable")  # pragma: no cover

    return wrapper


def _close_quietly(conn: psycopg2.extensions.connection) -> None:
    with suppress(psycopg2.Error):
        conn.close()


class PgConnectionPool:
    """Thread-safe pool: at most ``pool_size + max_overflow`` connections in use at once,
    at most ``pool_size`` kept open while idle. Connections are made on demand.
    """

    def __init__(
        self,
        connect: Callable[[], psycopg2.extensions.connection],
        *,
        pool_size: int,
        max_overflow: int,
        timeout: float,
    ) -> None:
        if pool_size < 1 or max_overflow < 0:
            raise ValueError(f"连接池大小无效：pool_size={pool_size} max_overflow={max_overflow}")
        self._connect = connect
        self.pool_size = pool_size
        self.max_size = pool_size + max_overflow
        self._timeout = timeout
        self._slots = BoundedSemaphore(self.max_size)
        self._lock = Lock()
        self._idle: deque[psycopg2.extensions.connection] = deque()
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def num_idle(self) -> int:
        with self._lock:
            return len(self._idle)

    def get(self) -> psycopg2.extensions.connection:
        if self._closed:
            raise ConnectionPoolClosedError("数据库连接池已关闭")
        if not self._slots.acquire(timeout=self._timeout):
            raise ConnectionUnavailableError(f"等待数据库连接超时（{self._timeout} 秒，连接池已满）")
        try:
            conn = None
            with self._lock:
                # Newest first: it is the least likely to have been cut by an idle timeout.
                while self._idle and conn is None:
                    candidate = self._idle.pop()
                    if candidate.closed:
                        continue
                    conn = candidate
            if conn is None:
                with translated_errors():
                    conn = self._connect()
            return conn
        except BaseException:
            self._slots.release()
            raise

    def put(self, conn: psycopg2.extensions.connection, *, discard: bool = False) -> None:
        try:
            reusable = (
                not discard
                and not conn.closed
                and conn.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_IDLE
            )
            with self._lock:
                if reusable and not self._closed and len(self._idle) < self.pool_size:
                    self._idle.append(conn)
                    return
            _close_quietly(conn)
        finally:
            self._slots.release()

    def discard_idle(self) -> None:
        """Close every idle connection: after one turned out dead the rest probably are."""
        with self._lock:
            idle = list(self._idle)
            self._idle.clear()
        for conn in idle:
            _close_quietly(conn)

    def close(self) -> None:
        """Idempotent. Connections still in use are closed when they come back."""
        with self._lock:
            self._closed = True
        self.discard_idle()


class PgDatastore:
    """Connection settings, the pool and the transaction boundary shared by recorders.

    ``transaction()`` is the one way the ledger talks to the database: every statement runs
    inside it, errors come out as eventsourcing exceptions, and a connection found broken
    is thrown away (together with the other idle ones) instead of going back to the pool.
    """

    # Cursor class given to every new connection. The SQL-dialect tests set it (class or
    # instance) to a cursor that records each statement; production keeps psycopg2's own.
    cursor_factory: type[psycopg2.extensions.cursor] | None = None

    def __init__(
        self,
        *,
        dbname: str,
        host: str,
        user: str,
        password: str = "",
        port: int = 5432,
        connect_timeout: int = 30,
        pool_size: int = 10,
        max_overflow: int = 20,
        schema: str = "public",
        originator_id_type: str = "uuid",
        cursor_factory: type[psycopg2.extensions.cursor] | None = None,
    ) -> None:
        if originator_id_type not in ("uuid", "text"):
            raise ValueError(f"ORIGINATOR_ID_TYPE 只能是 uuid 或 text：{originator_id_type}")
        check_identifier(schema)
        # Without this psycopg2 hands uuid columns back as str and refuses uuid.UUID params.
        psycopg2.extras.register_uuid()
        self.schema = schema
        self.originator_id_type = originator_id_type
        if cursor_factory is not None:
            self.cursor_factory = cursor_factory
        self._connect_kwargs: dict[str, Any] = {
            "dbname": dbname,
            "host": host,
            "port": port,
            "user": user,
            "password": password,
            "connect_timeout": connect_timeout,
            # Chinese messages (trigger, server errors) must survive whatever the server
            # encoding default is.
            "client_encoding": "UTF8",
        }
        self.pool = PgConnectionPool(
            self._connect,
            pool_size=pool_size,
            max_overflow=max_overflow,
            timeout=float(connect_timeout),
        )

    def _connect(self) -> psycopg2.extensions.connection:
        kwargs = dict(self._connect_kwargs)
        if self.cursor_factory is not None:
            kwargs["cursor_factory"] = self.cursor_factory
        return psycopg2.connect(**kwargs)

    def qualified(self, name: str) -> str:
        """``"schema"."name"`` for a table in this datastore's schema."""
        return f"{quote_ident(self.schema)}.{quote_ident(name)}"

    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[psycopg2.extensions.cursor]:
        """One transaction on a pooled connection; commits only if ``commit`` is true."""
        conn = self.pool.get()
        broken = False
        try:
            with translated_errors():
                try:
                    with conn.cursor() as curs:
                        yield curs
                    if commit:
                        conn.commit()
                    else:
                        conn.rollback()
                except BaseException:
                    broken = bool(conn.closed)
                    if not broken:
                        try:
                            conn.rollback()
                        except psycopg2.Error:
                            broken = True
                    raise
        finally:
            if broken:
                self.pool.discard_idle()
            self.pool.put(conn, discard=broken)

    @property
    def closed(self) -> bool:
        return self.pool.closed

    def close(self) -> None:
        self.pool.close()

    def __del__(self) -> None:
        # Views built by ProjectionRunner keep only the recorder (and so the datastore);
        # the factory that made them is gone, so the datastore closes itself at collection.
        pool = getattr(self, "pool", None)
        if pool is not None:
            pool.close()
