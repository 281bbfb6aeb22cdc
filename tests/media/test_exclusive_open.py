"""A drive is opened exclusively, as a real one is (O_EXCL): a session finding it in use waits a
moment (a status poll ends soon), then says who holds it — the job, when the ledger knows."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from kernel.errors import describe
from ledger.errors import DriveBusy
from media import devices
from media.devices import open_session
from tape.transport import DeviceInUse

SPEC = "emulated:0"


def test_an_open_waits_for_a_short_holder_and_then_has_the_drive(sqlite_services: Any,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(devices, "BUSY_WAIT_SECONDS", 30.0)
    glance = open_session(sqlite_services, SPEC, "控制台")  # a console's status poll
    threading.Timer(0.3, glance.close).start()
    began = time.monotonic()
    with open_session(sqlite_services, SPEC, "任务") as session:
        assert session.drive.identify().product == "ULT3580-HH9"
    assert time.monotonic() - began >= 0.25  # it did wait for the glance to end


def test_a_drive_held_longer_is_refused_naming_the_job_the_ledger_books_it_to(sqlite_services: Any,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(devices, "BUSY_WAIT_SECONDS", 0.2)
    ledger, host = sqlite_services.ledger, sqlite_services.settings.host_name
    with open_session(sqlite_services, SPEC, "王工"):
        with pytest.raises(DeviceInUse) as unnamed:  # nobody TAF knows of: another program, or an act
            open_session(sqlite_services, SPEC, "任务")
        assert "正被其它程序占用" in describe(unnamed.value).message
        ledger.book_drive(host, SPEC, "job-1")
        with pytest.raises(DriveBusy) as named:
            open_session(sqlite_services, SPEC, "任务", busy_wait=0)
        assert describe(named.value).message == f"驱动器 {host}:{SPEC} 正被任务 job-1 使用，一个驱动器同一时间只运行一个任务"
    ledger.release_drive(host, SPEC, "job-1")
    open_session(sqlite_services, SPEC, "任务").close()
