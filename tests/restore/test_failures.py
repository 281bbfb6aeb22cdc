"""What a restore does when the drive is taken, a block cannot be read, or tape and catalog disagree."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ledger.errors import DriveBusy
from restore import service
from tape.emulator import Library
from tests.restore.tapes import Written


def _run(services: Any, job_id: str) -> Any:
    return service.run(services, job_id, device="emulated:0", actor="测试员", poll_seconds=0.01)


def test_a_busy_drive_leaves_the_job_waiting_to_be_resumed(lib_services: Any, backed_up: list[Written],
                                                           source: Path, tmp_path: Path) -> None:
    ledger = lib_services.ledger
    job, _, _ = service.request(lib_services, [str(source / "readme.md")], tmp_path / "t", by="测试员")
    ledger.register_drive(lib_services.settings.host_name, "emulated:0")
    drive = ledger.drive(lib_services.settings.host_name, "emulated:0")
    drive.reserve("another-job")
    ledger.save(drive)
    with pytest.raises(DriveBusy):
        _run(lib_services, str(job.id))
    assert ledger.restore_job(job.id).status == "requested"
    drive = ledger.drive(lib_services.settings.host_name, "emulated:0")
    drive.release("another-job")
    ledger.save(drive)
    assert _run(lib_services, str(job.id)).status == "succeeded"


def test_a_medium_error_fails_the_job_with_its_reason(lib_services: Any, backed_up: list[Written], source: Path,
                                                      tmp_path: Path) -> None:
    [holder] = [w for w in backed_up if any(e.path == "readme.md" for e in w.result.manifest)]
    with Library.open(lib_services.settings.vtl_dir) as library:
        library.set_fault("medium_error", barcode=holder.barcode, at_object=holder.positions.payload_block,
                          operation="read")
    job, _, _ = service.request(lib_services, [str(source / "readme.md")], tmp_path / "t", by="测试员")
    with pytest.raises(Exception) as raised:
        _run(lib_services, str(job.id))
    failed = lib_services.ledger.restore_job(job.id)
    assert failed.status == "failed" and failed.reason.startswith(raised.value.message)  # type: ignore[attr-defined]
    assert "无法恢复的读错误" in failed.reason
    assert lib_services.ledger.drive(lib_services.settings.host_name, "emulated:0").reserved_by is None
    assert lib_services.ledger.cartridge(holder.barcode).reserved_by is None
    assert not (lib_services.settings.data_dir / "restore-staging" / str(job.id)).exists()


def test_a_package_that_is_not_where_the_catalog_says_costs_only_its_files(lib_services: Any,
                                                                           backed_up: list[Written],
                                                                           source: Path, tmp_path: Path) -> None:
    real = next(w for w in backed_up if any(e.path == "readme.md" for e in w.result.manifest))
    ledger = lib_services.ledger
    cartridge = ledger.cartridge(real.barcode)
    moved = [{**e.to_dict(), "root": "/别处"} for e in real.result.manifest if e.kind == "file"]
    cartridge.record_package(job_id="job-x", package_id="phantom-1", group="2026-05", sequence=99,
                             tape_file=real.positions.tape_file, header_block=real.positions.header_block,
                             payload_block=real.positions.payload_block, payload_blocks=real.positions.payload_blocks,
                             payload_bytes=real.positions.payload_bytes, payload_sha256=real.positions.payload_sha256,
                             compression="lzma2", manifest=moved)
    ledger.save(cartridge)
    lib_services.catch_up()
    job, _, _ = service.request(lib_services, ["/别处", str(source / "视频.mp4")], tmp_path / "t", by="测试员")
    summary = _run(lib_services, str(job.id))
    assert summary.status == "partial" and summary.files == 1 and summary.failed == len(moved)
    assert any("目录记录的是 phantom-1" in w for w in summary.warnings)


def test_a_drive_another_session_has_open_leaves_the_job_waiting_too(lib_services: Any, backed_up: list[Written],
                                                                     source: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from media import devices
    from media.devices import open_session
    from tape.transport import DeviceInUse

    monkeypatch.setattr(devices, "BUSY_WAIT_SECONDS", 0.2)
    job, _, _ = service.request(lib_services, [str(source / "readme.md")], tmp_path / "t", by="测试员")
    with open_session(lib_services, "emulated:0", "王工"), pytest.raises(DeviceInUse):  # an erase elsewhere
        _run(lib_services, str(job.id))
    assert lib_services.ledger.restore_job(job.id).status == "requested"
    assert _run(lib_services, str(job.id)).status == "succeeded"
    assert (tmp_path / "t").exists()
