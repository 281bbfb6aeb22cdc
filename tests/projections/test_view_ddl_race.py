"""Processes that start at once (a worker and a CLI command) each make the views' tables on the one
PostgreSQL database; the catalog's DDL drops and re-creates a SQL view, which raced ("already
exists") until an advisory lock made them take turns."""

from __future__ import annotations

import threading

from projections.catalog import CatalogView
from projections.store import PostgresViewStore
from tests.ledger.pg import pg_test_env


def test_many_processes_making_the_views_at_once_all_succeed() -> None:
    env = pg_test_env("view_ddl")
    params = {"host": env["POSTGRES_HOST"], "port": env["POSTGRES_PORT"], "user": env["POSTGRES_USER"],
              "password": env["POSTGRES_PASSWORD"], "dbname": env["POSTGRES_DBNAME"]}
    first = PostgresViewStore(**params)
    CatalogView(first).create()  # the tables exist; the race is in re-making the SQL view
    first.close()
    start = threading.Barrier(8)
    failures: list[BaseException] = []

    def one_process() -> None:
        store = PostgresViewStore(**params)
        try:
            start.wait()
            for _ in range(5):
                CatalogView(store).create()
        except BaseException as error:  # noqa: BLE001 - every failure is the finding
            failures.append(error)
        finally:
            store.close()

    threads = [threading.Thread(target=one_process) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert failures == []
