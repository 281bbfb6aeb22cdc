"""What a catch-up and a settings read cost when nothing changed — one question to the ledger — and
that a change made by another process is seen at the next one (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture
def other_process(services: Any) -> Iterator[Any]:
    """A second set of services over the same ledger, as another process of the installation has."""
    from bootstrap import build

    built = build()
    yield built
    built.close()


def barcodes(services: Any) -> set[str]:
    return {row[0] for row in services.inventory.store.query("SELECT barcode FROM inventory", [])}


def counted(monkeypatch: pytest.MonkeyPatch, recorder: Any, name: str) -> list[int]:
    calls: list[int] = []
    original = getattr(recorder, name)

    def count(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(recorder, name, count)
    return calls


def test_a_catch_up_with_nothing_new_reads_no_events_and_sees_another_process_s_at_once(
        services: Any, other_process: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    services.catch_up()
    pages = counted(monkeypatch, services.ledger.recorder, "select_notifications")
    assert services.projector.catch_up() == 0 and services.projector.catch_up(["inventory"]) == 0
    assert pages == []  # the ledger's head was where the views had already been

    other_process.ledger.register_cartridge("TAF777L9", capacity_bytes=18 * 10**12, by="测试员")
    assert services.projector.catch_up(["inventory"]) >= 1 and pages
    assert "TAF777L9" in barcodes(services)


def test_a_rebuilt_view_is_read_again(services: Any) -> None:
    services.ledger.register_cartridge("TAF778L9", capacity_bytes=18 * 10**12, by="测试员")
    services.catch_up()
    assert services.projector.rebuild(["inventory"]) >= 1  # not skipped: its rows were dropped
    assert "TAF778L9" in barcodes(services)


def test_settings_read_again_cost_one_question_and_another_process_s_change_is_seen(
        services: Any, other_process: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    assert services.effective("default_retention_months") == other_process.effective("default_retention_months")
    loads = counted(monkeypatch, services.ledger, "find")
    for _ in range(3):
        services.effective("default_retention_months")
    assert loads == []  # never changed yet: nothing to load

    other_process.ledger.change_setting("default_retention_months", 9, old=None, by="admin")
    assert services.effective("default_retention_months") == 9 and len(loads) == 1
    assert services.runtime.changed() == {"default_retention_months": 9} and len(loads) == 1
    with pytest.raises(TypeError):
        services.ledger.setting_values()["default_retention_months"] = 3  # type: ignore[index]
    other_process.ledger.change_setting("default_retention_months", 10, old=9, by="admin")
    assert services.effective("default_retention_months") == 10 and len(loads) == 2
