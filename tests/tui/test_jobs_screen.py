"""任务: start a backup of the configured sources, watch it, pause, resume and cancel it."""

from __future__ import annotations

from typing import Any

from tests.tui.kit import ACTOR, connection, console, drive, noticed, reported, shows, until


class Recording:
    """The worker's queue, holding what it was given (no worker runs in these tests)."""

    def __init__(self) -> None:
        self.submitted: list[tuple[str, str]] = []

    def submit(self, kind: str, job_id: str) -> None:
        self.submitted.append((kind, job_id))


def test_start_pause_resume_and_cancel_a_backup_from_the_jobs_screen(standalone: Any) -> None:
    queue = Recording()
    app = console(lambda: connection(standalone, queue))

    async def scenario(pilot: Any) -> None:
        await pilot.press("f3")
        await shows(pilot, "还没有任务")
        await pilot.press("n")
        await shows(pilot, "源数据")
        await pilot.click("#ok")
        await reported(pilot, "已提交备份任务")
        screen = await shows(pilot, "已提交")
        assert "等待后台任务进程接手" in screen  # nobody took it yet: the screen says who should

        await pilot.press("p")
        await reported(pilot, "已暂停")
        await until(pilot, lambda: app.session.jobs[0].row.status == "paused", "显示已暂停")
        await pilot.press("o")
        await reported(pilot, "已交给后台任务进程继续")
        await until(pilot, lambda: app.session.jobs[0].row.status == "requested", "显示已提交")
        await pilot.press("x")
        await shows(pilot, "取消备份任务")
        await pilot.click("#ok")
        await reported(pilot, "已取消")
        await shows(pilot, "已取消")

    drive(app, scenario)
    job_id = queue.submitted[0][1]
    assert queue.submitted == [("backup", job_id), ("backup", job_id)]  # started, then resumed
    events = list(standalone.ledger.events.get(standalone.ledger.backup_job(job_id).id))
    assert [type(e).__name__ for e in events] == ["Requested", "Paused", "Resumed", "Cancelled"]
    assert {getattr(e, "by", ACTOR) for e in events} == {ACTOR}


def test_without_configured_sources_no_backup_is_started(library: Any) -> None:
    queue = Recording()
    app = console(lambda: connection(library, queue))

    async def scenario(pilot: Any) -> None:
        await pilot.press("f3")
        await shows(pilot, "还没有任务")
        await pilot.press("n")
        await noticed(pilot, "没有配置备份源")
        await pilot.press("p")
        await noticed(pilot, "请先在表格中选择一个任务")

    drive(app, scenario)
    assert queue.submitted == []
