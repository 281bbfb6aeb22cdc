"""`catalog …` and `restore …` from the command line, against real packages on the emulated library."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.cli.kit import GROUP, on_tapes, small_library
from tests.restore.tapes import make_tree, tree_of

Cli = Callable[..., Any]


@pytest.fixture
def source(taf_env: Path) -> Path:
    root = taf_env / "源数据"
    root.mkdir()
    make_tree(root)
    return root


@pytest.fixture
def tapes(cli: Cli, taf_env: Path, source: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """Services over a four-slot library, the source tree written over two cartridges."""
    small_library(monkeypatch)
    monkeypatch.setenv("VTL_DIR", str(taf_env / "vtl"))
    on_tapes(source, ["TAF001L9", "TAF002L9"], taf_env / "staging")
    return cli


def _head(cli: Cli) -> int:
    return int(cli("ledger", "log", "--json").json()["head"])


# -- catalog ---------------------------------------------------------------------------------------


def test_catalog_search_by_fragment_type_group_and_date(tapes: Cli, source: Path) -> None:
    found = tapes("catalog", "search", "季度", "--json")
    assert found.code == 0, found.err
    [one] = found.json()["files"]
    assert one["path"] == f"{source}/报告/季度总结.docx" and one["group"] == GROUP and one["sha256"]
    split = tapes("catalog", "search", "数据库备份", "--json").json()["files"]
    assert len(split) == 1 and split[0]["chunks"] == 4 and len(split[0]["positions"]) == 4
    assert sorted(split[0]["cartridges"]) == ["TAF001L9"]
    assert [f["path"].rsplit("/", 1)[1] for f in tapes("catalog", "search", "--type", "DOCX", "--json").json()["files"]] \
        == ["季度总结.docx"]
    assert tapes("catalog", "search", "", "--group", GROUP, "--json").json()["count"] >= 20
    assert tapes("catalog", "search", "--since", "2030-01-01", "--json").json()["count"] == 0
    assert tapes("catalog", "search", "--until", "2023-11-13", "--json").json()["count"] == 0
    assert tapes("catalog", "search", "--since", "2023-11-13", "--until", "2023-11-15T00:00", "--json").json()[
        "count"] > 0
    text = tapes("catalog", "search", "海边")
    assert text.code == 0 and "路径" in text.out and "海边.jpg" in text.out and "共 1 个文件版本" in text.out


def test_catalog_search_bad_input(tapes: Cli) -> None:
    unknown = tapes("catalog", "search", "x", "--group", "2026-07")
    assert unknown.code == 4 and "没有备份组 2026-07" in unknown.err
    assert tapes("catalog", "search", "x", "--group", "2026-13").code == 2
    bad_date = tapes("catalog", "search", "x", "--since", "昨天")
    assert bad_date.code == 2 and "日期“昨天”无效" in bad_date.err
    assert tapes("catalog", "search", "x", "--limit", "0").code == 2
    nothing = tapes("catalog", "search", "不存在的文件名", "--json")
    assert nothing.code == 0 and nothing.json()["count"] == 0


def test_catalog_tree_walks_down_a_group(tapes: Cli, source: Path) -> None:
    top = tapes("catalog", "tree", GROUP, "--json")
    assert top.code == 0, top.err
    inside = tapes("catalog", "tree", GROUP, str(source), "--json").json()["children"]
    names = {n["name"]: n for n in inside}
    assert names["报告"]["kind"] == "dir" and names["视频.mp4"]["size"] == 150 * 1024
    assert names["快捷方式"]["kind"] == "symlink"
    text = tapes("catalog", "tree", GROUP, str(source / "报告"))
    assert "季度总结.docx" in text.out and "文件夹" in text.out
    assert tapes("catalog", "tree", "2026-08").code == 4


def test_catalog_rebuild_from_the_ledger_and_from_tapes(tapes: Cli, taf_env: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    before = tapes("catalog", "search", "", "--limit", "1000", "--json").json()
    rebuilt = tapes("catalog", "rebuild", "--json")
    assert rebuilt.code == 0 and rebuilt.json()["files"] > 0
    assert tapes("catalog", "search", "", "--limit", "1000", "--json").json() == before

    monkeypatch.setenv("DATA_DIR", str(taf_env / "新台账"))  # the ledger is lost; the tapes are not
    assert tapes("catalog", "search", "", "--json").json()["count"] == 0
    recovered = tapes("catalog", "rebuild", "--from-tapes")
    assert recovered.code == 0, recovered.err
    assert "从 2 盘磁带重建" in recovered.out and "TAF003L9 是空白磁带" in recovered.out
    after = tapes("catalog", "search", "", "--limit", "1000", "--json").json()
    key = [(f["path"], f["sha256"], f["chunks"]) for f in before["files"]]
    assert [(f["path"], f["sha256"], f["chunks"]) for f in after["files"]] == key
    again = tapes("catalog", "rebuild", "--from-tapes", "--json")
    assert again.code == 0 and again.json()["new_packages"] == 0 and again.json()["registered"] == 0


def test_rebuild_from_tapes_with_no_taf_tape_changes_nothing(cli: Cli, taf_env: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VTL_SLOTS", "2")
    monkeypatch.setenv("VTL_CAPACITY", "8M")
    result = cli("catalog", "rebuild", "--from-tapes")
    assert result.code == 4 and "没有读到任何本系统的磁带" in result.err


# -- restore ---------------------------------------------------------------------------------------


def test_restore_plan_says_which_tapes_in_what_order(tapes: Cli, source: Path) -> None:
    plan = tapes("restore", "plan", str(source / "报告"), "--json")
    assert plan.code == 0, plan.err
    body = plan.json()
    assert body["files"] == 2 and body["folders"] == 2 and len(body["steps"]) >= 1
    assert all(p["payload_block"] > p["header_block"] for s in body["steps"] for p in s["packages"])
    whole = tapes("restore", "plan", "/", "--group", GROUP, "--json").json()
    assert whole["files"] == 9 and {s["barcode"] for s in whole["steps"]} == {"TAF001L9", "TAF002L9"}
    text = tapes("restore", "plan", "海边")
    assert text.code == 0 and "需要 1 盘磁带" in text.out and "定位块号" in text.out
    missing = tapes("restore", "plan", "/没有/这个/文件")
    assert missing.code == 4 and "没有与 /没有/这个/文件 匹配的文件" in missing.err
    assert tapes("restore", "plan", "海边", "--group", "2025-01").code == 4


def test_restore_run_wait_prints_the_summary_with_bytes_read(tapes: Cli, source: Path, taf_env: Path) -> None:
    target = taf_env / "恢复"
    done = tapes("restore", "run", str(source), "--target", str(target), "--wait", "--json")
    assert done.code == 0, done.err
    body = done.json()
    assert body["status"] == "succeeded" and body["files"] == 9 and body["tape_bytes_read"] > 0
    assert sorted(body["cartridges"]) == ["TAF001L9", "TAF002L9"]
    assert tree_of(target.joinpath(*source.parts[1:])) == tree_of(source)
    again = tapes("restore", "run", "海边", "--target", str(target), "--wait", "--on-conflict", "rename")
    assert again.code == 0 and "从磁带读取" in again.out and "改名 0 个" in again.out  # identical: not copied
    status = tapes("restore", "status", body["job_id"])
    assert status.code == 0 and "成功" in status.out and "值班员" in status.out
    log = tapes("ledger", "log", "--limit", "200", "--json").json()["events"]
    mine = [e for e in log if e["event"].startswith("RestoreJob.")]
    assert {"RestoreJob.Requested", "RestoreJob.Planned", "RestoreJob.PackageRestored"} <= {e["event"] for e in mine}
    assert all(e["actor"] == "值班员" for e in mine if e["event"] == "RestoreJob.Requested")


def test_restore_run_refuses_bad_input_and_creates_nothing(tapes: Cli, source: Path, taf_env: Path) -> None:
    a_file = taf_env / "一个文件.txt"
    a_file.write_text("x")
    head = _head(tapes)
    cases = [
        (["restore", "run", str(source), "--target", str(a_file)], 2, "是一个文件"),
        (["restore", "run", "/不存在", "--target", str(taf_env / "t")], 4, "没有与"),
        (["restore", "run", str(source), "--target", str(taf_env / "t"), "--group", "2026-09"], 4, "没有备份组"),
        (["restore", "run", str(source), "--target", str(taf_env / "t"), "--on-conflict", "merge"], 2, "merge"),
        (["restore", "run", "  ", "--target", str(taf_env / "t")], 2, "没有指定要恢复的路径"),
        (["restore", "run", str(source)], 2, "--target"),
    ]
    for arguments, code, words in cases:
        result = tapes(*arguments)
        assert result.code == code and words in result.err, (arguments, result.code, result.err)
    assert _head(tapes) == head
    assert not (taf_env / "t").exists()


def test_restore_status_cancel_and_resume(tapes: Cli, source: Path, taf_env: Path) -> None:
    assert tapes("restore", "status", "not-a-job").code == 4
    assert tapes("restore", "status", "7f0c8a9e-0000-4000-8000-000000000000").code == 4
    from bootstrap import build
    from restore import service

    services = build()
    try:
        job, _, _ = service.request(services, [str(source / "readme.md")], taf_env / "t", by="值班员")
    finally:
        services.close()
    cancelled = tapes("restore", "cancel", str(job.id), "--reason", "不需要了", "--json")
    assert cancelled.code == 0 and cancelled.json()["status"] == "cancelled"
    assert tapes("restore", "cancel", str(job.id)).code == 3
    refused = tapes("restore", "resume", str(job.id))
    assert refused.code == 3 and "已取消" in refused.err
    status = tapes("restore", "status", str(job.id), "--json").json()
    assert status["status"] == "cancelled" and status["selection"] == [str(source / "readme.md")]


def test_restore_run_without_wait_runs_in_a_detached_process(tapes: Cli, source: Path, taf_env: Path) -> None:
    target = taf_env / "后台"
    queued = tapes("restore", "run", str(source / "视频.mp4"), "--target", str(target), "--key", "k-1", "--json")
    assert queued.code == 0, queued.err
    job_id = queued.json()["job_id"]
    assert queued.json()["created"] is True
    deadline = time.monotonic() + 60
    while True:
        status = tapes("restore", "status", job_id, "--json").json()
        if status["status"] in ("succeeded", "partial", "failed", "cancelled"):
            break
        assert time.monotonic() < deadline, status
        time.sleep(0.2)
    log_file = taf_env / "data" / "restore-jobs" / f"{job_id}.log"
    assert status["status"] == "succeeded", log_file.read_text(encoding="utf-8")
    assert status["figures"]["tape_bytes_read"] > 0
    # The ledger says "succeeded" a moment before the runner prints its summary and exits.
    while "恢复成功" not in log_file.read_text(encoding="utf-8"):
        assert time.monotonic() < deadline, log_file.read_text(encoding="utf-8")
        time.sleep(0.1)
    assert (target.joinpath(*source.parts[1:]) / "视频.mp4").read_bytes() == (source / "视频.mp4").read_bytes()
    same = tapes("restore", "run", str(source / "视频.mp4"), "--target", str(target), "--key", "k-1", "--json")
    assert same.code == 0 and same.json()["job_id"] == job_id and same.json()["created"] is False
