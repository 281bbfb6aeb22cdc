"""Packing: real 7z files, checked with py7zr and with the 7-Zip program."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import py7zr
import pytest

from backup.entry import EntryKind, FileEntry
from backup.levels import Codec
from backup.manifest import (
    STATE_CHANGED,
    STATE_OK,
    STATE_PARTIAL,
    ManifestEntry,
    manifest_from_json,
    manifest_to_json,
)
from backup.pack import PackResult, pack_package, read_outcome, solid_sessions
from backup.plan import PlanItem, plan_packages
from backup.reader import PackCancelled, SliceReader, open_source
from backup.sampling import classify_incompressible
from backup.scan import SourceScan
from tests.backup.conftest import (
    ON_POSIX,
    check_with_7zip,
    extract_with_7zip,
    extract_with_py7zr,
    file_entry,
    random_bytes,
    sha256,
    text_bytes,
    write_file,
)


def scan_and_plan(root: Path, max_bytes: int = 4 << 20, **kwargs):
    entries = list(SourceScan([root]))
    return entries, plan_packages(
        entries, max_bytes, incompressible=classify_incompressible(entries), **kwargs
    )


def pack_all(plans, staging: Path, **kwargs) -> list[PackResult]:
    staging.mkdir(exist_ok=True)
    kwargs.setdefault("level", 1)
    return [pack_package(plan, staging, **kwargs) for plan in plans]


def source_bytes(entry: ManifestEntry) -> bytes:
    path = os.path.join(entry.native_root, entry.native_rel_path)
    with open(path, "rb") as f:
        f.seek(entry.chunk_offset)
        return f.read(entry.chunk_length)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    write_file(src / "文档/季度 报告.txt", text_bytes(300_000))
    write_file(src / "文档/照片.jpg", random_bytes(200_000))
    write_file(src / "empty.txt", b"")
    write_file(src / "private.key", b"secret").chmod(0o600)
    (src / "空目录").mkdir()
    if ON_POSIX:
        write_file(src / "new\nline.txt", b"newline in the name")
        (src / "链接").symlink_to("/etc/outside/target")
    if sys.platform == "linux":
        with open(os.fsencode(str(src)) + b"/caf\xe9.bin", "wb") as f:
            f.write(b"invalid utf-8 name")
    return src


def test_packed_tree_matches_the_source_in_py7zr_and_in_7zip(tree, tmp_path, seven_zip):
    entries, plans = scan_and_plan(tree)
    assert {p.codec for p in plans} == {Codec.LZMA2, Codec.COPY}
    results = pack_all(plans, tmp_path / "stage")
    manifest = [m for r in results for m in r.manifest]
    assert sorted((m.native_root, m.native_rel_path) for m in manifest) == sorted(e.key for e in entries)
    assert all(r.warnings == () and os.path.exists(r.path) for r in results)

    for result in results:
        members = extract_with_py7zr(result.path)
        check_with_7zip(seven_zip, result.path)
        out = tmp_path / "7zip" / result.package_id
        extract_with_7zip(seven_zip, result.path, out)
        for m in result.manifest:
            extracted = out / m.member
            if m.kind == EntryKind.FILE:
                data = source_bytes(m)
                assert m.sha256 == sha256(data) == sha256(members[m.member]) == sha256(extracted.read_bytes())
                assert m.state == STATE_OK and m.chunk_length == len(data) == m.size
                assert os.stat(extracted).st_mtime_ns // 100 == m.mtime_ns // 100
                assert stat.S_IMODE(os.stat(extracted).st_mode) == stat.S_IMODE(m.mode)
            elif m.kind == EntryKind.DIR:
                assert extracted.is_dir()
            else:
                # 7-Zip re-roots absolute link targets under the output folder for safety.
                assert members[m.member] == b"/etc/outside/target" == m.link_target.encode()
                assert os.readlink(extracted).endswith("/etc/outside/target")


def test_incompressible_files_are_stored_with_the_copy_filter(tree, tmp_path):
    _, plans = scan_and_plan(tree)
    (copy_plan,) = [p for p in plans if p.codec is Codec.COPY]
    (result,) = pack_all([copy_plan], tmp_path / "stage")
    with py7zr.SevenZipFile(result.path) as archive:
        assert archive.archiveinfo().method_names == ["COPY"]
    assert [m.path for m in result.manifest] == ["文档/照片.jpg"]
    assert 200_000 < result.payload_bytes < 200_000 + 1024


def test_solid_block_size_makes_one_write_session_per_block(tmp_path, seven_zip):
    for i in range(6):
        write_file(tmp_path / "src" / f"f{i}.log", text_bytes(40_000, seed=i))
    _, plans = scan_and_plan(tmp_path / "src")
    (result,) = pack_all(plans, tmp_path / "stage", solid_block_size=100_000)
    assert result.solid_blocks == 3
    with py7zr.SevenZipFile(result.path) as archive:
        assert archive.archiveinfo().blocks == 3
    listing = subprocess.run([seven_zip, "l", "-slt", result.path], capture_output=True, text=True).stdout
    assert "Blocks = 3" in listing
    assert [line for line in listing.splitlines() if line.startswith("Block = ")] == [
        f"Block = {i // 2}" for i in range(6)
    ]
    check_with_7zip(seven_zip, result.path)
    assert all(sha256(extract_with_py7zr(result.path)[m.member]) == m.sha256 for m in result.manifest)
    with open(result.path, "rb") as f:
        start = f.read(32)
        f.seek(32 + int.from_bytes(start[12:20], "little"))
        assert f.read(1) == b"\x17"  # the header that remains is the compressed ("encoded") one


def test_solid_sessions_rule():
    def item(size, kind=EntryKind.FILE):
        return PlanItem(
            file_entry(f"x{size}", size, kind=kind), "m", chunk_length=size if kind is EntryKind.FILE else 0
        )

    small, big, folder = item(30), item(500), item(0, EntryKind.DIR)
    assert solid_sessions([small, small, small, big, small], 100) == [[small, small, small], [big], [small]]
    assert solid_sessions([folder, small, folder, small], 40) == [[folder, small, folder], [small]]
    assert solid_sessions([], 10) == []
    with pytest.raises(ValueError):
        solid_sessions([small], 0)


def test_chunks_of_a_large_file_reassemble(tmp_path, seven_zip):
    data = text_bytes(150_000) + random_bytes(100_000)
    write_file(tmp_path / "src" / "大文件.img", data)
    _, plans = scan_and_plan(tmp_path / "src", max_bytes=64 * 1024)
    assert len(plans) == 4
    results = pack_all(plans, tmp_path / "stage")
    pieces = []
    for result in results:
        (m,) = result.manifest
        member = extract_with_py7zr(result.path)[m.member]
        assert sha256(member) == m.sha256 and m.total_chunks == 4 and m.size == len(data)
        check_with_7zip(seven_zip, result.path)
        pieces.append((m.chunk_index, m.chunk_offset, member))
    assert b"".join(p for _, _, p in sorted(pieces)) == data
    assert [offset for _, offset, _ in sorted(pieces)] == [0, 62_500, 125_000, 187_500]


@pytest.mark.parametrize("case", ["random_through_lzma2", "many_long_names", "copy"])
def test_real_packages_never_exceed_the_maximum(tmp_path, case, seven_zip):
    max_bytes = 24 * 1024
    src = tmp_path / "src"
    if case == "many_long_names":
        for i in range(120):
            write_file(src / f"{'非常长的中文文件名称' * 6}{i:03d}.txt", random_bytes(50, seed=i))
        if ON_POSIX:
            for i in range(20):
                write_file(src / f"escaped\n{i}", random_bytes(30, seed=i))
    else:
        for i, size in enumerate([1, 700, 5_000, 11_000, 23_000, 60_000, 3]):
            write_file(src / f"r{i}.bin", random_bytes(size, seed=i))
    entries = list(SourceScan([src]))
    flagged = {e.key for e in entries} if case == "copy" else set()
    plans = plan_packages(entries, max_bytes, incompressible=flagged)
    results = pack_all(plans, tmp_path / "stage", level=0, solid_block_size=4096)
    assert len(results) > 2
    for plan, result in zip(plans, results, strict=True):
        size = os.path.getsize(result.path)
        assert size == result.payload_bytes <= max_bytes
        assert size <= plan.estimated_bytes
    check_with_7zip(seven_zip, results[0].path)


@pytest.mark.parametrize(("level", "dictionary"), [(1, "LZMA2:18"), (9, "LZMA2:26")])
def test_compression_level_sets_the_lzma2_dictionary(tmp_path, seven_zip, level, dictionary):
    write_file(tmp_path / "src" / "a.txt", text_bytes(5000))
    _, plans = scan_and_plan(tmp_path / "src")
    (result,) = pack_all(plans, tmp_path / "stage", level=level)
    assert result.level == level
    listing = subprocess.run([seven_zip, "l", "-slt", result.path], capture_output=True, text=True).stdout
    assert f"Method = {dictionary}" in listing


def test_tail_offset_marks_the_end_of_the_packed_data(tree, tmp_path):
    _, plans = scan_and_plan(tree)
    for result in pack_all(plans, tmp_path / "stage", solid_block_size=50_000):
        with open(result.path, "rb") as f:
            head = f.read(32)
        assert head.startswith(b"7z\xbc\xaf\x27\x1c")
        assert 32 < result.tail_offset < result.payload_bytes
        if result.codec is Codec.COPY:
            assert result.tail_offset == 32 + sum(m.chunk_length for m in result.manifest)


# files that misbehave while packed


def plan_one_tree(tmp_path: Path, files: dict[str, bytes]):
    for rel, data in files.items():
        write_file(tmp_path / "src" / rel, data)
    entries = list(SourceScan([tmp_path / "src"]))
    return plan_packages(entries, 16 << 20)


def warning_codes(result: PackResult) -> list[str]:
    return [w.code for w in result.warnings]


def assert_valid(result: PackResult, seven_zip: str) -> dict[str, bytes]:
    check_with_7zip(seven_zip, result.path)
    members = extract_with_py7zr(result.path)
    for m in result.manifest:
        if m.kind == EntryKind.FILE:
            assert sha256(members[m.member]) == m.sha256
    return members


def test_a_file_deleted_before_packing_is_a_warning_and_the_rest_is_packed(tmp_path, seven_zip):
    (plan,) = plan_one_tree(tmp_path, {"a.txt": b"a", "b.txt": b"b", "c.txt": b"c"})
    (tmp_path / "src" / "b.txt").unlink()
    (result,) = pack_all([plan], tmp_path / "stage")
    assert warning_codes(result) == ["pack.vanished"]
    assert "b.txt" in result.warnings[0].path and "已被删除" in result.warnings[0].text
    assert [m.path for m in result.manifest] == ["a.txt", "c.txt"]
    assert_valid(result, seven_zip)


def test_a_file_that_cannot_be_opened_is_a_warning(tmp_path, seven_zip):
    (plan,) = plan_one_tree(tmp_path, {"a.txt": b"a", "locked.txt": b"b"})

    def opener(path):
        if path.endswith("locked.txt"):
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return open_source(path)

    (result,) = pack_all([plan], tmp_path / "stage", opener=opener)
    assert warning_codes(result) == ["pack.unreadable"]
    assert "EACCES" in result.warnings[0].detail
    assert [m.path for m in result.manifest] == ["a.txt"]
    assert_valid(result, seven_zip)


class SourceFile:
    """A real source file opened the way `open_source` opens it, with a hook on every read."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._file = open(path, "rb", buffering=0)  # noqa: SIM115 - closed by __exit__, as pack uses it

    def fileno(self) -> int:
        return self._file.fileno()

    def read(self, n: int) -> bytes:
        return self._file.read(n)

    def seek(self, *args):
        return self._file.seek(*args)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._file.close()


