"""An operator's answer while the job checks the cartridge they put in is told the job went on — not
that it "has not found a usable tape" — however long labelling a new cartridge takes; a cartridge
that will not do puts the job back to waiting, with why, before the request is asked again."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.facade import make_app
from backup import service, supply
from media import operations
from tape.emulator import Library
from tests.backup.jobkit import make_tree, until

LABEL_SECONDS = 3.0  # how long the slow label takes: longer than the answer waits


def _run_in_thread(services: Any, job_id: str, results: list[Any]) -> threading.Thread:
    thread = threading.Thread(target=lambda: results.append(
        service.run(services, job_id, poll_seconds=0.1, tape_pause_seconds=60)), daemon=True)
    thread.start()
    return thread


def test_an_answer_during_a_slow_check_hears_the_job_went_on(
        job_services_with: Callable[..., Any], taf_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    services = job_services_with(VTL_SLOTS="0")
    app = make_app(services)
    app.tapes.vtl_list()  # creates the standalone library
    real_label = operations.label

    def slow_label(*args: Any, **kwargs: Any) -> Any:
        time.sleep(LABEL_SECONDS)
        return real_label(*args, **kwargs)

    monkeypatch.setattr(supply.operations, "label", slow_label)
    job, _ = service.request_backup(services, [str(make_tree(taf_env / "源数据", 5, big=False))], group="2026-05")
    results: list[Any] = []
    thread = _run_in_thread(services, str(job.id), results)
    until(lambda: app.pending.requests())

    app.tapes.vtl_insert("TAF001L9", actor="王工")
    answer = app.pending.answer(str(job.id), actor="王工", wait=LABEL_SECONDS - 1)

    assert answer.outcome == "continued" and "TAF001L9" in answer.text, answer
    thread.join(120)
    assert results and results[0]["status"] == "succeeded" and results[0]["cartridges"] == ["TAF001L9"]


def test_a_cartridge_that_will_not_do_puts_the_job_back_to_waiting_with_why(
        job_services_with: Callable[..., Any], taf_env: Path) -> None:
    services = job_services_with(VTL_SLOTS="0")
    app = make_app(services)
    app.tapes.vtl_list()
    job, _ = service.request_backup(services, [str(make_tree(taf_env / "源数据", 5, big=False))], group="2026-05")
    results: list[Any] = []
    thread = _run_in_thread(services, str(job.id), results)
    until(lambda: app.pending.requests())

    with Library.open(services.settings.vtl_dir) as library:
        library.insert("TAF001L9")
        library.set_write_protect("TAF001L9")
    waiting = until(lambda: (p := services.progress.latest(str(job.id))) and "写保护" in p.message and p)
    assert waiting.phase == "wait_tape" and waiting.request  # asked again, saying why

    app.tapes.vtl_eject("TAF001L9", actor="王工")
    app.tapes.vtl_insert("TAF002L9", actor="王工")
    thread.join(120)
    assert results and results[0]["status"] == "succeeded" and results[0]["cartridges"] == ["TAF002L9"]


def test_the_next_wait_does_not_take_the_last_found_cartridge_for_one_it_turned_down(
        job_services_with: Callable[..., Any], taf_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    services = job_services_with(VTL_SLOTS="0")  # small cartridges: the job fills one and asks again
    app = make_app(services)
    app.tapes.vtl_list()
    unloads: list[float] = []
    real_unload = operations.unload

    def counted_unload(*args: Any, **kwargs: Any) -> Any:
        unloads.append(time.time())
        return real_unload(*args, **kwargs)

    monkeypatch.setattr(supply.operations, "unload", counted_unload)
    job, _ = service.request_backup(services, [str(make_tree(taf_env / "源数据", 60))], group="2026-05")
    results: list[Any] = []
    thread = _run_in_thread(services, str(job.id), results)
    until(lambda: app.pending.requests())
    app.tapes.vtl_insert("TAF001L9", actor="王工")  # found in the first wait
    until(lambda: (p := services.progress.latest(str(job.id))) and "写满" in p.message)
    time.sleep(1.0)  # ten looks at the empty drive
    [found] = [e for e in services.ledger.events.get(job.id) if type(e).__name__ == "TapeChangeSatisfied"]
    # Since then only the full cartridge was taken out; no look "turned down" the one found before.
    assert len([at for at in unloads if at > found.timestamp.timestamp()]) == 1

    app.tapes.vtl_eject("TAF001L9", actor="王工")
    app.tapes.vtl_insert("TAF002L9", actor="王工")
    thread.join(120)
    assert results and results[0]["status"] == "succeeded" and results[0]["cartridges"] == ["TAF001L9", "TAF002L9"]


def test_an_answer_tells_a_job_that_has_not_looked_again_from_one_that_looked_and_found_nothing(
        job_services_with: Callable[..., Any], taf_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    services = job_services_with(VTL_SLOTS="0")
    app = make_app(services)
    app.tapes.vtl_list()
    stall = threading.Event()
    real_look = supply.TapeSupply._try_inserted

    def look(self: Any) -> Any:
        if stall.is_set():  # busy elsewhere (a slow ledger write, a loaded host)
            stall.clear()
            time.sleep(3.0)
        return real_look(self)

    monkeypatch.setattr(supply.TapeSupply, "_try_inserted", look)
    job, _ = service.request_backup(services, [str(make_tree(taf_env / "源数据", 5, big=False))], group="2026-05")
    results: list[Any] = []
    thread = _run_in_thread(services, str(job.id), results)
    until(lambda: app.pending.requests())

    nothing = app.pending.answer(str(job.id), actor="王工", wait=1.0)  # it looks every 0.1 s: nothing there
    assert nothing.outcome == "still_waiting" and "还没有发现可用的磁带" in nothing.text, nothing

    stall.set()
    time.sleep(0.3)  # the look under way ends; the next one is held up
    app.tapes.vtl_insert("TAF001L9", actor="王工")
    busy = app.pending.answer(str(job.id), actor="王工", wait=1.5)
    assert busy.outcome == "checking" and "还没有再查看驱动器" in busy.text and "会自动发现" in busy.text, busy
    thread.join(120)
    assert results and results[0]["status"] == "succeeded" and results[0]["cartridges"] == ["TAF001L9"]
