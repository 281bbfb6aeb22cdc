"""R15 for backup jobs: one job per idempotency key; a running job is paused or cancelled from
another process, refuses a second runner, and a paused job resumes where it stopped."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from backup import service
from backup.runner import BackupRunner, RunOptions
from kernel.errors import EXIT_UNFINISHED
from ledger.errors import JobStateError
from tests.backup.jobkit import (
    assert_cartridges_self_consistent,
    assert_tapes_agree,
    job_id_for,
    make_tree,
    read_back,
    shelf,
    start_main_py,
    tree_digests,
    wait_until_written,
)


@pytest.fixture
def slow_job(job_services_with: Callable[..., Any], taf_env: Path) -> dict[str, Any]:
    """A job packed at level 6, so it is still running well after its first package is on tape."""
    services = job_services_with()
    source = make_tree(taf_env / "源数据", 300)
    key = "控制测试"
    args = ("backup", "run", "--source", str(source), "--group", "2026-05", "--key", key, "--level", "6", "--wait")
    import os

    return {"services": services, "source": source, "job": job_id_for(key), "key": key, "args": args,
            "env": dict(os.environ),
            "data": taf_env / "data", "root": taf_env}


def test_the_same_key_names_the_same_job(job_services: Any, taf_env: Path) -> None:
    source = make_tree(taf_env / "源数据", 3, big=False)
    first, created = service.request_backup(job_services, [str(source)], group="2026-05", key="每月一次", level=3)
    again, created_again = service.request_backup(job_services, [str(taf_env)], group="2026-06", key="每月一次")
    other, _ = service.request_backup(job_services, [str(source)], group="2026-05", key="另一个")
    assert created and not created_again
    assert again.id == first.id and other.id != first.id
    assert again.sources == [str(source)] and again.group == "2026-05" and again.params == {"level": 3}


def test_pause_from_another_process_stops_the_run_and_resume_finishes_it(slow_job: dict[str, Any],
                                                                         cli: Callable[..., Any]) -> None:
    services, job_id = slow_job["services"], slow_job["job"]
    running = start_main_py(*slow_job["args"], env=slow_job["env"])
    wait_until_written(running, services, slow_job["key"])

    # While it runs, nobody else may run it: neither a resume nor a second runner.
    refused = cli("backup", "resume", job_id)
    assert refused.code == 3 and "正在另一个进程中运行" in refused.err
    with pytest.raises(JobStateError):
        BackupRunner(services, job_id, RunOptions(lock_wait_seconds=0)).run()
    # `backup status` from another process shows the live progress, the ETA in words people read.
    shown = cli("backup", "status", job_id)
    assert shown.code == 0 and "进度：" in shown.out, shown.out + shown.err
    assert re.search(r"预计剩余 (估算中|\d+ (天|小时|分|秒))", shown.out), shown.out
    assert cli("backup", "pause", job_id).code == 0
    out, err = running.communicate(timeout=120)

    assert running.returncode == EXIT_UNFINISHED and "已暂停" in out, out + err  # README "退出码"
    job = services.ledger.backup_job(job_id)
    assert job.status == "paused" and 0 < len(job.packages) < job.planned["packages"]
    assert services.ledger.drive(services.settings.host_name, "emulated:0").reserved_by is None
    with shelf(services.settings.vtl_dir) as place:
        assert_cartridges_self_consistent(services, job_id, place)  # closed with an index on pausing
    assert not list((services.settings.staging_dir / job_id).glob("*"))

    resumed = cli("backup", "resume", job_id, "--wait")
    assert resumed.code == 0 and "成功" in resumed.out, resumed.out + resumed.err
    with shelf(services.settings.vtl_dir) as place:
        assert_tapes_agree(services, job_id, place)
        assert read_back(services, job_id, place, slow_job["root"] / "读回") == tree_digests(slow_job["source"])


def test_cancel_from_another_process_ends_the_job_for_good(slow_job: dict[str, Any],
                                                          cli: Callable[..., Any]) -> None:
    services, job_id = slow_job["services"], slow_job["job"]
    running = start_main_py(*slow_job["args"], env=slow_job["env"])
    wait_until_written(running, services, slow_job["key"])

    cancelled = cli("backup", "cancel", job_id, "--json")
    assert cancelled.code == 0 and cancelled.json()["status"] == "cancelled"
    out, err = running.communicate(timeout=120)

    assert running.returncode == EXIT_UNFINISHED and "已取消" in out, out + err
    job = services.ledger.backup_job(job_id)
    assert job.status == "cancelled" and len(job.packages) < job.planned["packages"]
    assert services.ledger.drive(services.settings.host_name, "emulated:0").reserved_by is None
    with shelf(services.settings.vtl_dir) as place:
        assert_cartridges_self_consistent(services, job_id, place)
    again = cli("backup", "resume", job_id)
    assert again.code == 3 and "已取消" in again.err
    rerun = cli(*slow_job["args"][:-1], "--wait")  # the same key: still the same, cancelled job
    assert rerun.code == EXIT_UNFINISHED and "已取消" in rerun.out
    assert services.ledger.backup_job(job_id).status == "cancelled"
