"""ledger.opengauss beyond the upstream cases: the SQL dialect it emits, the immutability
trigger, recovery from broken connections, and use through stock eventsourcing classes.
"""

from __future__ import annotations

import ast
import re
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from functools import singledispatchmethod
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import psycopg2.errors
import psycopg2.extensions
import pytest
from eventsourcing import persistence as es_persistence
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import (
    ConnectionPoolClosedError,
    ConnectionUnavailableError,
    InfrastructureFactory,
    IntegrityError,
    InternalError,
    OperationalError,
    StoredEvent,
    Tracking,
)
from eventsourcing.projection import Projection, ProjectionRunner
from eventsourcing.utils import Environment

import ledger.pgpool
from ledger.opengauss import (
    IMMUTABLE_MESSAGE,
    OpenGaussAggregateRecorder,
    OpenGaussApplicationRecorder,
    OpenGaussFactory,
    OpenGaussProcessRecorder,
    OpenGaussTrackingRecorder,
    disable_immutability_guard,
)
from ledger.pgpool import PgDatastore, derived_name, translated_errors
from tests.ledger.pg import admin_connection, pg_test_env, terminate_backends

ROOT = Path(__file__).resolve().parents[2]
MODULE_FILES = [ROOT / "ledger" / "opengauss.py", ROOT / "ledger" / "pgpool.py"]

# What openGauss rejects or what we promised not to rely on (research/stack-ledger.md §1.6, §4.2).
FORBIDDEN = {
    "ON CONFLICT": r"\bON\s+CONFLICT\b",
    "LISTEN": r"\bLISTEN\b",
    "NOTIFY": r"\bNOTIFY\b|\bPG_NOTIFY\b",
    "lock_timeout": r"\bLOCK_TIMEOUT\b",
    "LATERAL": r"\bLATERAL\b",
    "identity column": r"\bIDENTITY\b|\bGENERATED\b",
    "SKIP LOCKED": r"\bSKIP\s+LOCKED\b",
    "composite type": r"\bCREATE\s+TYPE\b",
    "procedure": r"\bCREATE\s+(OR\s+REPLACE\s+)?PROCEDURE\b",
    "CREATE INDEX IF NOT EXISTS": r"\bCREATE\s+(UNIQUE\s+)?INDEX\s+IF\b",
    "CREATE SCHEMA IF NOT EXISTS": r"\bCREATE\s+SCHEMA\s+IF\b",
    "CREATE TRIGGER IF NOT EXISTS / OR REPLACE": r"\bCREATE\s+(OR\s+REPLACE\s+)?TRIGGER\s+IF\b|\bOR\s+REPLACE\s+TRIGGER\b",
    "EXECUTE FUNCTION (PostgreSQL 11+)": r"\bEXECUTE\s+FUNCTION\b",
}
CREATE_FUNCTION = re.compile(r"\bCREATE\s+(OR\s+REPLACE\s+)?FUNCTION\b")


class RecordingCursor(psycopg2.extensions.cursor):
    """Keeps the text of every statement any datastore connection executes."""

    statements: list[str] = []
    _lock = threading.Lock()

    def _record(self, query: Any) -> None:
        text = query.decode() if isinstance(query, bytes) else str(query)
        with self._lock:
            RecordingCursor.statements.append(text)

    def execute(self, query: Any, vars: Any = None) -> Any:  # noqa: A002 - psycopg2's name
        self._record(query)
        return super().execute(query, vars)

    def executemany(self, query: Any, vars_list: Any) -> Any:
        self._record(query)
        return super().executemany(query, vars_list)


def offences(statement: str) -> list[str]:
    upper = statement.upper()
    found = [name for name, pattern in FORBIDDEN.items() if re.search(pattern, upper)]
    # The trigger function is the one server-side function we allow.
    if CREATE_FUNCTION.search(upper) and "RETURNS TRIGGER" not in upper:
        found.append("server-side function")
    return found


@pytest.fixture
def pg_env() -> dict[str, str]:
    return pg_test_env("ledger") | {"PERSISTENCE_MODULE": "ledger.opengauss"}


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    monkeypatch.setattr(RecordingCursor, "statements", [])
    monkeypatch.setattr(PgDatastore, "cursor_factory", RecordingCursor)
    yield RecordingCursor.statements


