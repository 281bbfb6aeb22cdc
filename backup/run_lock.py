"""One process at a time runs a given job on this host.

The ledger cannot say whether a job marked "running" still has a live process: a killed job looks
exactly like a running one, and resuming it is the whole point of B5. So the running process holds
an OS file lock under the data folder for as long as it drives the tape; the kernel drops the lock
the moment that process dies, however it dies. A second runner of the same job (a worker that
re-queued it, a second `backup resume --wait`) is refused instead of writing the same packages
to the same tape at the same time. The same lock tells a job whose process died ("interrupted")
from one that runs: `process_gone`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from backup.messages_job import text
from ledger.domain.job import STATUS_NAMES
from ledger.errors import JobStateError
from tape.file_locks import try_lock, unlock


def lock_path(folder: Path, job_id: str) -> Path:
    return folder / "jobs" / job_id / "run.lock"


class JobRunLock:
    """`acquire(wait)` → True when this process now runs the job; `release()` when done."""

    def __init__(self, folder: Path, job_id: str) -> None:
        self.path = lock_path(folder, job_id)
        self._fd: int | None = None

    def acquire(self, wait: float = 0.0, poll: float = 0.1) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + wait
        while not try_lock(fd):
            if time.monotonic() >= deadline:
                os.close(fd)
                return False
            time.sleep(poll)
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            unlock(self._fd)
        finally:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> JobRunLock:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()


def is_running(folder: Path, job_id: str) -> bool:
    """Whether some live process on this host holds the job's run lock right now."""
    probe = JobRunLock(folder, job_id)
    if probe.acquire():
        probe.release()
        return False
    return True


def process_gone(folder: Path, job_id: str, marked_running: Callable[[], bool]) -> bool:
    """Whether the job's process on this host has died: `marked_running()` (the ledger's word, read
    now) says it runs, yet nobody holds its run lock.

    The ledger is read while this probe holds the lock, so the answer is never a false alarm: a
    runner marks a job running only once it holds the lock, and records how it ended before it lets
    go; holding the lock, the probe sees either no live runner or the state it left. A runner that
    starts meanwhile waits the few milliseconds the probe holds it (`RunOptions.lock_wait_seconds`).
    """
    probe = JobRunLock(folder, job_id)
    if not probe.acquire():
        return False
    try:
        return marked_running()
    finally:
        probe.release()


@contextmanager
def running_alone(folder: Path, job: Any, *, wait: float) -> Iterator[None]:
    """Hold the job's run lock for the block; another live process running it is a refusal, since
    two writers would put the same packages on tape twice."""
    lock = JobRunLock(folder, str(job.id))
    if not lock.acquire(wait=wait):
        raise JobStateError(job=str(job.id), status=STATUS_NAMES.get(job.status, job.status),
                            action=text("already_running"))
    try:
        yield
    finally:
        lock.release()
