"""Shared PostgreSQL test helpers (plain functions, no conftest magic).

Tests that need a real server (the ledger store, projections on PostgreSQL) call
``pg_test_env()`` in their setUp and hand the returned dict to an application, a factory or
``Environment``. Each pytest-xdist worker gets its own database, so ``-n 2`` runs never share
tables; within a worker, ``fresh=True`` (the default) empties the schema so every test starts
from notification id 1.

The server is the local PostgreSQL 15 (127.0.0.1:5432, user postgres, trust auth). Override
with TAF_TEST_PG_HOST / TAF_TEST_PG_PORT / TAF_TEST_PG_USER / TAF_TEST_PG_PASSWORD. If the
server is down, ``ensure_pg_server()`` starts the Debian cluster; when that is impossible the
test fails, it is never skipped.

Example::

    from tests.ledger.pg import pg_test_env

    class TestInventoryView(TestCase):
        def setUp(self) -> None:
            self.env = pg_test_env("projections") | {"PERSISTENCE_MODULE": "ledger.opengauss"}
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg2
import psycopg2.extensions

PG_HOST = os.environ.get("TAF_TEST_PG_HOST", "127.0.0.1")
PG_PORT = os.environ.get("TAF_TEST_PG_PORT", "5432")
PG_USER = os.environ.get("TAF_TEST_PG_USER", "postgres")
PG_PASSWORD = os.environ.get("TAF_TEST_PG_PASSWORD", "")

# Dropping a schema waits for locks held by a connection some earlier test leaked; fail
# after this long instead of hanging until the pytest timeout.
_ADMIN_STATEMENT_TIMEOUT_MS = 15_000

_created_databases: set[str] = set()


def worker_id() -> str:
    """``gw0``, ``gw1`` … under pytest-xdist, ``main`` otherwise."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def database_name_for(dbname_suffix: str) -> str:
    """``taf_test_<suffix>_<worker>``, e.g. ``taf_test_ledger_gw1``."""
    suffix = re.sub(r"[^a-z0-9_]", "_", dbname_suffix.lower())
    return f"taf_test_{suffix}_{worker_id()}"


@contextmanager
def admin_connection(dbname: str = "postgres") -> Iterator[psycopg2.extensions.connection]:
    """An autocommit superuser connection outside any datastore (for setup and sabotage)."""
    conn = psycopg2.connect(
        host=PG_HOST,
        port=PG_PORT,
        user=PG_USER,
        password=PG_PASSWORD,
        dbname=dbname,
        connect_timeout=5,
        options=f"-c statement_timeout={_ADMIN_STATEMENT_TIMEOUT_MS}",
    )
    conn.autocommit = True
    try:
        yield conn
    finally:
        conn.close()


def ensure_pg_server(wait_seconds: float = 30.0) -> None:
    """Start the local Debian cluster if nothing answers; raise if it still does not."""
    try:
        with admin_connection():
            return
    except psycopg2.OperationalError:
        pass
    versions = sorted(p.name for p in Path("/etc/postgresql").glob("*")) if Path("/etc/postgresql").is_dir() else []
    if versions:
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"],
            check=False,
            capture_output=True,
        )
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            with admin_connection():
                return
        except psycopg2.OperationalError as error:
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL 未运行且无法启动（{PG_HOST}:{PG_PORT}）：{error}") from error
            time.sleep(0.5)


def ensure_database(dbname: str) -> None:
    """Create ``dbname`` (UTF8) if missing; cached per process."""
    if dbname in _created_databases:
        return
    ensure_pg_server()
    with admin_connection() as conn, conn.cursor() as curs:
        curs.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,))
        if curs.fetchone() is None:
            curs.execute(f"CREATE DATABASE \"{dbname}\" ENCODING 'UTF8' TEMPLATE template0")
    _created_databases.add(dbname)


def reset_schema(dbname: str, schema: str = "public") -> None:
    """Drop and recreate ``schema``: tables, sequences, triggers and functions all go, and so
    do extensions installed into it (create those with ``IF NOT EXISTS`` in your DDL)."""
    with admin_connection(dbname) as conn, conn.cursor() as curs:
        curs.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        curs.execute(f'CREATE SCHEMA "{schema}"')


def pg_test_env(dbname_suffix: str = "ledger", *, schema: str = "public", fresh: bool = True) -> dict[str, str]:
    """POSTGRES_* settings for this worker's test database ``taf_test_<suffix>_<worker>``.

    Creates the database if missing. With ``fresh`` the schema is emptied first, so call it
    in setUp and close every application/factory in tearDown (a pooled connection stuck in
    a transaction would block the next reset). Add PERSISTENCE_MODULE yourself.
    """
    dbname = database_name_for(dbname_suffix)
    ensure_database(dbname)
    if fresh:
        reset_schema(dbname, schema)
    return {
        "POSTGRES_DBNAME": dbname,
        "POSTGRES_HOST": PG_HOST,
        "POSTGRES_PORT": PG_PORT,
        "POSTGRES_USER": PG_USER,
        "POSTGRES_PASSWORD": PG_PASSWORD,
        "POSTGRES_SCHEMA": schema,
        "POSTGRES_CONNECT_TIMEOUT": "10",
    }


def terminate_backends(dbname: str, pids: Iterable[int], wait_seconds: float = 5.0) -> None:
    """Kill server sessions by pid (what a database restart does to pooled connections)."""
    wanted = list(pids)
    with admin_connection(dbname) as conn, conn.cursor() as curs:
        for pid in wanted:
            curs.execute("SELECT pg_terminate_backend(%s)", (pid,))
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline:
            curs.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", (wanted,))
            row = curs.fetchone()
            if row is not None and row[0] == 0:
                return
            time.sleep(0.05)
    raise RuntimeError(f"会话未能终止：{wanted}")
