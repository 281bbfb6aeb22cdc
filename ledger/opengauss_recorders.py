"""The eventsourcing recorders for openGauss (and PostgreSQL) on psycopg2: events, notifications,
tracking, and their combination for process applications. Part of ``ledger.opengauss``; every
statement is one openGauss accepts (see that module's docstring)."""

from __future__ import annotations

from collections.abc import Sequence
from threading import Event, Thread
from typing import Any, cast
from uuid import UUID

import psycopg2.errors
import psycopg2.extensions
import psycopg2.extras
from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    IntegrityError,
    ListenNotifySubscription,
    Notification,
    ProcessRecorder,
    StoredEvent,
    Subscription,
    Tracking,
    TrackingRecorder,
)

from ledger.opengauss_ddl import (
    DDL_LOCK_KEY,
    Cursor,
    create_immutability_trigger,
    create_index_if_absent,
    create_schema_if_absent,
)
from ledger.pgpool import PgDatastore, check_identifier, derived_name, retry_transient


class OpenGaussRecorder:
    """Base of the recorders: a datastore and idempotent DDL that is safe to run concurrently."""

    def __init__(self, datastore: PgDatastore, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.datastore = datastore

    @retry_transient
    def create_table(self) -> None:
        with self.datastore.transaction(commit=True) as curs:
            # Processes starting together would race between the catalog checks and the
            # CREATEs, or on the catalog row of the shared trigger function ("tuple
            # concurrently updated"). The lock is per database and ends with the transaction.
            curs.execute("SELECT pg_advisory_xact_lock(%s)", (DDL_LOCK_KEY,))
            self._create_table(curs)

    def _create_table(self, curs: Cursor) -> None:
        create_schema_if_absent(curs, self.datastore.schema)


class OpenGaussAggregateRecorder(OpenGaussRecorder, AggregateRecorder):
    """Events or snapshots of aggregates (no notification ids)."""

    # Column definitions between the fixed columns and the primary key.
    extra_columns = ""

    def __init__(
        self,
        datastore: PgDatastore,
        *,
        events_table_name: str = "stored_events",
        immutable: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(datastore, **kwargs)
        check_identifier(events_table_name)
        self.events_table_name = events_table_name
        # Snapshots may be pruned; recorded events never change.
        self.immutable = immutable
        table = datastore.qualified(events_table_name)
        self.create_table_statement = (
            f"CREATE TABLE IF NOT EXISTS {table} ("
            f"originator_id {datastore.originator_id_type} NOT NULL, "
            "originator_version bigint NOT NULL, "
            "topic text, "
            "state bytea, "
            f"{self.extra_columns}"
            "PRIMARY KEY (originator_id, originator_version))"
        )
        self.insert_events_statement = (
            f"INSERT INTO {table} (originator_id, originator_version, topic, state) VALUES %s"
        )
        self.select_events_statement = (
            f"SELECT originator_id, originator_version, topic, state FROM {table}"
            " WHERE originator_id = %s"
        )

    def _create_table(self, curs: Cursor) -> None:
        super()._create_table(curs)
        curs.execute(self.create_table_statement)
        if self.immutable:
            create_immutability_trigger(curs, self.datastore.schema, self.events_table_name)

    @retry_transient
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        if stored_events:
            with self.datastore.transaction(commit=True) as curs:
                self._insert_rows(curs, stored_events, returning=False)
        return None

    def _insert_rows(self, curs: Cursor, stored_events: Sequence[StoredEvent], *, returning: bool) -> list[int]:
        # One multi-row INSERT ... VALUES: no composite type, no unnest(), works on openGauss.
        statement = self.insert_events_statement
        if returning:
            statement += " RETURNING notification_id"
        rows = [(e.originator_id, e.originator_version, e.topic, e.state) for e in stored_events]
        result = psycopg2.extras.execute_values(
            curs, statement, rows, page_size=len(rows), fetch=returning
        )
        return [row[0] for row in result] if returning else []

    @retry_transient
    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        statement = self.select_events_statement
        params: list[Any] = [originator_id]
        if gt is not None:
            statement += " AND originator_version > %s"
            params.append(gt)
        if lte is not None:
            statement += " AND originator_version <= %s"
            params.append(lte)
        statement += " ORDER BY originator_version " + ("DESC" if desc else "ASC")
        if limit is not None:
            statement += " LIMIT %s"
            params.append(limit)
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(statement, params)
            return [
                StoredEvent(originator_id=row[0], originator_version=row[1], topic=row[2], state=bytes(row[3]))
                for row in curs.fetchall()
            ]


class OpenGaussApplicationRecorder(OpenGaussAggregateRecorder, ApplicationRecorder):
    """Events with notification ids that increase in commit order."""

    # bigserial rather than an identity column, which openGauss lacks.
    extra_columns = "notification_id bigserial, "

    def __init__(self, datastore: PgDatastore, *, events_table_name: str = "stored_events", **kwargs: Any) -> None:
        super().__init__(datastore, events_table_name=events_table_name, immutable=True, **kwargs)
        table = datastore.qualified(events_table_name)
        self.notification_id_index_name = derived_name(events_table_name, "notification_id_idx")
        # EXCLUSIVE blocks other writers but not readers (SELECT takes ACCESS SHARE). Writers
        # thus take their bigserial values and commit one after another, so a reader tailing
        # the log never passes a gap that an earlier-numbered transaction fills later.
        self.lock_table_statement = f"LOCK TABLE {table} IN EXCLUSIVE MODE"
        self.select_notifications_statement = (
            f"SELECT notification_id, originator_id, originator_version, topic, state FROM {table}"
        )
        self.max_notification_id_statement = f"SELECT MAX(notification_id) FROM {table}"

    def _create_table(self, curs: Cursor) -> None:
        super()._create_table(curs)
        create_index_if_absent(
            curs,
            self.datastore.schema,
            self.events_table_name,
            self.notification_id_index_name,
            "notification_id ASC",
            unique=True,
        )

    @retry_transient
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        with self.datastore.transaction(commit=True) as curs:
            return self._insert_events(curs, stored_events, **kwargs)

    def _insert_events(self, curs: Cursor, stored_events: Sequence[StoredEvent], **kwargs: Any) -> list[int]:
        if not stored_events:
            return []
        curs.execute(self.lock_table_statement)
        return self._insert_rows(curs, stored_events, returning=True)

    @retry_transient
    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        conditions: list[str] = []
        params: list[Any] = []
        if start is not None:
            conditions.append("notification_id >= %s" if inclusive_of_start else "notification_id > %s")
            params.append(start)
        if stop is not None:
            conditions.append("notification_id <= %s")
            params.append(stop)
        if topics:
            conditions.append("topic = ANY(%s)")
            params.append(list(topics))
        statement = self.select_notifications_statement
        if conditions:
            statement += " WHERE " + " AND ".join(conditions)
        statement += " ORDER BY notification_id LIMIT %s"
        params.append(limit)
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(statement, params)
            return [
                Notification(
                    id=row[0],
                    originator_id=row[1],
                    originator_version=row[2],
                    topic=row[3],
                    state=bytes(row[4]),
                )
                for row in curs.fetchall()
            ]

    @retry_transient
    def max_notification_id(self) -> int | None:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self.max_notification_id_statement)
            row = curs.fetchone()
            return None if row is None else cast("int | None", row[0])

    def subscribe(self, gt: int | None = None, topics: Sequence[str] = ()) -> Subscription[ApplicationRecorder]:
        return OpenGaussSubscription(recorder=self, gt=gt, topics=topics)


class OpenGaussSubscription(ListenNotifySubscription[OpenGaussApplicationRecorder]):
    """Follows the notification log by polling, since openGauss has no LISTEN/NOTIFY.

    The base class pulls whenever ``_has_been_notified`` is set; a timer thread sets it
    every ``poll_interval`` seconds instead of a NOTIFY arriving.
    """

    poll_interval = 0.1

    def __init__(self, recorder: OpenGaussApplicationRecorder, gt: int | None = None, topics: Sequence[str] = ()) -> None:
        # Created before super().__init__(), whose puller thread may call stop() at once.
        self._poll_stopped = Event()
        super().__init__(recorder=recorder, gt=gt, topics=topics)
        self._poll_thread = Thread(target=self._poll, name="ledger-subscription-poll", daemon=True)
        self._poll_thread.start()

    def _poll(self) -> None:
        while not self._poll_stopped.wait(self.poll_interval):
            self._has_been_notified.set()

    def stop(self) -> None:
        self._poll_stopped.set()
        super().stop()

    def __exit__(self, *args: object, **kwargs: Any) -> None:
        try:
            super().__exit__(*args, **kwargs)
        finally:
            self._poll_thread.join()


class OpenGaussTrackingRecorder(OpenGaussRecorder, TrackingRecorder):
    """One row per upstream application holding the last processed notification id."""

    def __init__(self, datastore: PgDatastore, *, tracking_table_name: str = "notification_tracking", **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        check_identifier(tracking_table_name)
        self.tracking_table_name = tracking_table_name
        table = datastore.qualified(tracking_table_name)
        self.create_tracking_table_statement = (
            f"CREATE TABLE IF NOT EXISTS {table} ("
            "application_name text, notification_id bigint, PRIMARY KEY (application_name))"
        )
        self.update_tracking_statement = (
            f"UPDATE {table} SET notification_id = %s WHERE application_name = %s AND notification_id < %s"
        )
        self.insert_tracking_statement = f"INSERT INTO {table} (application_name, notification_id) VALUES (%s, %s)"
        self.max_tracking_id_statement = f"SELECT MAX(notification_id) FROM {table} WHERE application_name = %s"

    def _create_table(self, curs: Cursor) -> None:
        super()._create_table(curs)
        curs.execute(self.create_tracking_table_statement)

    @retry_transient
    def insert_tracking(self, tracking: Tracking) -> None:
        with self.datastore.transaction(commit=True) as curs:
            self.record_tracking(curs, tracking)

    def record_tracking(self, curs: Cursor, tracking: Tracking) -> None:
        """Advance the position inside the caller's transaction (views call this).

        The upsert without ON CONFLICT: move the row forward if it is behind, otherwise
        insert it. If a row exists at or past this id the INSERT hits the primary key, so
        a position can neither be recorded twice nor filled in below the current one. Under
        READ COMMITTED a concurrent writer makes the UPDATE wait and re-check its WHERE, or
        makes the INSERT fail; either way the caller's whole transaction is refused.
        """
        name, notification_id = tracking.application_name, tracking.notification_id
        curs.execute(self.update_tracking_statement, (notification_id, name, notification_id))
        if curs.rowcount == 0:
            try:
                curs.execute(self.insert_tracking_statement, (name, notification_id))
            except psycopg2.errors.UniqueViolation as error:
                raise IntegrityError(f"跟踪位置已记录或已越过：{name} {notification_id}") from error

    @retry_transient
    def max_tracking_id(self, application_name: str) -> int | None:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self.max_tracking_id_statement, (application_name,))
            row = curs.fetchone()
            return None if row is None else cast("int | None", row[0])


class OpenGaussProcessRecorder(OpenGaussTrackingRecorder, OpenGaussApplicationRecorder, ProcessRecorder):
    """Events and the upstream position written in one transaction."""

    def __init__(
        self,
        datastore: PgDatastore,
        *,
        events_table_name: str = "stored_events",
        tracking_table_name: str = "notification_tracking",
    ) -> None:
        super().__init__(datastore, tracking_table_name=tracking_table_name, events_table_name=events_table_name)

    def _insert_events(self, curs: Cursor, stored_events: Sequence[StoredEvent], **kwargs: Any) -> list[int]:
        tracking: Tracking | None = kwargs.get("tracking")
        # Tracking first: a duplicate position fails before the events table is locked.
        if tracking is not None:
            self.record_tracking(curs, tracking)
        return super()._insert_events(curs, stored_events, **kwargs)


