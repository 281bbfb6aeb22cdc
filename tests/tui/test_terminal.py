"""The real `python main.py tui` in a pseudo-terminal: tmux at 80×24 (as over SSH), the screens
switched with the keys the bottom lines show, Chinese read back off the screen with `tmux
capture-pane -p`, and a clean exit — code 0, the terminal's normal screen back."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


class Tmux:
    """One tmux server of our own (its own socket), one window of 80×24."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def __call__(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, "-f", os.devnull, *args], capture_output=True, text=True,
                              timeout=30)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "taf")

    def wait_for(self, words: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = self.screen()
            if words in shown:
                return shown
            time.sleep(0.2)
        raise AssertionError(f"终端里没有出现“{words}”：\n{self.screen()}")


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    if shutil.which("tmux") is None:
        pytest.fail("没有安装 tmux：请运行 make test（scripts/test-tools.sh 会安装它）")
    server = Tmux(f"taf-test-{os.getpid()}-{tmp_path.name}")
    yield server
    subprocess.run(["tmux", "-L", server.socket, "kill-server"], capture_output=True, timeout=30)


def test_the_console_runs_in_a_real_terminal_switches_screens_by_key_and_quits_cleanly(
        tmux: Tmux, taf_env: Path) -> None:
    env = {"DATA_DIR": os.environ["DATA_DIR"], "LOG_FILE": os.environ["LOG_FILE"],
           "TAF_ENV_FILE": os.environ["TAF_ENV_FILE"], "VTL_SLOTS": "4", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
           "TAF_USER": "值班员", "PATH": os.environ.get("PATH", "")}
    marker = taf_env / "exit-code"
    command = (f"cd {shlex.quote(str(ROOT))} && env -i {' '.join(f'{k}={shlex.quote(v)}' for k, v in env.items())} "
               f"TERM=tmux-256color {shlex.quote(sys.executable)} main.py tui; echo $? > {shlex.quote(str(marker))}; "
               "echo 控制台已退出; sleep 60")
    tmux("-u", "new-session", "-d", "-s", "taf", "-x", "80", "-y", "24", "bash", "-c", command)

    shown = tmux.wait_for("驱动器中没有磁带")
    assert "TAF 磁带控制台 · 操作人 值班员 · 驱动器" in shown
    lines = shown.splitlines()
    assert lines[-2].split() == ["F1", "驱动器", "F2", "磁带", "F3", "任务", "F4", "恢复", "F5", "待处理"]
    assert "l 装带" in lines[-1] and "e 擦除" in lines[-1] and "^p 命令" in lines[-1]
    assert all(len(line) <= 80 for line in lines) and len(lines) <= 24

    for key, words in (("F2", "何时空闲"), ("F3", "还没有任务"), ("F4", "搜索路径片段"), ("F5", "没有等待处理的请求"),
                       ("F1", "驱动器中没有磁带")):
        tmux("send-keys", "-t", "taf", key)
        shown = tmux.wait_for(words)
        current = shown.splitlines()[-2]
        assert current.split()[:10] == lines[-2].split()  # the strip stays, the screen changes

    tmux("send-keys", "-t", "taf", "q")
    shown = tmux.wait_for("控制台已退出")
    assert marker.read_text().strip() == "0"
    assert "F1 驱动器" not in shown  # the console's screen is gone: the terminal is back as it was
    assert tmux("display-message", "-p", "-t", "taf", "#{alternate_on}").strip() == "0"
