"""Packages written by TAF before issue 11 come back through today's restore (`restore.archive`),
and verification tells which of them other 7z tools cannot read."""

from __future__ import annotations

import errno
import hashlib
import lzma
import subprocess
from pathlib import Path

import py7zr
import pytest

from restore.archive import UNPACK_ERRORS, unpack_error_text
from restore.checking import check_package
from restore.extract import Sink, extract_members
from tests.restore.legacy import INTERLEAVED, SHIFTED, members, write_legacy


def _extract(path: Path, wanted: dict[str, bytes], scratch: Path, sizes: dict[str, int] | None):  # noqa: ANN202
    sinks = {name: Sink(scratch / f"out-{number}") for number, name in enumerate(wanted)}
    repairs = extract_members(path, sinks, scratch / "x", sizes)
    return {name: sink.path.read_bytes() for name, sink in sinks.items()}, repairs


def _plain_py7zr(path: Path, wanted: list[str]) -> dict[str, bytes]:
    """What py7zr's own API hands back for `wanted` (the way TAF's restore used it before)."""
    factory = py7zr.io.BytesIOFactory(1 << 24)
    with py7zr.SevenZipFile(path) as archive:
        archive.extract(targets=wanted, factory=factory)
    return {name: factory.get(name).read() for name in factory.products}


def test_py7zr_alone_hands_members_the_bytes_of_others_after_a_folder_inside_a_block(tmp_path: Path,
                                                                                     seven_zip: str) -> None:
    path = tmp_path / "interleaved.7z"
    write_legacy(path, INTERLEAVED)
    expected = members(INTERLEAVED)
    # The fault this issue found: 7-Zip reads the package right, py7zr's numbering does not.
    assert subprocess.run([seven_zip, "t", str(path)], capture_output=True).returncode == 0
    wrong = _plain_py7zr(path, ["src/b/2.txt", "src/d/4.txt"])
    assert wrong != {"src/b/2.txt": expected["src/b/2.txt"], "src/d/4.txt": expected["src/d/4.txt"]}
    restored, repairs = _extract(path, expected, tmp_path, None)
    assert restored == expected
    assert repairs.renumbered and not repairs.other_tools_fail


def test_shifted_sizes_are_corrected_from_the_manifest(tmp_path: Path, seven_zip: str) -> None:
    path = tmp_path / "shifted.7z"
    write_legacy(path, SHIFTED)
    expected = members(SHIFTED)
    assert subprocess.run([seven_zip, "t", str(path)], capture_output=True).returncode != 0
    with pytest.raises(py7zr.exceptions.CrcError):
        _extract(path, expected, tmp_path / "bare", None)
    restored, repairs = _extract(path, expected, tmp_path / "fixed", {k: len(v) for k, v in expected.items()})
    assert restored == expected
    assert repairs.other_tools_fail and set(repairs.resized) == {"src/小/1.txt", "src/小/2.txt", "src/小/3.txt"}


def _manifest(blocks_members: dict[str, bytes]) -> list[dict[str, object]]:
    return [{"kind": "file", "member": name, "root": "/src", "path": name.removeprefix("src/"),
             "chunk_length": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            for name, data in blocks_members.items()]


def test_checking_a_package_hashes_every_member_against_its_manifest(tmp_path: Path) -> None:
    path = tmp_path / "shifted.7z"
    write_legacy(path, SHIFTED)
    manifest = _manifest(members(SHIFTED))
    fine = check_package(path, manifest, tmp_path / "scratch")
    assert fine.ok and fine.members == 4 and fine.repairs.other_tools_fail
    manifest[1]["sha256"] = "0" * 64  # the manifest says other bytes than the package holds
    broken = check_package(path, manifest, tmp_path / "scratch")
    assert not broken.ok and broken.failed == ["/src/小/1.txt"] and not broken.error


def test_a_package_that_cannot_be_decompressed_is_a_failure_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "cut.7z"
    write_legacy(path, INTERLEAVED)
    data = bytearray(path.read_bytes())
    data[40] ^= 0xFF  # inside the first block's compressed data
    path.write_bytes(bytes(data))
    outcome = check_package(path, _manifest(members(INTERLEAVED)), tmp_path / "scratch")
    assert not outcome.ok and outcome.error == "解压中途失败：压缩数据已损坏，无法解压"
    assert "/src/a/1.txt" in outcome.failed


@pytest.mark.parametrize(("error", "text"), [
    (py7zr.exceptions.CrcError(1, 2, "src/a.txt"), "成员 src/a.txt 的 CRC 校验失败"),
    (py7zr.exceptions.CrcError(1, 2, None), "成员 ？ 的 CRC 校验失败"),
    (lzma.LZMAError("Corrupt input data"), "压缩数据已损坏，无法解压"),
    (py7zr.exceptions.Bad7zFile("not a 7z file"), "7z 结构已损坏或不完整"),
    (EOFError(), "数据包不完整，提前结束"),
    (OSError(errno.ENOSPC, "No space left on device"), "读写文件出错（ENOSPC）"),
    (IndexError("list index out of range"), "7z 头部数据有误（IndexError）"),
])
def test_every_unpack_failure_is_told_in_chinese(error: BaseException, text: str) -> None:
    assert isinstance(error, UNPACK_ERRORS)
    assert unpack_error_text(error) == text
