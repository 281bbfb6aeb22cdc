"""Restore against real packages on emulated tapes through SCSI: content, size, time, mode come back."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from kernel.progress import Progress
from restore import service
from restore.errors import Refused
from restore.execute import RestoreSummary
from tape.volume import PackageHeader, encode_manifest
from tests.restore.tapes import Written, back_up, tree_of


def test_everything_comes_back_from_two_cartridges(lib_services: Any, backed_up: list[Written], source: Path,
                                                    tmp_path: Path) -> None:
    assert len({w.barcode for w in backed_up}) == 2
    assert any(entry.total_chunks > 1 for w in backed_up for entry in w.result.manifest)
    target = tmp_path / "恢复到这里"
    job, created, preview = service.request(lib_services, [str(source)], target, by="测试员")
    assert created and preview.plan.cartridges
    summary = service.run(lib_services, str(job.id), device="emulated:0", actor="测试员", poll_seconds=0.01)
    assert summary.status == "succeeded", summary.warnings
    restored = target.joinpath(*source.parts[1:])
    assert tree_of(restored) == tree_of(source)
    assert summary.files == sum(1 for p in source.rglob("*") if p.is_file() and not p.is_symlink())
    assert summary.cartridges == ["TAF001L9", "TAF002L9"] or sorted(summary.cartridges) == ["TAF001L9", "TAF002L9"]
    assert summary.tape_bytes_read >= sum(w.positions.payload_bytes for w in backed_up)



def _package_on_tape_bytes(written: Written) -> int:
    """What one package occupies on tape: header block, manifest frame, payload."""
    header = PackageHeader(**written.positions.header)
    manifest = encode_manifest([entry.to_dict() for entry in written.result.manifest])
    return len(header.encode()) + len(manifest) + written.positions.payload_bytes


def test_one_small_file_costs_one_package_read(lib_services: Any, backed_up: list[Written], source: Path,
                                               tmp_path: Path) -> None:
    wanted = source / "深/层/目/录/说明.txt"
    [holder] = [w for w in backed_up if any(e.path == "深/层/目/录/说明.txt" for e in w.result.manifest)]
    target = tmp_path / "单个文件"
    job, _, preview = service.request(lib_services, [str(wanted)], target, by="测试员")
    assert [p.package_id for p in preview.plan.packages] == [holder.result.package_id]
    summary = service.run(lib_services, str(job.id), device="emulated:0", actor="测试员", poll_seconds=0.01)
    assert summary.status == "succeeded" and summary.files == 1 and summary.packages_read == 1
    assert summary.cartridges == [holder.barcode]
    assert 0 < summary.tape_bytes_read <= 1.05 * _package_on_tape_bytes(holder)
    restored = target.joinpath(*wanted.parts[1:])
    assert restored.read_bytes() == wanted.read_bytes()
    assert restored.stat().st_mtime_ns == wanted.stat().st_mtime_ns
    assert [p.name for p in restored.parent.iterdir()] == ["说明.txt"]
    status = service.status(lib_services, str(job.id))
    assert status["status"] == "succeeded" and status["figures"]["tape_bytes_read"] == summary.tape_bytes_read


def _restore(services: Any, paths: list[str], target: Path, on_conflict: str = "skip") -> RestoreSummary:
    job, _, _ = service.request(services, paths, target, on_conflict=on_conflict, by="测试员")
    return service.run(services, str(job.id), device="emulated:0", actor="测试员", poll_seconds=0.01)


def test_existing_files_are_skipped_renamed_or_overwritten(lib_services: Any, backed_up: list[Written],
                                                           source: Path, tmp_path: Path) -> None:
    original = source / "大文件/数据库备份.bin"  # a split file: four chunks
    target = tmp_path / "冲突"
    restored = target.joinpath(*original.parts[1:])
    assert _restore(lib_services, [str(original)], target).files == 1
    restored.write_bytes(b"changed by someone")
    skipped = _restore(lib_services, [str(original)], target)
    assert (skipped.files, skipped.skipped, skipped.packages_read) == (0, 1, 0)
    assert restored.read_bytes() == b"changed by someone"
    renamed = _restore(lib_services, [str(original)], target, "rename")
    copy = restored.with_name("数据库备份 (恢复 1).bin")
    assert renamed.renamed == 1 and copy.read_bytes() == original.read_bytes()
    assert restored.read_bytes() == b"changed by someone"
    again = _restore(lib_services, [str(original)], target, "rename")  # the copy is new, the file still differs
    assert restored.with_name("数据库备份 (恢复 2).bin").exists() and again.renamed == 1
    overwritten = _restore(lib_services, [str(original)], target, "overwrite")
    assert overwritten.files == 1 and restored.read_bytes() == original.read_bytes()
    identical = _restore(lib_services, [str(original)], target, "rename")
    assert identical.skipped == 1 and not restored.with_name("数据库备份 (恢复 3).bin").exists()


def test_a_paused_restore_resumes_without_reading_a_package_twice(lib_services: Any, backed_up: list[Written],
                                                                 source: Path, tmp_path: Path) -> None:
    target = tmp_path / "续传"
    job, _, preview = service.request(lib_services, [str(source)], target, by="测试员")
    stop = threading.Event()
    seen: list[Progress] = []

    def progress(state: Progress) -> None:
        seen.append(replace(state))
        if state.packages_read == 3:
            stop.set()

    first = service.run(lib_services, str(job.id), device="emulated:0", actor="测试员", progress=progress,
                        stop=stop, poll_seconds=0.01)
    assert first.status == "paused" and first.packages_read == 3
    assert any(s.current_cartridge and s.current_package and s.bytes_read for s in seen)
    done = list(lib_services.ledger.restore_job(job.id).done_packages)
    assert len(done) == 3
    second = service.run(lib_services, str(job.id), device="emulated:0", actor="测试员", poll_seconds=0.01)
    assert second.status == "succeeded", second.warnings
    assert second.packages_read == len(preview.plan.packages) - 3
    assert tree_of(target.joinpath(*source.parts[1:])) == tree_of(source)
    assert not list(target.rglob(".*.part"))
    assert second.tape_bytes_read > first.tape_bytes_read


def test_a_cancelled_restore_leaves_no_partial_files(lib_services: Any, backed_up: list[Written], source: Path,
                                                     tmp_path: Path) -> None:
    target = tmp_path / "取消"
    job, _, _ = service.request(lib_services, [str(source / "大文件")], target, by="测试员")

    def progress(state: Progress) -> None:
        if state.packages_read == 2 and not lib_services.ledger.restore_job(job.id).finished:
            service.cancel(lib_services, str(job.id), by="另一位操作员", reason="不需要了")

    summary = service.run(lib_services, str(job.id), device="emulated:0", actor="测试员", progress=progress,
                          poll_seconds=0.01)
    assert summary.status == "cancelled"
    assert not [p for p in target.rglob("*") if p.is_file()]
    assert not (lib_services.settings.data_dir / "restore-staging" / str(job.id)).exists()
    drive = lib_services.ledger.drive(lib_services.settings.host_name, "emulated:0")
    assert drive.reserved_by is None
    with pytest.raises(Refused):
        service.run(lib_services, str(job.id), device="emulated:0", actor="测试员")


def test_a_job_restores_the_versions_it_was_planned_with(lib_services: Any, backed_up: list[Written], source: Path,
                                                         tmp_path: Path) -> None:
    readme = source / "readme.md"
    first = readme.read_bytes()
    pinned, _, _ = service.request(lib_services, [str(readme)], tmp_path / "旧", by="测试员")
    readme.write_bytes(b"# newer\n")
    back_up(lib_services, [source], group="2026-06", barcodes=["TAF003L9"], staging=tmp_path / "staging2")
    newest, _, _ = service.request(lib_services, [str(readme)], tmp_path / "新", by="测试员")
    older, _, _ = service.request(lib_services, [str(readme)], tmp_path / "指定组", group="2026-05", by="测试员")
    for job in (pinned, newest, older):
        assert service.run(lib_services, str(job.id), device="emulated:0", actor="测试员").status == "succeeded"
    relative = readme.parts[1:]
    assert (tmp_path / "旧").joinpath(*relative).read_bytes() == first
    assert (tmp_path / "新").joinpath(*relative).read_bytes() == b"# newer\n"
    assert (tmp_path / "指定组").joinpath(*relative).read_bytes() == first
