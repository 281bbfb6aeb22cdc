"""A standalone drive (no robot): the job asks the operator for each cartridge, waits, carries on
when one is put in, and — if nobody comes — pauses rather than fails, ready to be resumed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from backup import service
from tests.backup.jobkit import (
    assert_tapes_agree,
    make_tree,
    read_back,
    set_job_settings,
    shelf,
    tree_digests,
)

PHONE = "13800000000"


@pytest.fixture
def standalone(taf_env: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """Services for a data folder whose emulated library is one drive and three cartridges on the shelf."""
    from bootstrap import build

    set_job_settings(monkeypatch, VTL_SLOTS="0")
    built = build()
    yield built
    built.close()


def wait_for(condition: Callable[[], Any], what: str, job: threading.Thread, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        assert job.is_alive(), f"任务在{what}之前就结束了：{getattr(job, 'summary', None)}"
        time.sleep(0.05)
    raise AssertionError(f"等待超时：{what}")


class JobThread(threading.Thread):
    """`backup.service.run` in the background, as a worker would run it, polling the drive often."""

    def __init__(self, services: Any, job_id: str, **options: Any) -> None:
        super().__init__(daemon=True)
        self.services, self.job_id, self.options = services, job_id, options
        self.summary: dict[str, Any] | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.summary = service.run(self.services, self.job_id, poll_seconds=0.2, **self.options)
        except BaseException as error:  # reported by the test, not lost in the thread
            self.error = error

    def result(self, timeout: float = 120.0) -> dict[str, Any]:
        self.join(timeout)
        assert not self.is_alive(), "备份任务没有结束"
        assert self.error is None, repr(self.error)
        assert self.summary is not None
        return self.summary


def tape_change_requests(services: Any, job_id: str) -> list[Any]:
    events = services.ledger.events.get(services.ledger.backup_job(job_id).id)
    return [e for e in events if type(e).__name__ == "TapeChangeRequested"]


def tape_change_notices(services: Any) -> list[dict[str, Any]]:
    services.projector.catch_up(["notifications"])
    return [n for n in services.notification_log.recent() if n["kind"] == "tape_change_needed"]


def job_row(services: Any, job_id: str) -> dict[str, Any]:
    services.projector.catch_up(["jobs"])
    return next(row for row in services.jobs.rows(limit=10) if row["job_id"] == job_id)


def test_the_job_asks_for_each_cartridge_waits_and_continues_when_the_operator_brings_one(
        standalone: Any, taf_env: Path, cli: Callable[..., Any]) -> None:
    assert cli("notify", "recipients", "add", "值班", PHONE, "--events", "tape_change_needed").code == 0
    source = make_tree(taf_env / "源数据", 200)
    job, _ = service.request_backup(standalone, [str(source)], group="2026-05", key="单机驱动器")
    job_id = str(job.id)
    running = JobThread(standalone, job_id)
    running.start()

    # The drive is empty: the job asks for a cartridge and says so everywhere the operator looks.
    first = wait_for(lambda: tape_change_requests(standalone, job_id), "第一次换盘请求", running)[0]
    assert first.full_barcode == "" and first.reason == "没有可写入的磁带"
    assert standalone.ledger.backup_job(job_id).status == "waiting_tape"
    assert job_row(standalone, job_id)["status"] == "waiting_tape"

    def shown_waiting() -> dict[str, Any] | None:
        shown = cli("backup", "status", job_id, "--json").json()
        phase = (shown["progress"]["phase"], shown["progress"]["phase_label"])
        return shown if phase == ("wait_tape", "等待换盘") else None

    status = wait_for(shown_waiting, "进度显示等待换盘", running)
    assert status["status"] == "waiting_tape" and status["progress"]["message"] == "没有可写入的磁带"
    queued = wait_for(lambda: tape_change_notices(standalone), "换盘通知", running)
    assert [n["phone"] for n in queued] == [PHONE] and job_id in queued[0]["cause"]
    time.sleep(0.5)
    assert running.is_alive() and len(tape_change_requests(standalone, job_id)) == 1  # waits, asks once

    assert cli("vtl", "insert", "TAF001L9").code == 0
    # The cartridge fills up; the job closes it, ejects it and asks for the next one.
    second = wait_for(lambda: tape_change_requests(standalone, job_id)[1:], "第二次换盘请求", running)[0]
    assert second.full_barcode == "TAF001L9" and "TAF001L9" in second.reason and "已写满" in second.reason
    assert standalone.ledger.cartridge("TAF001L9").status == "full"
    assert cli("vtl", "eject", "TAF001L9").code == 0
    assert cli("vtl", "insert", "TAF002L9").code == 0

    summary = running.result()
    assert summary["status"] == "succeeded", summary
    assert summary["cartridges"] == ["TAF001L9", "TAF002L9"]
    names = [type(e).__name__ for e in standalone.ledger.events.get(job.id)]
    assert names.count("TapeChangeRequested") == 2 and names.count("TapeChangeSatisfied") == 2
    asked = tape_change_notices(standalone)
    assert len(asked) == 2 and any("TAF001L9" in n["content"] for n in asked)
    with shelf(standalone.settings.vtl_dir) as place:
        assert_tapes_agree(standalone, job_id, place)
        assert read_back(standalone, job_id, place, taf_env / "读回") == tree_digests(source)


def test_a_wait_nobody_answers_pauses_the_job_which_resumes_once_a_cartridge_is_in(
        standalone: Any, taf_env: Path, cli: Callable[..., Any]) -> None:
    source = make_tree(taf_env / "源数据", 50, big=False)
    job, _ = service.request_backup(standalone, [str(source)], group="2026-05", key="无人换盘")
    job_id = str(job.id)
    started = time.monotonic()

    summary = service.run(standalone, job_id, poll_seconds=0.1, tape_pause_seconds=1.0)

    assert 1.0 <= time.monotonic() - started < 30
    assert summary["status"] == "paused"
    paused = [e for e in standalone.ledger.events.get(job.id) if type(e).__name__ == "Paused"]
    assert len(paused) == 1 and paused[0].by == "system" and "等待换盘超时" in paused[0].reason
    assert job_row(standalone, job_id)["status"] == "paused"
    drive = standalone.ledger.drive(standalone.settings.host_name, "emulated:0")
    assert drive.reserved_by is None  # a paused job does not hold the drive
    # Running a paused job does nothing until it is resumed.
    assert service.run(standalone, job_id, poll_seconds=0.1)["status"] == "paused"

    assert cli("vtl", "insert", "TAF003L9").code == 0
    resumed = cli("backup", "resume", job_id, "--wait")
    assert resumed.code == 0, resumed.out + resumed.err
    assert "成功" in resumed.out and "TAF003L9" in resumed.out
    with shelf(standalone.settings.vtl_dir) as place:
        assert_tapes_agree(standalone, job_id, place)
        assert read_back(standalone, job_id, place, taf_env / "读回") == tree_digests(source)


def test_a_library_without_a_usable_cartridge_waits_for_one_through_the_mail_slot(
        job_services_with: Callable[..., Any], taf_env: Path, cli: Callable[..., Any]) -> None:
    from tape.emulator import Library

    services = job_services_with(VTL_SLOTS="2")
    assert cli("vtl", "list").code == 0  # creates the library: two cartridges in two slots
    with Library.open(services.settings.vtl_dir) as library:
        for barcode in ("TAF001L9", "TAF002L9"):
            library.set_write_protect(barcode)
    source = make_tree(taf_env / "源数据", 20, big=False)
    job, _ = service.request_backup(services, [str(source)], group="2026-05")
    job_id = str(job.id)
    running = JobThread(services, job_id)
    running.start()

    asked = wait_for(lambda: tape_change_requests(services, job_id), "换盘请求", running)[0]
    assert asked.reason.startswith("磁带 TAF00") and asked.reason.endswith("处于写保护状态，已跳过")
    with Library.open(services.settings.vtl_dir) as library:
        fresh = library.add_cartridge()
        library.insert(fresh)  # into the import/export slot, as an operator does

    summary = running.result()
    assert summary["status"] == "succeeded" and summary["cartridges"] == [fresh]  # skipped tapes are notes
    assert sorted(summary["tape_notes"]) == [f"磁带 {b} 处于写保护状态，已跳过" for b in ("TAF001L9", "TAF002L9")]
    assert services.ledger.cartridge(fresh).label_sequence == 1
