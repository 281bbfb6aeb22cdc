"""The restores service (app/restores.py): real packages on the emulated library, restored through SCSI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.facade import make_app
from app.restores import Restores
from kernel.errors import EXIT_NOT_FOUND, EXIT_STATE, EXIT_USAGE, TafError, describe
from tests.restore.tapes import Written, tree_of

GROUP = "2026-05"


@pytest.fixture
def services(lib_services: Any) -> Any:
    return lib_services


@pytest.fixture
def written(backed_up: list[Written]) -> list[Written]:
    return backed_up


@pytest.fixture
def restores(services: Any, written: list[Written]) -> Restores:
    return make_app(services).restores


def refused_with(error: BaseException, code: int, *words: str) -> None:
    report = describe(error)
    assert isinstance(error, TafError) and report.exit_code == code, report
    assert all(word in report.message for word in words), report.message


def test_a_plan_names_the_tapes_in_order_with_positions_bytes_and_time(restores: Restores, services: Any,
                                                                       written: list[Written], source: Path) -> None:
    head = services.ledger.head_id()

    preview = restores.plan(["/"], group=GROUP)

    plan = preview.plan
    # The cartridge in the drive (the last one written) first, then the one the robot fetches from its slot.
    assert [(step.order, step.barcode) for step in plan.steps] == [(1, "TAF002L9"), (2, "TAF001L9")]
    assert [step.location.split(":")[0] for step in plan.steps] == ["drive", "slot"]
    assert "无需操作" in plan.steps[0].instruction and "槽位" in plan.steps[1].instruction
    assert {p.package_id for p in plan.packages} == {w.result.package_id for w in written}
    for step in plan.steps:
        blocks = [p.payload_block for p in step.packages]
        assert blocks == sorted(blocks) and all(p.payload_block > p.header_block for p in step.packages)
    assert plan.files == 9 and plan.bytes_to_read == sum(w.positions.payload_bytes for w in written)
    assert plan.seconds > 0 and "需要 2 盘磁带" in plan.summary
    assert preview.folders >= 1 and preview.links == 1
    assert services.ledger.head_id() == head  # planning changes nothing


def test_a_requested_restore_runs_here_and_reports_how_it_went(restores: Restores, services: Any, source: Path,
                                                               taf_env: Path) -> None:
    target = taf_env / "恢复到这里"
    requested = restores.request([str(source)], str(target), actor="值班员", key="恢复-1")
    again = restores.request([str(source)], str(target), actor="值班员", key="恢复-1")
    assert (requested.created, again.created, again.job_id) == (True, False, requested.job_id)
    assert (requested.status, requested.device) == ("requested", "emulated:0")
    assert requested.preview.plan.files == 9

    summary = restores.run(requested.job_id, actor="值班员")

    assert summary.status == "succeeded" and summary.files == 9 and summary.tape_bytes_read > 0
    assert tree_of(target.joinpath(*source.parts[1:])) == tree_of(source)
    status = restores.status(requested.job_id)
    assert (status.status, status.status_text, status.requested_by) == ("succeeded", "成功", "值班员")
    assert status.planned["files"] == 9 and status.packages_done == status.planned["packages"]
    assert status.progress is not None and (status.progress.phase, status.progress.files_done) == ("done", 9)
    assert [(job.job_id, job.kind, job.status) for job in restores.history()] == [
        (requested.job_id, "restore", "succeeded")]
    assert restores.history(status="failed") == []


def test_a_paused_restore_goes_on_when_run_and_a_cancelled_one_is_refused(restores: Restores, services: Any,
                                                                        source: Path, taf_env: Path) -> None:
    paused = restores.request([str(source / "readme.md")], str(taf_env / "t1"), actor="值班员")
    assert restores.pause(paused.job_id, actor="主管", reason="稍后再做").status == "paused"
    assert restores.status(paused.job_id).reason == "稍后再做"
    assert restores.run(paused.job_id, actor="值班员").status == "succeeded"

    cancelled = restores.request([str(source / "readme.md")], str(taf_env / "t2"), actor="值班员")
    changed = restores.cancel(cancelled.job_id, actor="主管", reason="不需要了")
    assert (changed.status, changed.status_text) == ("cancelled", "已取消")
    for act in (lambda: restores.cancel(cancelled.job_id, actor="主管"),
                lambda: restores.run(cancelled.job_id, actor="值班员")):
        with pytest.raises(TafError) as raised:
            act()
        refused_with(raised.value, EXIT_STATE, "已取消")
    assert not (taf_env / "t2").exists()


def test_bad_requests_give_the_reason_and_record_nothing(restores: Restores, services: Any, source: Path,
                                                         taf_env: Path) -> None:
    a_file = taf_env / "一个文件.txt"
    a_file.write_text("x")
    target = str(taf_env / "t")
    head = services.ledger.head_id()
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"paths": [str(source)], "target": str(a_file)}, EXIT_USAGE, "是一个文件"),
        ({"paths": ["/不存在"], "target": target}, EXIT_NOT_FOUND, "没有与 /不存在 匹配的文件"),
        ({"paths": [str(source)], "target": target, "group": "2026-09"}, EXIT_NOT_FOUND, "没有备份组 2026-09"),
        ({"paths": [str(source)], "target": target, "on_conflict": "merge"}, EXIT_USAGE, "merge"),
        ({"paths": ["  "], "target": target}, EXIT_USAGE, "没有指定要恢复的路径"),
        ({"paths": [str(source)], "target": target, "device": "磁带机"}, EXIT_USAGE, "磁带机"),
    ]
    for request, code, words in cases:
        with pytest.raises(TafError) as raised:
            restores.request(request.pop("paths"), request.pop("target"), actor="值班员", **request)
        refused_with(raised.value, code, words)
    with pytest.raises(TafError) as unknown:
        restores.status("7f0c8a9e-0000-4000-8000-000000000000")
    refused_with(unknown.value, EXIT_NOT_FOUND, "找不到")
    assert services.ledger.head_id() == head and not (taf_env / "t").exists()


def test_a_restore_started_from_the_web_goes_to_the_worker_which_runs_it(services: Any, written: list[Written],
                                                                          source: Path, tmp_path: Path) -> None:
    """`start` hands the job to the worker's queue (a long job never runs inside a web request);
    the worker's `job.restore` handler then runs it on this host's drive."""
    from jobs.handlers import scheduled_handlers

    queued: list[tuple[str, str]] = []

    class RecordingQueue:
        def submit(self, kind: str, job_id: str) -> None:
            queued.append((kind, job_id))

    class WithQueue:
        def __init__(self, inner: Any) -> None:
            self._inner = inner

        def __getattr__(self, name: str) -> Any:
            return getattr(self._inner, name)

        @property
        def job_queue(self) -> RecordingQueue:
            return RecordingQueue()

    restores = Restores(WithQueue(services))
    target = tmp_path / "网页恢复"
    requested = restores.request([str(source / "readme.md")], str(target), actor="网页用户")
    restores.start(requested.job_id)
    assert queued == [("restore", requested.job_id)]
    assert restores.status(requested.job_id).status == "requested"  # nothing ran in the request

    summary = scheduled_handlers()["job.restore"](services, requested.job_id)
    assert summary.status == "succeeded" and summary.files == 1
    assert (target.joinpath(*source.parts[1:]) / "readme.md").read_bytes() == (source / "readme.md").read_bytes()
