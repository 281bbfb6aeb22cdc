"""The service answers on 127.0.0.1 with a Chinese home page and a health check."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from litestar.testing import TestClient

from web.app import create_app

ROOT = Path(__file__).resolve().parents[2]


def test_home_page_is_chinese_and_shows_the_chain_head(sqlite_services) -> None:  # noqa: ANN001
    sqlite_services.ledger.register_cartridge("TAF001L9", by="张工")
    sqlite_services.catch_up()
    with TestClient(app=create_app(sqlite_services)) as client:
        page = client.get("/")
        assert page.status_code == 200
        assert "TAF 企业级磁带备份系统" in page.text
        assert "登记磁带 TAF001L9" in page.text
        assert sqlite_services.chain.head()[1] in page.text
        health = client.get("/healthz").json()
        assert health["status"] == "ok" and health["events"] == 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_python_main_py_serves_on_127_0_0_1_with_a_sqlite_ledger(taf_env) -> None:  # noqa: ANN001
    port = free_port()
    env = {**os.environ, "DATA_DIR": str(taf_env / "data"), "WEB_PORT": str(port)}
    process = subprocess.Popen([sys.executable, "main.py"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, "服务没有在 60 秒内启动"
                time.sleep(0.3)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            assert "TAF 企业级磁带备份系统" in response.read().decode()
        assert (taf_env / "data" / "ledger.db").is_file()
        heartbeat = taf_env / "data" / "worker.heartbeat"
        while not heartbeat.exists():  # the default service also runs the background worker
            assert time.monotonic() < deadline, "后台任务进程没有启动"
            time.sleep(0.3)
    finally:
        process.terminate()
        process.wait(timeout=30)
