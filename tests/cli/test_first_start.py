"""Issue 13 item 12: the first start of `python main.py` creates the administrator and prints its
generated password on the console once; the next start prints nothing of the kind and adds no user."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.web.test_serve import ROOT, STARTUP_SECONDS, console_lines, first_admin_password, free_port

ADMIN_LINE = "已创建首个管理员 admin"


def _serve(data: Path) -> tuple[subprocess.Popen[str], queue.Queue[str], str]:
    port = free_port()
    env = {**os.environ, "DATA_DIR": str(data), "WEB_PORT": str(port), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "main.py"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    return process, console_lines(process), f"http://127.0.0.1:{port}"


def _until_up(process: subprocess.Popen[str], base: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, "服务没有启动"
        time.sleep(0.3)


def _stop(process: subprocess.Popen[str], lines: queue.Queue[str]) -> list[str]:
    process.terminate()
    process.wait(timeout=30)
    time.sleep(0.2)
    seen = []
    while not lines.empty():
        seen.append(lines.get())
    return seen


def test_the_first_start_prints_the_administrators_password_once(taf_env: Path, cli) -> None:  # noqa: ANN001
    data = taf_env / "data"
    process, lines, base = _serve(data)
    try:
        password = first_admin_password(lines, time.monotonic() + STARTUP_SECONDS)
        _until_up(process, base)
    finally:
        rest = _stop(process, lines)
    assert len(password) >= 16 and not any(ADMIN_LINE in line for line in rest)

    from app.facade import make_app
    from bootstrap import build

    services = build()
    try:
        assert make_app(services).users.sign_in("admin", password, source="测试").role == "admin"
    finally:
        services.close()

    process, lines, base = _serve(data)
    try:
        _until_up(process, base)
    finally:
        again = _stop(process, lines)
    assert any("TAF 服务已启动" in line for line in again)
    assert not any(ADMIN_LINE in line or password in line for line in again), again
    users = cli("user", "list", "--json").json()["users"]
    assert [(u["name"], u["role"]) for u in users] == [("admin", "管理员")]
    created = [e for e in cli("ledger", "log", "--limit", "100", "--json").json()["events"]
               if e["event"] == "User.Created"]
    assert [(e["actor"], e["summary"]) for e in created] == [("系统", "创建用户 admin（管理员）")]
