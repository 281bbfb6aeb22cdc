"""B5, "show": kill the job process at the moments that matter — while its plan is stored and just
after, while packing, in the middle of a package on tape, after the filemark but before the ledger
knows, after the ledger knows but before the staging file is gone, and with a plain SIGKILL
whenever it happens to be — then restart it.
The job completes; ledger, tape index and tape headers list every package exactly once; every
file comes back with its SHA-256."""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from kernel.errors import EXIT_PARTIAL
from ledger.domain import BackupJob
from tape import volume_io
from tests.backup.jobkit import (
    assert_tapes_agree,
    job_id_for,
    loaded_barcode,
    main_py,
    make_tree,
    planned_count,
    read_back,
    set_job_settings,
    shelf,
    start_main_py,
    tree_digests,
)

KEY = "崩溃演练"
KILLED = 137  # crashpoints end the process with os._exit(137), the status of a kill -9


@pytest.fixture
def drill(taf_env: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    env = set_job_settings(monkeypatch)
    source = make_tree(taf_env / "源数据", 400)
    args = ("backup", "run", "--source", str(source), "--group", "2026-05", "--key", KEY, "--wait")
    return {"env": env, "source": source, "run": args, "job": job_id_for(KEY), "root": taf_env}


def services_now() -> Any:
    from bootstrap import build

    return build()


def finish_and_check(drill: dict[str, Any], restart: str) -> None:
    """Restart the job the way an operator would, then check tape, ledger and files."""
    if restart == "resume":
        done = main_py("backup", "resume", drill["job"], "--wait", env=drill["env"])
    else:  # the same request again: the idempotency key leads to the same job, which continues
        done = main_py(*drill["run"], env=drill["env"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "成功" in done.stdout
    services = services_now()
    try:
        job = services.ledger.backup_job(drill["job"])
        assert job.status == "succeeded" and job.attempts >= 2
        with shelf(services.settings.vtl_dir) as place:
            assert_tapes_agree(services, drill["job"], place)
            restored = read_back(services, drill["job"], place, drill["root"] / "读回")
        assert restored == tree_digests(drill["source"])
        assert not list((services.settings.staging_dir / drill["job"]).glob("*"))
        drive = services.ledger.drive(services.settings.host_name, "emulated:0")
        assert drive.reserved_by is None
    finally:
        services.close()


def on_tape_beyond_ledger(drill: dict[str, Any]) -> tuple[list[Any], list[str]]:
    """What the cartridge in the drive holds, and what the ledger says it holds."""
    services = services_now()
    try:
        with shelf(services.settings.vtl_dir) as place:
            barcode = loaded_barcode(place)
            assert barcode
            scanned = volume_io.scan_packages(place.drive)
        return scanned, [e.package_id for e in services.ledger.packages_on(barcode)]
    finally:
        services.close()


@pytest.mark.parametrize(("crash_at", "restart"), [
    ("planning:2", "resume"),
    ("planned", "rerun"),
    ("packing", "rerun"),
    ("mid_package:3", "resume"),
    ("after_flush:4", "resume"),
    ("after_record:3", "rerun"),
    ("after_record:last", "resume"),
])
def test_a_job_killed_at_a_crash_point_completes_after_restart(drill: dict[str, Any], crash_at: str,
                                                               restart: str) -> None:
    if crash_at == "after_record:last":
        crash_at = f"after_record:{planned_count(drill['source'])}"
    crashed = main_py(*drill["run"], env=drill["env"], crash_at=crash_at)
    assert crashed.returncode == KILLED, crashed.stdout + crashed.stderr

    services = services_now()
    try:
        job = services.ledger.backup_job(drill["job"])
        assert job.status == "running"  # the process died: nobody recorded an end
        recorded = len(job.packages)
        last_cartridge_indexed = bool(job.cartridges) and services.ledger.cartridge(job.cartridges[-1]).index_written
        plans = services.settings.data_dir / "jobs" / drill["job"]
    finally:
        services.close()
    point, _, count = crash_at.partition(":")
    if point in {"planning", "planned"}:
        # Killed while the plan was stored (only its temporary file is there) or just after (the
        # plan is in place, the ledger has no Planned): either way nothing is planned yet.
        assert recorded == 0 and not job.planned
        assert (plans / "plan.sqlite").exists() == (point == "planned")
        assert (plans / "plan.sqlite.tmp").exists() == (point == "planning")
    elif point == "packing":
        assert recorded == 0
    else:
        scanned, in_ledger = on_tape_beyond_ledger(drill)
        found = [s.positions.package_id for s in scanned]
        if point == "mid_package":
            assert recorded == int(count) - 1
            assert found[:-1] == in_ledger and not scanned[-1].complete  # half a package on tape
        elif point == "after_flush":
            assert recorded == int(count) - 1
            assert found[:-1] == in_ledger and scanned[-1].complete  # whole, but unknown to the ledger
            assert scanned[-1].positions.package_id not in in_ledger
        else:
            assert recorded == int(count) and found == in_ledger
            assert not last_cartridge_indexed  # died before closing the cartridge with its index
    finish_and_check(drill, restart)


def test_a_job_survives_a_kill_at_a_random_moment_and_one_crash_after_another(drill: dict[str, Any]) -> None:
    # Level 6 packs slowly enough that the job is still busy after its first few packages.
    run = (*drill["run"], "--level", "6")
    running = start_main_py(*run, env=drill["env"])
    target, delay = random.randint(1, 4), random.uniform(0.0, 0.15)
    services = services_now()
    try:
        deadline = time.monotonic() + 120
        while running.poll() is None and time.monotonic() < deadline:
            job = services.ledger.find(BackupJob, BackupJob.create_id(KEY))
            if job is not None and len(job.packages) >= target:
                break
            time.sleep(0.02)
    finally:
        services.close()
    time.sleep(delay)  # a plain SIGKILL, at some moment after the target-th package is recorded
    running.send_signal(signal.SIGKILL)
    # The pipes close only when every process of the job is gone, its packers included.
    out, err = running.communicate(timeout=30)
    assert running.returncode == -signal.SIGKILL, (target, delay, out, err)
    for crash_at in ("packing", "mid_package:2", "after_flush:1", "after_record:1"):
        crashed = main_py(*run, env=drill["env"], crash_at=crash_at)
        assert crashed.returncode == KILLED, (target, delay, crash_at, crashed.stdout + crashed.stderr)
    finish_and_check(drill, "rerun")


def test_a_file_lost_before_a_crash_still_makes_the_resumed_job_partial(drill: dict[str, Any]) -> None:
    crashed = main_py(*drill["run"], env=drill["env"], crash_at="packing")  # the plan is saved by now
    assert crashed.returncode == KILLED
    gone = drill["source"] / "部门00" / "项目00" / "报告00000.txt"
    gone.unlink()
    crashed = main_py(*drill["run"], env=drill["env"], crash_at="after_record:1")
    assert crashed.returncode == KILLED

    done = main_py("backup", "resume", drill["job"], "--wait", env=drill["env"])

    assert done.returncode == EXIT_PARTIAL and "部分成功" in done.stdout, done.stdout + done.stderr
    assert f"警告：文件在备份前已被删除或移走，未备份：{gone}" in done.stdout