class FailingFile(SourceFile):
    """Reads fail after a number of bytes, like a disk error mid-file."""

    def __init__(self, path: str, fail_after: int) -> None:
        super().__init__(path)
        self._left = fail_after

    def read(self, n: int) -> bytes:
        if self._left <= 0:
            raise OSError(errno.EIO, "Input/output error")
        data = super().read(min(n, self._left))
        self._left -= len(data)
        return data


class AppendedWhileRead(SourceFile):
    """Another program appends to the file each time the packer reads a block."""

    def read(self, n: int) -> bytes:
        with open(self.path, "ab") as writer:
            writer.write(b"appended while reading\n")
        return super().read(n)


def test_a_read_error_mid_file_keeps_the_prefix_marked_partial(tmp_path, seven_zip):
    data = text_bytes(200_000)
    (plan,) = plan_one_tree(tmp_path, {"disk.img": data, "z.txt": b"after"})

    def opener(path):
        return FailingFile(path, 70_000) if path.endswith("disk.img") else open_source(path)

    (result,) = pack_all([plan], tmp_path / "stage", opener=opener)
    assert warning_codes(result) == ["pack.read_failed"]
    assert result.warnings[0].detail == "70000"
    broken, after = result.manifest
    assert (broken.state, broken.chunk_length, broken.size) == (STATE_PARTIAL, 70_000, 70_000)
    assert broken.sha256 == sha256(data[:70_000])
    assert after.state == STATE_OK
    members = assert_valid(result, seven_zip)
    assert members[after.member] == b"after"


