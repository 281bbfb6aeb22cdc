from __future__ import annotations

import os
import time
from pathlib import Path

from jobs import health


def test_health_checks_report_each_part_in_chinese(sqlite_services) -> None:  # noqa: ANN001
    heartbeat = sqlite_services.settings.data_dir / "worker.heartbeat"
    heartbeat.write_text("")
    findings = {f.check: f for f in health.run_checks(sqlite_services, drive_probe=lambda: "驱动器就绪")}
    assert findings["数据库"].ok and "台账可读" in findings["数据库"].detail
    assert findings["驱动器"].ok and findings["驱动器"].detail == "驱动器就绪"
    assert findings["后台任务进程"].ok
    assert findings["暂存区空间"].ok == (findings["暂存区空间"].detail.find("超过告警阈值") < 0)
    assert [d["check"] for d in health.as_dicts(list(findings.values()))][0] == "数据库"


def test_a_failing_drive_database_or_stale_worker_is_not_ok(tmp_path: Path) -> None:
    def broken() -> int:
        raise OSError("连接被拒绝")

    def no_tape() -> str:
        raise RuntimeError("驱动器中没有磁带（请装入磁带）")

    assert not health.check_database(broken).ok
    finding = health.check_drive(no_tape)
    assert not finding.ok and "没有磁带" in finding.detail
    assert not health.check_heartbeat(tmp_path / "missing").ok
    stale = tmp_path / "old"
    stale.write_text("")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    assert "没有心跳" in health.check_heartbeat(stale).detail
    full = health.check_free_space("数据目录空间", tmp_path, alert_pct=0)
    assert not full.ok and "超过告警阈值 0%" in full.detail


def test_the_worker_process_starts_writes_a_heartbeat_and_stops(taf_env) -> None:  # noqa: ANN001
    import signal
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "DATA_DIR": str(taf_env / "data")}
    process = subprocess.Popen([sys.executable, "main.py", "worker"], cwd=root, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        heartbeat = taf_env / "data" / "worker.heartbeat"
        deadline = time.monotonic() + 60
        while not heartbeat.exists():
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            assert time.monotonic() < deadline
            time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert "后台任务进程已启动" in output
    assert (taf_env / "data" / "huey.db").exists()


def test_scheduled_handlers_run_the_retention_check_and_alert_on_a_failed_health_check(sqlite_services) -> None:  # noqa: ANN001
    from datetime import datetime

    from jobs.handlers import scheduled_handlers

    handlers = scheduled_handlers()
    sqlite_services.ledger.add_recipient("值班", "13800000000", ["system_exception"], by="admin")
    findings = handlers["health_check"](sqlite_services, datetime(2026, 6, 1, 3, 0))
    assert any(not f.ok and f.check == "后台任务进程" for f in findings)  # no heartbeat in this test
    sqlite_services.catch_up()
    [queued] = sqlite_services.notification_log.recent(10)
    assert "系统异常：健康检查" in queued["title"]
    assert "后台任务进程" in sqlite_services.ledger.notification(queued["id"]).content
    summary = handlers["retention_check"](sqlite_services, datetime(2026, 6, 1, 3, 0))
    assert summary.checked == 0
    from jobs.delivery import DeliveryLoop

    run = DeliveryLoop(lambda: sqlite_services).deliver()
    assert run is not None and not run.enabled  # no gateway configured: nothing sent, nothing failed
