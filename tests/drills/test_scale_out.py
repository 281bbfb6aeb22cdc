"""B9: two drive hosts share one PostgreSQL ledger and the emulated library; Huey runs on Redis
with one queue per host. Two backups run at once on two drives, and no cartridge is used by both."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import postgres_url, run_cli

ROOT = Path(__file__).resolve().parents[2]


def make_source(folder: Path, seed: int) -> Path:
    folder.mkdir(parents=True)
    rng = random.Random(seed)
    for number in range(6):
        (folder / f"数据{number}.bin").write_bytes(rng.randbytes(2 * 1024 * 1024))
    return folder


@pytest.fixture
def shared(taf_env: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    token = uuid.uuid4().hex[:8]
    env = {
        "DATABASE_URL": postgres_url("scaleout"),
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "VTL_DRIVES": "2", "VTL_SLOTS": "8", "VTL_CAPACITY": "8M", "VTL_EARLY_WARNING_PCT": "20",
        "MAX_FILE_SIZE": "2M", "COMPRESSION_LEVEL": "0", "SCHEDULER_ENABLED": "false",
        "DATA_DIR": str(taf_env / "data"), "TAF_USER": "扩展演练", "HOST_NAME": f"hostA-{token}",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return {**env, "token": token}


def start_worker(shared: dict[str, str], host: str, device: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, **{k: v for k, v in shared.items() if k != "token"}, "HOST_NAME": host,
           "TAPE_DEVICE": device}
    return subprocess.Popen([sys.executable, "main.py", "worker"], cwd=ROOT, env=env,
                            stdout=log.open("wb"), stderr=subprocess.STDOUT)


def test_two_workers_on_redis_run_two_jobs_at_once_without_sharing_a_cartridge(
        shared: dict[str, str], taf_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    token = shared["token"]
    hosts = {f"hostA-{token}": "emulated:0", f"hostB-{token}": "emulated:1"}
    assert run_cli("vtl", "list").code == 0  # creates the shared two-drive library
    workers = [start_worker(shared, host, device, taf_env / f"{host}.log") for host, device in hosts.items()]
    jobs = []
    try:
        for number, (host, device) in enumerate(hosts.items()):
            monkeypatch.setenv("HOST_NAME", host)
            monkeypatch.setenv("TAPE_DEVICE", device)
            source = make_source(taf_env / f"源{number}", seed=number)
            result = run_cli("backup", "run", "--source", str(source), "--device", device, "--json")
            assert result.code == 0, result.err
            jobs.append(result.json()["job_id"])
        deadline = time.monotonic() + 240
        summaries = {}
        while len(summaries) < 2:
            assert time.monotonic() < deadline, "两个备份任务没有在 4 分钟内完成"
            for job in jobs:
                shown = run_cli("backup", "status", job, "--json")
                status = shown.json()
                assert shown.code == 0 and "status" in status, (shown.code, shown.out, shown.err)
                if status["status"] in {"succeeded", "partial", "failed", "cancelled"}:
                    summaries[job] = status
            time.sleep(1)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGINT)
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
    first, second = (summaries[job] for job in jobs)
    assert first["status"] == second["status"] == "succeeded", (first["reason"], second["reason"])
    assert first["cartridges"] and second["cartridges"]
    assert not set(first["cartridges"]) & set(second["cartridges"])
    # Both ran at the same time: each started before the other finished.
    rows = {row["job_id"]: row for row in run_cli("backup", "list", "--json").json()["jobs"]}
    a, b = rows[jobs[0]], rows[jobs[1]]
    assert a["host"] != b["host"]
    assert a["started_at"] < b["finished_at"] and b["started_at"] < a["finished_at"]