def test_a_file_written_to_while_read_is_marked_changed(tmp_path, seven_zip):
    (plan,) = plan_one_tree(tmp_path, {"live.log": text_bytes(100_000)})
    (result,) = pack_all([plan], tmp_path / "stage", opener=AppendedWhileRead)
    assert warning_codes(result) == ["pack.changed_while_reading"]
    (m,) = result.manifest
    assert m.state == STATE_CHANGED and m.chunk_length == 100_000
    assert_valid(result, seven_zip)


@pytest.mark.parametrize(
    ("change", "code", "stored"),
    [
        ("shrink", "pack.shrank", 10),
        ("grow", "pack.grew", 1000),
        ("touch", "pack.changed_since_scan", 1000),
    ],
)
def test_a_file_changed_after_the_scan_is_packed_as_it_is_with_a_warning(
    tmp_path, seven_zip, change, code, stored
):
    (plan,) = plan_one_tree(tmp_path, {"f.dat": b"x" * 1000})
    path = tmp_path / "src" / "f.dat"
    if change == "shrink":
        path.write_bytes(b"y" * 10)
    elif change == "grow":
        path.write_bytes(b"z" * 5000)
    else:
        os.utime(path, ns=(1, 1))
    (result,) = pack_all([plan], tmp_path / "stage")
    assert warning_codes(result) == [code]
    (m,) = result.manifest
    assert (m.state, m.chunk_length, m.size) == (STATE_CHANGED, stored, stored)
    assert m.sha256 == sha256(path.read_bytes()[:stored])
    assert_valid(result, seven_zip)