def new_event(originator_id: UUID, version: int, topic: str = "topic") -> StoredEvent:
    return StoredEvent(originator_id=originator_id, originator_version=version, topic=topic, state=b"{}")


class Cartridge(Aggregate):
    def __init__(self, barcode: str) -> None:
        self.barcode = barcode
        self.notes: list[str] = []

    @event("Noted")
    def note(self, text: str) -> None:
        self.notes.append(text)


class Shelf(Application[UUID]):
    def register(self, barcode: str) -> UUID:
        cartridge = Cartridge(barcode)
        self.save(cartridge)
        return cartridge.id

    def note(self, cartridge_id: UUID, text: str) -> int:
        cartridge: Cartridge = self.repository.get(cartridge_id)
        cartridge.note(text)
        recordings = self.save(cartridge)
        return recordings[-1].notification.id


def run_workload(env: dict[str, str]) -> None:
    """Every code path of the module that issues SQL."""
    factory = InfrastructureFactory.construct(Environment("Workload", env))
    assert isinstance(factory, OpenGaussFactory)
    try:
        factory.application_recorder()  # first pass creates, the second finds everything
        events = factory.application_recorder()
        a, b = uuid4(), uuid4()
        assert events.insert_events([new_event(a, 1, "t1"), new_event(a, 2, "t2")]) == [1, 2]
        assert events.insert_events([new_event(b, 1, "t1")]) == [3]
        with pytest.raises(IntegrityError):
            events.insert_events([new_event(b, 1)])
        assert [e.originator_version for e in events.select_events(a, gt=1, lte=2, desc=True, limit=1)] == [2]
        assert [n.id for n in events.select_notifications(1, 10, stop=3, topics=["t1"])] == [1, 3]
        assert events.max_notification_id() == 3
        with events.subscribe(gt=1, topics=["t1", "t2"]) as subscription:
            assert next(subscription).id == 2
            assert next(subscription).id == 3

        snapshots = factory.aggregate_recorder("snapshots")
        snapshots.insert_events([new_event(a, 2)])
        assert len(snapshots.select_events(a, desc=True, limit=1)) == 1

        tracking = factory.tracking_recorder()
        tracking.insert_tracking(Tracking("upstream", 5))
        with pytest.raises(IntegrityError):
            tracking.insert_tracking(Tracking("upstream", 5))
        assert tracking.max_tracking_id("upstream") == 5

        process = factory.process_recorder()
        # Not 4: the refused duplicate above used it up. Sequences are not transactional,
        # so notification ids rise in commit order but may have gaps.
        assert process.insert_events([new_event(uuid4(), 1)], tracking=Tracking("other", 1)) == [5]
        process.insert_events([], tracking=Tracking("other", 2))
        assert process.max_tracking_id("other") == 2

        env_with_snapshots = env | {"IS_SNAPSHOTTING_ENABLED": "y"}
        app = Shelf(env=env_with_snapshots)
        try:
            cartridge_id = app.register("TAF001L9")
            app.note(cartridge_id, "入库")
            app.take_snapshot(cartridge_id)
        finally:
            app.close()
    finally:
        factory.close()


def test_workload_emits_only_sql_that_opengauss_accepts(pg_env: dict[str, str], recorded: list[str]) -> None:
    run_workload(pg_env)

    joined = "\n".join(recorded)
    # Make sure the recorder really saw the interesting statements.
    for expected in ("IN EXCLUSIVE MODE", "CREATE UNIQUE INDEX", "CREATE TRIGGER", "pg_catalog.pg_trigger",
                     "RETURNING notification_id", "UPDATE", "CREATE OR REPLACE FUNCTION"):
        assert expected in joined, expected
    bad = {statement: found for statement in recorded if (found := offences(statement))}
    assert not bad, bad


def test_the_forbidden_patterns_do_catch_the_stock_module_sql() -> None:
    stock = [
        'INSERT INTO t VALUES (%s, %s) ON CONFLICT (application_name) DO UPDATE SET x = 1',
        'LISTEN "ledger_events"',
        'NOTIFY "ledger_events"',
        "SET LOCAL lock_timeout = '0s'",
        'CREATE TYPE "public"."stored_event_uuid" AS (originator_id uuid)',
        'CREATE UNIQUE INDEX IF NOT EXISTS "i" ON t (notification_id ASC)',
        "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY)",
        "SELECT * FROM t, LATERAL f(t.x)",
        "SELECT * FROM t FOR UPDATE SKIP LOCKED",
        "CREATE OR REPLACE FUNCTION f(events t[]) RETURNS SETOF bigint LANGUAGE plpgsql AS $$ $$",
    ]
    for statement in stock:
        assert offences(statement), statement


