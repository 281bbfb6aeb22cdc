"""openGauss DDL that must not race or repeat: schema, indexes and the events table's immutability
trigger, each created after a pg_catalog check under an advisory lock (older openGauss releases lack
``IF NOT EXISTS`` for them). Part of the ``ledger.opengauss`` persistence module."""

from __future__ import annotations

from typing import TypeAlias

import psycopg2.errors
import psycopg2.extensions
import psycopg2.extras

from ledger.pgpool import check_identifier, derived_name, quote_ident

Cursor: TypeAlias = psycopg2.extensions.cursor

# Message of the immutability trigger; operators see it when something tampers with events.
IMMUTABLE_MESSAGE = "台账事件不可修改或删除"
IMMUTABILITY_FUNCTION = "taf_refuse_event_change"

# Advisory lock key (any constant bigint) that serialises create_table() across processes.
DDL_LOCK_KEY = 0x7AF_1ED6E5


def immutability_trigger_name(table: str) -> str:
    return derived_name(table, "immutable")


def create_schema_if_absent(curs: Cursor, schema: str) -> None:
    curs.execute("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = %s", (schema,))
    if curs.fetchone() is None:
        curs.execute(f"CREATE SCHEMA {quote_ident(schema)}")


def create_index_if_absent(
    curs: Cursor, schema: str, table: str, index: str, columns: str, *, unique: bool = False
) -> None:
    """``CREATE [UNIQUE] INDEX`` unless a relation of that name exists in ``schema``.

    ``columns`` is the SQL between the parentheses, e.g. ``"notification_id ASC"``.
    """
    check_identifier(index)
    curs.execute(
        "SELECT 1 FROM pg_catalog.pg_class c"
        " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = %s AND c.relname = %s",
        (schema, index),
    )
    if curs.fetchone() is None:
        kind = "UNIQUE INDEX" if unique else "INDEX"
        target = f"{quote_ident(schema)}.{quote_ident(table)}"
        curs.execute(f"CREATE {kind} {quote_ident(index)} ON {target} ({columns})")


def create_immutability_trigger(curs: Cursor, schema: str, table: str) -> None:
    """Make ``table`` refuse UPDATE and DELETE of rows (TRUNCATE and DROP still work)."""
    function = f"{quote_ident(schema)}.{quote_ident(IMMUTABILITY_FUNCTION)}"
    curs.execute(
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$\n"
        "BEGIN\n"
        f"    RAISE EXCEPTION '{IMMUTABLE_MESSAGE}（表 %）', TG_TABLE_NAME;\n"
        "END;\n"
        "$$ LANGUAGE plpgsql"
    )
    trigger = immutability_trigger_name(table)
    # openGauss has neither CREATE TRIGGER IF NOT EXISTS nor CREATE OR REPLACE TRIGGER.
    curs.execute(
        "SELECT 1 FROM pg_catalog.pg_trigger t"
        " JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid"
        " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = %s AND c.relname = %s AND t.tgname = %s",
        (schema, table, trigger),
    )
    if curs.fetchone() is None:
        # EXECUTE PROCEDURE, not EXECUTE FUNCTION: openGauss (PostgreSQL 9.2 grammar).
        curs.execute(
            f"CREATE TRIGGER {quote_ident(trigger)} BEFORE UPDATE OR DELETE"
            f" ON {quote_ident(schema)}.{quote_ident(table)}"
            f" FOR EACH ROW EXECUTE PROCEDURE {function}()"
        )


