"""Issue 13, item 4: a job whose process died shows as interrupted (中断) with the command that
resumes it — decided by its run lock, so a live job is never called interrupted — and a starting
worker takes it up; SIGTERM pauses a job cleanly, in `backup run --wait` and in the worker (whose
next start resumes what its stop paused)."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jobs.handlers import scheduled_handlers
from kernel.errors import EXIT_UNFINISHED
from tests.backup.jobkit import (
    assert_cartridges_self_consistent,
    assert_tapes_agree,
    eventually,
    job_id_for,
    main_py,
    make_tree,
    read_back,
    set_job_settings,
    shelf,
    start_main_py,
    tree_digests,
    wait_until_written,
)

KEY = "中断演练"


@pytest.fixture
def slow(job_services_with: Callable[..., Any], taf_env: Path) -> dict[str, Any]:
    """A job packed at level 6 — still busy well after its first package — with the scheduler off."""
    services = job_services_with(SCHEDULER_ENABLED="false")
    source = make_tree(taf_env / "源数据", 300)
    run = ("backup", "run", "--source", str(source), "--group", "2026-05", "--key", KEY, "--level", "6")
    return {"services": services, "source": source, "job": job_id_for(KEY), "run": run, "env": dict(os.environ),
            "root": taf_env}


def status_of(services: Any, job_id: str) -> str:
    return str(services.ledger.backup_job(job_id).status)


def finished_and_intact(slow: dict[str, Any]) -> None:
    services, job_id = slow["services"], slow["job"]
    assert status_of(services, job_id) == "succeeded"
    with shelf(services.settings.vtl_dir) as place:
        assert_tapes_agree(services, job_id, place)
        assert read_back(services, job_id, place, slow["root"] / "读回") == tree_digests(slow["source"])


def stop_worker(worker: Any) -> None:
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=120) == 0


def test_a_killed_job_shows_as_interrupted_with_its_resume_command_and_a_starting_worker_finishes_it(
        slow: dict[str, Any], cli: Callable[..., Any]) -> None:
    services, job_id = slow["services"], slow["job"]
    running = start_main_py(*slow["run"], "--wait", env=slow["env"])
    wait_until_written(running, services, KEY)

    # Alive: its process holds the run lock, so nothing calls it interrupted, nor takes it up.
    assert cli("backup", "status", job_id, "--json").json()["status"] == "running"
    assert "运行中" in cli("backup", "list").out and "中断" not in cli("backup", "list").out
    assert scheduled_handlers()["unfinished"](services) == []

    running.send_signal(signal.SIGKILL)
    running.communicate(timeout=60)

    shown = cli("backup", "status", job_id)
    assert shown.code == 0
    assert f"任务 {job_id}：中断" in shown.out
    assert f"中断：执行任务的进程已不在运行（被终止或崩溃）：执行 python main.py backup resume {job_id} 继续" in shown.out
    assert cli("backup", "status", job_id, "--json").json()["status"] == "interrupted"
    listed = cli("backup", "list")
    assert "中断" in listed.out and "运行中" not in listed.out
    assert f"任务 {job_id} 已中断：" in listed.out and f"python main.py backup resume {job_id}" in listed.out
    assert cli("backup", "list", "--status", "interrupted", "--json").json()["jobs"][0]["job_id"] == job_id
    assert status_of(services, job_id) == "running"  # the ledger is not rewritten: the lock tells
    assert scheduled_handlers()["unfinished"](services) == [("backup", job_id)]

    worker = start_main_py("worker", env=slow["env"])
    try:
        eventually(lambda: status_of(services, job_id) == "succeeded", "后台任务进程继续完成中断的任务")
    finally:
        stop_worker(worker)
    assert services.ledger.backup_job(job_id).attempts >= 2
    finished_and_intact(slow)


def test_sigterm_pauses_a_job_run_here_at_a_safe_point_and_resume_finishes_it(
        slow: dict[str, Any], cli: Callable[..., Any]) -> None:
    services, job_id = slow["services"], slow["job"]
    running = start_main_py(*slow["run"], "--wait", env=slow["env"])
    wait_until_written(running, services, KEY)

    running.send_signal(signal.SIGTERM)
    out, err = running.communicate(timeout=120)

    assert running.returncode == EXIT_UNFINISHED, out + err
    assert f"任务 {job_id}：已暂停" in out
    [paused] = [e for e in services.ledger.events.get(services.ledger.backup_job(job_id).id)
                if type(e).__name__ == "Paused"]
    assert paused.reason == "任务所在的进程被要求停止，任务已在安全点暂停" and paused.by.startswith("cli:")
    assert services.ledger.drive(services.settings.host_name, "emulated:0").reserved_by is None
    with shelf(services.settings.vtl_dir) as place:
        assert_cartridges_self_consistent(services, job_id, place)  # closed with its tape index
    assert f"任务 {job_id}：已暂停" in cli("backup", "status", job_id).out

    done = main_py("backup", "resume", job_id, "--wait", env=slow["env"])
    assert done.returncode == 0 and "成功" in done.stdout, done.stdout + done.stderr
    finished_and_intact(slow)


def test_sigterm_while_waiting_for_a_tape_pauses_rather_than_leaving_it_waiting(
        taf_env: Path, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., Any]) -> None:
    from bootstrap import build

    env = set_job_settings(monkeypatch, VTL_SLOTS="0")
    source = make_tree(taf_env / "源", 5, big=False)
    running = start_main_py("backup", "run", "--source", str(source), "--key", "单机", "--wait", env=env)
    assert running.stdout is not None
    assert running.stdout.readline().strip() == "没有可写入的磁带"  # it waits for a tape now

    running.send_signal(signal.SIGTERM)
    out, err = running.communicate(timeout=60)

    assert running.returncode == EXIT_UNFINISHED, out + err
    services = build()
    try:
        assert status_of(services, job_id_for("单机")) == "paused"
    finally:
        services.close()
    shown = cli("backup", "status", job_id_for("单机"))
    assert "已暂停" in shown.out and "等待换盘" not in shown.out


def test_a_stopping_worker_pauses_its_job_and_its_next_start_takes_it_up(
        slow: dict[str, Any], cli: Callable[..., Any]) -> None:
    services, job_id = slow["services"], slow["job"]
    worker = start_main_py("worker", env=slow["env"])
    try:
        queued = cli(*slow["run"])  # no --wait: the worker runs it
        assert queued.code == 0 and queued.out.strip() == job_id
        wait_until_written(worker, services, KEY)
    finally:
        stop_worker(worker)  # SIGTERM: the job pauses at its next safe point, then the worker ends

    job = services.ledger.backup_job(job_id)
    assert job.status == "paused" and job.paused_by_worker
    shown = cli("backup", "status", job_id)
    assert "已暂停" in shown.out and "后台任务进程停止，任务已在安全点暂停；后台任务进程再次启动时自动继续" in shown.out

    again = start_main_py("worker", env=slow["env"])
    try:
        eventually(lambda: status_of(services, job_id) == "succeeded", "再次启动的后台任务进程继续任务")
    finally:
        stop_worker(again)
    finished_and_intact(slow)


def test_cancelling_an_interrupted_job_lets_go_of_the_drive_its_dead_process_booked(
        taf_env: Path, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., Any]) -> None:
    from bootstrap import build

    env = set_job_settings(monkeypatch, VTL_SLOTS="0")
    source = make_tree(taf_env / "源", 5, big=False)
    job_id = job_id_for("单机")
    running = start_main_py("backup", "run", "--source", str(source), "--key", "单机", "--wait", env=env)
    assert running.stdout is not None
    assert running.stdout.readline().strip() == "没有可写入的磁带"
    running.send_signal(signal.SIGKILL)
    running.communicate(timeout=60)
    assert "等待换盘" not in cli("backup", "status", job_id).out  # no longer waiting: nobody is

    cancelled = cli("backup", "cancel", job_id)

    assert cancelled.code == 0 and f"任务 {job_id}：已取消" in cancelled.out
    services = build()
    try:
        assert services.ledger.drive(services.settings.host_name, "emulated:0").reserved_by is None
    finally:
        services.close()
