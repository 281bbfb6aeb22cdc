"""One round trip, end to end: a source tree backed up by a real job to the emulated library,
restored by TAF into an empty folder, and every package read back from tape and opened by py7zr
and by 7-Zip. Used by the property tests (a few examples) and `bench/roundtrip_soak.py` (many).

`run_case` returns the problems it found, as sentences; an empty list is a round trip that kept
the first promise: what the backup says it saved comes back, byte for byte, with its size, time
and mode, and any 7z tool reads the packages the way the manifest describes them. It then
restores one small file alone, which must read no more than the tape blocks of its solid block
plus one tape block of headers (issue 18).
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import stat
import subprocess
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import py7zr

from tests.backup.jobkit import job_packages, positions_of, shelf

KIB = 1 << 10
MIB = 1 << 20
T0 = 1_700_000_000_000_000_000
_MODE_BITS = 0o1777  # restore never gives setuid/setgid back


@dataclass(frozen=True)
class Node:
    """One thing in the source tree. `parts` are names (str, surrogate-escaped for raw bytes)."""

    parts: tuple[str, ...]
    kind: str  # "file", "dir" or "link"
    size: int = 0
    data: str = "text"  # "text" (compressible), "random" (incompressible) or "zeros"
    seed: int = 0
    mode: int = 0o644
    mtime_ns: int = T0
    target: str = ""  # a link's target, relative to the link's folder


@dataclass(frozen=True)
class Case:
    nodes: tuple[Node, ...]
    solid_block: int
    max_package: int
    level: int

    def describe(self) -> str:
        sizes = sorted((n.size for n in self.nodes if n.kind == "file"), reverse=True)[:6]
        return (f"{len(self.nodes)} 项，固实块 {self.solid_block}，数据包上限 {self.max_package}，级别 {self.level}，"
                f"最大的文件 {sizes}")


def content(node: Node) -> bytes:
    rng = random.Random(node.seed)
    if node.data == "random":
        return rng.randbytes(node.size)
    if node.data == "zeros":
        return bytes(node.size)
    words = [b"alpha", b"beta", "数据".encode(), b"log", b"2026-12-07", b"ERROR", "备份".encode(), b"\n"]
    out = bytearray()
    while len(out) < node.size:
        out += rng.choice(words) + b" " + str(rng.randrange(1000)).encode()
    return bytes(out[:node.size])


def materialise(case: Case, root: Path) -> None:
    """Create the tree under `root` (which must not exist), with the times and modes it names."""
    root.mkdir(parents=True)
    base = os.fsencode(root)
    folders: list[tuple[bytes, Node | None]] = []
    for node in case.nodes:
        path = os.path.join(base, *(os.fsencode(part) for part in node.parts))
        parent = os.path.dirname(path)
        os.makedirs(parent, exist_ok=True)
        if node.kind == "dir":
            os.makedirs(path, exist_ok=True)
            folders.append((path, node))
        elif node.kind == "link":
            os.symlink(os.fsencode(node.target), path)
            os.utime(path, ns=(node.mtime_ns, node.mtime_ns), follow_symlinks=False)
        else:
            with open(path, "wb") as f:
                f.write(content(node))
            os.chmod(path, node.mode)
            os.utime(path, ns=(node.mtime_ns, node.mtime_ns))
    # Folder times last (writing inside a folder changes its time), deepest first.
    made = {path for path, _ in folders}
    for folder, _, _ in os.walk(base):
        if folder != base and folder not in made:
            folders.append((folder, None))
    for path, maybe in sorted(folders, key=lambda pair: pair[0].count(b"/"), reverse=True):
        mtime = maybe.mtime_ns if maybe is not None else T0 - 7_000_000_000
        if maybe is not None:
            os.chmod(path, maybe.mode)
        os.utime(path, ns=(mtime, mtime))


def snapshot(root: Path) -> dict[bytes, tuple[Any, ...]]:
    """Everything under `root` by raw relative path: files (bytes, size, mtime, mode), links
    (target), folders (mtime, mode)."""
    base = os.fsencode(root)
    found: dict[bytes, tuple[Any, ...]] = {}
    for folder, dirs, names in os.walk(base):
        for name in dirs + names:
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, base)
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                found[rel] = ("link", os.readlink(path))
            elif stat.S_ISDIR(st.st_mode):
                found[rel] = ("dir", st.st_mtime_ns, stat.S_IMODE(st.st_mode) & _MODE_BITS)
            else:
                with open(path, "rb") as f:
                    data = f.read()
                found[rel] = ("file", hashlib.sha256(data).hexdigest(), st.st_size, st.st_mtime_ns,
                              stat.S_IMODE(st.st_mode) & _MODE_BITS)
    return found


@contextmanager
def environment(**values: str) -> Iterator[None]:
    """Set these environment variables (and clear every other TAF key) for the block."""
    from config.settings import DEFAULTS

    keys = set(DEFAULTS) | set(values) | {"TAF_USER", "TAF_ENV_FILE"}
    saved = {key: os.environ.get(key) for key in keys}
    try:
        for key in keys:
            os.environ.pop(key, None)
        os.environ.update(values)
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _settings(case: Case, work: Path) -> dict[str, str]:
    return {"TAF_ENV_FILE": str(work / "absent.env"), "DATA_DIR": str(work / "data"),
            "LOG_FILE": str(work / "logs" / "application.log"), "VTL_DIR": str(work / "vtl"),
            "VTL_SLOTS": "4", "VTL_CAPACITY": "64M", "MAX_FILE_SIZE": str(case.max_package),
            "SOLID_BLOCK_SIZE": str(case.solid_block), "COMPRESSION_LEVEL": str(case.level),
            "TAF_USER": "往返测试"}


def _crc(data: bytes) -> int:
    return zlib.crc32(data) & 0xFFFFFFFF


def _seven_zip_list(tool: str, archive: Path) -> dict[str, tuple[int, int | None]]:
    """member → (size, CRC) for every member with data, as 7-Zip lists them (`7zz l -slt`)."""
    done = subprocess.run([tool, "l", "-slt", str(archive)], capture_output=True, text=True, errors="replace")
    members: dict[str, tuple[int, int | None]] = {}
    record: dict[str, str] = {}
    for line in done.stdout.split("----------", 1)[-1].splitlines() + [""]:
        if not line.strip():
            if "Path" in record and not record.get("Attributes", "").startswith("D"):
                crc = record.get("CRC", "")
                members[record["Path"]] = (int(record.get("Size") or 0), int(crc, 16) if crc else None)
            record = {}
            continue
        key, _, value = line.partition(" = ")
        record[key] = value
    return members


def _py7zr_list(archive: Path) -> dict[str, tuple[int, int | None]]:
    with py7zr.SevenZipFile(archive) as opened:
        return {info.filename: (info.uncompressed, info.crc32) for info in opened.list() if not info.is_directory}


def _expected_members(manifest: list[dict[str, Any]], case_root: Path) -> dict[str, tuple[int, int | None]]:
    """member → (size, CRC) the manifest says, the CRC taken from the source bytes it names."""
    from backup.names import decode_name

    expected: dict[str, tuple[int, int | None]] = {}
    for entry in manifest:
        if entry["kind"] == "file":
            path = os.path.join(decode_name(entry["root"], entry["root_raw"]),
                                decode_name(entry["path"], entry["path_raw"]))
            with open(path, "rb") as f:
                f.seek(entry["chunk_offset"])
                data = f.read(entry["chunk_length"])
            assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["path"]
            expected[entry["member"]] = (len(data), _crc(data))
        elif entry["kind"] == "symlink":
            target = decode_name(entry["link_target"], entry["link_target_raw"]).encode("utf-8", "surrogateescape")
            expected[entry["member"]] = (len(target), _crc(target))
    return expected


def check_packages(services: Any, job_id: str, work: Path, source: Path, seven_zip: str) -> list[str]:
    """Read every package of the job back from tape; `7zz t`, and both tools' lists against the manifest."""
    problems: list[str] = []
    scratch = work / "读回"
    scratch.mkdir(exist_ok=True)
    with shelf(services.settings.vtl_dir) as place:
        for barcode, events in job_packages(services, job_id).items():
            place.mount(barcode)
            for event in events:
                from tape import volume_io

                payload = scratch / f"{event.package_id}.7z"
                volume_io.read_package_payload(place.drive, positions_of(event), payload)
                tested = subprocess.run([seven_zip, "t", str(payload)], capture_output=True, text=True,
                                        errors="replace")
                if tested.returncode != 0 or "Everything is Ok" not in tested.stdout:
                    problems.append(f"7zz t 未通过：数据包 {event.package_id}：{tested.stdout[-400:]}")
                expected = _expected_members(services.ledger.manifest(event), source)
                for tool, listed in (("7-Zip", _seven_zip_list(seven_zip, payload)), ("py7zr", _py7zr_list(payload))):
                    if listed != expected:
                        wrong = sorted(k for k in set(listed) | set(expected) if listed.get(k) != expected.get(k))
                        problems.append(f"{tool} 列出的成员与清单不符：数据包 {event.package_id}：{wrong[:5]}")
                payload.unlink()
    return problems


