"""The source scan: what it records, what it skips, and that nothing stops it."""

from __future__ import annotations

import os
import shutil
import socket
import sys
import time
from pathlib import Path

import pytest

from backup.entry import EntryKind
from backup.scan import SourceScan, dedupe_roots, special_kind
from tests.backup.conftest import ON_POSIX, write_file

posix_only = pytest.mark.skipif(not ON_POSIX, reason="POSIX file names and special files")


def scan(*roots, **kwargs):
    scanner = SourceScan([str(r) for r in roots], **kwargs)
    return list(scanner), scanner


def by_rel(entries):
    return {e.rel_path: e for e in entries}


def test_regular_files_and_directories_are_recorded_with_their_metadata(tmp_path):
    write_file(tmp_path / "a.txt", b"hello")
    (tmp_path / "empty").mkdir()
    os.utime(tmp_path / "a.txt", ns=(1_600_000_000_123_456_789, 1_600_000_000_123_456_789))
    entries, scanner = scan(tmp_path)
    found = by_rel(entries)
    assert found["a.txt"].kind is EntryKind.FILE
    assert found["a.txt"].size == 5
    assert found["a.txt"].mtime_ns == 1_600_000_000_123_456_789
    assert found["a.txt"].source_root == str(tmp_path)
    assert found["empty"].kind is EntryKind.DIR and found["empty"].size == 0
    assert scanner.summary.files == 1 and scanner.summary.dirs == 1
    assert scanner.summary.total_bytes == 5 and scanner.warnings == []


def test_entries_come_in_canonical_order_with_directories_before_their_contents(tmp_path):
    for rel in ["b/z.txt", "a.txt", "a/b.txt", "a/c/d.txt", "a-b.txt", "中文/文件.txt"]:
        write_file(tmp_path / rel, b"x")
    entries, _ = scan(tmp_path)
    keys = [e.order_key for e in entries]
    assert keys == sorted(keys)
    rels = [e.rel_path for e in entries]
    assert rels.index("a") < rels.index("a/b.txt") < rels.index("a/c") < rels.index("a/c/d.txt")


def test_chinese_spaces_and_very_long_names_survive(tmp_path):
    long_component = "长" * 80  # 240 bytes in UTF-8, near the 255-byte limit
    deep = "/".join(["目录 层级"] * 40)
    names = ["季度 报告 (最终版).xlsx", f"{long_component}.txt", f"{deep}/深处.txt", " leading and trailing "]
    for rel in names:
        write_file(tmp_path / rel, rel.encode())
    entries, scanner = scan(tmp_path)
    found = by_rel(entries)
    for rel in names:
        assert found[rel].size == len(rel.encode())
    assert scanner.warnings == []


@posix_only
def test_newline_in_a_name_is_kept(tmp_path):
    write_file(tmp_path / "first\nsecond.txt", b"x")
    entries, _ = scan(tmp_path)
    assert [e.rel_path for e in entries] == ["first\nsecond.txt"]


@pytest.mark.skipif(sys.platform != "linux", reason="Linux allows any bytes in names")
def test_invalid_utf8_name_is_kept_in_surrogateescape_form(tmp_path):
    raw = os.fsencode(str(tmp_path)) + b"/caf\xe9-\xff.bin"
    with open(raw, "wb") as f:
        f.write(b"data")
    entries, scanner = scan(tmp_path)
    (entry,) = entries
    assert os.fsencode(entry.rel_path) == b"caf\xe9-\xff.bin"
    assert entry.size == 4 and scanner.warnings == []


@posix_only
def test_symlink_out_of_the_source_is_recorded_not_followed(tmp_path):
    outside = tmp_path / "outside"
    write_file(outside / "secret.txt", b"not part of the backup")
    source = tmp_path / "source"
    source.mkdir()
    (source / "to_outside").symlink_to(outside)
    (source / "to_file").symlink_to(outside / "secret.txt")
    (source / "dangling").symlink_to(tmp_path / "nowhere")
    (source / "loop").symlink_to(source)
    entries, scanner = scan(source)
    found = by_rel(entries)
    assert set(found) == {"to_outside", "to_file", "dangling", "loop"}
    assert all(e.kind is EntryKind.SYMLINK and e.size == 0 for e in entries)
    assert found["to_outside"].link_target == str(outside)
    assert found["dangling"].link_target == str(tmp_path / "nowhere")
    assert scanner.summary.symlinks == 4 and scanner.summary.total_bytes == 0


