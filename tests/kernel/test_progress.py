"""The progress model: its catalogue of phases, the board a job keeps, and one suite of tests run
against both stores — files under a data folder, and a real Redis at 127.0.0.1:6379."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kernel.progress import (
    BACKUP,
    ERASE,
    FINISHED,
    PHASES,
    REBUILD,
    RESTORE,
    FileProgress,
    Progress,
    ProgressBoard,
    ProgressStore,
    RedisProgress,
)
from tests.kernel.rediskit import REDIS_URL, redis_prefix


@pytest.fixture(params=["files", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ProgressStore]:
    if request.param == "files":
        yield FileProgress(tmp_path)
        return
    with redis_prefix() as prefix:
        redis_store = RedisProgress(REDIS_URL, prefix=prefix)
        yield redis_store
        redis_store.close()


# -- the model -------------------------------------------------------------------------------------


def test_every_phase_is_an_ascii_code_with_a_chinese_label() -> None:
    for code, label in PHASES.items():
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", code), code
        assert label and not any(character.isascii() for character in label), label
    assert FINISHED.issubset(PHASES)
    assert Progress("任务", phase="wait_tape").phase_label == "等待换盘"


def test_the_fraction_counts_what_each_kind_of_job_counts() -> None:
    assert Progress("备份", BACKUP, packages_total=4, packages_written=3, bytes_total=100).fraction == 0.75
    assert Progress("恢复", RESTORE, packages_total=4, packages_read=1).fraction == 0.25
    assert Progress("重建", REBUILD, cartridges_total=2, cartridges_done=1).fraction == 0.5
    assert Progress("擦除", ERASE, device_fraction=0.4).fraction == 0.4
    assert Progress("刚开始", RESTORE).fraction == 0.0


def test_the_published_form_carries_the_label_and_the_fraction_and_reads_back_whole() -> None:
    progress = Progress("任务", RESTORE, phase="read", packages_total=2, packages_read=1)
    published = progress.to_dict()
    assert published["phase"] == "read" and published["phase_label"] == "读取磁带"
    assert published["fraction"] == 0.5
    assert Progress.from_dict(published) == progress


# -- both stores -----------------------------------------------------------------------------------


def test_a_published_snapshot_is_read_back_whole(store: ProgressStore) -> None:
    assert store.latest("恢复") is None
    progress = Progress("恢复", RESTORE, phase="wait_tape", files_total=10, files_done=4, bytes_total=1000,
                        bytes_done=400, bytes_read=650, packages_total=4, packages_read=1,
                        current_cartridge="TAF001L9", request="请将磁带 TAF002L9 装入驱动器", eta_seconds=None)
    store.publish(progress)
    assert store.latest("恢复") == progress
    assert store.latest("备份") is None  # another job, even one whose id is as long


def test_next_update_returns_a_newer_snapshot_and_nothing_once_its_time_is_up(store: ProgressStore) -> None:
    first = Progress("任务", phase="pack", updated_at=1000.0)
    store.publish(first)
    assert store.next_update("任务", after=0.0, timeout=5) == first
    assert store.next_update("任务", after=1000.0, timeout=0.2) is None
    second = Progress("任务", phase="write", updated_at=1001.0)
    publisher = threading.Thread(target=store.publish, args=(second,))
    publisher.start()  # before or after the reader starts waiting: either way it is seen
    assert store.next_update("任务", after=1000.0, timeout=30) == second
    publisher.join()


def test_watch_yields_each_update_as_it_comes_until_the_job_finishes(store: ProgressStore) -> None:
    seen: list[str] = []
    delivered = threading.Event()

    def publish_each() -> None:
        for number, phase in enumerate(["prepare", "read", "wait_tape", "read", "done"]):
            store.publish(Progress("任务", RESTORE, phase=phase, updated_at=2000.0 + number))
            assert delivered.wait(30)  # the next one only once the reader has this one
            delivered.clear()

    publisher = threading.Thread(target=publish_each)
    publisher.start()
    for progress in store.watch("任务", idle_timeout=30):
        seen.append(progress.phase)
        delivered.set()
    publisher.join()
    assert seen == ["prepare", "read", "wait_tape", "read", "done"]


# -- the board -------------------------------------------------------------------------------------


def test_the_board_holds_small_changes_back_and_publishes_a_new_phase_or_request_at_once(
        store: ProgressStore) -> None:
    board = ProgressBoard(store, "任务", BACKUP, interval=3600)
    board.update(force=True, phase="pack", packages_total=3)
    board.update(bytes_packed=10)
    assert store.latest("任务").bytes_packed == 0  # type: ignore[union-attr]
    board.update(phase="write")
    assert (store.latest("任务").phase, store.latest("任务").bytes_packed) == ("write", 10)  # type: ignore[union-attr]
    board.update(request="请装入一盘可写入的磁带")
    assert store.latest("任务").request == "请装入一盘可写入的磁带"  # type: ignore[union-attr]


def test_a_heartbeat_publishes_while_the_job_itself_is_quiet(store: ProgressStore) -> None:
    board = ProgressBoard(store, "任务", RESTORE, interval=3600)
    board.update(force=True, phase="wait_tape", request="请将磁带 TAF001L9 装入驱动器")
    first = store.latest("任务")
    assert first is not None
    with board.heartbeat(interval=0.05):
        fresher = store.next_update("任务", after=first.updated_at, timeout=30)
    assert fresher is not None and fresher.phase == "wait_tape" and fresher.request == first.request


def test_a_run_ends_done_or_failed_with_what_went_wrong(store: ProgressStore) -> None:
    with ProgressBoard(store, "校验", "verify").running(phase="load", cartridges_total=1):
        assert store.latest("校验").phase == "load"  # type: ignore[union-attr]
    assert store.latest("校验").phase == "done"  # type: ignore[union-attr]
    with pytest.raises(OSError), ProgressBoard(store, "擦除", ERASE).running(phase="erase"):
        raise OSError("驱动器没有响应")
    failed = store.latest("擦除")
    assert failed is not None and failed.phase == "failed" and failed.message == "驱动器没有响应"


def test_a_store_that_fails_never_stops_the_job(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    class Unwritable(FileProgress):
        def publish(self, progress: Progress) -> None:
            raise OSError("磁盘已满")

    told: list[str] = []
    board = ProgressBoard(Unwritable(tmp_path), "任务", RESTORE, observer=lambda state: told.append(state.phase))
    with caplog.at_level(logging.WARNING, logger="taf.progress"):
        for phase in ("prepare", "read", "done"):
            board.update(phase=phase)
    assert told == ["prepare", "read", "done"]
    assert len([r for r in caplog.records if "无法发布" in r.getMessage()]) == 1  # said once, not per tick


def test_a_status_command_still_works_while_redis_is_out_of_reach(caplog: pytest.LogCaptureFixture) -> None:
    unreachable = RedisProgress("redis://127.0.0.1:1/0")
    with caplog.at_level(logging.WARNING, logger="taf.progress"):
        assert unreachable.latest("任务") is None
    assert "无法从 Redis 读取" in caplog.text
    unreachable.close()


# -- the composition root --------------------------------------------------------------------------


def test_the_composition_root_publishes_to_files_unless_redis_is_configured(taf_env: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from bootstrap import build
    from config import ConfigError, load_settings

    services = build()
    try:
        assert isinstance(services.progress, FileProgress)
        assert services.progress.folder == services.settings.data_dir / "progress"
    finally:
        services.close()
    with redis_prefix() as prefix:
        monkeypatch.setenv("REDIS_URL", REDIS_URL)
        monkeypatch.setenv("REDIS_KEY_PREFIX", prefix)
        services = build()
        try:
            assert isinstance(services.progress, RedisProgress) and services.progress.prefix == prefix
            services.progress.publish(Progress("任务", phase="scan"))
            assert RedisProgress(REDIS_URL, prefix=prefix).latest("任务").phase == "scan"  # type: ignore[union-attr]
        finally:
            services.close()
    monkeypatch.setenv("REDIS_KEY_PREFIX", "有 空格")
    with pytest.raises(ConfigError, match="REDIS_KEY_PREFIX"):
        load_settings()


def test_progress_files_not_written_for_a_week_are_swept_as_redis_forgets_them(tmp_path: Path) -> None:
    import os
    import time

    store = FileProgress(tmp_path, keep_seconds=3600, sweep_seconds=3600)
    store.publish(Progress("old-job", BACKUP, phase="done"))
    store.publish(Progress("recent-job", BACKUP, phase="done"))
    week_ago = time.time() - 7 * 24 * 3600
    os.utime(store.path("old-job"), (week_ago, week_ago))
    left_over = store.folder / "old-job.123.456.tmp"  # what a writer killed mid-write leaves
    left_over.write_text("{")
    os.utime(left_over, (week_ago, week_ago))

    store.publish(Progress("tape-load-1", "load", phase="load"))  # within the hour: no sweep yet
    assert store.latest("old-job") is not None

    fresh = FileProgress(tmp_path, keep_seconds=3600)  # another process: its first publication sweeps
    fresh.publish(Progress("running-job", BACKUP, phase="write"))
    assert store.latest("old-job") is None and not left_over.exists()
    assert {p.stem for p in store.folder.iterdir()} == {"recent-job", "tape-load-1", "running-job"}
    assert fresh.sweep() == 0
    assert FileProgress(tmp_path / "nowhere").sweep() == 0  # no folder yet: nothing to do