def _plain(part: str) -> bool:
    """A name a restore selection gives back as is (printable, no edge spaces, no backslash, UTF-8)."""
    return (part.isprintable() and part == part.strip() and "\\" not in part
            and not any("\udc80" <= ch <= "\udcff" for ch in part))


def one_small_file(case: Case) -> Node | None:
    """The smallest non-empty whole file whose path can be typed as a selection, if any."""
    found = [node for node in case.nodes if node.kind == "file" and 0 < node.size <= case.max_package
             and all(_plain(part) for part in node.parts)]
    return min(found, key=lambda node: (node.size, node.parts), default=None)


def check_partial_read(services: Any, job_id: str, case: Case, work: Path, source: Path) -> list[str]:
    """Restore one small file alone (issue 18): right bytes, and no more tape read than the tape
    blocks of its solid block plus one tape block of headers."""
    from restore import service as restore_service
    from tape import volume_io

    node = one_small_file(case)
    if node is None:
        return []
    path = source.joinpath(*node.parts)
    target = work / "单个文件"
    job, _, _ = restore_service.request(services, [str(path)], target, by="往返测试")
    done = restore_service.run(services, str(job.id), device="emulated:0", actor="往返测试", poll_seconds=0.01)
    restored = target.joinpath(*source.parts[1:], *node.parts)
    problems = []
    if done.status != "succeeded" or done.files != 1 or not restored.is_file() or restored.read_bytes() != content(node):
        problems.append(f"单个文件恢复未成功：{'/'.join(node.parts)}：{done.status} {done.warnings[:3]}")
    problems += [f"单个文件恢复读了整个数据包：{note}" for note in done.notes if "已改为读取整个数据包" in note]
    member = "/".join(node.parts)
    [(barcode, event)] = [(barcode, event) for barcode, events in job_packages(services, job_id).items()
                          for event in events if any(entry["path"] == member for entry in services.ledger.manifest(event))]
    if "layout" not in (event.extra or {}):
        return [*problems, f"数据包 {event.package_id} 没有记录布局"]
    block = int(event.extra["block_size"])
    name = next(entry["member"] for entry in services.ledger.manifest(event) if entry["path"] == member)
    payload = work / "读回" / "单个文件所在的包.7z"
    payload.parent.mkdir(exist_ok=True)
    with shelf(services.settings.vtl_dir) as place:
        place.mount(barcode)
        volume_io.read_package_payload(place.drive, positions_of(event), payload)
    with py7zr.SevenZipFile(payload) as archive:
        folders = archive.header.main_streams.unpackinfo.folders
        pack = archive.header.main_streams.packinfo
        [folder] = [folders.index(f.folder) for f in archive.files if f.filename == name]
    start = 32 + pack.packpos + pack.packpositions[folder]
    end = start + pack.packsizes[folder]
    blocks = range(start // block, (end - 1) // block + 1)
    allowed = sum(min(block, event.payload_bytes - number * block) for number in blocks) + block
    if not pack.packsizes[folder] <= done.tape_bytes_read <= allowed:
        problems.append(f"单个文件恢复从磁带读了 {done.tape_bytes_read} 字节，它的固实块 {pack.packsizes[folder]} 字节，"
                        f"上限 {allowed} 字节")
    payload.unlink()
    return problems


def run_case(case: Case, work: Path, seven_zip: str) -> list[str]:
    """Back up, restore and read back `case` under `work` (emptied first); the problems found."""
    from backup import service as backup_service
    from bootstrap import build
    from restore import service as restore_service

    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    source = work / "源"
    materialise(case, source)
    before = snapshot(source)
    with environment(**_settings(case, work)):
        services = build()
        try:
            job, _ = backup_service.request_backup(services, [str(source)], group="2026-05", level=case.level,
                                                   by="往返测试")
            job_id = str(job.id)
            summary = backup_service.run(services, job_id, poll_seconds=0.01, workers=1)
            if summary["status"] != "succeeded" or summary["warnings"]:
                return [f"备份未成功：{summary['status']} {summary.get('reason')} {summary.get('warning_list')}"]
            target = work / "恢复"
            restore, _, _ = restore_service.request(services, [str(source)], target, by="往返测试")
            restored = restore_service.run(services, str(restore.id), device="emulated:0", actor="往返测试",
                                           poll_seconds=0.01)
            problems = []
            if restored.status != "succeeded" or restored.failed or restored.refused:
                problems.append(f"恢复未成功：{restored.status}，失败 {restored.failed}，拒绝 {restored.refused}，"
                                f"{restored.warnings[:5]}")
            after = snapshot(target.joinpath(*source.parts[1:]))
            if after != before:
                wrong = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
                problems.append(f"恢复的内容与源不同（{len(wrong)} 项）：" + "；".join(
                    f"{os.fsdecode(k)}：{before.get(k)} → {after.get(k)}" for k in wrong[:5]))
            problems += check_packages(services, job_id, work, source, seven_zip)
            problems += check_partial_read(services, job_id, case, work, source)
            return problems
        finally:
            services.close()
