"""A failing job ends failed with its reason (R15) — or, when an operator can fix what is wrong,
waits and says what is wrong; nothing it has not safely written is ever recorded."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from backup import service
from kernel.errors import EXIT_FAILURE
from tape.emulator import Library
from tests.backup.jobkit import make_tree, shelf, until

PHONE = "13800000000"


def failed_notices(services: Any, job_id: str) -> list[dict[str, Any]]:
    services.projector.catch_up(["notifications"])
    return [n for n in services.notification_log.recent() if n["kind"] == "backup_failed" and job_id in n["cause"]]


def test_a_source_that_vanished_before_the_run_fails_the_job_with_the_reason(
        job_services: Any, taf_env: Path, cli: Callable[..., Any]) -> None:
    assert cli("notify", "recipients", "add", "值班", PHONE, "--events", "backup_failed").code == 0
    source = make_tree(taf_env / "源数据", 5, big=False)
    job, _ = service.request_backup(job_services, [str(source)], group="2026-05")
    shutil.rmtree(source)

    summary = service.run(job_services, str(job.id))

    assert summary["status"] == "failed" and summary["reason"] == f"备份源不存在：{source}"
    assert summary["packages"] == 0 and summary["cartridges"] == []
    notice = failed_notices(job_services, str(job.id))
    assert len(notice) == 1 and f"备份源不存在：{source}" in notice[0]["content"]
    assert "已安全写入磁带的包：0 个" in notice[0]["content"]
    assert job_services.ledger.drive(job_services.settings.host_name, "emulated:0").reserved_by is None
    shown = cli("backup", "status", str(job.id))
    assert shown.code == EXIT_FAILURE and "失败" in shown.out and f"原因：备份源不存在：{source}" in shown.out


def test_a_tape_shorter_than_the_ledger_says_stops_the_job_before_it_writes(
        job_services: Any, taf_env: Path) -> None:
    source = make_tree(taf_env / "源数据", 20, big=False)
    first, _ = service.request_backup(job_services, [str(source)], group="2026-05", key="第一次")
    assert service.run(job_services, str(first.id))["cartridges"] == ["TAF001L9"]
    expected = job_services.ledger.cartridge("TAF001L9").next_tape_file
    with shelf(job_services.settings.vtl_dir) as place:  # the tape loses its data behind TAF's back
        place.mount("TAF001L9")
        place.drive.locate_file(1)
        place.drive.write_filemarks(1)
    second, _ = service.request_backup(job_services, [str(source)], group="2026-05", key="第二次")

    summary = service.run(job_services, str(second.id))

    assert summary["status"] == "failed"
    assert summary["reason"].startswith(f"磁带 TAF001L9 上只有 2 个磁带文件，台账记录应有 {expected} 个")
    assert summary["packages"] == 0
    assert job_services.ledger.cartridge("TAF001L9").next_tape_file == expected  # nothing recorded
    assert job_services.ledger.drive(job_services.settings.host_name, "emulated:0").reserved_by is None


def test_a_drive_that_cannot_be_opened_fails_the_job_instead_of_leaving_it_requested(
        job_services: Any, taf_env: Path) -> None:
    source = make_tree(taf_env / "源数据", 3, big=False)
    job, _ = service.request_backup(job_services, [str(source)], group="2026-05", drive="emulated:5")

    summary = service.run(job_services, str(job.id))

    assert summary["status"] == "failed" and summary["reason"].startswith("无法打开磁带设备 emulated:5：")


def test_a_write_protected_cartridge_is_skipped_and_the_request_says_why(
        job_services_with: Callable[..., Any], taf_env: Path, cli: Callable[..., Any]) -> None:
    services = job_services_with(VTL_SLOTS="0")
    assert cli("notify", "recipients", "add", "值班", PHONE, "--events", "tape_change_needed").code == 0
    assert cli("vtl", "list").code == 0  # creates the standalone library
    with Library.open(services.settings.vtl_dir) as library:
        library.insert("TAF001L9")
        library.set_write_protect("TAF001L9")
    source = make_tree(taf_env / "源数据", 5, big=False)
    job, _ = service.request_backup(services, [str(source)], group="2026-05")

    summary = service.run(services, str(job.id), poll_seconds=0.1, tape_pause_seconds=0.5)

    assert summary["status"] == "paused" and summary["packages"] == 0
    requests = [e for e in services.ledger.events.get(job.id) if type(e).__name__ == "TapeChangeRequested"]
    assert [r.reason for r in requests] == ["磁带 TAF001L9 处于写保护状态，已跳过"]
    services.projector.catch_up(["notifications"])
    notice = [n for n in services.notification_log.recent() if n["kind"] == "tape_change_needed"]
    assert len(notice) == 1 and "当前磁带：TAF001L9（磁带 TAF001L9 处于写保护状态，已跳过）" in notice[0]["content"]
    assert services.ledger.cartridge("TAF001L9").label_sequence == 0  # never labelled, never written


def test_a_job_waits_for_a_drive_a_tape_act_holds_says_so_and_runs_once_it_is_free(
        job_services: Any, taf_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from media import devices
    from media.devices import open_session

    monkeypatch.setattr(devices, "BUSY_WAIT_SECONDS", 0.2)
    source = make_tree(taf_env / "源数据", 5, big=False)
    job, _ = service.request_backup(job_services, [str(source)], group="2026-05")
    results: list[Any] = []
    # An operator's erase in another process has the drive open (O_EXCL on a real drive).
    with open_session(job_services, "emulated:0", "王工") as erasing:
        worker = threading.Thread(target=lambda: results.append(
            service.run(job_services, str(job.id), poll_seconds=0.1)), daemon=True)
        worker.start()
        waiting = until(lambda: (p := job_services.progress.latest(str(job.id))) and p.phase == "wait_drive" and p)
        assert "等待驱动器空闲" in waiting.message and "正被其它程序占用" in waiting.message
        assert job_services.ledger.backup_job(job.id).status == "requested"  # not failed
        assert erasing.drive.medium is None  # nobody moved the act's tape meanwhile
    worker.join(120)
    assert results and results[0]["status"] == "succeeded" and results[0]["files"] == 5


def test_a_drive_held_past_the_tape_wait_limit_pauses_the_job_and_it_resumes(
        job_services: Any, taf_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from media import devices

    monkeypatch.setattr(devices, "BUSY_WAIT_SECONDS", 0.1)
    source = make_tree(taf_env / "源数据", 5, big=False)
    job, _ = service.request_backup(job_services, [str(source)], group="2026-05")
    host = job_services.settings.host_name
    job_services.ledger.register_drive(host, "emulated:0")
    job_services.ledger.book_drive(host, "emulated:0", "另一个任务")  # a job whose process died keeps it

    summary = service.run(job_services, str(job.id), poll_seconds=0.1, tape_pause_seconds=0.5)

    assert summary["status"] == "paused" and "一直被占用" in summary["reason"]
    assert "正被任务 另一个任务 使用" in summary["reason"] and summary["packages"] == 0
    job_services.ledger.release_drive(host, "emulated:0", "另一个任务")
    service.resume(job_services, str(job.id), by="王工")
    assert service.run(job_services, str(job.id))["status"] == "succeeded"
