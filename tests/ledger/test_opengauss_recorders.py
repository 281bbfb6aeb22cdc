"""The library's own recorder test cases, run against ledger.opengauss on real PostgreSQL.

The base classes are reached through the module (``es``) rather than imported by name, so
pytest does not collect the abstract cases themselves.
"""

from __future__ import annotations

from typing import Any
from unittest import TestCase
from uuid import uuid4

from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    ProcessRecorder,
    ProgrammingError,
    TrackingRecorder,
)
from eventsourcing.tests import persistence as es
from eventsourcing.utils import Environment

from ledger.opengauss import (
    OpenGaussAggregateRecorder,
    OpenGaussApplicationRecorder,
    OpenGaussFactory,
    OpenGaussProcessRecorder,
    OpenGaussTrackingRecorder,
)
from ledger.pgpool import PgDatastore
from tests.ledger.pg import pg_test_env

# Maximal (63-byte) names, as upstream uses, so derived index/trigger names are exercised.
EVENTS_TABLE = "s" * 50 + "stored_events"
TRACKING_TABLE = "n" * 42 + "notification_tracking"
assert len(EVENTS_TABLE) == len(TRACKING_TABLE) == 63


class PgDatastoreCase(TestCase):
    """Fresh schema per test; pool large enough for the upstream concurrency tests."""

    pool_size = 4
    max_overflow = 12
    originator_id_type = "uuid"

    def setUp(self) -> None:
        super().setUp()
        env = pg_test_env("ledger")
        self.datastore = PgDatastore(
            dbname=env["POSTGRES_DBNAME"],
            host=env["POSTGRES_HOST"],
            port=int(env["POSTGRES_PORT"]),
            user=env["POSTGRES_USER"],
            password=env["POSTGRES_PASSWORD"],
            pool_size=self.pool_size,
            max_overflow=self.max_overflow,
            originator_id_type=self.originator_id_type,
        )

    def tearDown(self) -> None:
        self.datastore.close()
        super().tearDown()


class TestAggregateRecorder(PgDatastoreCase, es.AggregateRecorderTestCase):
    def create_recorder(self) -> AggregateRecorder:
        recorder = OpenGaussAggregateRecorder(self.datastore, events_table_name=EVENTS_TABLE)
        recorder.create_table()
        return recorder

    def test_table_name_longer_than_63_bytes_is_refused(self) -> None:
        with self.assertRaises(ProgrammingError):
            OpenGaussAggregateRecorder(self.datastore, events_table_name="s" + EVENTS_TABLE)


class TestApplicationRecorder(PgDatastoreCase, es.ApplicationRecorderTestCase[OpenGaussApplicationRecorder]):
    def create_recorder(self) -> OpenGaussApplicationRecorder:
        recorder = OpenGaussApplicationRecorder(self.datastore, events_table_name=EVENTS_TABLE)
        recorder.create_table()
        return recorder

    def test_insert_subscribe(self) -> None:
        self.optional_test_insert_subscribe()

    def test_create_table_twice(self) -> None:
        # The second pass must find the index and trigger in the catalog.
        self.create_recorder()
        recorder = self.create_recorder()
        self.assertEqual(recorder.insert_events([]), [])


class TestApplicationRecorderWithTextOriginatorIDs(TestApplicationRecorder):
    # ORIGINATOR_ID_TYPE=text, for aggregates whose ids are not UUIDs.
    originator_id_type = "text"

    def new_originator_id(self) -> str:
        return f"cartridge-{uuid4()}"


class TestTrackingRecorder(PgDatastoreCase, es.TrackingRecorderTestCase):
    def create_recorder(self) -> TrackingRecorder:
        recorder = OpenGaussTrackingRecorder(self.datastore, tracking_table_name=TRACKING_TABLE)
        recorder.create_table()
        return recorder


class TestProcessRecorder(PgDatastoreCase, es.ProcessRecorderTestCase):
    def create_recorder(self) -> ProcessRecorder:
        recorder = OpenGaussProcessRecorder(
            self.datastore, events_table_name=EVENTS_TABLE, tracking_table_name=TRACKING_TABLE
        )
        recorder.create_table()
        return recorder


class TestNonInterleavingNotificationIDs(PgDatastoreCase, es.NonInterleavingNotificationIDsBaseCase):
    def create_recorder(self) -> ApplicationRecorder:
        recorder = OpenGaussApplicationRecorder(self.datastore, events_table_name=EVENTS_TABLE)
        recorder.create_table()
        return recorder


class TestFactory(es.InfrastructureFactoryTestCase[OpenGaussFactory]):
    class TrackingRecorderSubclass(OpenGaussTrackingRecorder):
        pass

    def setUp(self) -> None:
        env: dict[str, Any] = pg_test_env("ledger")
        self.env = Environment("TestCase", env | {"PERSISTENCE_MODULE": "ledger.opengauss"})
        super().setUp()

    def expected_factory_class(self) -> type[OpenGaussFactory]:
        return OpenGaussFactory

    def expected_aggregate_recorder_class(self) -> type[AggregateRecorder]:
        return OpenGaussAggregateRecorder

    def expected_application_recorder_class(self) -> type[ApplicationRecorder]:
        return OpenGaussApplicationRecorder

    def expected_tracking_recorder_class(self) -> type[TrackingRecorder]:
        return OpenGaussTrackingRecorder

    def tracking_recorder_subclass(self) -> type[TrackingRecorder]:
        return self.TrackingRecorderSubclass

    def expected_process_recorder_class(self) -> type[ProcessRecorder]:
        return OpenGaussProcessRecorder

    def test_pool_size_defaults(self) -> None:
        self.assertEqual(self.factory.datastore.pool.pool_size, 10)
        self.assertEqual(self.factory.datastore.pool.max_size, 30)

    def test_pool_size_from_env(self) -> None:
        self.env["POSTGRES_POOL_SIZE"] = "3"
        self.env["TESTCASE_POSTGRES_MAX_OVERFLOW"] = "4"
        factory = OpenGaussFactory(self.env)
        try:
            self.assertEqual(factory.datastore.pool.pool_size, 3)
            self.assertEqual(factory.datastore.pool.max_size, 7)
        finally:
            factory.close()

    def test_missing_dbname_is_an_environment_error(self) -> None:
        del self.env["POSTGRES_DBNAME"]
        with self.assertRaises(OSError):
            OpenGaussFactory(self.env)

    def test_snapshot_table_and_tracking_table_names(self) -> None:
        snapshots = self.factory.aggregate_recorder(purpose="snapshots")
        assert isinstance(snapshots, OpenGaussAggregateRecorder)
        self.assertEqual(snapshots.events_table_name, "testcase_snapshots")
        self.assertFalse(snapshots.immutable)
        self.assertEqual(self.factory.tracking_recorder().tracking_table_name, "testcase_tracking")

    def test_close_is_idempotent(self) -> None:
        self.factory.application_recorder()
        self.factory.close()
        self.factory.close()
        self.assertTrue(self.factory.datastore.closed)
