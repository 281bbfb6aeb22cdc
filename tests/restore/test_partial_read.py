"""A restore reads only the solid blocks it needs (issue 18 item 6), on real packages on emulated
tapes through SCSI; packages without a recorded layout, or with one that does not fit, are read
whole; wrong bytes never reach a file.

Expectations are worked out from the package itself with py7zr (which solid block holds the
member, where its packed bytes are), not from the layout the restore uses.
"""

from __future__ import annotations

import base64
import os
import random
from functools import partial
from pathlib import Path
from typing import Any

import py7zr
import pytest

from backup.layout import LayoutInvalid, PackageLayout
from restore import service
from restore.execute import RestoreSummary
from restore.files import prepare
from restore.partial import HEADER_BLOCK_ESTIMATE, header_map
from restore.sparse import NotRead, Piece, SparsePayload
from restore.unpack import UnpackFailed, unpack_package
from tests.restore.tapes import BLOCK, Written, back_up, make_tree, recorded, tree_of

SOLID = 32 * 1024
FALLBACK = "已改为读取整个数据包"


def small_files(root: Path, count: int = 120) -> None:
    """`count` files of 4 KiB: half random bytes, half text, so solid blocks pack to a few blocks."""
    rng = random.Random(11)
    for number in range(count):
        path = root / f"文件夹{number % 5}" / f"第 {number:03d} 个.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        text = (f"第 {number} 号文件，备份测试。" * 200).encode()[:2048]
        path.write_bytes(rng.randbytes(2048) + text)
        os.utime(path, ns=(1_700_000_000_000_000_000 + number, 1_700_000_000_000_000_000 + number))


@pytest.fixture
def small_tree(tmp_path: Path) -> Path:
    root = tmp_path / "小文件"
    small_files(root)
    return root


def _write(services: Any, tree: Path, tmp_path: Path, layout: Any) -> Written:
    [written] = back_up(services, [tree], group="2026-05", barcodes=["TAF001L9"], staging=tmp_path / "staging",
                        max_package=4 << 20, solid_block=SOLID, layout=layout, keep=True)
    return written


