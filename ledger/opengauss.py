"""eventsourcing 9.5 persistence module for openGauss (and PostgreSQL) on psycopg2.

Select it with ``PERSISTENCE_MODULE=ledger.opengauss``. It reads the same keys as the
stock ``eventsourcing.postgres`` module: POSTGRES_DBNAME, POSTGRES_HOST, POSTGRES_PORT,
POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_CONNECT_TIMEOUT, POSTGRES_SCHEMA,
POSTGRES_POOL_SIZE, POSTGRES_MAX_OVERFLOW (plus CREATE_TABLE, ORIGINATOR_ID_TYPE and the
*_RECORDER_TOPIC keys), each optionally prefixed with the application name.

The stock module cannot run on openGauss (research/stack-ledger.md §1.6), so every
statement here is one openGauss accepts: no ON CONFLICT (tracking is UPDATE-then-INSERT),
no LISTEN/NOTIFY (subscriptions poll), no lock_timeout, no LATERAL, no identity columns
(bigserial), no SKIP LOCKED, no composite types and no stored procedures on the write path.
Indexes, triggers and schemas are created after a pg_catalog check, because older openGauss
releases lack ``IF NOT EXISTS`` for them, under ``pg_advisory_xact_lock`` (openGauss has it)
so that processes starting together do not race. The events table refuses UPDATE and DELETE.

Views for ProjectionRunner subclass ``OpenGaussTrackingRecorder``: extend
``_create_table(curs)`` for their DDL and write their rows and ``record_tracking(curs, t)``
inside one ``self.datastore.transaction(commit=True)``.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar, cast

from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    InfrastructureFactory,
    ProcessRecorder,
)
from eventsourcing.utils import Environment, EnvType, resolve_topic, strtobool

from ledger.opengauss_ddl import (
    DDL_LOCK_KEY,
    IMMUTABILITY_FUNCTION,
    IMMUTABLE_MESSAGE,
    Cursor,
    create_immutability_trigger,
    create_index_if_absent,
    create_schema_if_absent,
    immutability_trigger_name,
)
from ledger.opengauss_recorders import (
    OpenGaussAggregateRecorder,
    OpenGaussApplicationRecorder,
    OpenGaussProcessRecorder,
    OpenGaussRecorder,
    OpenGaussSubscription,
    OpenGaussTrackingRecorder,
)
from ledger.pgpool import PgDatastore, quote_ident

__all__ = [
    "DDL_LOCK_KEY",
    "IMMUTABILITY_FUNCTION",
    "IMMUTABLE_MESSAGE",
    "Cursor",
    "Factory",
    "OpenGaussAggregateRecorder",
    "OpenGaussApplicationRecorder",
    "OpenGaussFactory",
    "OpenGaussProcessRecorder",
    "OpenGaussRecorder",
    "OpenGaussSubscription",
    "OpenGaussTrackingRecorder",
    "create_immutability_trigger",
    "create_index_if_absent",
    "create_schema_if_absent",
    "disable_immutability_guard",
    "immutability_trigger_name",
]

_TTracking = TypeVar("_TTracking", bound=OpenGaussTrackingRecorder)


class OpenGaussFactory(InfrastructureFactory[OpenGaussTrackingRecorder]):
    """The infrastructure factory eventsourcing finds in this module."""

    POSTGRES_DBNAME = "POSTGRES_DBNAME"
    POSTGRES_HOST = "POSTGRES_HOST"
    POSTGRES_PORT = "POSTGRES_PORT"
    POSTGRES_USER = "POSTGRES_USER"
    POSTGRES_PASSWORD = "POSTGRES_PASSWORD"
    POSTGRES_CONNECT_TIMEOUT = "POSTGRES_CONNECT_TIMEOUT"
    POSTGRES_SCHEMA = "POSTGRES_SCHEMA"
    POSTGRES_POOL_SIZE = "POSTGRES_POOL_SIZE"
    POSTGRES_MAX_OVERFLOW = "POSTGRES_MAX_OVERFLOW"
    ORIGINATOR_ID_TYPE = "ORIGINATOR_ID_TYPE"
    CREATE_TABLE = "CREATE_TABLE"

    aggregate_recorder_class = OpenGaussAggregateRecorder
    application_recorder_class = OpenGaussApplicationRecorder
    tracking_recorder_class = OpenGaussTrackingRecorder
    process_recorder_class = OpenGaussProcessRecorder

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        self.datastore = PgDatastore(
            dbname=self._required(self.POSTGRES_DBNAME),
            host=self._required(self.POSTGRES_HOST),
            user=self._required(self.POSTGRES_USER),
            password=self.env.get(self.POSTGRES_PASSWORD) or "",
            port=self._integer(self.POSTGRES_PORT, 5432),
            connect_timeout=self._integer(self.POSTGRES_CONNECT_TIMEOUT, 30),
            pool_size=self._integer(self.POSTGRES_POOL_SIZE, 10),
            max_overflow=self._integer(self.POSTGRES_MAX_OVERFLOW, 20),
            schema=(self.env.get(self.POSTGRES_SCHEMA) or "public").strip(),
            originator_id_type=(self.env.get(self.ORIGINATOR_ID_TYPE) or "uuid").lower(),
        )

    def _required(self, key: str) -> str:
        value = self.env.get(key)
        if not value:
            raise OSError(f"缺少数据库设置：环境变量 {key}")
        return value

    def _integer(self, key: str, default: int) -> int:
        value = self.env.get(key)
        if not value:
            return default
        try:
            return int(value)
        except ValueError:
            raise OSError(f"数据库设置 {key} 应为整数：{value!r}") from None

    def _create_table(self) -> bool:
        return strtobool(self.env.get(self.CREATE_TABLE) or "yes")

    def _events_table(self, purpose: str = "events") -> str:
        return f"{self.env.name.lower() or 'stored'}_{purpose}"

    def _tracking_table(self) -> str:
        return f"{self.env.name.lower() or 'notification'}_tracking"

    def aggregate_recorder(self, purpose: str = "events") -> AggregateRecorder:
        recorder = type(self).aggregate_recorder_class(
            self.datastore, events_table_name=self._events_table(purpose), immutable=purpose == "events"
        )
        if self._create_table():
            recorder.create_table()
        return recorder

    def application_recorder(self) -> ApplicationRecorder:
        topic = self.env.get(self.APPLICATION_RECORDER_TOPIC)
        recorder_class = resolve_topic(topic) if topic else type(self).application_recorder_class
        assert issubclass(recorder_class, OpenGaussApplicationRecorder), recorder_class
        recorder = recorder_class(self.datastore, events_table_name=self._events_table())
        if self._create_table():
            recorder.create_table()
        return recorder

    def tracking_recorder(
        self, tracking_recorder_class: type[_TTracking] | None = None
    ) -> _TTracking:
        # ProjectionRunner passes its view class here; it gets this factory's datastore.
        recorder_class: type[OpenGaussTrackingRecorder]
        if tracking_recorder_class is not None:
            recorder_class = tracking_recorder_class
        else:
            topic = self.env.get(self.TRACKING_RECORDER_TOPIC)
            recorder_class = resolve_topic(topic) if topic else type(self).tracking_recorder_class
        assert issubclass(recorder_class, OpenGaussTrackingRecorder), recorder_class
        recorder = recorder_class(self.datastore, tracking_table_name=self._tracking_table())
        if self._create_table():
            recorder.create_table()
        return cast("_TTracking", recorder)

    def process_recorder(self) -> ProcessRecorder:
        topic = self.env.get(self.PROCESS_RECORDER_TOPIC)
        recorder_class = resolve_topic(topic) if topic else type(self).process_recorder_class
        assert issubclass(recorder_class, OpenGaussProcessRecorder), recorder_class
        recorder = recorder_class(
            self.datastore,
            events_table_name=self._events_table(),
            tracking_table_name=self._tracking_table(),
        )
        if self._create_table():
            recorder.create_table()
        return recorder

    def __exit__(self, *args: Any) -> None:
        super().__exit__(*args)
        self.close()

    def close(self) -> None:
        """Idempotent: Application.close() and Application.__del__ both call it."""
        datastore = getattr(self, "datastore", None)
        if datastore is not None:
            datastore.close()


Factory = OpenGaussFactory


@contextmanager
def disable_immutability_guard(
    store: PgDatastore | OpenGaussFactory | OpenGaussAggregateRecorder, table: str | None = None
) -> Iterator[None]:
    """For tests only: let UPDATE/DELETE through on an events table inside the block.

    ``table`` defaults to the recorder's events table. The trigger is disabled for every
    session while the block runs, so never use this against a live ledger.
    """
    datastore = store if isinstance(store, PgDatastore) else store.datastore
    if table is None:
        if not isinstance(store, OpenGaussAggregateRecorder):
            raise TypeError("请指定事件表名，或传入记录器")
        table = store.events_table_name
    target = datastore.qualified(table)
    trigger = quote_ident(immutability_trigger_name(table))
    with datastore.transaction(commit=True) as curs:
        curs.execute(f"ALTER TABLE {target} DISABLE TRIGGER {trigger}")
    try:
        yield
    finally:
        with datastore.transaction(commit=True) as curs:
            curs.execute(f"ALTER TABLE {target} ENABLE TRIGGER {trigger}")
