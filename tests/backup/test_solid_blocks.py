"""Solid blocks built in one py7zr session (issue 11): every mix of block shapes and folders reads
back right with py7zr's own API, TAF's restore and 7-Zip; what broke before is named per test."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import py7zr
import pytest

from backup import sevenzip
from backup.levels import Codec, filters_for
from backup.pack import pack_package
from backup.plan import plan_packages
from backup.scan import SourceScan
from restore.extract import Sink, extract_members
from tests.backup.conftest import extract_with_7zip, extract_with_py7zr, sha256, text_bytes, write_file

BLOCK = 100_000
BIG = 150_000  # a member bigger than the block: a block of its own

# Block shapes as (members per block); "1, 2" is a big file then small ones (the old append mode
# wrote shifted sizes), "1, 1, 2" failed with IndexError while writing the header.
SHAPES = [(1,), (2,), (1, 2), (2, 1), (1, 1, 2), (1, 2, 2), (3, 1, 1), (1, 1, 1), (2, 2, 2)]


def _tree(root: Path, shape: tuple[int, ...], with_folders: bool) -> None:
    number = 0
    for block, count in enumerate(shape):
        # Several members fill a block to just under its size, so the next block's first cannot join.
        size = BIG if count == 1 else (BLOCK - 1000) // count
        for member in range(count):
            folder = root / f"块{block}" / (f"子{member}" if with_folders else "")
            write_file(folder / f"文件{number:02d}.txt", text_bytes(size, seed=number))
            number += 1
        if with_folders:
            (root / f"块{block}" / "空文件夹").mkdir(parents=True)


def _pack(root: Path, staging: Path):  # noqa: ANN202
    (plan,) = plan_packages(list(SourceScan([str(root)])), 64 << 20)
    staging.mkdir(exist_ok=True)
    return pack_package(plan, staging, level=1, solid_block_size=BLOCK)


@pytest.mark.parametrize("with_folders", [False, True], ids=["flat", "folders"])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda shape: "-".join(map(str, shape)))
def test_every_block_shape_reads_back_with_every_reader(tmp_path: Path, seven_zip: str, shape: tuple[int, ...],
                                                        with_folders: bool) -> None:
    _tree(tmp_path / "src", shape, with_folders)
    result = _pack(tmp_path / "src", tmp_path / "stage")
    assert result.solid_blocks == len(shape)
    files = {m.member: m.sha256 for m in result.manifest if m.is_file}
    assert len(files) == sum(shape)
    # py7zr's own API (folder numbering included), TAF's restore, and 7-Zip agree with the manifest.
    assert {name: sha256(data) for name, data in extract_with_py7zr(result.path).items()} == files
    sinks = {member: Sink(tmp_path / f"out{n}") for n, member in enumerate(files)}
    repairs = extract_members(Path(result.path), sinks, tmp_path / "scratch")
    assert {member: sink.sha256 for member, sink in sinks.items()} == files
    assert not repairs.renumbered and not repairs.resized
    extract_with_7zip(seven_zip, result.path, tmp_path / "7z")
    assert {member: sha256((tmp_path / "7z" / member).read_bytes()) for member in files} == files
    tested = subprocess.run([seven_zip, "t", result.path], capture_output=True, text=True)
    assert tested.returncode == 0 and "Everything is Ok" in tested.stdout


def test_folders_come_first_and_the_manifest_keeps_plan_order(tmp_path: Path) -> None:
    _tree(tmp_path / "src", (2, 1), with_folders=True)
    result = _pack(tmp_path / "src", tmp_path / "stage")
    with py7zr.SevenZipFile(result.path) as archive:
        kinds = [record["emptystream"] for record in archive.header.files_info.files]
    assert kinds == sorted(kinds, reverse=True)  # every folder (no stream) before every file
    (plan,) = plan_packages(list(SourceScan([str(tmp_path / "src")])), 64 << 20)
    assert [m.member for m in result.manifest] == [item.member_name for item in plan.items]


def test_a_folder_after_a_file_is_refused(tmp_path: Path) -> None:
    with sevenzip.PackageWriter(str(tmp_path / "p.7z"), filters_for(Codec.LZMA2, 0)) as writer:
        writer.add_directory("a", 0, 0o755)
        writer.add_stream(io.BytesIO(b"x"), "a/x", 0, 0o644)
        with pytest.raises(ValueError, match="after a data member"):
            writer.add_directory("b", 0, 0o755)


def test_a_finished_block_frees_its_encoder_and_an_unused_start_makes_no_empty_block(tmp_path: Path) -> None:
    with sevenzip.PackageWriter(str(tmp_path / "p.7z"), filters_for(Codec.LZMA2, 9)) as writer:
        writer.start_block()  # nothing written yet: no block to end
        writer.add_stream(io.BytesIO(b"a" * 1000), "a", 0, 0o644)
        writer.start_block()
        writer.start_block()  # twice in a row: still one new block
        writer.add_stream(io.BytesIO(b"b" * 1000), "b", 0, 0o644)
        folders = writer.archive.header.main_streams.unpackinfo.folders
        assert len(folders) == 2 and folders[0].compressor is None and folders[1].compressor is not None
        assert writer.blocks == 2
    with py7zr.SevenZipFile(tmp_path / "p.7z") as archive:
        assert archive.archiveinfo().blocks == 2
    assert extract_with_py7zr(str(tmp_path / "p.7z")) == {"a": b"a" * 1000, "b": b"b" * 1000}


def test_a_package_of_folders_only_opens_everywhere(tmp_path: Path, seven_zip: str) -> None:
    for name in ("甲", "乙/丙"):
        (tmp_path / "src" / name).mkdir(parents=True)
    result = _pack(tmp_path / "src", tmp_path / "stage")
    assert result.solid_blocks == 0 and all(m.kind == "dir" for m in result.manifest)
    tested = subprocess.run([seven_zip, "t", result.path], capture_output=True, text=True)
    assert tested.returncode == 0, tested.stdout
    with py7zr.SevenZipFile(result.path) as archive:
        assert sorted(archive.getnames()) == sorted(m.member for m in result.manifest)