def test_a_file_replaced_by_a_directory_is_not_packed(tmp_path, seven_zip):
    (plan,) = plan_one_tree(tmp_path, {"a.txt": b"a", "b.txt": b"b"})
    (tmp_path / "src" / "b.txt").unlink()
    (tmp_path / "src" / "b.txt").mkdir()
    (result,) = pack_all([plan], tmp_path / "stage")
    assert warning_codes(result) == ["pack.not_a_file"]
    assert_valid(result, seven_zip)


@pytest.mark.skipif(not ON_POSIX, reason="FIFOs and O_NOFOLLOW are POSIX")
@pytest.mark.parametrize("replacement", ["fifo", "symlink"])
def test_a_file_replaced_after_the_scan_by_a_fifo_or_a_link_is_not_read(tmp_path, seven_zip, replacement):
    (plan,) = plan_one_tree(tmp_path, {"a.txt": b"a", "b.txt": b"b"})
    write_file(tmp_path / "outside" / "secret", b"must not enter the backup")
    victim = tmp_path / "src" / "b.txt"
    victim.unlink()
    if replacement == "fifo":
        os.mkfifo(victim)  # opening it for reading would block until a writer came
    else:
        victim.symlink_to(tmp_path / "outside" / "secret")
    (result,) = pack_all([plan], tmp_path / "stage")
    assert warning_codes(result) == ["pack.not_a_file"]
    assert [m.path for m in result.manifest] == ["a.txt"]
    assert b"must not enter" not in b"".join(assert_valid(result, seven_zip).values())


def test_a_package_whose_first_session_wrote_nothing_is_still_valid(tmp_path, seven_zip):
    (plan,) = plan_one_tree(tmp_path, {"a.txt": b"a" * 100, "b.txt": b"b" * 100, "c.txt": b"c" * 100})
    (tmp_path / "src" / "a.txt").unlink()
    (result,) = pack_all([plan], tmp_path / "stage", solid_block_size=100)
    assert [m.path for m in result.manifest] == ["b.txt", "c.txt"]
    assert result.solid_blocks == 2
    assert_valid(result, seven_zip)


def test_a_package_of_which_every_file_vanished_is_an_empty_valid_archive(tmp_path, seven_zip):
    (plan,) = plan_one_tree(tmp_path, {"a.txt": b"a"})
    (tmp_path / "src" / "a.txt").unlink()
    (result,) = pack_all([plan], tmp_path / "stage")
    assert result.manifest == () and warning_codes(result) == ["pack.vanished"]
    check_with_7zip(seven_zip, result.path)


