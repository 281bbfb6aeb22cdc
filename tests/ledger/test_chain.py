"""The hash chain (B1): pure verification, and `audit verify` against a tampered store."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, replace

import pytest

from ledger import chain
from ledger.sqlite_guard import MESSAGE, remove_immutability_triggers
from tests.conftest import run_cli


@dataclass(frozen=True)
class Stored:
    id: int
    originator_id: str
    originator_version: int
    topic: str
    state: bytes


EVENTS = [Stored(i, f"agg-{i % 3}", i, "t:E", f"state {i}".encode()) for i in range(1, 8)]


def sealed(events: list[Stored]) -> list[tuple[int, str]]:
    return [(i, h.hex()) for i, h in chain.walk(events)]


def test_an_untouched_ledger_verifies() -> None:
    verdict = chain.verify(EVENTS, sealed(EVENTS))
    assert verdict.ok and verdict.checked == 7
    assert verdict.head == sealed(EVENTS)[-1][1]
    assert "完整" in verdict.message


def test_every_field_is_covered_by_the_link() -> None:
    base = EVENTS[0]
    original = chain.link_notification(chain.GENESIS, base)
    for changed in (replace(base, id=9), replace(base, originator_id="x"), replace(base, originator_version=2),
                    replace(base, topic="t:F"), replace(base, state=b"other")):
        assert chain.link_notification(chain.GENESIS, changed) != original
    assert chain.link_notification(b"\x01" * 32, base) != original


def test_an_altered_event_is_named() -> None:
    seals = sealed(EVENTS)
    tampered = [replace(e, state=b"forged") if e.id == 4 else e for e in EVENTS]
    verdict = chain.verify(tampered, seals)
    assert not verdict.ok and verdict.first_bad == 4 and "篡改" in verdict.message


def test_a_removed_event_is_named() -> None:
    seals = sealed(EVENTS)
    verdict = chain.verify([e for e in EVENTS if e.id != 5], seals)
    assert (verdict.ok, verdict.first_bad) == (False, 5)
    verdict_last = chain.verify(EVENTS[:-1], seals)
    assert (verdict_last.ok, verdict_last.first_bad) == (False, 7)


def test_an_inserted_event_is_named() -> None:
    seals = sealed([e for e in EVENTS if e.id != 3])
    verdict = chain.verify(EVENTS, seals)
    assert (verdict.ok, verdict.first_bad) == (False, 3)
    assert "插入" in verdict.message


def test_events_appended_after_the_last_seal_extend_the_head() -> None:
    verdict = chain.verify(EVENTS, sealed(EVENTS[:4]))
    assert verdict.ok and verdict.head == sealed(EVENTS)[-1][1]


def populate() -> None:
    for key, value in (("default_retention_months", "7"), ("active_groups", "5"), ("compression_level", "6")):
        assert run_cli("settings", "set", key, value).code == 0


def test_audit_verify_notices_an_event_altered_in_sqlite(cli, taf_env) -> None:  # noqa: ANN001
    populate()
    assert cli("audit", "verify").code == 0
    db = taf_env / "data" / "ledger.db"
    connection = sqlite3.connect(db)
    with pytest.raises(sqlite3.DatabaseError, match=MESSAGE):
        connection.execute("UPDATE stored_events SET state = x'00' WHERE rowid = 2")
    connection.rollback()
    remove_immutability_triggers(db)
    connection.execute("UPDATE stored_events SET state = x'00' WHERE rowid = 2")
    connection.commit()
    connection.close()
    result = cli("audit", "verify", "--json")
    assert result.code == 6
    assert result.json()["first_bad"] == 2
    assert "第 2 号事件" in result.err


def test_audit_verify_notices_a_deleted_event_in_sqlite(cli, taf_env) -> None:  # noqa: ANN001
    populate()
    assert cli("audit", "verify").code == 0
    db = taf_env / "data" / "ledger.db"
    remove_immutability_triggers(db)
    connection = sqlite3.connect(db)
    connection.execute("DELETE FROM stored_events WHERE rowid = 3")
    connection.commit()
    connection.close()
    result = cli("audit", "verify")
    assert result.code == 6 and "第 3 号事件已被删除" in result.out


def test_audit_verify_notices_an_event_altered_in_postgresql(cli, taf_env, monkeypatch) -> None:  # noqa: ANN001
    import psycopg2

    from ledger.opengauss import disable_immutability_guard
    from ledger.pgpool import PgDatastore
    from tests.conftest import postgres_url
    from tests.ledger.pg import PG_HOST, PG_PORT, PG_USER

    url = postgres_url("chain")
    monkeypatch.setenv("DATABASE_URL", url)
    populate()
    assert cli("audit", "verify").code == 0
    dbname = url.rsplit("/", 1)[1]
    params = {"host": PG_HOST, "port": int(PG_PORT), "user": PG_USER, "dbname": dbname}
    connection = psycopg2.connect(**params)
    with pytest.raises(psycopg2.Error, match=MESSAGE), connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_events SET state = '\\x00' WHERE notification_id = 2")
    connection.rollback()
    datastore = PgDatastore(dbname=dbname, host=PG_HOST, port=int(PG_PORT), user=PG_USER, password="")
    try:
        with disable_immutability_guard(datastore, "ledger_events"), connection.cursor() as cursor:
            cursor.execute("UPDATE ledger_events SET state = '\\x00' WHERE notification_id = 2")
            connection.commit()
    finally:
        datastore.close()
        connection.close()
    result = cli("audit", "verify", "--json")
    assert result.code == 6 and result.json()["first_bad"] == 2
