"""A restore runs in one process; another process reads how far it is while it runs (issue 12).

The restore runs as `python main.py restore run … --wait` at a standalone drive with its files on
two cartridges, so it must stop and ask for each one: nothing moves on until the test plays the
operator, which makes every state the reader checks certain without timing anything. The reader
is `python main.py restore status --json` in a process of its own — on the same host (progress
files under the data folder), and on "another host" that shares only the PostgreSQL ledger and
Redis, with a data folder of its own.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from subprocess import Popen
from typing import Any

import pytest

from config import load_settings
from kernel.progress import Progress, RedisProgress
from ledger.domain import RestoreJob
from media import operations
from media.devices import open_session
from restore import messages
from tape.emulator import Library
from tests.backup.jobkit import main_py, start_main_py
from tests.conftest import postgres_url
from tests.kernel.rediskit import REDIS_URL, redis_prefix
from tests.restore.tapes import BLOCK, back_up, make_tree, tree_of

FOLDERS = {"TAF001L9": "报告", "TAF002L9": "大文件"}  # what each cartridge holds
KEY = "进度演示"


@pytest.fixture(params=["files", "redis"])
def hosts(request: pytest.FixtureRequest, taf_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """The settings of the host that runs the restore (this test's too) and of the one that reads."""
    common = {"VTL_SLOTS": "0", "VTL_CAPACITY": "8M", "VTL_DIR": str(taf_env / "vtl"), "TAF_USER": "测试员"}
    runner = {**common, "DATA_DIR": str(taf_env / "data")}
    if request.param == "files":
        hosts = {"runner": runner, "reader": dict(runner), "kind": "files"}
        for key, value in runner.items():
            monkeypatch.setenv(key, value)
        yield hosts
        return
    with redis_prefix() as prefix:
        shared = {"DATABASE_URL": postgres_url("progress"), "REDIS_URL": REDIS_URL, "REDIS_KEY_PREFIX": prefix}
        runner.update(shared)
        for key, value in runner.items():
            monkeypatch.setenv(key, value)
        yield {"runner": runner, "reader": {**common, **shared, "DATA_DIR": str(taf_env / "另一台主机")},
               "kind": "redis"}


def _on_two_cartridges(source: Path, staging: Path) -> None:
    from bootstrap import build

    services = build()
    try:
        with open_session(services, "emulated:0", "测试员") as session, Library.open(session.vtl_root) as library:
            for barcode, folder in FOLDERS.items():
                library.insert(barcode)
                session.mount()
                operations.label(session, pool="默认池", block_size=BLOCK, barcode=barcode)
                back_up(services, [source / folder], group="2026-05", barcodes=[barcode], staging=staging,
                        job_id=f"job-{barcode}", label=False, session=session)
                library.eject(barcode)
    finally:
        services.close()


def _files(folder: Path) -> tuple[int, int]:
    """How many regular files are below `folder`, and their bytes."""
    files = [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()]
    return len(files), sum(p.stat().st_size for p in files)


def _status(env: dict[str, str], job_id: str) -> dict[str, Any] | None:
    shown = main_py("restore", "status", job_id, "--json", env=env)
    return json.loads(shown.stdout) if shown.returncode == 0 else None  # None until the job exists


def _until(env: dict[str, str], job_id: str, restoring: Popen[str],
           wanted: Callable[[dict[str, Any]], bool], what: str) -> dict[str, Any]:
    """`restore status` from the reader's process, again until it shows what is wanted."""
    deadline = time.monotonic() + 180
    while True:
        status = _status(env, job_id)
        if status is not None and status["progress"] and wanted(status):
            return status
        assert restoring.poll() is None, "恢复进程提前结束：" + "".join(restoring.communicate())
        assert time.monotonic() < deadline, f"等待{what}超时：{status}"


def _asked_for(barcode: str) -> str:
    return messages.text("insert_into_drive", barcode=barcode)


def _waiting_for_either(status: dict[str, Any]) -> bool:
    # The job's status comes from the read model, its progress straight from the store: wait for both.
    return (status["status"] == "waiting_tape" and status["progress"]["phase"] == "wait_tape"
            and status["progress"]["request"] in map(_asked_for, FOLDERS))


def _watch(settings_env: dict[str, str], job_id: str, seen: list[Progress]) -> threading.Thread:
    """Every update the reader's host is told of, through its own store, until the job ends."""
    from bootstrap import progress_store

    store = progress_store(load_settings(environ=settings_env))
    thread = threading.Thread(target=lambda: seen.extend(store.watch(job_id, idle_timeout=120)), daemon=True)
    thread.start()
    return thread


def test_another_process_reads_the_restores_phase_files_and_bytes_while_it_runs(hosts: dict[str, Any],
                                                                               tmp_path: Path) -> None:
    source = tmp_path / "源数据"
    source.mkdir()
    make_tree(source)
    _on_two_cartridges(source, tmp_path / "暂存")
    runner, reader = {**os.environ, **hosts["runner"]}, {**os.environ, **hosts["reader"]}
    job_id = str(RestoreJob.create_id(KEY))
    seen: list[Progress] = []
    watcher = _watch(reader, job_id, seen)
    target = tmp_path / "还原"
    restoring = start_main_py("restore", "run", *(str(source / f) for f in FOLDERS.values()), "--target",
                              str(target), "--key", KEY, "--device", "emulated:0", "--wait", env=runner)
    every_file = [_files(source / folder) for folder in FOLDERS.values()]
    files_total, bytes_total = sum(f for f, _ in every_file), sum(b for _, b in every_file)
    try:
        # The drive is empty: the job asks for its first cartridge, and nothing is restored yet.
        first = _until(reader, job_id, restoring, _waiting_for_either, "第一次换盘请求")
        progress = first["progress"]
        assert first["status"] == "waiting_tape" and progress["phase_label"] == "等待换盘"
        assert (progress["files_done"], progress["files_total"]) == (0, files_total)
        assert (progress["bytes_done"], progress["bytes_total"]) == (0, bytes_total)
        wanted = next(b for b in FOLDERS if progress["request"] == _asked_for(b))
        other = next(b for b in FOLDERS if b != wanted)
        with Library.open(Path(hosts["runner"]["VTL_DIR"])) as library:
            library.insert(wanted)

        # It reads that one, then asks for the other: the reader sees what is done so far.
        second = _until(reader, job_id, restoring, lambda s: s["status"] == "waiting_tape" and s["progress"]["request"] == _asked_for(other),
                        "第二次换盘请求")
        progress = second["progress"]
        done_files, done_bytes = _files(source / FOLDERS[wanted])
        assert second["status"] == "waiting_tape" and progress["phase"] == "wait_tape"
        assert (progress["files_done"], progress["files_total"]) == (done_files, files_total)
        assert (progress["bytes_done"], progress["bytes_total"]) == (done_bytes, bytes_total)
        assert 0 < progress["packages_read"] < progress["packages_total"] and progress["bytes_read"] > 0
        assert progress["current_cartridge"] == wanted and 0 < progress["fraction"] < 1
        shown = main_py("restore", "status", job_id, env=reader)
        assert f"进度：等待换盘，文件 {done_files} / {files_total}" in shown.stdout, shown.stdout + shown.stderr
        with Library.open(Path(hosts["runner"]["VTL_DIR"])) as library:
            library.eject(wanted)
            library.insert(other)
        out, err = restoring.communicate(timeout=180)
    finally:
        if restoring.poll() is None:
            restoring.kill()
            restoring.communicate()
    assert restoring.returncode == 0, out + err

    last = _status(reader, job_id)
    assert last is not None and last["status"] == "succeeded"
    assert (last["progress"]["phase"], last["progress"]["phase_label"]) == ("done", "完成")
    assert (last["progress"]["files_done"], last["progress"]["bytes_done"]) == (files_total, bytes_total)
    for folder in FOLDERS.values():
        assert tree_of(target.joinpath(*(source / folder).parts[1:])) == tree_of(source / folder)
    watcher.join(120)
    assert [p.phase for p in seen][-1] == "done" and "wait_tape" in [p.phase for p in seen]
    stamps = [p.updated_at for p in seen]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    if hosts["kind"] == "redis":  # nothing went through either data folder
        assert not (Path(hosts["runner"]["DATA_DIR"]) / "progress").exists()
        assert not (Path(hosts["reader"]["DATA_DIR"]) / "progress").exists()
        assert RedisProgress(REDIS_URL, prefix=hosts["runner"]["REDIS_KEY_PREFIX"]).latest(job_id) is not None
