"""A folder listing longer than `listing.IN_MEMORY` is sorted on disk (issue 18): the same entries in
the same order as sorting it whole, names of every kind included, and the memory of one run."""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import pytest

from backup import listing
from backup.entry import EntryKind
from backup.scan import SourceScan
from tests.backup.conftest import ON_POSIX, write_file

NAMES = ["b.txt", "a.txt", "报告.docx", "Z", "a b", "数据 2026", "ä", "\U0001f600.png", "新\n行", "~x", "-", "0"]


def _tree(root: Path) -> Path:
    for number, name in enumerate(NAMES):
        write_file(root / name, str(number).encode())
    (root / "子目录").mkdir()
    write_file(root / "子目录" / "内.txt", b"x")
    (root / "link").symlink_to("a.txt")
    if ON_POSIX:  # a name that is not valid UTF-8: kept in surrogateescape form, where sorting puts it
        write_file(Path(os.fsdecode(bytes(root) + b"/caf\xe9")), b"raw")
        write_file(Path(os.fsdecode(bytes(root) + b"/\xff")), b"raw")
    return root


def _scan(root: Path, in_memory: int) -> list[tuple[str, EntryKind, int, int, str | None]]:
    scanner = SourceScan([str(root)])
    scanner.in_memory = in_memory
    return [(e.rel_path, e.kind, e.size, e.mtime_ns, e.link_target) for e in scanner]


@pytest.mark.parametrize("in_memory", [1, 2, 5])
def test_a_listing_sorted_on_disk_is_the_listing_sorted_whole(tmp_path: Path, in_memory: int) -> None:
    root = _tree(tmp_path / "源")
    whole = _scan(root, listing.IN_MEMORY)
    assert len(whole) == len(NAMES) + 3 + (2 if ON_POSIX else 0)
    top = [rel for rel, *_ in whole if "/" not in rel]
    assert top == sorted(top)  # as strings, the surrogateescape names included
    assert _scan(root, in_memory) == whole


def test_sorted_listing_orders_by_name_and_keeps_entries_in_memory_when_short(tmp_path: Path) -> None:
    root = _tree(tmp_path / "源")
    short = list(listing.sorted_listing(os.scandir, str(root)))
    assert all(isinstance(entry, os.DirEntry) for entry in short)
    spilled = list(listing.sorted_listing(os.scandir, str(root), in_memory=3))
    assert all(isinstance(entry, listing.NamedEntry) for entry in spilled)
    assert [e.name for e in spilled] == [e.name for e in short] == sorted(e.name for e in short)
    assert [e.path for e in spilled] == [e.path for e in short]
    assert [e.stat(follow_symlinks=False).st_ino for e in spilled] == [
        e.stat(follow_symlinks=False).st_ino for e in short]


def test_a_listing_that_fails_midway_leaves_no_run_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[object] = []

    class Failing:
        def __enter__(self) -> Failing:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def __iter__(self):  # noqa: ANN204
            for number in range(5):
                yield type("Entry", (), {"name": f"n{number}"})()
            raise OSError(5, "Input/output error")

    real_spill = listing._spill

    def spill(entries: list[object]) -> object:
        run = real_spill(entries)  # type: ignore[arg-type]
        opened.append(run)
        return run

    monkeypatch.setattr(listing, "_spill", spill)
    with pytest.raises(OSError):
        listing.sorted_listing(lambda _: Failing(), str(tmp_path), in_memory=2)
    assert len(opened) == 2 and all(run.closed for run in opened)  # type: ignore[attr-defined]


def test_a_huge_folder_costs_the_memory_of_one_run(tmp_path: Path) -> None:
    root = tmp_path / "大文件夹"
    root.mkdir()
    for number in range(20_000):
        (root / f"文件{number * 7919 % 20_000:05d}.txt").touch()

    def peak(in_memory: int) -> tuple[int, list[int]]:
        tracemalloc.start()
        try:  # only a number per entry is kept, so the peak is the scan's own
            numbers = [int(rel[2:7]) for rel in _scan_names(root, in_memory)]
            return tracemalloc.get_traced_memory()[1], numbers
        finally:
            tracemalloc.stop()

    whole_peak, whole = peak(listing.IN_MEMORY)
    runs_peak, spilled = peak(1_000)
    assert spilled == whole and len(whole) == 20_000
    assert spilled == list(range(20_000))
    assert runs_peak < whole_peak / 4, (runs_peak, whole_peak)
    print(f"峰值：整个排序 {whole_peak / 1e6:.1f} MB，分段排序 {runs_peak / 1e6:.1f} MB")


def _scan_names(root: Path, in_memory: int):  # noqa: ANN202
    scanner = SourceScan([str(root)])
    scanner.in_memory = in_memory
    for entry in scanner:  # one at a time, as the planner takes them
        yield entry.rel_path