def test_a_package_of_directories_only_is_valid(tmp_path, seven_zip):
    for name in ("a", "a/b", "c"):
        (tmp_path / "src" / name).mkdir(parents=True)
    _, plans = scan_and_plan(tmp_path / "src")
    (result,) = pack_all(plans, tmp_path / "stage")
    assert [m.kind for m in result.manifest] == ["dir"] * 3
    out = tmp_path / "out"
    extract_with_7zip(seven_zip, result.path, out)
    assert (out / result.manifest[1].member).is_dir()


def test_cancelling_abandons_the_package_and_leaves_no_file(tmp_path):
    (plan,) = plan_one_tree(tmp_path, {"a.txt": text_bytes(3 << 20)})
    calls = []

    def should_stop():
        calls.append(1)
        return len(calls) > 3

    staging = tmp_path / "stage"
    with pytest.raises(PackCancelled):
        pack_all([plan], staging, should_stop=should_stop)
    assert list(staging.iterdir()) == []


def test_progress_counts_every_byte_read(tmp_path):
    (plan,) = plan_one_tree(tmp_path, {"a.txt": text_bytes(3 << 20), "b.txt": b"b" * 10})
    seen = []
    (result,) = pack_all([plan], tmp_path / "stage", on_read=seen.append)
    assert sum(seen) == result.bytes_in == (3 << 20) + 10
    assert result.seconds > 0


# pure pieces


def reader_after(data: bytes, length: int, *, error: bool = False) -> SliceReader:
    import io

    reader = SliceReader(io.BytesIO(data), 0, length)
    if error:
        reader.error = OSError(errno.EIO, "EIO")
    while reader.read(1 << 20):
        pass
    return reader


def test_read_outcome_table():
    entry = FileEntry("/r", "f", EntryKind.FILE, 100, 5, 0o644)
    whole = PlanItem(entry, "m", 0, 0, 100, 1)
    chunk = PlanItem(entry, "m", 0, 0, 50, 2)
    full = reader_after(b"x" * 100, 100)
    assert read_outcome(entry, whole, (100, 5), (100, 5), full) == (STATE_OK, None, "")
    assert read_outcome(entry, whole, None, None, full) == (STATE_OK, None, "")
    assert read_outcome(entry, whole, (100, 5), (120, 6), full)[:2] == (
        STATE_CHANGED,
        "pack.changed_while_reading",
    )
    assert read_outcome(entry, whole, (100, 9), (100, 9), full)[:2] == (
        STATE_CHANGED,
        "pack.changed_since_scan",
    )
    assert read_outcome(entry, whole, (150, 9), (150, 9), full) == (STATE_CHANGED, "pack.grew", "100")
    # A chunk of a grown file is only "changed": the other chunks are planned elsewhere.
    assert (
        read_outcome(entry, chunk, (150, 9), (150, 9), reader_after(b"x" * 50, 50))[1]
        == "pack.changed_since_scan"
    )
    assert read_outcome(entry, whole, (40, 9), (40, 9), reader_after(b"x" * 40, 100)) == (
        STATE_CHANGED,
        "pack.shrank",
        "40",
    )
    assert read_outcome(entry, whole, (100, 5), (100, 5), reader_after(b"", 100, error=True))[:2] == (
        STATE_PARTIAL,
        "pack.read_failed",
    )


def test_slice_reader_reads_its_slice_once_and_hashes_it():
    import io

    data = bytes(range(256)) * 10
    reader = SliceReader(io.BytesIO(data), 100, 1000)
    assert reader.seek(0, os.SEEK_END) == 1000 and reader.seek(0) == 0
    assert reader.read(600) + reader.read() == data[100:1100]
    assert reader.read() == b"" and reader.complete
    assert reader.digest.hexdigest() == sha256(data[100:1100])
    with pytest.raises(io.UnsupportedOperation):
        reader.seek(0)


def test_manifest_json_round_trips_odd_names():
    entry = FileEntry("/根", "bad\udcff/名字\n.txt", EntryKind.FILE, 3, 9, 0o100644)
    item = PlanItem(entry, "_taf_escaped/000001-000000", 0, 0, 3, 1)
    manifest = (ManifestEntry.for_item(item, sha256="ab" * 32, stored=3),)
    decoded = manifest_from_json(manifest_to_json(manifest))
    assert decoded == list(manifest)
    assert decoded[0].native_rel_path == "bad\udcff/名字\n.txt" and decoded[0].native_root == "/根"
    manifest_to_json(manifest).decode("utf-8")  # storable as UTF-8 text


