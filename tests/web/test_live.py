"""Live job progress over SSE: event ids to resume from, keep-alive comments, the end of the stream,
and waiting that never blocks the event loop."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import anyio

from kernel.progress import FileProgress, Progress
from tests.web.conftest import sign_in
from web.live import event_id, progress_events, resume_point


def publish(store: FileProgress, job_id: str, phase: str, **fields: object) -> Progress:
    progress = Progress(job_id, phase=phase, updated_at=time.time(), **fields)  # type: ignore[arg-type]
    store.publish(progress)
    return progress


def events(text: str) -> list[dict[str, str]]:
    """The SSE messages of a stream body, each as its fields (comments under "comment"; a message's
    data lines joined again, as a browser does)."""
    found = []
    for block in text.strip().split("\r\n\r\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            name, _, value = line.partition(": ")
            key = "comment" if name == "" else name
            fields[key] = f"{fields[key]}\n{value}" if key == "data" and key in fields else value
        found.append(fields)
    return found


def test_a_finished_job_streams_its_state_then_done_and_a_reconnect_gets_only_done(client, web_services) -> None:  # noqa: ANN001
    done = publish(web_services.progress, "job-1", "done", files_total=3, files_done=3, message="全部完成")
    sign_in(client, "auditor")
    stream = events(client.get("/api/v1/jobs/job-1/events").text)
    assert stream[0]["comment"] == "已连接" and stream[0]["retry"] == "3000"
    progress = stream[1]
    assert progress["event"] == "progress" and float(progress["id"]) == done.updated_at
    assert json.loads(progress["data"])["message"] == "全部完成"
    assert stream[2] == {"id": progress["id"], "event": "done", "data": "完成"}
    again = events(client.get("/api/v1/jobs/job-1/events", headers={"Last-Event-ID": progress["id"]}).text)
    assert [message.get("event") for message in again] == [None, "done"]


def test_updates_arrive_as_they_are_published_each_with_a_newer_id(client, web_services) -> None:  # noqa: ANN001
    store = web_services.progress
    publish(store, "job-2", "pack", bytes_packed=1)

    def run_the_job() -> None:
        for step in range(2, 5):
            time.sleep(0.15)
            publish(store, "job-2", "write", bytes_written=step)
        time.sleep(0.15)
        publish(store, "job-2", "done")

    worker = threading.Thread(target=run_the_job)
    sign_in(client, "operator")
    worker.start()
    stream = [message for message in events(client.get("/api/v1/jobs/job-2/events").text) if "event" in message]
    worker.join()
    ids = [float(message["id"]) for message in stream if message["event"] == "progress"]
    assert len(ids) >= 3 and ids == sorted(ids) and len(set(ids)) == len(ids)
    assert json.loads(stream[-2]["data"])["phase"] == "done" and stream[-1]["event"] == "done"


def test_the_latest_progress_is_served_and_an_unknown_job_is_a_404(client, web_services) -> None:  # noqa: ANN001
    publish(web_services.progress, "job-3", "scan", files_scanned=42)
    sign_in(client, "auditor")
    latest = client.get("/api/v1/jobs/job-3/progress").json()
    assert latest["files_scanned"] == 42 and latest["phase_label"] == "扫描"
    unknown = client.get("/api/v1/jobs/nope/progress")
    assert unknown.status_code == 404 and unknown.json()["detail"] == "任务 nope 还没有发布过进度"


def test_a_quiet_stream_sends_keep_alive_comments_and_ends_idle_without_blocking_the_loop(tmp_path: Path) -> None:
    store = FileProgress(tmp_path, poll_seconds=0.02)
    ticks = []

    async def collect() -> list[object]:
        received = []
        async with anyio.create_task_group() as group:
            async def tick() -> None:
                while True:
                    ticks.append(time.monotonic())
                    await anyio.sleep(0.01)

            group.start_soon(tick)
            async for message in progress_events(store, "quiet", keepalive=0.1, idle_limit=0.5, wait=0.05):
                received.append(message)
            group.cancel_scope.cancel()
        return received

    started = time.monotonic()
    received = anyio.run(collect)
    comments = [m.comment for m in received if m.comment]  # type: ignore[attr-defined]
    assert comments[0] == "已连接" and comments.count("保持连接") >= 3
    assert received[-1].event == "idle" and received[-1].data == "任务 quiet 在 0.5 秒内没有新的进度"  # type: ignore[attr-defined]
    assert len(ticks) > 0.5 * (time.monotonic() - started) / 0.01  # the loop kept running while the stream waited


def test_an_event_id_gives_back_exactly_the_moment_of_its_update() -> None:
    for moment in (1765000000.1234567, 1765000000.0000005, 0.1 + 0.2):
        progress = Progress("job", updated_at=moment)
        assert resume_point(event_id(progress)) == moment
    assert resume_point("not a number") == 0.0 and resume_point(None) == 0.0
