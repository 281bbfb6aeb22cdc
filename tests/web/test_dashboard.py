"""The dashboard: drives and their cartridges, the jobs running and what they ask of the operator,
resources and alerts — each part failing alone, in Chinese, when the drive, the queue or the
database is down — and the region pushed over SSE when it changes."""

from __future__ import annotations

import sqlite3
import threading
import time
from html import unescape

import anyio
import pytest

from app.facade import make_app
from kernel.errors import EXIT_DEVICE, TafError
from kernel.progress import Progress
from tests.web.conftest import headers, sign_in
from tests.web.seed import finished, waiting
from tests.web.test_live import events as sse_messages
from web import streams
from web.areas import dashboard


class DriveGone(TafError):
    exit_code = EXIT_DEVICE
    default_message = "无法打开磁带设备 /dev/sg9：没有这个设备"


def test_the_dashboard_shows_the_drives_resources_and_an_idle_state(client) -> None:  # noqa: ANN001
    sign_in(client, "operator")
    page = unescape(client.get("/").text)
    assert "emulated:0" in page and "IBM ULT3580-HH9" in page and "空闲（无磁带）" in page
    assert "当前没有运行中的任务" in page and "还没有已完成的备份或恢复任务" in page
    assert "数据目录" in page and "暂存区" in page and "CPU · 内存" in page
    # No worker runs beside a test client: the page says so, as an alert with what to do.
    assert "后台任务进程：没有找到后台任务进程的心跳" in page


def test_a_job_waiting_for_a_tape_is_an_operator_request_with_what_to_do(client, web_services) -> None:  # noqa: ANN001
    finished(web_services, "之前的", bytes_in=64 << 20, seconds=8.0, packed_pct=50)
    job = waiting(web_services, "等盘")  # holds the drive now: one job per drive
    web_services.progress.publish(Progress(job, phase="wait_tape", request="请将一盘空白磁带装入驱动器 emulated:0",
                                           message="没有可写入的磁带", files_total=3, files_scanned=3))
    sign_in(client, "auditor")
    page = unescape(client.get("/").text)
    assert "换盘请求" in page and "请将一盘空白磁带装入驱动器 emulated:0" in page and "已装入" in page
    assert "python main.py vtl insert 条码" in page and "备份任务 2026-12（1 个源：/srv/财务）" in page
    assert "已停下" in page and "任务会交给后台任务进程继续" in page  # no process polls the drive for it
    # The banner says it; the job's bars under it do not repeat it.
    assert page.count('class="request request-banner"') == 1 and 'class="request"' not in page
    body = client.get("/api/v1/dashboard").json()
    assert [ask["job_id"] for ask in body["live"]["requests"]] == [job] and body["live"]["requests"][0]["stalled"]
    assert body["figures"][0]["bytes_per_second"] == 8 << 20 and body["figures"][0]["ratio"] == 0.5
    assert "data-chart=" in page
    live = client.get("/api/v1/dashboard/live").json()
    assert live["jobs"][0]["phase_label"] == "等待换盘" and live["jobs"][0]["progress"]["phase"] == "wait_tape"
    assert [ask["job_id"] for ask in client.get("/api/v1/requests").json()] == [job]
    refused = client.post(f"/dashboard/requests/{job}/answer", headers=headers(client, **{"hx-request": "true"}))
    assert refused.status_code == 403  # an auditor reads, and answers nothing


def test_answering_a_stalled_request_hands_the_job_back_to_the_worker(client, web_services) -> None:  # noqa: ANN001
    job = waiting(web_services, "无人运行")
    sign_in(client, "operator")
    answer = client.post(f"/dashboard/requests/{job}/answer", headers=headers(client, **{"hx-request": "true"}))
    assert answer.status_code == 200 and "任务已交给后台任务进程继续" in answer.text
    assert make_app(web_services).backups.status(job).summary.status == "requested"  # queued again
    again = client.post(f"/api/v1/requests/{job}/answer", headers=headers(client))
    assert again.status_code == 200 and again.json()["outcome"] == "not_waiting"


