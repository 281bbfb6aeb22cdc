"""Issue 13, item 2: delivering notifications does not depend on the scheduler.

With SCHEDULER_ENABLED=false and no worker, `backup run --wait` delivers its own messages — the 换盘
request while it waits, the success when it ends; a worker started with the scheduler off delivers
what others queued; and dispatchers that overlap (the job's own pass, the worker's loop, another
host's) still send each message once: at least once, never twice.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from backup import service
from ledger import clock
from notify.dispatch import OutcomeKind, dispatch_once
from notify.gateway import GatewayClient
from notify.outbox import LedgerOutbox, dispatch_pending, notify_event
from notify.standin import StandIn
from tests.backup.jobkit import eventually, make_tree, set_job_settings, start_main_py
from tests.notify.conftest import CLIENT_TIMEOUT, PHONE, TOKEN

NOW = datetime(2026, 5, 3, 9, 0)


@pytest.fixture
def offline_scheduler(taf_env: Path, monkeypatch: pytest.MonkeyPatch, standin: StandIn) -> dict[str, Any]:
    """Settings with the scheduler off and the gateway stand-in configured; a recipient for everything."""
    from tests.conftest import run_cli

    env = set_job_settings(monkeypatch, SCHEDULER_ENABLED="false", DINGTALK_API_URL=standin.url,
                           DINGTALK_API_KEY=TOKEN)
    assert run_cli("notify", "recipients", "add", "值班", PHONE).code == 0
    return {"env": env, "root": taf_env}


@pytest.fixture
def services(offline_scheduler: dict[str, Any]) -> Iterator[Any]:
    from bootstrap import build

    built = build()
    yield built
    built.close()


def log_rows(services: Any) -> list[dict[str, Any]]:
    services.projector.catch_up(["notifications"])
    return services.notification_log.recent(20)


def test_backup_run_wait_delivers_its_success_message_itself(offline_scheduler: dict[str, Any], services: Any,
                                                             standin: StandIn, cli: Callable[..., Any]) -> None:
    source = make_tree(offline_scheduler["root"] / "源", 10, big=False)

    done = cli("backup", "run", "--source", str(source), "--wait", "--json")

    assert done.code == 0, done.err
    [row] = log_rows(services)
    assert row["kind"] == "backup_succeeded" and row["status"] == "delivered" and row["attempts"] == 1
    assert [m["title"] for m in standin.messages] == [row["title"]] and row["task_id"] == standin.messages[0]["task_id"]


def test_a_tape_change_request_goes_out_while_the_job_waits(offline_scheduler: dict[str, Any], monkeypatch: Any,
                                                             standin: StandIn, cli: Callable[..., Any]) -> None:
    from bootstrap import build

    monkeypatch.setenv("VTL_SLOTS", "0")  # a standalone drive, empty
    services = build()
    try:
        job, _ = service.request_backup(services, [str(make_tree(offline_scheduler["root"] / "源", 5, big=False))],
                                        group="2026-05")
        done: dict[str, Any] = {}
        running = threading.Thread(target=lambda: done.update(service.run(services, str(job.id), poll_seconds=0.05)),
                                   daemon=True)
        running.start()
        asked = eventually(lambda: [m for m in standin.messages if "需要换盘" in m["title"]], "换盘通知送达")
        assert running.is_alive() and len(asked) == 1  # delivered while it waits: nobody else delivers here
        assert cli("vtl", "insert", "TAF001L9").code == 0
        running.join(timeout=120)
        assert done["status"] == "succeeded"
        assert sorted(row["kind"] for row in log_rows(services) if row["status"] == "delivered") == [
            "backup_succeeded", "tape_change_needed"]
        assert len(standin.messages) == 2
    finally:
        services.close()


def test_a_gateway_down_at_the_end_of_the_job_leaves_the_message_queued_for_the_next_pass(
        offline_scheduler: dict[str, Any], services: Any, standin: StandIn, cli: Callable[..., Any]) -> None:
    standin.fail("503", count=1)
    source = make_tree(offline_scheduler["root"] / "源", 5, big=False)

    done = cli("backup", "run", "--source", str(source), "--wait")

    assert done.code == 0 and "成功" in done.out  # a notification problem never fails a backup
    [row] = log_rows(services)
    assert row["status"] == "queued" and row["attempts"] == 1 and "暂时" in (row["last_error"] or "")
    later = dispatch_pending(services, clock.now() + timedelta(hours=1))  # the worker's pass, after the backoff
    assert len(later.report.delivered) == 1 and log_rows(services)[0]["status"] == "delivered"
    assert len(standin.messages) == 1


def test_a_worker_with_the_scheduler_off_delivers_what_others_queued(offline_scheduler: dict[str, Any],
                                                                    services: Any, standin: StandIn) -> None:
    worker = start_main_py("worker", env=offline_scheduler["env"])
    try:
        assert worker.stdout is not None
        started = worker.stdout.readline()
        assert "计划任务关闭" in started and "钉钉通知随时投递" in started
        notify_event(services, "system_exception",
                     {"component": "测试", "host": "taf-01", "occurred_at": NOW, "message": "队列中的通知"}, cause="t1")
        [row] = eventually(lambda: [r for r in log_rows(services) if r["status"] == "delivered"], "后台任务进程投递")
        assert row["kind"] == "system_exception" and len(standin.messages) == 1
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0


def test_two_dispatchers_that_list_the_same_message_send_it_once(services: Any, standin: StandIn) -> None:
    [notice] = notify_event(services, "system_exception",
                            {"component": "测试", "host": "taf-01", "occurred_at": NOW, "message": "一次"}, cause="t2")
    outbox = LedgerOutbox(services)
    listed_by_the_other = list(outbox.list_pending(NOW))  # another process read the queue at the same moment

    class Stale(LedgerOutbox):
        def list_pending(self, now: datetime) -> Any:
            return listed_by_the_other

    with GatewayClient(standin.url, TOKEN, timeout=CLIENT_TIMEOUT) as gateway:
        first = dispatch_once(outbox, gateway, NOW)
        second = dispatch_once(Stale(services), gateway, NOW)

    assert first.delivered == [notice.id]
    assert [o.kind for o in second.outcomes] == [OutcomeKind.ELSEWHERE]
    assert len(standin.messages) == 1
    assert services.ledger.notification(notice.id).attempts == 1


def test_commands_that_queue_a_message_deliver_it_themselves(offline_scheduler: dict[str, Any], standin: StandIn,
                                                             cli: Callable[..., Any],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """No worker and the scheduler off: `lifecycle check` sends the interlock alert it raised, and
    `drive erase` its 擦除完成, before they return — each once, however often the check is run."""
    monkeypatch.setenv("TAF_NOW", "2026-01-05T10:00:00+08:00")
    source = make_tree(offline_scheduler["root"] / "源", 5, big=False)
    assert cli("backup", "run", "--source", str(source), "--group", "2026-01", "--wait").code == 0
    monkeypatch.setenv("TAF_NOW", "2026-03-10T10:00:00+08:00")
    assert cli("tape", "retention", "TAF001L9", "1").code == 0  # due, but it holds the active group 2026-01

    checked = cli("lifecycle", "check", "--json")
    assert checked.code == 0 and [a["barcode"] for a in checked.json()["alerts"]] == ["TAF001L9"]
    assert [m["title"] for m in standin.messages] == ["【TAF】备份成功：2026-01", "【TAF】系统异常：磁带存活期检查"]
    assert cli("lifecycle", "check").code == 0  # the same conflict on the same day: nothing new
    assert len(standin.messages) == 2

    assert cli("drive", "load", "TAF002L9").code == 0
    assert cli("drive", "label").code == 0
    assert cli("drive", "erase", "--yes").code == 0
    assert standin.messages[-1]["title"] == "【TAF】擦除完成：磁带 TAF002L9" and len(standin.messages) == 3
    listed = cli("notify", "log", "--json").json()["notifications"]
    assert sorted((row["kind"], row["status"]) for row in listed) == [
        ("backup_succeeded", "delivered"), ("erase_done", "delivered"), ("system_exception", "delivered")]


def test_a_restore_waiting_for_its_cartridge_sends_the_request_while_it_waits(
        offline_scheduler: dict[str, Any], standin: StandIn, cli: Callable[..., Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    env = set_job_settings(monkeypatch, VTL_SLOTS="0")
    root = offline_scheduler["root"]
    source = make_tree(root / "源", 5, big=False)
    assert cli("vtl", "insert", "TAF001L9").code == 0
    assert cli("backup", "run", "--source", str(source), "--group", "2026-05", "--wait").code == 0
    assert cli("vtl", "eject", "TAF001L9").code == 0

    restoring = start_main_py("restore", "run", str(source), "--target", str(root / "恢复"), "--wait", env=env)
    try:
        asked = eventually(lambda: [m for m in standin.messages if "需要换盘" in m["title"]], "恢复的换盘通知送达")
        assert asked[0]["title"] == "【TAF】需要换盘：请插入磁带 TAF001L9" and restoring.poll() is None
        assert cli("vtl", "insert", "TAF001L9").code == 0
        out, err = restoring.communicate(timeout=120)
    finally:
        if restoring.poll() is None:
            restoring.kill()
    assert restoring.returncode == 0, out + err
    assert [m["title"] for m in standin.messages].count("【TAF】需要换盘：请插入磁带 TAF001L9") == 1
