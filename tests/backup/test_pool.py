"""The packer pool: worker processes, sequence-order delivery, a bounded staging folder, cancel."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from backup.pack import PackingFailed
from backup.packer_pool import (
    WORKER_NICENESS,
    PackerPool,
    PackingCancelled,
    PoolProgress,
    default_max_staged,
)
from backup.plan import plan_packages
from backup.scan import SourceScan
from tests.backup.conftest import extract_with_py7zr, random_bytes, sha256, text_bytes, write_file


def small_plans(tmp_path: Path, count: int = 8):
    for i in range(count):
        write_file(tmp_path / "src" / f"f{i:02d}.txt", text_bytes(20_000, seed=i))
    entries = list(SourceScan([tmp_path / "src"]))
    plans = plan_packages(entries, 24_000)
    assert len(plans) == count
    return plans


def staged_files(staging: Path) -> list[str]:
    return sorted(p.name for p in staging.iterdir())


def test_packages_arrive_in_sequence_order_and_release_empties_the_staging_folder(tmp_path):
    plans = small_plans(tmp_path)
    staging = tmp_path / "stage"
    staging.mkdir()
    seen = []
    with PackerPool(plans, staging, level=1, workers=2) as pool:
        for result in pool:
            seen.append(result.seq)
            (m,) = result.manifest
            assert sha256(extract_with_py7zr(result.path)[m.member]) == m.sha256
            pool.release(result)
        progress = pool.progress()
    assert seen == [p.seq for p in plans]
    assert staged_files(staging) == []
    assert progress.bytes_done == progress.bytes_total == 8 * 20_000
    assert progress.packages_done == progress.packages_total == 8
    assert progress.rate_bytes_per_second > 0 and progress.eta_seconds == 0


def test_the_pool_never_stages_more_than_its_bound(tmp_path):
    plans = small_plans(tmp_path)
    staging = tmp_path / "stage"
    staging.mkdir()
    peak = 0
    stop = threading.Event()

    def watch():
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, len(staged_files(staging)))
            time.sleep(0.002)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with PackerPool(plans, staging, level=1, workers=2, max_staged=3) as pool:
            iterator = iter(pool)
            first = next(iterator)
            time.sleep(1.0)  # a slow tape: the workers must wait, not race ahead
            assert pool.in_flight == 3
            assert len(staged_files(staging)) <= 3
            pool.release(first)
            for result in iterator:
                assert pool.in_flight <= 3
                time.sleep(0.05)
                pool.release(result)
    finally:
        stop.set()
        watcher.join()
    assert 1 <= peak <= 3


def test_holding_every_slot_is_a_consumer_error(tmp_path):
    plans = small_plans(tmp_path, count=3)
    (tmp_path / "stage").mkdir()
    with PackerPool(plans, tmp_path / "stage", level=1, workers=1, max_staged=1) as pool:
        iterator = iter(pool)
        next(iterator)
        with pytest.raises(RuntimeError):
            next(iterator)


def test_cancel_from_another_thread_stops_the_workers_and_cleans_up(tmp_path):
    # Random data through LZMA2 at level 6 is slow on purpose: the cancel lands mid-package.
    for i in range(3):
        write_file(tmp_path / "src" / f"r{i}.bin", random_bytes(6 << 20, seed=i))
    plans = plan_packages(list(SourceScan([tmp_path / "src"])), 7 << 20)
    staging = tmp_path / "stage"
    staging.mkdir()
    pool = PackerPool(plans, staging, level=6, workers=2)

    def cancel_when_started():
        while pool.progress().bytes_done == 0:
            time.sleep(0.01)
        pool.cancel()

    canceller = threading.Thread(target=cancel_when_started)
    canceller.start()
    delivered = []
    with pytest.raises(PackingCancelled):
        for result in pool:
            delivered.append(result)
            pool.release(result)
    canceller.join()
    # The workers stopped mid-package: they read a fraction of the input, not all of it and then
    # noticed (reads are paced by the level-6 encoder, ~1 MiB at a time), and delivered nothing.
    progress = pool.progress()
    assert 0 < progress.bytes_done < progress.bytes_total / 2
    assert delivered == []
    assert staged_files(staging) == []


def test_a_worker_failure_is_raised_to_the_consumer(tmp_path):
    plans = small_plans(tmp_path, count=2)
    with (
        pytest.raises(PackingFailed, match="无法写入第 1 号数据包.*暂存文件.*no-such-folder"),
        PackerPool(plans, tmp_path / "no-such-folder", level=1, workers=1) as pool,
    ):
        list(pool)


def test_default_bound_is_two_per_worker_plus_one():
    assert default_max_staged(1) == 3
    assert default_max_staged(8) == 17


def test_progress_estimates_time_left():
    progress = PoolProgress(
        bytes_done=25, bytes_total=100, packages_done=1, packages_total=4, elapsed_seconds=5.0
    )
    assert progress.rate_bytes_per_second == 5.0
    assert progress.eta_seconds == 15.0
    assert PoolProgress(0, 100, 0, 4, 1.0).eta_seconds is None


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="POSIX priorities (Windows uses a priority class)")
def test_workers_run_below_the_tape_writer_priority(tmp_path):
    plans = small_plans(tmp_path, count=2)
    staging = tmp_path / "stage"
    staging.mkdir()
    own = os.getpriority(os.PRIO_PROCESS, 0)
    expected = min(own + WORKER_NICENESS, 19)
    with PackerPool(plans, staging, level=1, workers=2) as pool:
        for result in pool:
            pool.release(result)
            workers = list(pool._executor._processes)  # the live worker pids
            # A worker lowers its priority in its initializer, which may still be starting.
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                niceness = {os.getpriority(os.PRIO_PROCESS, pid) for pid in workers}
                if niceness == {expected}:
                    break
                time.sleep(0.05)
            assert niceness == {expected}


def test_on_windows_workers_ask_for_the_below_normal_priority_class(monkeypatch):
    """The SetPriorityClass call a Windows worker makes, with pointer-sized handle types."""
    import ctypes
    import sys

    from backup import packer_pool

    calls = []

    class Function:
        def __init__(self, name):
            self.name = name
            self.restype = self.argtypes = None

        def __call__(self, *args):
            calls.append((self.name, args, self.restype, self.argtypes))
            return -1 if self.name == "GetCurrentProcess" else 1

    class Kernel32:
        GetCurrentProcess = Function("GetCurrentProcess")
        SetPriorityClass = Function("SetPriorityClass")

    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(ctypes, "WinDLL", lambda name: Kernel32, raising=False)
    monkeypatch.setattr(os, "nice", lambda n: pytest.fail("os.nice is POSIX only"))
    packer_pool.lower_priority()
    (_, _, handle_type, _), (_, (handle, priority), _, arg_types) = calls
    assert handle_type is ctypes.c_void_p and arg_types == [ctypes.c_void_p, ctypes.c_uint32]
    assert (handle, priority) == (-1, 0x4000)
