"""The pure rules: what a PATH argument means, which version is taken, where an entry may go."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from restore.errors import BadRequest
from restore.paths import (
    UnsafePath,
    check_member,
    ensure_folder,
    link_stays_inside,
    partial_name,
    relative_parts,
    renamed,
)
from restore.selection import Selector, latest_versions, parse_selector


@pytest.mark.parametrize(("raw", "expected"), [
    ("/", Selector("all", "/")),
    ("\\", Selector("all", "/")),
    ("/srv/data/报告/", Selector("path", "/srv/data/报告")),
    ("C:\\Users\\李\\文档", Selector("path", "C:/Users/李/文档")),
    ("报告", Selector("pattern", "报告")),
    ("2024\\财务", Selector("pattern", "2024/财务")),
])
def test_a_path_argument_means_what_its_form_says(raw: str, expected: Selector) -> None:
    assert parse_selector(raw) == expected


def test_an_empty_path_argument_is_refused() -> None:
    with pytest.raises(BadRequest):
        parse_selector("   ")


def _row(path: str, group: str, job: str, notification: int, chunk: int = 0, total: int = 1) -> dict[str, Any]:
    return {"full_path": path, "grp": group, "job_id": job, "notification_id": notification, "chunk_index": chunk,
            "total_chunks": total, "id": notification * 10 + chunk}


def test_one_version_per_path_the_newest_group_then_the_latest_run() -> None:
    rows = [_row("/a", "2026-04", "j1", 5), _row("/a", "2026-05", "j2", 3), _row("/a", "2026-05", "j3", 9),
            _row("/big", "2026-05", "j2", 4, 0, 2), _row("/big", "2026-05", "j2", 6, 1, 2),
            _row("/big", "2026-04", "j1", 1, 0, 2)]
    chosen = latest_versions(rows)
    assert [(r["full_path"], r["job_id"], r["chunk_index"]) for r in chosen] == [
        ("/a", "j3", 0), ("/big", "j2", 0), ("/big", "j2", 1)]


@pytest.mark.parametrize(("root", "path", "parts"), [
    ("/srv/data", "a/b.txt", ["srv", "data", "a", "b.txt"]),
    ("C:\\Users\\李", "文档/x.txt", ["C", "Users", "李", "文档", "x.txt"]),
    ("\\\\server\\share", "x", ["server", "share", "x"]),
    ("/", "etc/hosts", ["etc", "hosts"]),
    ("/srv", "", ["srv"]),
])
def test_entries_land_under_the_target_like_the_member_names(root: str, path: str, parts: list[str]) -> None:
    assert relative_parts(root, path) == parts


@pytest.mark.parametrize(("root", "path"), [
    ("/srv", "../etc/passwd"), ("/srv", "a/../../x"), ("/srv", "/etc/passwd"), ("/srv", "C:/x"),
    ("/srv", "C:x"), ("/srv/../..", "x"), ("/srv", "a//b"), ("/srv", "a/./b"), ("/srv", "a\x00b"),
])
def test_escaping_entries_are_refused(root: str, path: str) -> None:
    with pytest.raises(UnsafePath):
        relative_parts(root, path)


@pytest.mark.parametrize("member", ["../x", "/x", "C:x", "c:/x", "a/../../x", "a\\..\\x", "a//b", "./a"])
def test_unsafe_member_names_are_refused(member: str) -> None:
    with pytest.raises(UnsafePath):
        check_member(member)


def test_links_may_point_only_inside_the_target(tmp_path: Path) -> None:
    parts = ["srv", "data", "link"]
    assert link_stays_inside(tmp_path, parts, "a.txt")
    assert link_stays_inside(tmp_path, parts, "../../other")
    assert not link_stays_inside(tmp_path, parts, "../../../outside")
    assert not link_stays_inside(tmp_path, parts, "/etc/passwd")
    assert not link_stays_inside(tmp_path, parts, "C:\\Windows")
    assert not link_stays_inside(tmp_path, parts, "")


def test_folders_are_made_one_step_at_a_time_and_never_through_a_link_out(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    assert ensure_folder(target, ["a", "b"]) == target / "a" / "b"
    (target / "a" / "inner").symlink_to("b")
    assert ensure_folder(target, ["a", "inner"]) == target / "a" / "inner"
    (target / "out").symlink_to(outside)
    with pytest.raises(UnsafePath):
        ensure_folder(target, ["out", "x"])
    (target / "file").write_text("x")
    with pytest.raises(UnsafePath):
        ensure_folder(target, ["file", "x"])
    assert os.listdir(outside) == []


def test_renamed_copies_and_partial_names(tmp_path: Path) -> None:
    original = tmp_path / "报告.docx"
    original.write_text("x")
    assert renamed(original).name == "报告 (恢复 1).docx"
    (tmp_path / "报告 (恢复 1).docx").write_text("x")
    assert renamed(original).name == "报告 (恢复 2).docx"
    assert renamed(tmp_path / "README").name == "README (恢复 1)"
    assert partial_name(original, "0123456789abcdef").name == ".报告.docx.taf-01234567.part"
