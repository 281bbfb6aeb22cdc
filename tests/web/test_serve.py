"""`python main.py` serves on 127.0.0.1: the health check, the first administrator's password on the
console once, and signing in with it to the Chinese dashboard."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def console_lines(process: subprocess.Popen[str]) -> queue.Queue[str]:
    """The service's console output, line by line, read in a thread (so reading never blocks the test)."""
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    return lines


def first_admin_password(lines: queue.Queue[str], deadline: float) -> str:
    while True:
        line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        if "已创建首个管理员 admin" in line:
            return line.strip().rsplit("：", 1)[1]


def wait_for_health(base: str, process: subprocess.Popen[str], deadline: float) -> None:
    while True:
        try:
            httpx.get(f"{base}/healthz", timeout=2)
            return
        except httpx.TransportError:
            assert process.poll() is None and time.monotonic() < deadline, "服务没有在 60 秒内启动"
            time.sleep(0.2)


@contextmanager
def serving(folder: Path, **settings: str) -> Iterator[dict[str, Any]]:
    """`python main.py` (web and worker) over a fresh installation in `folder`, on a free port, with
    `settings` as environment keys: its address, the first administrator's password and the environment
    it runs in (for commands run beside it). Nothing of the calling environment's TAF keys leaks in."""
    from config.settings import DEFAULTS

    env = {key: value for key, value in os.environ.items() if key not in DEFAULTS and key != "TAF_USER"}
    port = free_port()
    env.update(TAF_ENV_FILE=str(folder / "absent.env"), DATA_DIR=str(folder / "data"), LOG_FILE=str(folder / "app.log"),
               WEB_PORT=str(port), PYTHONUNBUFFERED="1", **settings)
    process = subprocess.Popen([sys.executable, "main.py"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        password = first_admin_password(console_lines(process), deadline)
        wait_for_health(base, process, deadline)
        yield {"base": base, "password": password, "env": env}
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_python_main_py_serves_on_127_0_0_1_and_the_first_admin_signs_in(taf_env) -> None:  # noqa: ANN001
    port = free_port()
    env = {**os.environ, "DATA_DIR": str(taf_env / "data"), "WEB_PORT": str(port), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "main.py"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        lines = console_lines(process)
        password = first_admin_password(lines, deadline)
        with httpx.Client(base_url=base, timeout=5) as browser:
            while True:
                try:
                    health = browser.get("/healthz", headers={"accept": "application/json"})
                    break
                except httpx.TransportError:
                    assert process.poll() is None, process.stderr.read() if process.stderr else ""
                    assert time.monotonic() < deadline, "服务没有在 60 秒内启动"
                    time.sleep(0.3)
            assert health.status_code == 200 and health.json()["status"] == "ok"
            assert browser.get("/").headers["location"] == "/login?next=/"
            browser.get("/login")
            signed_in = browser.post("/login", data={"name": "admin", "password": password,
                                                     "_csrf_token": browser.cookies["taf_csrf"]})
            assert signed_in.status_code == 303
            dashboard = browser.get("/")
            assert dashboard.status_code == 200 and "仪表盘" in dashboard.text and "TAF 企业级磁带备份系统" in dashboard.text
            assert "创建用户 admin（管理员）" in dashboard.text
        assert (taf_env / "data" / "ledger.db").is_file()
        heartbeat = taf_env / "data" / "worker.heartbeat"
        while not heartbeat.exists():  # the default service also runs the background worker
            assert time.monotonic() < deadline, "后台任务进程没有启动"
            time.sleep(0.3)
    finally:
        process.terminate()
        process.wait(timeout=30)


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_the_web_tier_runs_in_several_processes_on_one_port_and_makes_one_first_admin(taf_env) -> None:  # noqa: ANN001
    port = free_port()
    env = {**os.environ, "DATA_DIR": str(taf_env / "data"), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "main.py", "serve", "--role", "web", "--workers", "2", "--port",
                                str(port)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        lines = console_lines(process)
        password = first_admin_password(lines, deadline)
        wait_for_health(base, process, deadline)
        while len(children_of(process.pid)) < 2:
            assert time.monotonic() < deadline, f"没有两个 Web 进程：{children_of(process.pid)}"
            time.sleep(0.3)
        for _ in range(4):  # each connection may reach either process: every one knows the session
            with httpx.Client(base_url=base, timeout=10) as browser:
                browser.get("/login")
                assert browser.post("/login", data={"name": "admin", "password": password,
                                                    "_csrf_token": browser.cookies["taf_csrf"]}).status_code == 303
                assert "仪表盘" in browser.get("/").text
        process.terminate()
        process.wait(timeout=30)
        said = "".join(iter_lines(lines))
        assert "已创建首个管理员" not in said  # printed once, before the workers started
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def iter_lines(lines: queue.Queue[str]) -> Iterator[str]:
    while True:
        try:
            yield lines.get(timeout=1)
        except queue.Empty:
            return


def test_several_processes_are_refused_for_anything_but_the_web_tier(cli) -> None:  # noqa: ANN001
    for args in (["serve", "--workers", "2"], ["serve", "--role", "worker", "--workers", "3"],
                 ["serve", "--role", "web", "--workers", "0"]):
        result = cli(*args)
        assert result.code == 2 and "--workers 必须是正整数" in result.err + result.out, (args, result)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "kill"])
def test_the_read_model_process_stops_on_ctrl_c_or_kill_even_started_as_a_background_job(taf_env, stop) -> None:  # noqa: ANN001
    def as_a_background_job() -> None:  # a non-interactive shell's `cmd &`: SIGINT ignored, and inherited
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    env = {**os.environ, "DATA_DIR": str(taf_env / "data"), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "main.py", "serve", "--role", "projector"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               preexec_fn=as_a_background_job)
    try:
        lines = console_lines(process)
        deadline = time.monotonic() + STARTUP_SECONDS
        while "TAF 读模型进程已启动" not in lines.get(timeout=max(0.1, deadline - time.monotonic())):
            pass
        process.send_signal(stop)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
