"""Issue 6: the gateway stand-in is down while backups run; after it recovers every notification
arrives, none twice, in order per recipient."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from notify.standin import StandIn, start_standin
from tests.conftest import run_cli

TOKEN = "test-token"
PHONES = ("13800000000", "13800000001")


@pytest.fixture
def gateway(taf_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[StandIn]:
    with start_standin(TOKEN) as standin:
        monkeypatch.setenv("DINGTALK_API_URL", standin.url)
        monkeypatch.setenv("DINGTALK_API_KEY", TOKEN)
        monkeypatch.setenv("VTL_CAPACITY", "16M")
        monkeypatch.setenv("COMPRESSION_LEVEL", "0")
        yield standin


def test_notifications_queued_during_an_outage_arrive_once_in_order(gateway: StandIn, taf_env: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    for number, phone in enumerate(PHONES):
        assert run_cli("notify", "recipients", "add", f"值班{number}", phone).code == 0
    source = taf_env / "源"
    source.mkdir()
    (source / "报表.txt").write_text("月报\n" * 1000, encoding="utf-8")
    gateway.fail("500", seconds=3600)
    monkeypatch.setenv("TAF_NOW", "2026-05-01T02:00:00+00:00")
    jobs = []
    for _ in range(3):
        run = run_cli("backup", "run", "--source", str(source), "--wait", "--json")
        assert run.code == 0, run.err
        jobs.append(run.json()["job_id"])
        failing = run_cli("notify", "dispatch", "--json").json()  # the worker's minutely dispatch, failing
        assert failing["delivered"] == 0
    assert gateway.messages == []

    gateway.recover()
    monkeypatch.setenv("TAF_NOW", "2026-05-02T02:00:00+00:00")  # past every retry delay
    done = run_cli("notify", "dispatch", "--json").json()
    assert done["delivered"] == len(jobs) * len(PHONES)
    assert run_cli("notify", "dispatch", "--json").json()["outcomes"] == []  # nothing left, nothing twice
    for phone in PHONES:
        received = [m for m in gateway.messages if m["phone"] == phone]
        assert len(received) == len(jobs)
        # In order per recipient: the job ids appear in the order the backups ran.
        order = [next(i for i, job in enumerate(jobs) if job in m["content"]) for m in received]
        assert order == sorted(order)