def test_the_dashboard_says_which_part_is_down_and_shows_the_rest(client, web_services, monkeypatch) -> None:  # noqa: ANN001
    from app.tapes import Tapes

    monkeypatch.setattr(dashboard, "SNAPSHOT_SECONDS", 0.0)  # each request gathers afresh

    sign_in(client, "operator")  # who is signed in is checked before the database goes away (cached 10 s)
    client.get("/")

    def drive_gone(*args: object, **kwargs: object) -> None:
        raise DriveGone()

    def database_gone(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(Tapes, "devices", drive_gone)
    page = unescape(client.get("/").text)
    assert "驱动器状态暂时无法显示：无法打开磁带设备 /dev/sg9：没有这个设备" in page and "CPU · 内存" in page
    monkeypatch.setattr(web_services.projector, "catch_up", database_gone)
    monkeypatch.setattr(web_services.ledger, "head_id", database_gone)
    answer = client.get("/")
    assert answer.status_code == 200
    page = unescape(answer.text)
    assert page.count("数据库无法访问") == 2  # one line for the live region, one for the rest of the page
    assert "任务暂时无法显示：数据库无法访问" in page and "磁带库存、备份历史" in page
    assert "数据库：台账无法读取：unable to open database file" in page  # the health check's own alert
    assert "数据目录" in page  # what needs no database is still shown
    problems = client.get("/api/v1/dashboard").json()["problems"]
    assert {problem["part"] for problem in problems} >= {"drive", "jobs", "history"}


def test_the_live_region_is_pushed_when_it_changes_with_changed_when_jobs_come_and_go(client, web_services,
                                                                                     monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(streams, "STATE_LIFETIME_SECONDS", 0.3)
    sign_in(client, "auditor")
    stream = sse_messages(client.get("/dashboard/live").text)
    assert stream[0]["comment"] == "已连接"
    pushed = [message for message in stream if message.get("event") == "live"]
    assert len(pushed) == 1 and "emulated:0" in pushed[0]["data"] and float(pushed[0]["id"]) > 0
    recent = client.get("/dashboard/recent-jobs", headers={"hx-request": "true"}).text
    assert "还没有备份任务" in recent


def test_the_state_stream_sends_a_region_once_per_change_and_says_when_its_kind_changed() -> None:
    states = iter([("1", "甲", "a"), ("2", "甲", "a"), ("3", "乙", "a"), ("4", "乙", "b"), ("5", "乙", "b")])
    last = ("5", "乙", "b")

    async def state() -> tuple[str, str, str]:
        return next(states, last)

    async def collect() -> list[object]:
        return [message async for message in streams.state_events(state, event="live", interval=0.01,
                                                                    lifetime=0.2, keepalive=0.05)]

    started = time.monotonic()
    received = anyio.run(collect)
    assert time.monotonic() - started < 2
    named = [(m.event, m.data) for m in received if m.event]  # type: ignore[attr-defined]
    assert named == [("live", "甲"), ("live", "乙"), ("changed", "b")]
    assert any(m.comment == "保持连接" for m in received)  # type: ignore[attr-defined]


@pytest.mark.parametrize(("last_event_id", "seen", "expected"), [
    (None, 0, (0.0, 0)), (None, 4, (0.0, 4)), ("1765000000.5/7", 0, (1765000000.5, 7)),
    ("1765000000.5", 3, (1765000000.5, 3)), ("x/y", 2, (0.0, 2)),
])
def test_a_job_stream_resumes_from_its_progress_and_its_events_seen(last_event_id, seen, expected) -> None:  # noqa: ANN001
    assert streams.job_resume_point(last_event_id, seen) == expected


def test_the_dashboard_is_gathered_once_for_everyone_asking_within_its_snapshot(client, web_services,
                                                                               monkeypatch) -> None:  # noqa: ANN001
    from web import dashboard_data

    gathered = []
    real = dashboard_data.gather

    def counted(*args: object) -> object:
        gathered.append(1)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(dashboard, "gather", counted)
    sign_in(client, "auditor")
    for _ in range(3):
        client.get("/")
        client.get("/api/v1/dashboard")
    assert len(gathered) == 1
    monkeypatch.setattr(dashboard, "SNAPSHOT_SECONDS", 0.0)
    client.get("/")
    assert len(gathered) == 2


def test_a_snapshot_asked_by_many_at_once_is_gathered_once_and_again_once_it_is_old() -> None:
    from web.snapshots import Snapshot

    gathered = []

    def gather() -> int:
        time.sleep(0.05)  # in a worker thread: the others wait for this answer
        gathered.append(1)
        return len(gathered)

    async def ask_together(snapshot: Snapshot[int]) -> list[int]:
        answers: list[int] = []

        async def ask() -> None:
            answers.append(await snapshot.get(gather))

        async with anyio.create_task_group() as group:
            for _ in range(10):
                group.start_soon(ask)
        return answers

    fresh = Snapshot[int](60.0)
    assert anyio.run(ask_together, fresh) == [1] * 10 and len(gathered) == 1
    assert anyio.run(ask_together, Snapshot[int](0.0)) == [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]


def test_a_snapshot_taken_at_another_version_is_gathered_again_and_inline_on_the_event_loop() -> None:
    from web.snapshots import Snapshot

    threads: list[int] = []

    def gather() -> int:
        threads.append(threading.get_ident())
        return len(threads)

    async def ask(snapshot: Snapshot[int], version: int, inline: bool) -> tuple[int, int]:
        return await snapshot.get(gather, version=version, inline=inline), threading.get_ident()

    snapshot = Snapshot[int](60.0)
    assert anyio.run(ask, snapshot, 1, False)[0] == 1 and anyio.run(ask, snapshot, 1, False)[0] == 1
    assert threads[-1] != threading.get_ident()  # in a worker thread
    answer, loop_thread = anyio.run(ask, snapshot, 2, True)  # the ledger moved on: never the old value
    assert answer == 2 and threads[-1] == loop_thread
