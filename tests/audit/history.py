"""The scripted history the audit tests share (issue 17), told through the CLI with TAF_NOW.

Three monthly backups on a four-slot emulated library, retention cut to one month and one active
group: January's tape expires in February and is erased and reused in March. Along the way a
setting change, a backup that fails (its source vanished), a restore, and DingTalk reports delivered
through the gateway stand-in as each backup ends — the failure's refused for good. After each step the live read models' answers are
recorded with the step's event number and a moment just after it; `moments.json` keeps them.

The history is built once per test session (the first xdist worker builds, the other waits) and
each test works on its own copy of the data folder.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cli.output import _default
from config.settings import DEFAULTS
from ledger import clock
from notify.standin import start_standin
from tests.conftest import run_cli

TOKEN = "audit-history-token"
PHONE = "13800000017"
BUILT = "built.json"


def normalised(value: Any) -> Any:
    """What `--json` would print for `value`."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=_default))


def live_answers() -> dict[str, Any]:
    """The live read models' answers now, through the same App verbs the faces call."""
    from app.facade import make_app
    from bootstrap import build

    services = build()
    try:
        app = make_app(services)
        status = app.lifecycle.status()
        jobs = [*app.backups.history(limit=1000).jobs, *app.restores.history(limit=1000)]
        answers = {"position": services.ledger.head_id(),
                   "inventory": [asdict(entry) for entry in status.cartridges],
                   "groups": [asdict(group) for group in status.groups],
                   "settings": [asdict(row) for row in app.settings.show().runtime],
                   "jobs": sorted((asdict(row) for row in jobs), key=lambda row: row["job_id"]),
                   "notifications": [asdict(entry) for entry in app.notifications.recent(1000)]}
    finally:
        services.close()
    return normalised(answers)


class Script:
    def __init__(self, folder: Path, patch: pytest.MonkeyPatch) -> None:
        self.folder = folder
        self.patch = patch
        self.moments: list[dict[str, Any]] = []

    def at(self, when: str, user: str = "审计演练") -> None:
        self.patch.setenv("TAF_NOW", when)
        self.patch.setenv("TAF_USER", user)

    def ok(self, *args: str) -> Any:
        result = run_cli(*args, "--json")
        assert result.code == 0, (args, result.err)
        return result.json()

    def record(self, label: str) -> None:
        now = datetime.fromisoformat(os.environ["TAF_NOW"])
        answers = live_answers()
        self.moments.append({"label": label, "time": (now + timedelta(minutes=30)).isoformat(), **answers})


def environment(folder: Path, gateway_url: str) -> dict[str, str]:
    return {"TAF_ENV_FILE": str(folder / "absent.env"), "DATA_DIR": str(folder / "data"),
            "LOG_FILE": str(folder / "logs" / "application.log"), "VTL_SLOTS": "4", "VTL_CAPACITY": "16M",
            "COMPRESSION_LEVEL": "1", "DINGTALK_API_URL": gateway_url, "DINGTALK_API_KEY": TOKEN}


def build_history(folder: Path) -> dict[str, Any]:
    with pytest.MonkeyPatch.context() as patch, start_standin(TOKEN) as gateway:
        for key in DEFAULTS:
            patch.delenv(key, raising=False)
        env = environment(folder, gateway.url)
        for key, value in env.items():
            patch.setenv(key, value)
        source = folder / "源数据"
        (source / "财务").mkdir(parents=True)
        for number in range(12):
            (source / "财务" / f"凭证{number:02d}.txt").write_text(f"第 {number} 号凭证\n" * 200, encoding="utf-8")
        script = Script(folder, patch)
        try:
            jobs = _tell(script, source, gateway)
        finally:
            clock.start_at(None)
    return {"env": env, "moments": script.moments, "jobs": jobs, "source": str(source)}


