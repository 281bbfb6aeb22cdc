"""Issue 4, "show": a real backup job across several cartridges, every package read back from tape
and opened with py7zr and with 7-Zip itself, every file's SHA-256 equal to the source's."""

from __future__ import annotations

from pathlib import Path

from backup import service
from tests.backup.jobkit import (
    assert_tapes_agree,
    make_tree,
    read_back,
    shelf,
    tree_digests,
)


def test_twenty_thousand_files_span_cartridges_and_come_back_bit_for_bit(
        job_services, taf_env: Path, seven_zip: str, monkeypatch) -> None:  # noqa: ANN001
    source = make_tree(taf_env / "源数据", 20_000)
    expected = tree_digests(source)
    job, created = service.request_backup(job_services, [str(source)], group="2026-05", key="往返测试")
    assert created
    # Every read of a cartridge's events decodes every manifest on it: closing reads each cartridge
    # once, and the summary reuses that instead of reading again.
    rereads: list[str] = []
    packages_on = job_services.ledger.packages_on
    monkeypatch.setattr(job_services.ledger, "packages_on", lambda barcode: rereads.append(barcode) or packages_on(barcode))

    summary = service.run(job_services, str(job.id), poll_seconds=0.2)
    assert rereads == []

    assert summary["status"] == "succeeded", summary
    assert summary["files"] == len(expected) and len(summary["cartridges"]) >= 2
    with shelf(job_services.settings.vtl_dir) as place:
        by_cartridge = assert_tapes_agree(job_services, str(job.id), place)
        restored = read_back(job_services, str(job.id), place, taf_env / "读回", seven_zip=seven_zip)
    assert restored == expected
    events = [e for events in by_cartridge.values() for e in events]
    assert summary["bytes_packed"] == sum(e.payload_bytes for e in events)
    # The pipeline did what the plan says: big files in chunks, incompressible ones stored as COPY.
    chunked = {entry["path"] for e in events for entry in job_services.ledger.manifest(e) if entry["total_chunks"] > 1}
    assert {"大文件/日志.log", "大文件/照片.jpg", "大文件/随机.bin"} <= chunked
    assert {e.compression for e in events} == {"lzma2", "copy"}
    assert max(e.payload_bytes for e in events) <= 1 << 20
    # Each cartridge but the last was closed for a reason the ledger states, and holds one group.
    for barcode in summary["cartridges"][:-1]:
        cartridge = job_services.ledger.cartridge(barcode)
        assert cartridge.status == "full" and cartridge.groups == ["2026-05"]
    assert job_services.ledger.cartridge(summary["cartridges"][-1]).index_written
