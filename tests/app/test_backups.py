"""The backups service (app/backups.py): real jobs on the emulated library, the real worker queue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.backups import Backups
from app.errors import BadRequest
from app.facade import make_app
from kernel.errors import EXIT_NOT_FOUND, EXIT_STATE, EXIT_USAGE, TafError, describe
from tests.backup.jobkit import make_tree


@pytest.fixture
def services(job_services: Any) -> Any:
    """Services over the small-cartridge library the backup-job tests use."""
    return job_services


@pytest.fixture
def backups(services: Any) -> Backups:
    return make_app(services).backups


@pytest.fixture
def source(taf_env: Path) -> Path:
    return make_tree(taf_env / "源数据", 12, big=False)


def refused_with(error: BaseException, code: int, *words: str) -> None:
    report = describe(error)
    assert isinstance(error, TafError) and report.exit_code == code, report
    assert all(word in report.message for word in words), report.message


def queued(services: Any) -> list[tuple[Any, ...]]:
    """The job tasks waiting in the worker's queue: (kind, job id) each."""
    from bootstrap import make_queue
    from jobs.handlers import scheduled_handlers
    from jobs.tasks import ScheduledWork

    queue = make_queue(services.settings)
    ScheduledWork(queue, lambda: services, scheduled_handlers())  # the worker's tasks, to read the queue with
    return [tuple(task.args) for task in queue.pending()]


def test_a_started_backup_waits_for_the_worker_once_per_key(backups: Backups, services: Any, source: Path) -> None:
    first = backups.start([str(source)], actor="王工", key="月度-2026-05")
    again = backups.start([str(source)], actor="王工", key="月度-2026-05")

    assert (first.created, again.created) == (True, False)
    assert first.job_id == again.job_id and again.status == "requested"
    assert queued(services) == [("backup", first.job_id)]
    history = backups.history()
    assert [(job.job_id, job.status_text, job.requested_by) for job in history.jobs] == [
        (first.job_id, "已提交", "王工")]


def test_a_backup_run_here_is_reported_listed_and_verified_restorable(backups: Backups, services: Any,
                                                                     source: Path) -> None:
    started = backups.start([str(source)], actor="王工", group="2026-05", level=0, wait=True)
    assert queued(services) == []  # the caller runs it itself

    summary = backups.run(started.job_id, actor="王工")

    assert (summary.status, summary.status_text, summary.ok) == ("succeeded", "成功", True)
    assert summary.files == 12 and summary.packages == 1 and summary.cartridges == ["TAF001L9"]
    assert summary.sources == [str(source)] and len(summary.chain_head) == 64
    status = backups.status(started.job_id)
    assert status.summary == summary
    assert status.progress is not None and (status.progress.phase, status.progress.packages_written) == ("done", 1)
    history = backups.history(status="succeeded")
    assert [(job.job_id, job.group, job.cartridges) for job in history.jobs] == [
        (started.job_id, "2026-05", ["TAF001L9"])]
    assert history.by_status == {"succeeded": 1} and history.files == 12
    assert history.bytes_packed == summary.bytes_packed > 0
    assert backups.history(status="failed").jobs == []

    checked = backups.verify(started.job_id, actor="审计员")
    assert (checked.ok, checked.checked, checked.mismatches, checked.unreadable) == (True, 1, [], [])
    assert checked.files_checked == 12 and checked.progress_id == f"verify-{started.job_id}"
    published = services.progress.latest(checked.progress_id)
    assert published is not None and (published.phase, published.packages_read) == ("done", 1)
    everything = backups.verify_all(actor="审计员", since="2000-01-01")
    assert [job.job_id for job in everything.jobs] == [started.job_id]
    assert (everything.redo, everything.unreadable_cartridges, everything.progress_id) == ([], [], "verify-all")
    assert backups.verify_all(actor="审计员", since="2999-01-01").jobs == []
    verified = [e for e in services.ledger.events.get(services.ledger.backup_job(started.job_id).id)
                if type(e).__name__ == "Verified"]
    assert [(e.ok, e.by) for e in verified] == [(True, "审计员"), (True, "审计员")]


def test_a_finished_backup_is_neither_cancelled_paused_nor_resumed(backups: Backups, source: Path) -> None:
    started = backups.start([str(source)], actor="王工", wait=True)
    backups.run(started.job_id, actor="王工")
    for act in (backups.cancel, backups.pause, backups.resume):
        with pytest.raises(TafError) as raised:
            act(started.job_id, actor="王工")
        refused_with(raised.value, EXIT_STATE, "成功")


def test_pause_resume_and_cancel_are_ledger_events_naming_who(backups: Backups, services: Any,
                                                              source: Path) -> None:
    started = backups.start([str(source)], actor="王工", wait=True)

    assert backups.pause(started.job_id, actor="值班员").status == "paused"
    resumed = backups.resume(started.job_id, actor="值班员")
    assert resumed.status == "requested" and queued(services) == [("backup", started.job_id)]
    cancelled = backups.cancel(started.job_id, actor="主管", reason="不需要了")

    assert (cancelled.status, cancelled.status_text) == ("cancelled", "已取消")
    events = [(type(e).__name__, getattr(e, "by", "")) for e in
              services.ledger.events.get(services.ledger.backup_job(started.job_id).id)]
    assert events == [("Requested", "王工"), ("Paused", "值班员"), ("Resumed", "值班员"), ("Cancelled", "主管")]
    assert backups.run(started.job_id, actor="王工").status == "cancelled"  # nothing runs a cancelled job


@pytest.mark.parametrize(("change", "code", "words"), [
    ({"sources": ["{missing}"]}, EXIT_USAGE, ("备份源不存在",)),
    ({"sources": []}, EXIT_USAGE, ("至少需要一个",)),
    ({"level": 10}, EXIT_USAGE, ("压缩级别的值无效", "10 不在 0–9 之间")),
    ({"group": "2026-13"}, EXIT_USAGE, ("备份组的值无效",)),
    ({"device": "磁带机"}, EXIT_USAGE, ("磁带机",)),
])
def test_bad_input_gives_the_reason_and_records_nothing(backups: Backups, services: Any, source: Path,
                                                        taf_env: Path, change: dict[str, Any], code: int,
                                                        words: tuple[str, ...]) -> None:
    request: dict[str, Any] = {"sources": [str(source)], **change}
    request["sources"] = [s.format(missing=taf_env / "不存在") for s in request["sources"]]
    head = services.ledger.head_id()
    with pytest.raises(TafError) as raised:
        backups.start(request.pop("sources"), actor="王工", **request)
    refused_with(raised.value, code, *words)
    assert services.ledger.head_id() == head and queued(services) == []


def test_queries_refuse_what_they_cannot_answer(backups: Backups) -> None:
    with pytest.raises(TafError) as unknown:
        backups.status("00000000-0000-0000-0000-000000000000")
    refused_with(unknown.value, EXIT_NOT_FOUND, "找不到")
    with pytest.raises(BadRequest, match="日期“上周”无效"):
        backups.verify_all(actor="审计员", since="上周")
    with pytest.raises(BadRequest, match="条数不能是负数"):
        backups.history(limit=-1)
