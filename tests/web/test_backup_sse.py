"""A real backup, run on the emulated library while a client follows it over SSE: at least one update
per second counted on the job's own clock (its progress `updated_at` stamps), and the job page's
stream — rendered bars, milestones from the ledger, resumable by Last-Event-ID."""

from __future__ import annotations

import json
import random
import threading
from pathlib import Path

import pytest

from app.facade import make_app
from tests.web.conftest import sign_in
from tests.web.test_live import events as sse_messages


@pytest.fixture
def source(taf_env: Path) -> Path:
    """About 3 MB of text that LZMA2 at level 9 works on for a few seconds, in two folders."""
    rnd = random.Random(14)
    root = taf_env / "源数据"
    for folder in ("账目", "合同"):
        (root / folder).mkdir(parents=True)
        for number in range(3):
            lines = (f"{rnd.random():.12f} 第{number}号 {rnd.getrandbits(64):x}\n" for _ in range(14_000))
            (root / folder / f"记录{number}.txt").write_text("".join(lines), encoding="utf-8")
    return root


def test_a_running_backup_streams_an_update_every_second_of_its_own_clock_and_its_page_resumes(
        client, web_services, source) -> None:  # noqa: ANN001
    taf = make_app(web_services)
    job = taf.backups.start([str(source)], actor="operator", level=9, wait=True).job_id
    run = threading.Thread(target=taf.backups.run, args=(job,), kwargs={"actor": "operator"})
    sign_in(client, "auditor")
    run.start()
    stream = sse_messages(client.get(f"/api/v1/jobs/{job}/events").text)  # until the job is done
    run.join(120)
    updates = [json.loads(message["data"]) for message in stream if message.get("event") == "progress"]
    assert updates[-1]["phase"] == "done" and stream[-1]["event"] == "done"
    stamps = [update["updated_at"] for update in updates]
    span = stamps[-1] - stamps[0]
    assert span >= 2.0, f"任务只运行了 {span:.1f} 秒，不足以计数"
    gaps = [later - earlier for earlier, later in zip(stamps, stamps[1:], strict=False)]
    assert max(gaps) < 1.5, f"两次更新最长相隔 {max(gaps):.2f} 秒"
    assert len(updates) >= span, f"{span:.1f} 秒内只有 {len(updates)} 次更新"
    assert {"scan", "pack", "write"} & {update["phase"] for update in updates}

    # The job page's own stream: the bars rendered, each ledger milestone, then done.
    page = sse_messages(client.get(f"/backups/{job}/live").text)
    kinds = [message.get("event") for message in page if message.get("event")]
    assert kinds == ["milestone", "progress", "done"]
    milestone, progress = page[1], page[2]
    events = taf.backups.events(job)
    assert milestone["data"] == str(len(events)) and events[-1].event == "Job.Completed"
    assert 'aria-label="写入磁带" aria-valuenow="100"' in progress["data"] and "完成" in progress["data"]
    assert progress["id"] == f"{stamps[-1]!r}/{len(events)}"
    # A browser that saw everything gets only the end; one that missed milestones gets them first.
    again = sse_messages(client.get(f"/backups/{job}/live", headers={"Last-Event-ID": progress["id"]}).text)
    assert [message.get("event") for message in again if message.get("event")] == ["done"]
    behind = sse_messages(client.get(f"/backups/{job}/live", params={"seen": 2},
                                     headers={"Last-Event-ID": f"{stamps[-1]!r}/2"}).text)
    assert [(m.get("event"), m.get("data")) for m in behind if m.get("event")][0] == ("milestone", str(len(events)))
    assert client.get("/backups/00000000-0000-0000-0000-000000000000/live").status_code == 404
