"""`App.pending`, the verbs behind 待处理, on a restore: a cartridge that is not in the library is
asked for; the request lists what waits on it; answering after the cartridge is put into the
import/export slot reports that the job went on. A job nobody runs any more is resumed by the answer."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from app.pending import STALE_SECONDS
from kernel.progress import Progress
from tests.tui.kit import ACTOR, ThreadQueue, connection


def wait_for(condition: Any, seconds: float = 60.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("等待超时")


def test_a_restore_asking_for_a_shelved_cartridge_is_pending_and_answered_once_it_is_in(
        lib_services: Any, backed_up: Any, source: Path, tmp_path: Path) -> None:
    queue = ThreadQueue(lib_services)
    app = connection(lib_services, queue).app
    app.tapes.vtl_eject("TAF001L9", actor=ACTOR)  # off to the shelf
    wanted = {step.barcode for step in app.restores.plan([str(source)]).plan.steps}
    assert "TAF001L9" in wanted
    requested = app.restores.request([str(source)], str(tmp_path / "恢复到"), actor=ACTOR)
    app.restores.start(requested.job_id)

    request = wait_for(lambda: app.pending.requests())[0]
    assert (request.job_id, request.kind, request.kind_text) == (requested.job_id, "restore", "恢复")
    assert request.text == "请将磁带 TAF001L9 放入磁带库的导入/导出口" and not request.stalled
    assert request.waiting.startswith("恢复任务（1 项 → ") and "恢复到" in request.waiting

    app.tapes.vtl_insert("TAF001L9", actor=ACTOR)  # into the import/export slot, as an operator does
    answer = app.pending.answer(requested.job_id, actor=ACTOR, wait=10)
    assert answer.outcome in {"continued", "not_waiting"}, answer
    queue.join()
    assert queue.results[0].status == "succeeded"
    assert app.pending.requests() == []
    assert app.pending.answer(requested.job_id, actor=ACTOR).outcome == "not_waiting"


def test_a_restore_left_waiting_by_a_process_that_is_gone_is_resumed_by_the_answer(
        lib_services: Any, backed_up: Any, source: Path, tmp_path: Path) -> None:
    queue = ThreadQueue(lib_services)
    app = connection(lib_services, queue).app
    app.tapes.vtl_eject("TAF001L9", actor=ACTOR)
    requested = app.restores.request([str(source)], str(tmp_path / "恢复到"), actor=ACTOR)
    job = lib_services.ledger.restore_job(requested.job_id)
    lib_services.ledger.change(lambda: _waiting(lib_services, job.id))  # its process died while it waited:
    lib_services.progress.publish(Progress(job_id=requested.job_id, kind="restore", phase="wait_tape",  # silent since
                                           request="请将磁带 TAF001L9 放入磁带库的导入/导出口",
                                           updated_at=time.time() - 2 * STALE_SECONDS))

    request = wait_for(lambda: app.pending.requests())[0]
    assert request.stalled and request.status == "waiting_tape"
    app.tapes.vtl_insert("TAF001L9", actor=ACTOR)
    assert app.pending.answer(requested.job_id, actor=ACTOR).outcome == "resumed"
    queue.join()
    assert queue.results[0].status == "succeeded"


def _waiting(services: Any, job_id: Any) -> Any:
    job = services.ledger.restore_job(str(job_id))
    job.start(host=services.settings.host_name)
    job.request_tape("TAF001L9", "请将磁带 TAF001L9 放入磁带库的导入/导出口")
    return job
