"""Ledger throughput: events per second for single and batched saves, and a projection rebuild.

    python bench/ledger.py [--single N] [--batched N] [--rebuild N] [--skip-postgres]

SQLite runs in a temporary folder; PostgreSQL uses the database `taf_bench` on 127.0.0.1:5432.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ledger.application import Ledger  # noqa: E402
from ledger.domain import Cartridge  # noqa: E402
from projections.audit import AuditLogView  # noqa: E402
from projections.runner import Projector  # noqa: E402
from projections.store import PostgresViewStore, SqliteViewStore, ViewStore  # noqa: E402

PG = {"host": "127.0.0.1", "port": "5432", "user": "postgres", "password": "", "dbname": "taf_bench"}


def sqlite_ledger(folder: Path) -> tuple[Ledger, ViewStore]:
    ledger = Ledger(env={"LEDGER_PERSISTENCE_MODULE": "eventsourcing.sqlite",
                         "LEDGER_SQLITE_DBNAME": str(folder / "ledger.db")})
    return ledger, SqliteViewStore(folder / "views.db")


def postgres_ledger() -> tuple[Ledger, ViewStore]:
    import psycopg2

    admin = psycopg2.connect(host=PG["host"], port=PG["port"], user=PG["user"], dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("DROP DATABASE IF EXISTS taf_bench")
        cursor.execute("CREATE DATABASE taf_bench")
    admin.close()
    env = {"LEDGER_PERSISTENCE_MODULE": "ledger.opengauss"}
    env.update({f"LEDGER_POSTGRES_{key.upper()}": value for key, value in PG.items()})
    return Ledger(env=env), PostgresViewStore(**PG)


def single_saves(ledger: Ledger, count: int, prefix: str) -> float:
    started = time.perf_counter()
    for i in range(count):
        ledger.save(Cartridge(barcode=f"{prefix}{i:07d}"))
    return count / (time.perf_counter() - started)


def batched_saves(ledger: Ledger, count: int, prefix: str, batch: int = 1000) -> float:
    started = time.perf_counter()
    for start in range(0, count, batch):
        ledger.save(*[Cartridge(barcode=f"{prefix}{i:07d}") for i in range(start, min(count, start + batch))])
    return count / (time.perf_counter() - started)


def rebuild_seconds(ledger: Ledger, store: ViewStore) -> tuple[int, float]:
    projector = Projector(ledger, [AuditLogView(store)], batch=5000)
    started = time.perf_counter()
    applied = projector.rebuild()
    return applied, time.perf_counter() - started


def run(name: str, ledger: Ledger, store: ViewStore, args: argparse.Namespace) -> None:
    single = single_saves(ledger, args.single, "S")
    batched = batched_saves(ledger, args.batched, "B")
    remaining = max(0, args.rebuild - ledger.head_id())
    batched_saves(ledger, remaining, "R")
    applied, seconds = rebuild_seconds(ledger, store)
    print(f"{name:<10} 单次保存 {single:>9.0f} 事件/秒   批量保存(1000/批) {batched:>9.0f} 事件/秒   "
          f"从 {applied} 条事件重建操作日志视图 {seconds:6.2f} 秒（{applied / seconds:,.0f} 事件/秒）")
    store.close()
    ledger.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--single", type=int, default=2000)
    parser.add_argument("--batched", type=int, default=20000)
    parser.add_argument("--rebuild", type=int, default=100_000)
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run("SQLite", *sqlite_ledger(Path(folder)), args)
    if not args.skip_postgres:
        run("PostgreSQL", *postgres_ledger(), args)


if __name__ == "__main__":
    main()
