"""Hostile packages: members and manifests that try to write outside the target write nothing there."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import Any

from backup import sevenzip
from backup.levels import Codec, filters_for
from ledger import clock
from media import operations
from media.devices import open_session
from restore import service
from tape import volume_io
from tests.restore.tapes import BLOCK, T0, label_all

GOOD = "好文件里的内容".encode()


def _entry(path: str, member: str, data: bytes = b"", *, kind: str = "file", root: str = "/src",
           link: str | None = None) -> dict[str, Any]:
    return {"path": path, "path_raw": None, "root": root, "root_raw": None, "kind": kind, "size": len(data),
            "mtime_ns": T0, "mode": 0o100644 if kind == "file" else 0o120777, "member": member,
            "sha256": hashlib.sha256(data).hexdigest() if kind == "file" else None, "chunk_index": 0,
            "chunk_offset": 0, "chunk_length": len(data), "total_chunks": 1, "link_target": link,
            "link_target_raw": None, "state": "ok"}


def _hostile_package(path: Path, outside: Path) -> list[dict[str, Any]]:
    """A 7z made with py7zr directly, member names forced past py7zr's own checks, and its manifest."""
    members = {
        "../逃逸.txt": b"escape by member name",
        "src/ok/up.txt": b"escape by manifest path",
        "src/abs.txt": b"absolute manifest path",
        "C:evil.txt": b"drive letter member",
        "src/drive.txt": b"drive letter path",
        "src/root.txt": b"root climbing out",
        "src/好文件.txt": GOOD,
    }
    with sevenzip.PackageWriter(str(path), filters_for(Codec.LZMA2, 1)) as writer:
        for number, (name, data) in enumerate(members.items()):
            writer.archive.writef(io.BytesIO(data), f"placeholder-{number}")
            writer.archive.header.files_info.files[-1]["filename"] = name
        writer.add_symlink("src/link-out", str(outside).encode(), T0, 0o777)
    return [
        _entry("逃逸.txt", "../逃逸.txt", members["../逃逸.txt"]),
        _entry("../../outside/up.txt", "src/ok/up.txt", members["src/ok/up.txt"]),
        _entry("/" + str(outside / "abs.txt").lstrip("/"), "src/abs.txt", members["src/abs.txt"]),
        _entry("evil.txt", "C:evil.txt", members["C:evil.txt"]),
        _entry("C:/evil.txt", "src/drive.txt", members["src/drive.txt"]),
        _entry("root.txt", "src/root.txt", members["src/root.txt"], root="/src/../../.."),
        _entry("好文件.txt", "src/好文件.txt", GOOD),
        _entry("link-out", "src/link-out", kind="symlink", link=str(outside)),
        _entry("link-up", "src/link-up", kind="symlink", link="../../outside"),
        _entry("link-in", "src/link-in", kind="symlink", link="好文件.txt"),
    ]


def _write_hostile(services: Any, tmp_path: Path, outside: Path) -> None:
    payload = tmp_path / "hostile.7z"
    manifest = _hostile_package(payload, outside)
    with open_session(services, "emulated:0", "测试员") as session:
        label_all(session, ["TAF003L9"])
        operations.load(session, "TAF003L9")
        volume_io.prepare_append(session.drive)
        positions = volume_io.write_package(
            session.drive, {"package_id": "hostile-000001", "job_id": "job-hostile", "group": "2026-06",
                            "sequence": 1, "compression": "lzma2", "created_at": clock.now().isoformat(),
                            "extra": {}}, manifest, payload, block_size=BLOCK)
    cartridge = services.ledger.cartridge("TAF003L9")
    cartridge.record_package(job_id="job-hostile", package_id="hostile-000001", group="2026-06", sequence=1,
                             tape_file=positions.tape_file, header_block=positions.header_block,
                             payload_block=positions.payload_block, payload_blocks=positions.payload_blocks,
                             payload_bytes=positions.payload_bytes, payload_sha256=positions.payload_sha256,
                             compression="lzma2", manifest=manifest)
    services.ledger.save(cartridge)
    services.catch_up()


def _everything(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


def test_nothing_is_written_outside_the_target(lib_services: Any, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    _write_hostile(lib_services, tmp_path, outside)
    before = _everything(tmp_path)
    target = tmp_path / "target"
    job, _, _ = service.request(lib_services, ["/"], target, group="2026-06", by="测试员")
    summary = service.run(lib_services, str(job.id), device="emulated:0", actor="测试员", poll_seconds=0.01)
    assert summary.status == "partial"
    assert _everything(outside) == set()
    assert _everything(target) == {"src", "src/好文件.txt", "src/link-in"}
    assert (target / "src/好文件.txt").read_bytes() == GOOD
    assert os.readlink(target / "src/link-in") == "好文件.txt"
    created = _everything(tmp_path) - before
    assert all(p.split("/")[0] in ("target", "data", "vtl") for p in created), created
    assert summary.refused == 8 and len(summary.warnings) == 8
    assert all("拒绝" in w for w in summary.warnings)
    assert any("指向恢复目标之外" in w for w in summary.warnings)
    assert any("7z 成员名" in w for w in summary.warnings)


def test_a_link_planted_in_the_target_does_not_redirect_writes(lib_services: Any, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    _write_hostile(lib_services, tmp_path, outside)
    target = tmp_path / "target"
    target.mkdir()
    (target / "src").symlink_to(outside)
    job, _, _ = service.request(lib_services, ["/src/好文件.txt"], target, by="测试员")
    summary = service.run(lib_services, str(job.id), device="emulated:0", actor="测试员", poll_seconds=0.01)
    assert summary.status == "partial" and summary.refused == 1 and summary.packages_read == 0
    assert "恢复目标之外的链接" in summary.warnings[0]
    assert _everything(outside) == set()
