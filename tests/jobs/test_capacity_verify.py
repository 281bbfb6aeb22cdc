"""The capacity alert and the scheduled read-back verification (issue 6, B6)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from bootstrap import build
from jobs.handlers import scheduled_handlers
from tests.conftest import run_cli


def test_capacity_alerts_name_the_resource_once_a_day(taf_env: Path) -> None:
    assert run_cli("notify", "recipients", "add", "值班", "13800000000").code == 0
    assert run_cli("settings", "set", "capacity_alert_pct", "1").code == 0
    assert run_cli("settings", "set", "min_scratch_cartridges", "3").code == 0
    services = build()
    try:
        services.ledger.register_cartridge("TAF001L9")
        alerts = scheduled_handlers()["capacity_check"](services, datetime(2026, 6, 1, 3, 17))
        resources = {alert["resource"] for alert in alerts}
        assert {"暂存区磁盘", "数据目录磁盘", "空白磁带"} <= resources
        assert next(a for a in alerts if a["resource"] == "空白磁带")["remaining"] == "1 盘（至少应有 3 盘）"
        # Free space in the unit people read (512.0 MiB, not 0.5 GiB); it moves, so only its form is checked.
        remaining = next(a for a in alerts if a["resource"] == "数据目录磁盘")["remaining"]
        assert re.fullmatch(r"\d+(\.\d)? (B|KiB|MiB|GiB|TiB)", remaining), remaining
        scheduled_handlers()["capacity_check"](services, datetime(2026, 6, 1, 4, 17))  # same day: no repeat
        services.catch_up()
        titles = [row["title"] for row in services.notification_log.recent(50)]
        assert len(titles) == 3 and all("容量告警" in t for t in titles)
    finally:
        services.close()


def test_the_weekly_verification_checks_the_newest_backup_on_tape(taf_env: Path) -> None:
    source = taf_env / "源"
    source.mkdir()
    (source / "a.txt").write_text("内容\n" * 500, encoding="utf-8")
    run = run_cli("backup", "run", "--source", str(source), "--wait", "--json")
    assert run.code == 0, run.err
    services = build()
    try:
        result = scheduled_handlers()["verify"](services, datetime(2026, 6, 7, 4, 0))
        assert result["ok"] and result["checked"] >= 1 and result["job_id"] == run.json()["job_id"]
        job = services.ledger.backup_job(result["job_id"])
        assert job.last_verification["ok"] is True
    finally:
        services.close()


def test_no_completed_backup_means_nothing_to_verify(sqlite_services) -> None:  # noqa: ANN001
    assert scheduled_handlers()["verify"](sqlite_services, datetime(2026, 6, 7, 4, 0)) is None