def test_module_imports_only_eventsourcing_psycopg2_and_stdlib() -> None:
    allowed = set(sys.stdlib_module_names) | {"__future__", "eventsourcing", "psycopg2", "ledger"}
    for path in MODULE_FILES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name}"
                assert name.split(".")[0] != "psycopg", f"{path.name} imports psycopg 3"


@pytest.mark.parametrize(
    ("driver_error", "expected"),
    [
        (psycopg2.InterfaceError, es_persistence.InterfaceError),
        (psycopg2.DataError, es_persistence.DataError),
        (psycopg2.OperationalError, es_persistence.OperationalError),
        (psycopg2.errors.UniqueViolation, es_persistence.IntegrityError),
        (psycopg2.errors.RaiseException, es_persistence.InternalError),
        (psycopg2.errors.UndefinedTable, es_persistence.ProgrammingError),
        (psycopg2.NotSupportedError, es_persistence.NotSupportedError),
        (psycopg2.DatabaseError, es_persistence.DatabaseError),
        (psycopg2.Error, es_persistence.PersistenceError),
    ],
)
def test_driver_errors_become_eventsourcing_errors(driver_error: type[Exception], expected: type[Exception]) -> None:
    with pytest.raises(expected) as caught, translated_errors():
        raise driver_error("出错了")
    assert type(caught.value) is expected
    assert isinstance(caught.value.__cause__, driver_error)


def test_derived_names_fit_in_63_bytes_and_are_stable() -> None:
    long_table = "台账" * 10 + "s" * 3  # 63 bytes of UTF-8
    name = derived_name(long_table, "notification_id_idx")
    assert len(name.encode()) <= 63
    assert name == derived_name(long_table, "notification_id_idx")
    assert name != derived_name(long_table[:-1] + "t", "notification_id_idx")
    assert derived_name("ledger_events", "immutable") == "ledger_events_immutable"


def test_events_table_refuses_update_and_delete(pg_env: dict[str, str]) -> None:
    with OpenGaussFactory(Environment("Guarded", pg_env)) as factory:
        recorder = factory.application_recorder()
        assert isinstance(recorder, OpenGaussApplicationRecorder)
        originator_id = uuid4()
        recorder.insert_events([new_event(originator_id, 1)])
        table = factory.datastore.qualified(recorder.events_table_name)

        for statement in (f"UPDATE {table} SET topic = 'forged'", f"DELETE FROM {table}"):
            with pytest.raises(InternalError) as caught, factory.datastore.transaction(commit=True) as curs:
                curs.execute(statement)
            assert IMMUTABLE_MESSAGE in str(caught.value)
        assert recorder.select_events(originator_id)[0].topic == "topic"

        with disable_immutability_guard(recorder), factory.datastore.transaction(commit=True) as curs:
            curs.execute(f"UPDATE {table} SET topic = 'forged'")
        assert recorder.select_events(originator_id)[0].topic == "forged"
        with pytest.raises(InternalError), factory.datastore.transaction(commit=True) as curs:
            curs.execute(f"DELETE FROM {table}")

        # Test cleanup empties tables with TRUNCATE, which the row trigger does not see.
        with factory.datastore.transaction(commit=True) as curs:
            curs.execute(f"TRUNCATE {table}")
        assert recorder.max_notification_id() is None


def test_snapshots_can_be_pruned(pg_env: dict[str, str]) -> None:
    with OpenGaussFactory(Environment("Pruned", pg_env)) as factory:
        snapshots = factory.aggregate_recorder("snapshots")
        assert isinstance(snapshots, OpenGaussAggregateRecorder)
        originator_id = uuid4()
        snapshots.insert_events([new_event(originator_id, 1)])
        with factory.datastore.transaction(commit=True) as curs:
            curs.execute(f"DELETE FROM {factory.datastore.qualified(snapshots.events_table_name)}")
        assert snapshots.select_events(originator_id) == []


