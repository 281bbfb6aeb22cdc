"""A standalone drive: the restore asks the operator for the cartridge and goes on once it is in."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from media import operations
from media.devices import open_session
from restore import service
from restore.execute import RestoreSummary
from tape.emulator import Library
from tests.restore.tapes import BLOCK, back_up, make_tree, tree_of


@pytest.fixture
def standalone(taf_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("VTL_SLOTS", "0")
    monkeypatch.setenv("VTL_CAPACITY", "8M")
    monkeypatch.setenv("VTL_DIR", str(taf_env / "vtl"))
    from bootstrap import build

    built = build()
    yield built
    built.close()


def _wait_for(condition: Any, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_the_job_waits_for_the_operator_to_insert_the_right_cartridge(standalone: Any, tmp_path: Path) -> None:
    source = tmp_path / "单机"
    source.mkdir()
    make_tree(source)
    with open_session(standalone, "emulated:0", "测试员") as session:
        library = Library.open(session.vtl_root)
        library.insert("TAF001L9")
        session.mount()
        operations.label(session, pool="默认池", block_size=BLOCK, barcode="TAF001L9")
        back_up(standalone, [source / "报告"], group="2026-05", barcodes=["TAF001L9"], staging=tmp_path / "s",
                label=False, session=session)
    library.eject("TAF001L9")
    library.insert("TAF002L9")  # the wrong one

    target = tmp_path / "还原"
    job, _, _ = service.request(standalone, [str(source / "报告")], target, by="测试员")
    result: list[RestoreSummary] = []
    runner = threading.Thread(target=lambda: result.append(
        service.run(standalone, str(job.id), device="emulated:0", actor="测试员", poll_seconds=0.02)))
    runner.start()
    try:
        _wait_for(lambda: standalone.ledger.restore_job(job.id).status == "waiting_tape")
        assert standalone.ledger.restore_job(job.id).waiting_for == "请将磁带 TAF001L9 装入驱动器"
        library.eject("TAF002L9")
        library.insert("TAF001L9")
    finally:
        runner.join(30)
        library.close()
    [summary] = result
    assert summary.status == "succeeded", summary.warnings
    assert tree_of(target.joinpath(*(source / "报告").parts[1:])) == tree_of(source / "报告")
    events = [type(standalone.ledger.mapper.to_domain_event(n)).__qualname__
              for n in standalone.ledger.notifications()]
    assert "RestoreJob.TapeRequested" in events and "RestoreJob.TapeArrived" in events


def test_a_waiting_job_can_be_cancelled(standalone: Any, tmp_path: Path) -> None:
    source = tmp_path / "单机"
    source.mkdir()
    make_tree(source)
    with open_session(standalone, "emulated:0", "测试员") as session:
        library = Library.open(session.vtl_root)
        library.insert("TAF001L9")
        session.mount()
        operations.label(session, pool="默认池", block_size=BLOCK, barcode="TAF001L9")
        back_up(standalone, [source / "readme.md"], group="2026-05", barcodes=["TAF001L9"], staging=tmp_path / "s",
                label=False, session=session)
    library.eject("TAF001L9")
    library.close()
    job, _, _ = service.request(standalone, [str(source / "readme.md")], tmp_path / "还原", by="测试员")
    result: list[RestoreSummary] = []
    runner = threading.Thread(target=lambda: result.append(
        service.run(standalone, str(job.id), device="emulated:0", actor="测试员", poll_seconds=0.02)))
    runner.start()
    try:
        _wait_for(lambda: standalone.ledger.restore_job(job.id).status == "waiting_tape")
        service.cancel(standalone, str(job.id), by="测试员", reason="磁带找不到了")
    finally:
        runner.join(30)
    assert result[0].status == "cancelled"
    assert standalone.ledger.drive(standalone.settings.host_name, "emulated:0").reserved_by is None


def test_rebuilding_from_the_cartridge_in_a_standalone_drive(standalone: Any, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch, taf_env: Path) -> None:
    from bootstrap import build
    from projections.catalog import SearchQuery
    from restore.recover import recover_from_tapes

    source = tmp_path / "单机"
    source.mkdir()
    make_tree(source)
    with open_session(standalone, "emulated:0", "测试员") as session:
        with Library.open(session.vtl_root) as library:
            library.insert("TAF001L9")
        session.mount()
        operations.label(session, pool="默认池", block_size=BLOCK, barcode="TAF001L9")
        back_up(standalone, [source], group="2026-05", barcodes=["TAF001L9"], staging=tmp_path / "s",
                label=False, session=session)
    monkeypatch.setenv("DATA_DIR", str(taf_env / "新数据"))
    fresh = build()
    try:
        with open_session(fresh, "emulated:0", "恢复员") as session:
            recovery = recover_from_tapes(fresh, session, actor="恢复员")
        assert [c.barcode for c in recovery.cartridges] == ["TAF001L9"] and recovery.registered == 1
        original = standalone.catalog.search(SearchQuery(limit=1000))
        rebuilt = fresh.catalog.search(SearchQuery(limit=1000))
        assert [(r["full_path"], r["sha256"]) for r in rebuilt] == [(r["full_path"], r["sha256"]) for r in original]
    finally:
        fresh.close()


def test_nobody_brings_the_cartridge_the_job_pauses_and_the_operator_is_told(standalone: Any,
                                                                              tmp_path: Path) -> None:
    source = tmp_path / "单机"
    source.mkdir()
    make_tree(source)
    standalone.ledger.add_recipient("值班员", "13800000000", ["tape_change_needed"], by="admin")
    with open_session(standalone, "emulated:0", "测试员") as session:
        library = Library.open(session.vtl_root)
        library.insert("TAF001L9")
        session.mount()
        operations.label(session, pool="默认池", block_size=BLOCK, barcode="TAF001L9")
        back_up(standalone, [source / "readme.md"], group="2026-05", barcodes=["TAF001L9"], staging=tmp_path / "s",
                label=False, session=session)
    library.eject("TAF001L9")
    job, _, _ = service.request(standalone, [str(source / "readme.md")], tmp_path / "还原", by="测试员")
    paused = service.run(standalone, str(job.id), device="emulated:0", actor="测试员", poll_seconds=0.02,
                         tape_pause_seconds=0.2)
    assert paused.status == "paused"
    shown = service.status(standalone, str(job.id))
    assert shown["status"] == "paused" and "等待磁带 TAF001L9 超过" in shown["reason"]
    assert shown["waiting_for"] == "请将磁带 TAF001L9 装入驱动器"
    standalone.projector.catch_up()
    [message] = standalone.notification_log.recent()
    assert message["kind"] == "tape_change_needed" and "TAF001L9" in message["title"]
    library.insert("TAF001L9")
    library.close()
    resumed = service.run(standalone, str(job.id), device="emulated:0", actor="测试员", poll_seconds=0.02)
    assert resumed.status == "succeeded" and resumed.files == 1
