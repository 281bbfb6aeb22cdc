"""Verification means "restorable" (issue 11): every package read back is extracted with the
restore's code and each file checked against the manifest; a package whose bytes are intact but
whose files do not come back is its own finding and alert; a package from an affected version is
restorable by TAF and flagged for other 7z tools; an unreachable cartridge is never a mismatch."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from backup import service
from backup.levels import Codec
from jobs.handlers import scheduled_handlers
from ledger import clock
from media import operations
from media.devices import open_session
from tape import volume_io
from tests.backup.jobkit import make_tree
from tests.restore.legacy import SHIFTED, members, write_legacy

PHONE = "13800000000"


def _entry(member: str, data: bytes) -> dict[str, Any]:
    return {"path": member.removeprefix("src/"), "path_raw": None, "root": "/src", "root_raw": None, "kind": "file",
            "size": len(data), "mtime_ns": 0, "mode": 0o100644, "member": member,
            "sha256": hashlib.sha256(data).hexdigest(), "chunk_index": 0, "chunk_offset": 0,
            "chunk_length": len(data), "total_chunks": 1, "link_target": None, "link_target_raw": None,
            "state": "ok"}


def _append(services: Any, job_id: str, barcode: str, payload: Path, manifest: list[dict[str, Any]],
            sequence: int) -> str:
    """Put one more package of `job_id` on `barcode`, recorded like the job's own."""
    package_id = f"{sequence:06d}-追加"
    fields = {"package_id": package_id, "job_id": job_id, "group": "2026-05", "sequence": sequence,
              "compression": str(Codec.LZMA2), "created_at": clock.now().isoformat(), "extra": {}}
    with open_session(services, "emulated:0", "测试员") as session:
        operations.load(session, barcode)
        volume_io.prepare_append(session.drive)
        positions = volume_io.write_package(session.drive, fields, manifest, payload, block_size=262144)
    cartridge = services.ledger.cartridge(barcode)
    cartridge.record_package(job_id=job_id, package_id=package_id, group="2026-05", sequence=sequence,
                             tape_file=positions.tape_file, header_block=positions.header_block,
                             payload_block=positions.payload_block, payload_blocks=positions.payload_blocks,
                             payload_bytes=positions.payload_bytes, payload_sha256=positions.payload_sha256,
                             compression="lzma2", manifest=manifest, extra={"block_size": 262144})
    services.ledger.save(cartridge)
    return package_id


def _backed_up(services: Any, root: Path) -> tuple[str, str]:
    job, _ = service.request_backup(services, [str(make_tree(root, 30, big=False))], group="2026-05")
    summary = service.run(services, str(job.id), poll_seconds=0.05)
    assert summary["status"] == "succeeded", summary
    return str(job.id), summary["cartridges"][-1]


def test_a_package_whose_files_do_not_come_back_fails_verification_and_raises_its_own_alert(
        job_services: Any, taf_env: Path, cli: Callable[..., Any]) -> None:
    assert cli("notify", "recipients", "add", "值班", PHONE).code == 0
    job_id, barcode = _backed_up(job_services, taf_env / "源")
    payload = taf_env / "legacy.7z"
    write_legacy(payload, SHIFTED)
    manifest = [_entry(name, data) for name, data in members(SHIFTED).items()]
    manifest[2]["sha256"] = hashlib.sha256(b"other bytes").hexdigest()  # the packer recorded something else
    bad = _append(job_services, job_id, barcode, payload, manifest, 90)

    result = cli("backup", "verify", job_id)
    assert result.code == 1, result.out + result.err
    assert "发现 1 处不一致" in result.out
    assert f"不一致：{barcode} 数据包 {bad}：数据完好，但文件无法按清单恢复——1 个成员解出后与清单不符（共 4 个）" in result.out
    assert "涉及 /src/小/2.txt" in result.out
    job = job_services.ledger.backup_job(job_id)
    assert job.last_verification["ok"] is False and len(job.last_verification["mismatches"]) == 1
    assert job.last_verification["files_checked"] > 3

    # The weekly sample reads one package per cartridge, a different one each week.
    weeks = [datetime(2026, 6, 7, 4, 0), datetime(2026, 6, 14, 4, 0)]
    kinds = [[f["kind"] for f in scheduled_handlers()["verify"](job_services, week)["findings"]] for week in weeks]
    assert sorted(kinds) == [[], ["unrestorable"]]
    job_services.catch_up()
    titles = [row["title"] for row in job_services.notification_log.recent(10) if row["kind"] != "backup_succeeded"]
    assert titles == [f"【TAF】备份无法恢复：磁带 {barcode}"]