def test_a_missing_schema_is_created(pg_env: dict[str, str]) -> None:
    with admin_connection(pg_env["POSTGRES_DBNAME"]) as conn, conn.cursor() as curs:
        curs.execute("DROP SCHEMA IF EXISTS taf_ledger CASCADE")
    env = pg_env | {"POSTGRES_SCHEMA": "taf_ledger"}
    with OpenGaussFactory(Environment("Elsewhere", env)) as factory:
        recorder = factory.application_recorder()
        assert recorder.insert_events([new_event(uuid4(), 1)]) == [1]
    with admin_connection(pg_env["POSTGRES_DBNAME"]) as conn, conn.cursor() as curs:
        curs.execute("SELECT count(*) FROM taf_ledger.elsewhere_events")
        assert curs.fetchone()[0] == 1
        curs.execute("DROP SCHEMA taf_ledger CASCADE")


def test_exhausted_pool_times_out_without_retrying(pg_env: dict[str, str]) -> None:
    env = pg_env | {"POSTGRES_POOL_SIZE": "1", "POSTGRES_MAX_OVERFLOW": "0", "POSTGRES_CONNECT_TIMEOUT": "1"}
    with OpenGaussFactory(Environment("Exhausted", env)) as factory:
        recorder = factory.application_recorder()
        with factory.datastore.transaction(commit=False):
            started = time.monotonic()
            with pytest.raises(ConnectionUnavailableError):
                recorder.max_notification_id()
            assert time.monotonic() - started < 1.9
        assert recorder.max_notification_id() is None


def test_a_closed_datastore_refuses_work(pg_env: dict[str, str]) -> None:
    factory = OpenGaussFactory(Environment("Closed", pg_env))
    recorder = factory.application_recorder()
    factory.close()
    with pytest.raises(ConnectionPoolClosedError):
        recorder.max_notification_id()


def backend_pid(datastore: PgDatastore) -> int:
    with datastore.transaction(commit=False) as curs:
        curs.execute("SELECT pg_backend_pid()")
        return int(curs.fetchone()[0])


def test_broken_pooled_connection_is_replaced(pg_env: dict[str, str]) -> None:
    env = pg_env | {"POSTGRES_POOL_SIZE": "1", "POSTGRES_MAX_OVERFLOW": "0"}
    with OpenGaussFactory(Environment("Broken", env)) as factory:
        recorder = factory.application_recorder()
        old_pid = backend_pid(factory.datastore)
        terminate_backends(env["POSTGRES_DBNAME"], [old_pid])

        assert recorder.insert_events([new_event(uuid4(), 1)]) == [1]
        assert backend_pid(factory.datastore) != old_pid


def test_all_idle_connections_are_replaced_after_a_restart(pg_env: dict[str, str]) -> None:
    env = pg_env | {"POSTGRES_POOL_SIZE": "3", "POSTGRES_MAX_OVERFLOW": "0"}
    with OpenGaussFactory(Environment("Restarted", env)) as factory:
        recorder = factory.process_recorder()
        datastore = factory.datastore
        old_pids = set()
        with ExitStack() as stack:
            for _ in range(3):
                curs = stack.enter_context(datastore.transaction(commit=False))
                curs.execute("SELECT pg_backend_pid()")
                old_pids.add(curs.fetchone()[0])
        assert datastore.pool.num_idle == 3
        # What a database restart does to a pool: every session is gone at once.
        terminate_backends(env["POSTGRES_DBNAME"], old_pids)

        recorder.insert_events([new_event(uuid4(), 1)], tracking=Tracking("upstream", 1))
        assert recorder.max_tracking_id("upstream") == 1
        assert backend_pid(datastore) not in old_pids


def test_unreachable_server_raises_operational_error_after_retries(
    pg_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ledger.pgpool, "RETRY_FIRST_DELAY", 0.01)
    attempts = []
    original = PgDatastore._connect

    def counting_connect(self: PgDatastore) -> Any:
        attempts.append(1)
        return original(self)

    monkeypatch.setattr(PgDatastore, "_connect", counting_connect)
    env = pg_env | {"POSTGRES_PORT": "1", "CREATE_TABLE": "no"}
    with OpenGaussFactory(Environment("Nowhere", env)) as factory:
        recorder = factory.application_recorder()
        with pytest.raises(OperationalError):
            recorder.max_notification_id()
    assert len(attempts) == ledger.pgpool.RETRY_ATTEMPTS