@posix_only
def test_fifo_and_socket_are_skipped_with_a_warning(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    sock = socket.socket(socket.AF_UNIX)
    short_dir = Path("/tmp") / f"taf-sock-{os.getpid()}"
    short_dir.mkdir(exist_ok=True)
    try:
        sock.bind(str(short_dir / "s"))
        write_file(short_dir / "kept.txt", b"x")
        os.mkfifo(short_dir / "p")
        entries, scanner = scan(tmp_path, short_dir)
    finally:
        sock.close()
        shutil.rmtree(short_dir)
    assert [e.rel_path for e in entries] == ["kept.txt"]
    assert sorted((w.code, w.detail) for w in scanner.warnings) == sorted(
        [
            ("scan.special_skipped", "套接字"),
            ("scan.special_skipped", "命名管道"),
            ("scan.special_skipped", "命名管道"),
        ]
    )
    assert scanner.summary.skipped == 3
    assert any("已跳过特殊文件（命名管道）" in w.text for w in scanner.warnings)


def test_a_directory_that_disappears_before_it_is_listed_is_a_warning(tmp_path):
    write_file(tmp_path / "a/inner.txt", b"x")
    write_file(tmp_path / "b.txt", b"y")
    scanner = SourceScan([tmp_path])
    seen = []
    for entry in scanner:
        seen.append(entry.rel_path)
        if entry.rel_path == "a":
            shutil.rmtree(tmp_path / "a")  # the scan lists "a" only after yielding it
    assert seen == ["a", "b.txt"]
    assert [w.code for w in scanner.warnings] == ["scan.dir_unreadable"]
    assert "无法读取目录" in scanner.warnings[0].text


def test_a_file_that_disappears_between_listing_and_stat_is_a_warning(tmp_path):
    for name in ("a.txt", "b.txt", "c.txt"):
        write_file(tmp_path / name, b"x")
    scanner = SourceScan([tmp_path])
    seen = []
    for entry in scanner:
        seen.append(entry.rel_path)
        if entry.rel_path == "a.txt":
            (tmp_path / "b.txt").unlink()
    assert seen == ["a.txt", "c.txt"]
    assert [w.code for w in scanner.warnings] == ["scan.entry_unreadable"]


def test_an_unreadable_directory_is_a_warning_and_the_scan_goes_on(tmp_path):
    # The suite runs as root, for whom permissions never fail: the listing is made to fail instead.
    write_file(tmp_path / "locked/secret.txt", b"x")
    write_file(tmp_path / "open/fine.txt", b"y")

    def scandir(path):
        if path.endswith("locked"):
            raise PermissionError(13, "Permission denied", path)
        return os.scandir(path)

    received = []
    entries, scanner = scan(tmp_path, scandir=scandir, on_warning=received.append)
    assert [e.rel_path for e in entries] == ["locked", "open", "open/fine.txt"]
    assert [w.code for w in scanner.warnings] == ["scan.dir_unreadable"] == [w.code for w in received]
    assert "EACCES" in scanner.warnings[0].detail


def test_missing_root_is_a_warning(tmp_path):
    entries, scanner = scan(tmp_path / "absent")
    assert entries == [] and [w.code for w in scanner.warnings] == ["scan.root_missing"]


def test_a_file_given_as_root_is_backed_up_under_its_parent(tmp_path):
    write_file(tmp_path / "single.db", b"12345")
    entries, _ = scan(tmp_path / "single.db")
    (entry,) = entries
    assert (entry.source_root, entry.rel_path, entry.size) == (str(tmp_path), "single.db", 5)


def test_roots_that_are_files_come_where_their_entries_sort(tmp_path):
    # "/x/a.d" sorts before "/x/b" as a root, but the file's entry is ("/x", "b"), before ("/x/a.d", …).
    write_file(tmp_path / "a.d" / "in.txt", b"x")
    write_file(tmp_path / "b", b"y")
    write_file(tmp_path / "c" / "z.txt", b"z")
    entries, scanner = scan(tmp_path / "c", tmp_path / "a.d", tmp_path / "b", tmp_path / "absent", keep_warnings=0)
    keys = [e.order_key for e in entries]
    assert keys == sorted(keys) and len(keys) == 3
    assert scanner.summary.warnings == 1 and scanner.warnings == []  # counted, its text not kept


def test_nested_roots_are_scanned_once(tmp_path):
    write_file(tmp_path / "a/b/c.txt", b"x")
    entries, scanner = scan(tmp_path / "a", tmp_path / "a" / "b", tmp_path / "a")
    assert [e.rel_path for e in entries] == ["b", "b/c.txt"]
    assert [w.code for w in scanner.warnings] == ["scan.root_nested"]


def test_dedupe_roots_rules():
    assert dedupe_roots(["/a/b", "/a", "/ab", "/a/b/c"], windows=False) == (
        ["/a", "/ab"],
        [("/a/b", "/a"), ("/a/b/c", "/a")],
    )
    assert dedupe_roots(["/", "/x"], windows=False) == (["/"], [("/x", "/")])
    kept, dropped = dedupe_roots(["C:\\Data", "c:\\data\\sub", "D:\\x"], windows=True)
    assert kept == ["C:\\Data", "D:\\x"] and dropped == [("c:\\data\\sub", "C:\\Data")]


def test_special_kinds_are_named():
    import stat

    assert special_kind(stat.S_IFIFO) == "fifo"
    assert special_kind(stat.S_IFSOCK) == "socket"
    assert special_kind(stat.S_IFCHR) == "char_device"
    assert special_kind(stat.S_IFBLK) == "block_device"
    assert special_kind(0) == "unknown"


def test_scan_is_lazy_and_quick_on_many_entries(tmp_path):
    for d in range(40):
        folder = tmp_path / f"d{d:02d}"
        folder.mkdir()
        for f in range(250):
            (folder / f"f{f:03d}.txt").write_bytes(b"")
    scanner = SourceScan([tmp_path])
    iterator = iter(scanner)
    first = next(iterator)
    assert first.rel_path == "d00" and scanner.summary.entries == 1  # nothing read ahead
    started = time.perf_counter()
    count = 1 + sum(1 for _ in iterator)
    assert count == 40 * 251
    assert time.perf_counter() - started < 5