def test_a_package_written_by_an_affected_version_is_restorable_and_flagged_for_other_tools(
        job_services: Any, taf_env: Path, cli: Callable[..., Any]) -> None:
    job_id, barcode = _backed_up(job_services, taf_env / "源")
    payload = taf_env / "legacy.7z"
    write_legacy(payload, SHIFTED)
    legacy = _append(job_services, job_id, barcode, payload,
                     [_entry(name, data) for name, data in members(SHIFTED).items()], 91)

    result = cli("backup", "verify", job_id, "--json")
    assert result.code == 0, result.out + result.err
    verdict = result.json()
    assert verdict["ok"] and verdict["mismatches"] == [] and verdict["unreadable"] == []
    assert verdict["warnings"] == [f"{barcode} 数据包 {legacy}：TAF 可以恢复，但它的 7z 头记录的成员大小有误"
                                   "（由有缺陷的旧版本写入），其他 7z 工具无法正确解出。建议重新备份"]

    everything = cli("backup", "verify", "--all", "--since", "2020-01-01")
    assert everything.code == 0 and f"任务 {job_id}：" in everything.out and "警告：" in everything.out


def test_a_cartridge_that_cannot_be_read_is_not_called_a_mismatch(job_services: Any, taf_env: Path,
                                                                   cli: Callable[..., Any]) -> None:
    assert cli("notify", "recipients", "add", "值班", PHONE).code == 0
    job_id, barcode = _backed_up(job_services, taf_env / "源")
    assert cli("vtl", "eject", barcode).code == 0

    result = cli("backup", "verify", job_id, "--wait-minutes", "0")
    assert result.code == 3, result.out + result.err
    assert "校验已跳过：1 盘磁带都未能读取" in result.out and "未能检查：" in result.out
    assert "读回校验没有完成" in result.err
    scheduled = scheduled_handlers()["verify"](job_services, datetime(2026, 6, 7, 4, 0))
    assert scheduled["ok"] and scheduled["mismatches"] == [] and scheduled["unreadable"]
    assert scheduled["outcome"] == "skipped"
    job_services.catch_up()
    assert [row["kind"] for row in job_services.notification_log.recent(10)] == ["backup_succeeded"]


def test_verify_needs_a_job_or_all(cli: Callable[..., Any]) -> None:
    neither = cli("backup", "verify")
    assert neither.code == 2 and "请指定一个任务号，或使用 --all" in neither.err
    since = cli("backup", "verify", "--all", "--since", "上个月")
    assert since.code == 2 and "日期“上个月”无效" in since.err
    nothing = cli("backup", "verify", "--all")
    assert nothing.code == 0 and "没有需要校验的已完成备份" in nothing.out


def test_a_drive_a_job_still_books_is_not_verified_on_and_a_dead_verifications_booking_is_let_go(
        job_services: Any, taf_env: Path) -> None:
    job_id, _ = _backed_up(job_services, taf_env / "源")
    ledger, host = job_services.ledger, job_services.settings.host_name
    ledger.book_drive(host, "emulated:0", "另一个任务")  # a job whose process died: its tape stays put
    held = scheduled_handlers()["verify"](job_services, datetime(2026, 6, 7, 4, 0))
    assert held["outcome"] == "skipped" and "正被任务 另一个任务 使用" in held["unreadable"][0]
    assert ledger.drive(host, "emulated:0").reserved_by == "另一个任务"
    ledger.release_drive(host, "emulated:0", "另一个任务")

    ledger.book_drive(host, "emulated:0", "verify:all")  # left by a verification killed before 2026-12
    again = scheduled_handlers()["verify"](job_services, datetime(2026, 6, 8, 4, 0))
    assert again["ok"] and again["outcome"] != "skipped" and again["mismatches"] == []
    assert ledger.drive(host, "emulated:0").reserved_by is None
    assert ledger.backup_job(job_id).last_verification["outcome"] == "verified"