def _tell(script: Script, source: Path, gateway: Any) -> dict[str, str]:
    jobs: dict[str, str] = {}
    script.at("2026-01-01T09:00:00+00:00", "管理员张")
    script.ok("notify", "recipients", "add", "值班审计", PHONE)
    script.at("2026-01-01T12:00:00+00:00")
    jobs["2026-01"] = script.ok("backup", "run", "--source", str(source), "--wait")["job_id"]
    script.ok("notify", "dispatch")
    script.record("一月备份之后")

    script.at("2026-01-15T10:00:00+00:00", "管理员张")
    script.ok("settings", "set", "default_retention_months", "1")
    script.ok("settings", "set", "active_groups", "1")
    script.record("存活期改为 1 个月之后")

    script.at("2026-02-01T12:00:00+00:00")
    jobs["2026-02"] = script.ok("backup", "run", "--source", str(source), "--wait")["job_id"]
    script.at("2026-02-01T13:00:00+00:00")
    script.ok("lifecycle", "check")
    script.record("二月备份与存活期检查之后")

    script.at("2026-03-01T12:00:00+00:00")
    jobs["2026-03"] = script.ok("backup", "run", "--source", str(source), "--wait")["job_id"]
    script.at("2026-03-01T13:00:00+00:00")
    script.ok("lifecycle", "check")
    script.record("三月备份（擦除并重用一月的磁带）之后")

    script.at("2026-03-05T09:00:00+00:00", "管理员李")
    script.ok("settings", "set", "compression_level", "2")
    script.at("2026-03-10T02:00:00+00:00")
    vanishing = script.folder / "临时源"
    vanishing.mkdir()
    (vanishing / "草稿.txt").write_text("草稿", encoding="utf-8")
    jobs["failed"] = script.ok("backup", "run", "--source", str(vanishing), "--group", "2026-03")["job_id"]
    shutil.rmtree(vanishing)
    gateway.fail("401", count=1)  # the gateway refuses the failure's report for good
    failed = run_cli("backup", "resume", jobs["failed"], "--wait", "--json")
    assert failed.json()["status"] == "failed", failed.err
    script.record("失败的任务（其通知被网关拒绝）之后")

    script.at("2026-03-20T15:00:00+00:00", "审计员王")
    target = script.folder / "恢复目标"
    jobs["restore"] = script.ok("restore", "run", str(source / "财务" / "凭证03.txt"), "--target", str(target),
                                "--wait")["job_id"]
    script.record("恢复之后")
    return jobs


def shared_history(root: Path, timeout: float = 600) -> tuple[Path, dict[str, Any]]:
    """The history under `root`, built by whichever process gets there first."""
    root.mkdir(parents=True, exist_ok=True)
    folder, done, failed = root / "history", root / BUILT, root / "failed"
    try:
        os.close(os.open(root / "building", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        deadline = time.monotonic() + timeout
        while not done.exists():
            assert not failed.exists(), f"另一个测试进程建立审计演练的历史时失败：{failed.read_text(encoding='utf-8')}"
            assert time.monotonic() < deadline, "审计演练的历史没有在限定时间内建好"
            time.sleep(0.5)
    else:
        try:
            built = build_history(folder)
        except BaseException as error:
            failed.write_text(repr(error), encoding="utf-8")
            raise
        done.write_text(json.dumps(built, ensure_ascii=False), encoding="utf-8")
    return folder, json.loads(done.read_text(encoding="utf-8"))


def copy_history(folder: Path, built: dict[str, Any], into: Path, patch: pytest.MonkeyPatch) -> Path:
    """A private copy of the history's data folder, with the environment it was made in."""
    shutil.copytree(folder / "data", into / "data")
    for key in DEFAULTS:
        patch.delenv(key, raising=False)
    patch.delenv("TAF_USER", raising=False)
    for key, value in built["env"].items():
        patch.setenv(key, value)
    patch.setenv("DATA_DIR", str(into / "data"))
    patch.setenv("LOG_FILE", str(into / "logs" / "application.log"))
    patch.setenv("TAF_NOW", "2026-04-02T09:00:00+00:00")
    return into / "data"