def test_manifest_to_dict_is_asdict_and_every_field_is_a_plain_scalar():
    """to_dict copies fields shallowly (asdict's deep copy cost half a job's CPU on small files);
    that is only right while no field can hold a container."""
    import dataclasses
    import pickle
    import typing

    entry = FileEntry("/根", "链接", EntryKind.SYMLINK, 0, 9, 0o120777, link_target="../目标")
    item = PlanItem(entry, "根/链接", 0, 0, 0, 1)
    manifest = ManifestEntry.for_item(item, state=STATE_CHANGED)
    assert manifest.to_dict() == dataclasses.asdict(manifest)
    assert pickle.loads(pickle.dumps(manifest)) == manifest  # how results leave the packer processes
    assert manifest.__reduce__() == (ManifestEntry, dataclasses.astuple(manifest))
    assert list(manifest.to_dict()) == [f.name for f in dataclasses.fields(ManifestEntry)]
    for name, hint in typing.get_type_hints(ManifestEntry).items():
        assert set(typing.get_args(hint) or (hint,)) <= {str, int, type(None)}, name


def test_end_header_is_compressed_with_a_small_dictionary(tree, tmp_path, seven_zip):
    """py7zr's default preset-7 header encoder costs ~16 ms per package to set up; ours uses 1 MiB.

    In the 7z end header the coder record reads: flags 0x21 (1-byte id, has properties), id 0x21
    (LZMA2), property size 1, and the LZMA2 dictionary byte: 16 means 1 MiB, 24 would be 16 MiB.
    """
    _, plans = scan_and_plan(tree)
    (result,) = pack_all(plans[:1], tmp_path / "staging")
    with open(result.path, "rb") as f:
        data = f.read()
    end_header = data[32 + int.from_bytes(data[12:20], "little"):]
    assert end_header[0] == 0x17  # kEncodedHeader
    coder = data[result.tail_offset:]
    assert b"\x21\x21\x01\x10" in coder
    assert b"\x21\x21\x01\x18" not in coder
    check_with_7zip(seven_zip, Path(result.path))


def test_the_staging_file_is_trusted_only_while_untouched(tree, tmp_path):
    """The tape writer skips re-hashing a package only while `unchanged_on_disk()` holds."""
    _, plans = scan_and_plan(tree)
    results = [pack_all(plans[:1], tmp_path / f"staging-{n}")[0] for n in range(4)]
    assert all(result.unchanged_on_disk() for result in results)
    rewritten, touched, replaced, removed = (Path(result.path) for result in results)
    content = rewritten.read_bytes()
    time.sleep(0.02)  # file times tick with the kernel's coarse clock (a few ms)
    rewritten.write_bytes(content)  # same bytes, same size: still a new write
    os.utime(touched, ns=(1, 1))
    replaced.unlink()
    replaced.write_bytes(content)
    removed.unlink()
    assert not any(result.unchanged_on_disk() for result in results)


def test_member_names_are_checked_without_touching_the_file_system(tree, tmp_path, monkeypatch):
    """py7zr's writef resolves every member name with os.path.realpath (about 18 lstat calls);
    our names are safe by construction, so packing must not pay for that per file."""
    _, plans = scan_and_plan(tree)

    def no_lookups(path, *args, **kwargs):
        raise AssertionError(f"realpath({path!r}) while packing")

    monkeypatch.setattr(os.path, "realpath", no_lookups)
    results = pack_all(plans, tmp_path / "staging")
    assert sum(len(r.manifest) for r in results) == sum(len(p.items) for p in plans)


@pytest.mark.parametrize("member", ["../escape.txt", "/abs.txt", "a/../../b"])
def test_an_unsafe_member_name_is_refused_before_anything_is_written(tmp_path, member):
    import io

    from backup import sevenzip
    from backup.levels import filters_for

    writer = sevenzip.PackageWriter(str(tmp_path / "p.7z"), filters_for(Codec.LZMA2, 0))
    with writer, pytest.raises(ValueError, match="unsafe member name"):
        writer.add_stream(io.BytesIO(b"x"), member, 0, 0o644)
    with pytest.raises(ValueError, match="unsafe member name"):
        writer.add_directory(member, 0, 0o755)
    with pytest.raises(ValueError, match="unsafe member name"):
        writer.add_symlink(member, b"target", 0, 0o777)
