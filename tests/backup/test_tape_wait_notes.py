"""Issue 13, item 3: a job waiting for a tape says which tape (or what kind) to insert — at once,
and again with each reminder — and the log records the wait once, not every poll of the drive."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from backup import service
from kernel.progress import Progress
from tests.backup.jobkit import job_id_for, make_tree, set_job_settings, start_main_py
from tests.backup.test_job_standalone import JobThread

BLANK = "请将一盘新的空白磁带或已过期、可擦除的磁带装入驱动器 emulated:0"


@pytest.fixture
def standalone(taf_env: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    from bootstrap import build

    env = set_job_settings(monkeypatch, VTL_SLOTS="0")
    services = build()
    yield {"services": services, "env": env, "logs": taf_env / "logs"}
    services.close()


def lines_with(path: Path, *parts: str) -> list[str]:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    return [line for line in text.splitlines() if all(part in line for part in parts)]


def empty_drive_polls(logs: Path) -> list[str]:
    return lines_with(logs / "tape.log", "TEST UNIT READY", "2/3A/00")


class Notes:
    """What the job tells whoever watches it here: (message, request) while it waits for a tape."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []
        self.changed = threading.Condition()
        self.phases: list[tuple[str, str, str]] = []  # (phase, request, message) as they changed

    def __call__(self, state: Progress) -> None:
        if not self.phases or self.phases[-1] != (state.phase, state.request, state.message):
            self.phases.append((state.phase, state.request, state.message))
        if state.phase == "wait_tape" and (state.message, state.request) not in self.seen:
            with self.changed:
                self.seen.append((state.message, state.request))
                self.changed.notify_all()

    def wait_for(self, count: int, job: threading.Thread) -> list[tuple[str, str]]:
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.seen) >= count or not job.is_alive(), timeout=60)
        assert len(self.seen) >= count, f"任务没有再提醒：{self.seen}"
        return list(self.seen)


def test_the_wait_says_what_to_insert_at_once_and_with_each_reminder_and_is_logged_once(
        standalone: dict[str, Any], taf_env: Path, cli: Callable[..., Any]) -> None:
    services, logs = standalone["services"], standalone["logs"]
    job, _ = service.request_backup(services, [str(make_tree(taf_env / "源", 20, big=False))], group="2026-05")
    job_id = str(job.id)
    notes = Notes()
    running = JobThread(services, job_id, tape_remind_seconds=0.2, observer=notes)
    running.start()

    first = notes.wait_for(1, running)[0]
    assert first == ("没有可写入的磁带", BLANK)
    polls_before = len(empty_drive_polls(logs))
    shown = cli("backup", "status", job_id, "--json").json()
    assert shown["waiting_for"] == BLANK and shown["progress"]["request"] == BLANK
    assert "等待：" + BLANK in cli("backup", "status", job_id).out

    reminders = notes.wait_for(3, running)[1:]
    assert all(message.startswith("仍在等待换盘（已等待 ") and message.endswith(BLANK) and request == BLANK
               for message, request in reminders)
    # Polls of the empty drive all along, none of them in the tape log.
    assert len(empty_drive_polls(logs)) == polls_before

    assert cli("vtl", "insert", "TAF001L9").code == 0
    assert running.result()["status"] == "succeeded"
    # The request is answered as soon as the cartridge is ready, before the first package is written.
    after = [phase for phase in notes.phases[notes.phases.index(("wait_tape", BLANK, reminders[-1][0])):]
             if phase[0] != "wait_tape"]
    # First the job says it found the cartridge and is checking it (the request not answered yet: it
    # may not do), then that it is ready.
    assert after[0] == ("load", BLANK, "发现装入的磁带 TAF001L9，正在检查能否使用"), notes.phases
    assert after[1] == ("load", "", "磁带 TAF001L9 已就绪，等待写入下一个数据包"), notes.phases
    assert all(request == "" for _, request, _ in after[1:]) and "write" in [phase for phase, _, _ in after]
    [asked] = [e for e in services.ledger.events.get(job.id) if type(e).__name__ == "TapeChangeRequested"]
    assert asked.reason == "没有可写入的磁带" and asked.instruction == BLANK
    assert len(lines_with(logs / "application.log", "WARNING taf.backup", f"任务 {job_id} 等待换盘：没有可写入的磁带")) == 1
    assert len(lines_with(logs / "application.log", f"任务 {job_id} 换上了磁带 TAF001L9")) == 1
    assert "请求换盘：没有可写入的磁带；" + BLANK in cli("ledger", "log", "--limit", "40").out


def test_the_wait_names_this_groups_cartridge_that_still_has_room(
        standalone: dict[str, Any], taf_env: Path, cli: Callable[..., Any]) -> None:
    services = standalone["services"]
    assert cli("vtl", "insert", "TAF001L9").code == 0
    first, _ = service.request_backup(services, [str(make_tree(taf_env / "一", 5, big=False))], group="2026-05")
    assert service.run(services, str(first.id), poll_seconds=0.02)["cartridges"] == ["TAF001L9"]
    assert cli("vtl", "eject", "TAF001L9").code == 0
    second, _ = service.request_backup(services, [str(make_tree(taf_env / "二", 5, big=False))], group="2026-05")
    notes = Notes()
    running = JobThread(services, str(second.id), observer=notes)
    running.start()

    [(_, request)] = notes.wait_for(1, running)[:1]
    assert request == "请将本备份组 2026-05 的磁带 TAF001L9（未写满）或一盘空白磁带装入驱动器 emulated:0"
    assert cli("vtl", "insert", "TAF001L9").code == 0
    done = running.result()
    assert done["status"] == "succeeded" and done["cartridges"] == ["TAF001L9"], done


def test_backup_run_wait_prints_the_request_at_once(standalone: dict[str, Any], taf_env: Path,
                                                    cli: Callable[..., Any]) -> None:
    source = make_tree(taf_env / "源", 10, big=False)
    running = start_main_py("backup", "run", "--source", str(source), "--key", "单机等待", "--wait",
                            env=standalone["env"])
    lines: queue.Queue[str] = queue.Queue()
    assert running.stdout is not None
    reader = threading.Thread(target=lambda: [lines.put(line.rstrip("\n")) for line in running.stdout],  # type: ignore[union-attr]
                              daemon=True)
    reader.start()

    assert lines.get(timeout=60) == "没有可写入的磁带"
    assert lines.get(timeout=60) == BLANK
    assert running.poll() is None  # said while it waits, not at the end
    assert cli("vtl", "insert", "TAF001L9").code == 0

    assert running.wait(timeout=120) == 0
    reader.join(timeout=10)
    rest = list(lines.queue)
    assert rest[0] == f"任务 {job_id_for('单机等待')}：成功", rest
    assert BLANK not in rest
