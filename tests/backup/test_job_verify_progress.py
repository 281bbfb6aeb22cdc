"""Read-back verification (B6) finds a package damaged on tape; live progress follows a running job."""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

from backup import service
from tests.backup.jobkit import job_packages, make_tree, progress_of

_RECORD = struct.Struct(">BBHIIQI")  # the emulator's index record (tape/emulator/partition.py)


def flip_byte(vtl_root: Path, barcode: str, logical_object: int, at: int) -> None:
    """Damage one byte of a data block in the emulated cartridge's data file, as bit rot would."""
    folder = vtl_root / "cartridges" / barcode
    raw = (folder / "index.0").read_bytes()[32 * logical_object:32 * logical_object + _RECORD.size]
    kind, _flags, _, length, _stored, offset, _crc = _RECORD.unpack(raw)
    assert kind == 1 and at < length
    with open(folder / "data.0", "r+b") as data:
        data.seek(offset + at)
        byte = data.read(1)
        data.seek(offset + at)
        data.write(bytes([byte[0] ^ 0x5A]))


def test_verify_reads_every_package_back_and_finds_the_damaged_ones(job_services: Any, taf_env: Path,
                                                                   cli: Callable[..., Any]) -> None:
    source = make_tree(taf_env / "源数据", 100)
    job, _ = service.request_backup(job_services, [str(source)], group="2026-05")
    job_id = str(job.id)
    assert service.run(job_services, job_id)["status"] == "succeeded"
    events = [e for found in job_packages(job_services, job_id).values() for e in found]

    clean = cli("backup", "verify", job_id, "--json")
    members = sum(1 for e in events for entry in job_services.ledger.manifest(e) if entry["kind"] in ("file", "symlink"))
    assert clean.code == 0 and clean.json() == {
        "job_id": job_id, "ok": True, "outcome": "verified",
        "verdict": f"检查 {len(events)} 个数据包、{members} 个文件，全部可以恢复", "checked": len(events),
        "files_checked": members, "mismatches": [], "unreadable": [], "warnings": [], "findings": [], "exit_code": 0}

    on_first = job_packages(job_services, job_id)["TAF001L9"]
    silent, loud = on_first[1], on_first[-1]
    # Byte 1 is outside the emulated drive's sampled block CRC: only our SHA-256 can see it.
    flip_byte(job_services.settings.vtl_dir, "TAF001L9", silent.payload_block, at=1)
    # Byte 0 is inside it: the drive itself reports a medium error on reading.
    flip_byte(job_services.settings.vtl_dir, "TAF001L9", loud.payload_block, at=0)
    damaged = cli("backup", "verify", job_id)

    assert damaged.code == 1 and "发现 2 处不一致" in damaged.out
    assert f"TAF001L9 数据包 {silent.package_id}：读回的数据包 {silent.package_id} 校验失败" in damaged.out
    assert f"TAF001L9 数据包 {loud.package_id}：无法恢复的读错误" in damaged.out
    results = [e for e in job_services.ledger.events.get(job.id) if type(e).__name__ == "Verified"]
    assert [(r.ok, r.checked, len(r.mismatches)) for r in results] == [(True, len(events), 0),
                                                                       (False, len(events), 2)]
    assert job_services.ledger.drive(job_services.settings.host_name, "emulated:0").reserved_by is None


def test_progress_is_published_while_the_job_runs(job_services: Any, taf_env: Path, monkeypatch) -> None:
    """Every publication is recorded as it is written (not sampled by a poll, which a fast machine
    outruns), with the board publishing on every change so each package's step is visible."""
    from kernel import progress

    seen: list[dict[str, Any]] = []
    publish = progress.ProgressBoard.publish

    def recording(board: Any, force: bool = False) -> None:
        board.interval = 0.0
        before = board.state.updated_at
        publish(board, force)
        if board.state.updated_at != before:
            seen.append(board.state.to_dict())  # what the store was handed

    monkeypatch.setattr(progress.ProgressBoard, "publish", recording)
    source = make_tree(taf_env / "源数据", 300)
    job, _ = service.request_backup(job_services, [str(source)], group="2026-05", level=6)
    job_id = str(job.id)
    service.run(job_services, job_id)
    assert seen[-1] == progress_of(job_services.settings.data_dir, job_id)

    final = seen[-1]
    planned = job_services.ledger.backup_job(job_id).planned
    assert (final["phase"], final["phase_label"]) == ("done", "完成") and final["fraction"] == 1.0 and "成功" in final["message"]
    assert final["packages_written"] == final["packages_total"] == planned["packages"]
    assert final["files_total"] == planned["files"] and final["bytes_total"] == planned["bytes_in"]
    assert final["bytes_packed"] == planned["bytes_in"]
    assert final["bytes_written"] == sum(e.payload_bytes for found in job_packages(job_services, job_id).values()
                                         for e in found)
    writing = [s for s in seen if (s["phase"], s["phase_label"]) == ("write", "写入磁带")]
    assert len(writing) >= 3, [s["phase"] for s in seen]  # several ticks while packages go to tape
    written = [s["packages_written"] for s in seen]
    assert written == sorted(written) and len(set(written)) >= 3
    assert any(s["eta_seconds"] for s in writing) and any(s["pack_rate"] > 0 for s in writing)
    # While packages are still to go to tape, the ETA never says "done" (0), even once packing has finished.
    assert all(s["eta_seconds"] != 0 for s in writing if s["packages_written"] < s["packages_total"])
    assert all(s["current_cartridge"] == "TAF001L9" for s in writing[:1])
    # A heartbeat publishes at least once a second, even while the job waits for a slow package.
    stamps = [s["updated_at"] for s in seen]
    assert max(b - a for a, b in zip(stamps, stamps[1:], strict=False)) < 3.0


def test_verification_publishes_how_far_it_has_read(job_services: Any, taf_env: Path) -> None:
    from restore.verify import verify_job

    job, _ = service.request_backup(job_services, [str(make_tree(taf_env / "源数据", 60, big=False))],
                                    group="2026-05", level=1)
    service.run(job_services, str(job.id))
    result = verify_job(job_services, str(job.id))

    published = job_services.progress.latest(f"verify-{job.id}")
    assert published is not None and (published.kind, published.phase) == ("verify", "done")
    assert published.packages_read == published.packages_total == result["checked"]
    assert published.files_done == result["files_checked"] > 0
    assert published.cartridges_done == published.cartridges_total == len(job_packages(job_services, str(job.id)))
    assert published.bytes_read == sum(e.payload_bytes for found in job_packages(job_services, str(job.id)).values()
                                       for e in found)
    assert published.fraction == 1.0 and published.current_cartridge == "TAF001L9"
