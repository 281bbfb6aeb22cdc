"""待处理: a backup on a standalone emulated drive asks for each cartridge; the request flashes on the
open screen and is listed on 待处理; the operator puts the cartridge in (the emulator's hand) and
answers; the job goes on — twice, across a full cartridge — and completes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.backup.jobkit import make_tree
from tests.tui.kit import (
    ACTOR,
    ThreadQueue,
    connection,
    console,
    drive,
    noticed,
    reported,
    shows,
    until,
)
from tui.widgets import RequestBar

# What an answer may hear while the job goes on by itself: it went on, it no longer waited, or (on a
# loaded host) it has not looked again yet and will find the cartridge at its next look.
GOES_ON = re.compile("任务已继续（.+）|任务已不在等待操作员，无需应答|任务这段时间还没有再查看驱动器.*会自动发现装入的磁带")


async def flashes(pilot: Any, what: str) -> None:
    """The request bar of the screen the operator sees is flashing."""
    await until(pilot, lambda: pilot.app.console_screen().query_one(RequestBar).flashing, what)


async def answer(pilot: Any) -> str:
    await pilot.press("a")
    await shows(pilot, "应答请求")
    await pilot.click("#ok")
    return await reported(pilot, "已应答：")


def test_the_request_for_each_cartridge_flashes_is_answered_and_the_backup_completes(standalone: Any) -> None:
    # The job looks at the drive every 2 s, as the worker runs it. An answer that comes before its
    # next look waits for it and reports what it found; one that comes after says no answer was
    # needed. Either way the job goes on by itself (a stalled job needs the answer: the test below).
    queue = ThreadQueue(standalone, poll_seconds=2.0)
    app = console(lambda: connection(standalone, queue))
    tapes = standalone_tapes = connection(standalone).app.tapes

    async def scenario(pilot: Any) -> None:
        await pilot.press("f3")
        await shows(pilot, "还没有任务")
        await pilot.press("n")
        screen = await shows(pilot, "开始备份")
        assert "源数据" in screen  # the configured sources
        await pilot.click("#ok")
        await reported(pilot, "已提交备份任务")

        # The drive is empty: the job asks, and the 任务 screen the operator has open flashes.
        first = await until(pilot, lambda: app.session.requests, "第一次换盘请求")
        await flashes(pilot, "任务屏幕上的请求闪烁")
        asked = first[0].text
        assert "装入驱动器" in asked
        await shows(pilot, f"待处理 1 项：备份 {asked[:10]}")
        await shows(pilot, "F5 待处理 1")
        # The job holds the drive: the 驱动器 screen says so and sends the drive nothing.
        await pilot.press("f1")
        await shows(pilot, "驱动器正由备份任务")
        await pilot.press("u")
        await noticed(pilot, "请等任务结束或暂停后再操作")
        await pilot.press("f5")
        screen = await shows(pilot, "每隔几秒检查一次驱动器")
        assert asked[:10] in screen and "备份任务 " in screen

        tapes.vtl_insert("TAF001L9", actor=ACTOR)  # the operator's hand
        said = await answer(pilot)
        assert GOES_ON.search(said), said

        # The cartridge fills up; the job ejects it and asks for the next: 待处理 flashes now.
        second = await until(pilot, lambda: [r for r in app.session.requests if r.since != first[0].since],
                             "第二次换盘请求", timeout=120)
        await flashes(pilot, "待处理屏幕上的请求闪烁")
        assert "装入驱动器" in second[0].text
        tapes.vtl_eject("TAF001L9", actor=ACTOR)
        tapes.vtl_insert("TAF002L9", actor=ACTOR)
        await pilot.press("down")  # the row under the cursor (the only one)
        said = await answer(pilot)
        assert GOES_ON.search(said), said

        await until(pilot, lambda: app.session.jobs and app.session.jobs[0].row.status == "succeeded",
                    "备份成功", timeout=120)
        await shows(pilot, "没有等待处理的请求")
        await pilot.press("f3")
        await shows(pilot, "成功")

    drive(app, scenario)
    queue.join()
    summary = queue.results[0]
    assert summary["status"] == "succeeded" and summary["cartridges"] == ["TAF001L9", "TAF002L9"]
    assert standalone_tapes is tapes


def test_answering_a_job_paused_after_its_wait_timed_out_resumes_it(standalone: Any, tmp_path: Path) -> None:
    # Nobody comes within a second: the job pauses (it does not fail) and stays pending.
    queue = ThreadQueue(standalone, tape_pause_seconds=1.0)
    app = console(lambda: connection(standalone, queue))
    small = make_tree(tmp_path / "小文件", 20, big=False)  # fits on one cartridge
    started = connection(standalone, queue).app.backups.start([str(small)], actor=ACTOR)

    async def scenario(pilot: Any) -> None:
        await pilot.press("f5")
        await until(pilot, lambda: app.session.requests and app.session.requests[0].stalled, "暂停的请求")
        screen = await shows(pilot, "应答后由后台任务进程继续")
        assert "已暂停" in screen
        connection(standalone).app.tapes.vtl_insert("TAF003L9", actor=ACTOR)
        said = await answer(pilot)
        assert "任务已交给后台任务进程继续" in said, said
        await until(pilot, lambda: app.session.job(started.job_id) and
                    app.session.job(started.job_id).row.status == "succeeded", "继续后成功", timeout=120)

    drive(app, scenario)
    queue.join()
    assert [result["status"] for result in queue.results] == ["paused", "succeeded"]
    assert queue.results[1]["cartridges"] == ["TAF003L9"]