def test_stock_application_runs_on_the_module(pg_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in pg_env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("IS_SNAPSHOTTING_ENABLED", "yes")

    app = Shelf()
    try:
        assert isinstance(app.factory, OpenGaussFactory)
        cartridge_id = app.register("TAF002L9")
        assert app.note(cartridge_id, "已写满，送往异地库") == 2
        app.take_snapshot(cartridge_id)
        app.note(cartridge_id, "已取回")

        cartridge: Cartridge = app.repository.get(cartridge_id)
        assert cartridge.barcode == "TAF002L9"
        assert cartridge.notes == ["已写满，送往异地库", "已取回"]
        assert cartridge.version == 3
        assert app.repository.get(cartridge_id, version=2).notes == ["已写满，送往异地库"]
        assert [n.id for n in app.notification_log.select(start=1, limit=10)] == [1, 2, 3]
        assert app.snapshots is not None
        assert len(list(app.snapshots.get(cartridge_id))) == 1
    finally:
        app.close()
    app.close()  # Application.__del__ does this again; it must be harmless.


class CountingView(OpenGaussTrackingRecorder):
    """A minimal view in the style projections/ will use: rows and tracking in one transaction."""

    def __init__(self, datastore: PgDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.counts_table = datastore.qualified(self.tracking_table_name.replace("_tracking", "_counts"))

    def _create_table(self, curs: Any) -> None:
        super()._create_table(curs)
        curs.execute(f"CREATE TABLE IF NOT EXISTS {self.counts_table} (topic text PRIMARY KEY, n bigint NOT NULL)")

    def count(self, topic: str, tracking: Tracking) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(f"UPDATE {self.counts_table} SET n = n + 1 WHERE topic = %s", (topic,))
            if curs.rowcount == 0:
                curs.execute(f"INSERT INTO {self.counts_table} (topic, n) VALUES (%s, 1)", (topic,))
            self.record_tracking(curs, tracking)

    def counts(self) -> dict[str, int]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(f"SELECT topic, n FROM {self.counts_table}")
            return {topic: n for topic, n in curs.fetchall()}


class CountingProjection(Projection[CountingView]):
    name = "counting"

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.count(type(domain_event).__qualname__, tracking)


def test_projection_runner_builds_the_view_class_with_the_datastore(pg_env: dict[str, str]) -> None:
    runner: ProjectionRunner[Shelf, CountingView] = ProjectionRunner(
        application_class=Shelf, projection_class=CountingProjection, view_class=CountingView, env=pg_env
    )
    try:
        with runner:
            assert isinstance(runner.view, CountingView)
            assert runner.view.tracking_table_name == "counting_tracking"
            cartridge_id = runner.app.register("TAF003L9")
            last_id = runner.app.note(cartridge_id, "清洁")
            runner.wait(last_id, timeout=5)
            assert runner.view.counts() == {"Cartridge.Created": 1, "Cartridge.Noted": 1}
            assert runner.view.max_tracking_id("Shelf") == last_id
    finally:
        runner.view.datastore.close()


def test_processes_starting_together_create_the_tables_once(pg_env: dict[str, str]) -> None:
    # Six datastores stand for six processes (web, worker, projector …) starting at once.
    factories = [OpenGaussFactory(Environment("Together", pg_env | {"CREATE_TABLE": "no"})) for _ in range(6)]
    start = threading.Barrier(len(factories))
    errors: list[BaseException] = []

    def create(factory: OpenGaussFactory) -> None:
        recorder = OpenGaussProcessRecorder(
            factory.datastore, events_table_name="together_events", tracking_table_name="together_tracking"
        )
        start.wait()
        try:
            recorder.create_table()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=create, args=(factory,)) for factory in factories]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for factory in factories:
            factory.close()
    assert errors == []


def test_process_recorder_refuses_a_position_already_passed(pg_env: dict[str, str]) -> None:
    with OpenGaussFactory(Environment("Process", pg_env)) as factory:
        recorder = factory.process_recorder()
        assert isinstance(recorder, OpenGaussProcessRecorder)
        recorder.insert_events([], tracking=Tracking("upstream", 3))
        with pytest.raises(IntegrityError):
            recorder.insert_events([new_event(uuid4(), 1)], tracking=Tracking("upstream", 2))
        # The events of the refused transaction were rolled back with it.
        assert recorder.max_notification_id() is None