def _blocks(start: int, end: int, payload_bytes: int) -> set[int]:
    return set(range(start // BLOCK, (end - 1) // BLOCK + 1)) if end > start else set()


def _tape_bytes(blocks: set[int], payload_bytes: int) -> int:
    return sum(min(BLOCK, payload_bytes - block * BLOCK) for block in blocks)


def _where(written: Written, member: str) -> tuple[int, int, int]:
    """(folder index, packed offset, packed size) of the solid block holding `member`, per py7zr."""
    with py7zr.SevenZipFile(written.result.path) as archive:
        folders = archive.header.main_streams.unpackinfo.folders
        pack = archive.header.main_streams.packinfo
        [folder] = [folders.index(f.folder) for f in archive.files if f.filename == member]
        return folder, 32 + pack.packpos + pack.packpositions[folder], pack.packsizes[folder]


def _member(written: Written, path: str) -> str:
    return next(entry.member for entry in written.result.manifest if entry.path == path)


def _restore(services: Any, paths: list[str], target: Path) -> tuple[RestoreSummary, Any]:
    job, _, preview = service.request(services, paths, target, by="测试员")
    return service.run(services, str(job.id), device="emulated:0", actor="测试员", poll_seconds=0.01), preview


WANTED = "文件夹2/第 057 个.txt"


def test_one_small_file_reads_its_solid_block_and_one_header_block(store_kind: str, lib_services: Any,
                                                                  small_tree: Path, tmp_path: Path) -> None:
    written = _write(lib_services, small_tree, tmp_path, recorded)
    payload = written.positions.payload_bytes
    assert written.result.solid_blocks >= 6 and written.positions.payload_blocks >= 12
    _, offset, size = _where(written, _member(written, WANTED))
    folder_blocks = _blocks(offset, offset + size, payload)
    summary, preview = _restore(lib_services, [str(small_tree / WANTED)], tmp_path / "恢复")
    assert summary.status == "succeeded" and summary.files == 1, summary.warnings
    restored = (tmp_path / "恢复").joinpath(*small_tree.parts[1:], *WANTED.split("/"))
    assert restored.read_bytes() == (small_tree / WANTED).read_bytes()
    assert restored.stat().st_mtime_ns == (small_tree / WANTED).stat().st_mtime_ns
    # At most the tape blocks of its solid block plus one tape block of headers (the package's
    # header block; the cartridge's label block is also read when it is mounted, and is shorter).
    assert size <= summary.tape_bytes_read <= _tape_bytes(folder_blocks, payload) + BLOCK
    assert summary.tape_bytes_read * 4 < payload
    assert not [note for note in summary.notes if FALLBACK in note]
    # The plan shows the smaller figure: those blocks and an allowance for the header block.
    assert preview.plan.bytes_to_read == _tape_bytes(folder_blocks, payload) + HEADER_BLOCK_ESTIMATE
    assert summary.tape_bytes_read <= preview.plan.bytes_to_read
    [package] = preview.plan.packages
    assert package.runs and sum(count for _, count in package.runs) == len(folder_blocks)


def test_an_end_header_left_on_tape_costs_its_own_blocks(lib_services: Any, small_tree: Path,
                                                         tmp_path: Path) -> None:
    written = _write(lib_services, small_tree, tmp_path, partial(recorded, inline_limit=0))
    payload = written.positions.payload_bytes
    end = written.result.tail_offset
    _, offset, size = _where(written, _member(written, WANTED))
    needed = _blocks(offset, offset + size, payload) | _blocks(end, payload, payload)
    summary, preview = _restore(lib_services, [str(small_tree / WANTED)], tmp_path / "恢复")
    assert summary.status == "succeeded" and summary.files == 1, summary.warnings
    restored = (tmp_path / "恢复").joinpath(*small_tree.parts[1:], *WANTED.split("/"))
    assert restored.read_bytes() == (small_tree / WANTED).read_bytes()
    label = 1024  # the label block read at mount
    assert _tape_bytes(needed, payload) <= summary.tape_bytes_read <= _tape_bytes(needed, payload) + label
    assert not [note for note in summary.notes if FALLBACK in note]
    # Without the end header the plan cannot know the block: it counts one of the largest.
    assert summary.tape_bytes_read - label <= preview.plan.bytes_to_read < payload


def test_a_package_written_without_a_layout_is_read_whole(lib_services: Any, small_tree: Path,
                                                          tmp_path: Path) -> None:
    written = _write(lib_services, small_tree, tmp_path, None)
    summary, preview = _restore(lib_services, [str(small_tree / WANTED)], tmp_path / "恢复")
    assert summary.status == "succeeded" and summary.files == 1, summary.warnings
    restored = (tmp_path / "恢复").joinpath(*small_tree.parts[1:], *WANTED.split("/"))
    assert restored.read_bytes() == (small_tree / WANTED).read_bytes()
    assert summary.tape_bytes_read > written.positions.payload_bytes
    assert preview.plan.bytes_to_read == written.positions.payload_bytes and not preview.plan.packages[0].runs


def _flip(text: str, at: int) -> str:
    data = bytearray(base64.b64decode(text))
    data[at] ^= 0x40
    return base64.b64encode(bytes(data)).decode()


def _fitting_block_size(record: dict[str, Any], positions: Any) -> int:
    """A wrong block size that still gives the package's block count (only reading shows it)."""
    return next(size for size in range(BLOCK - 1, BLOCK // 2, -1)
                if -(-positions.payload_bytes // size) == positions.payload_blocks)


TAMPERED = {
    "起始头 CRC 损坏": lambda record, positions: {**record, "start": _flip(record["start"], 9)},
    "结尾头损坏": lambda record, positions: {**record, "end": _flip(record["end"], 40)},
    "固实块大小次序颠倒": lambda record, positions: {**record, "folders": record["folders"][::-1]},
    "块大小有误": lambda record, positions: {**record, "block_size": _fitting_block_size(record, positions)},
    "版本不认识": lambda record, positions: {**record, "v": 99},
    "不是对象": lambda record, positions: "7z",
}


@pytest.mark.parametrize("damage", list(TAMPERED))
def test_a_layout_that_does_not_fit_falls_back_to_the_whole_package(lib_services: Any, small_tree: Path,
                                                                     tmp_path: Path, damage: str) -> None:
    def damaged(result: Any, positions: Any) -> Any:
        return TAMPERED[damage](recorded(result, positions), positions)

    written = _write(lib_services, small_tree, tmp_path, damaged)
    summary, _ = _restore(lib_services, [str(small_tree / WANTED)], tmp_path / "恢复")
    assert summary.status == "succeeded" and summary.files == 1 and not summary.warnings
    restored = (tmp_path / "恢复").joinpath(*small_tree.parts[1:], *WANTED.split("/"))
    assert restored.read_bytes() == (small_tree / WANTED).read_bytes()
    assert summary.tape_bytes_read > written.positions.payload_bytes
    [note] = [note for note in summary.notes if FALLBACK in note]
    assert written.result.package_id in note


def test_split_files_and_a_whole_tree_come_back_through_partial_reads(lib_services: Any, tmp_path: Path) -> None:
    source = tmp_path / "源数据"
    source.mkdir()
    make_tree(source)
    written = back_up(lib_services, [source], group="2026-05", barcodes=["TAF001L9", "TAF002L9"],
                      staging=tmp_path / "staging", layout=recorded)
    assert any(entry.total_chunks > 1 for w in written for entry in w.result.manifest)
    summary, _ = _restore(lib_services, [str(source)], tmp_path / "全部")
    assert summary.status == "succeeded" and not summary.notes, summary.warnings
    assert tree_of((tmp_path / "全部").joinpath(*source.parts[1:])) == tree_of(source)
    # No manifest is read: at most each payload and one header block per package (and the labels).
    assert summary.tape_bytes_read <= sum(w.positions.payload_bytes for w in written) + BLOCK * (len(written) + 2)
    split, _ = _restore(lib_services, [str(source / "大文件/数据库备份.bin")], tmp_path / "分块")
    assert split.status == "succeeded" and split.files == 1 and not split.notes
    assert ((tmp_path / "分块").joinpath(*source.parts[1:], "大文件", "数据库备份.bin").read_bytes()
            == (source / "大文件/数据库备份.bin").read_bytes())


def _catalog_row(entry: Any, package_id: str) -> dict[str, Any]:
    return {"grp": "2026-05", "job_id": "j", "full_path": f"{entry.root}/{entry.path}", "chunk_index": 0,
            "root": entry.root, "path": entry.path, "raw": None, "kind": "file", "mtime_ns": entry.mtime_ns,
            "mode": entry.mode, "member": entry.member, "total_chunks": 1, "sha256": entry.sha256,
            "chunk_offset": 0, "chunk_length": entry.chunk_length, "package_id": package_id, "state": "ok"}


def _packed(tree: Path, tmp_path: Path) -> Any:
    from backup.pack import pack_package
    from backup.plan import plan_packages
    from backup.scan import SourceScan

    [plan] = plan_packages(list(SourceScan([str(tree)])), 4 << 20)
    (tmp_path / "staging").mkdir()
    return pack_package(plan, tmp_path / "staging", level=1, solid_block_size=SOLID)


def test_wrong_bytes_in_a_solid_block_never_reach_a_file(small_tree: Path, tmp_path: Path) -> None:
    result = _packed(small_tree, tmp_path)
    entry = next(e for e in result.manifest if e.path == WANTED)
    record = recorded(result, _positions(result))
    layout = PackageLayout.from_record(record, payload_bytes=result.payload_bytes,
                                       payload_blocks=-(-result.payload_bytes // BLOCK))
    folder = header_map(layout, record_end(record)).folder_of[entry.member]
    start, end = layout.folder_range(folder)
    data = Path(result.path).read_bytes()

    def attempt(folder_bytes: bytes, target: Path) -> tuple[Any, Any]:
        target.mkdir()
        work = prepare([_catalog_row(entry, result.package_id)], target, "skip", "job")
        [task] = work.files
        pieces = [Piece(0, 32, layout.start), Piece(layout.end_offset, result.payload_bytes - layout.end_offset,
                                                    data[layout.end_offset:]),
                  Piece(start, end - start, folder_bytes)]
        payload = SparsePayload(result.payload_bytes, pieces).as_binary
        entries = [{"member": entry.member, "kind": "file", "sha256": entry.sha256, "chunk_offset": 0,
                    "chunk_length": entry.chunk_length}]
        return work, lambda: unpack_package(work, result.package_id, entries, payload, tmp_path / "scratch",
                                            [(task, 0)], set(), strict=True)

    damaged = bytearray(data[start:end])
    damaged[len(damaged) // 2] ^= 0xFF
    work, run = attempt(bytes(damaged), tmp_path / "坏")
    with pytest.raises(UnpackFailed):
        run()
    [task] = work.files
    assert task.state == "pending" and task.chunks[0].ok is None and not task.dest.exists()
    work, run = attempt(data[start:end], tmp_path / "好")
    assert run().files == 1
    assert work.files[0].dest.read_bytes() == (small_tree / WANTED).read_bytes()
    # Bytes that were not read are never served as zeros.
    other = next(f for f in range(len(layout.folder_sizes)) if f != folder)
    sparse = SparsePayload(result.payload_bytes, [Piece(0, 32, layout.start)])
    sparse.seek(layout.folder_range(other)[0])
    with pytest.raises(NotRead):
        sparse.read(10)


def record_end(record: dict[str, Any]) -> bytes:
    return base64.b64decode(record["end"])


def _positions(result: Any) -> Any:
    from tape.volume_packages import PackagePositions

    return PackagePositions(result.package_id, 1, 2, 4, -(-result.payload_bytes // BLOCK), result.payload_bytes,
                            result.payload_sha256, BLOCK)


def test_a_record_that_does_not_add_up_is_refused_in_chinese(small_tree: Path, tmp_path: Path) -> None:
    result = _packed(small_tree, tmp_path)
    record = recorded(result, _positions(result))
    blocks = -(-result.payload_bytes // BLOCK)
    with pytest.raises(LayoutInvalid) as short:
        PackageLayout.from_record({**record, "end_bytes": 1}, payload_bytes=result.payload_bytes, payload_blocks=blocks)
    assert "对不上" in short.value.reason
    with pytest.raises(LayoutInvalid) as count:
        PackageLayout.from_record(record, payload_bytes=result.payload_bytes, payload_blocks=blocks + 1)
    assert "块数" in count.value.reason
    layout = PackageLayout.from_record({**record, "folders": [*record["folders"][:-2], record["folders"][-2] - 1,
                                                              record["folders"][-1] + 1]},
                                       payload_bytes=result.payload_bytes, payload_blocks=blocks)
    with pytest.raises(LayoutInvalid) as differs:
        header_map(layout, record_end(record))
    assert differs.value.reason == "7z 头中的固实块与布局记录不符"
