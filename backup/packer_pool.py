"""Pack planned packages in worker processes, ahead of the tape writer but never too far ahead.

- Worker processes (spawned, the same on Linux and Windows), one per core by default: LZMA2 is
  CPU-bound and packages are independent, so they scale with cores.
- Packages are submitted in plan order and handed to the consumer in sequence order, whatever
  order they finish in. A job's plans come as a stream from its plan store, taken one at a time
  as staging room frees, so the pool never holds more plans than it has packages in flight.
- The staging folder is bounded by `max_staged` packages (default two per worker plus one),
  counting those being packed, those finished but not yet taken, and those the consumer holds
  until it calls `release()`, which deletes the file. So disk use stays below
  `max_staged × MAX_FILE_SIZE` however slow the tape is.
- `cancel()` (from any thread) stops the workers at their next read, discards unfinished and
  undelivered packages, and makes the iteration raise `PackingCancelled`.
- `progress()` reports bytes read so far by all workers and the rate since start, for the ETA.
- Workers run at a lower CPU priority than the job process: a tape drive must be fed steadily
  (a starved drive stops and repositions — "shoe-shining"), so when compression wants every core
  the thread that writes to tape still gets the CPU it needs at once, and the packers take the
  rest. Throughput is unchanged: nothing else competes for the cores the writer leaves idle.

The staging folder belongs to one pool; packages appear in it only complete (see `backup.pack`).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any

from backup.pack import DEFAULT_LEVEL, DEFAULT_SOLID_BLOCK_SIZE, PackResult, pack_package
from backup.plan import PackagePlan
from backup.reader import PackCancelled
from kernel.errors import EXIT_STATE, TafError


class PackingCancelled(TafError):
    """The packing was cancelled; packages not yet delivered were discarded."""

    exit_code = EXIT_STATE
    default_message = "打包已取消"


@dataclass(frozen=True, slots=True)
class PoolProgress:
    bytes_done: int
    bytes_total: int
    packages_done: int
    packages_total: int
    elapsed_seconds: float

    @property
    def rate_bytes_per_second(self) -> float:
        return self.bytes_done / self.elapsed_seconds if self.elapsed_seconds > 0 else 0.0

    @property
    def eta_seconds(self) -> float | None:
        rate = self.rate_bytes_per_second
        if rate <= 0:
            return None
        return max(self.bytes_total - self.bytes_done, 0) / rate


def default_max_staged(workers: int) -> int:
    """Two packages per worker plus one: each worker can start the next while the tape takes one."""
    return 2 * workers + 1


WORKER_NICENESS = 10  # POSIX nice increment for packers; Windows gets BELOW_NORMAL_PRIORITY_CLASS
_BELOW_NORMAL_PRIORITY_CLASS = 0x4000


def lower_priority() -> None:
    """Make the calling process yield the CPU to the job process's tape writer (see module doc)."""
    if sys.platform == "win32":
        import ctypes  # Windows only: POSIX workers need not load it

        kernel32 = ctypes.WinDLL("kernel32")  # type: ignore[attr-defined, unused-ignore]
        # The pseudo-handle -1 is pointer-sized: without these types ctypes would pass a 32-bit int.
        kernel32.GetCurrentProcess.restype = ctypes.c_void_p
        kernel32.SetPriorityClass.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
        kernel32.SetPriorityClass(kernel32.GetCurrentProcess(), _BELOW_NORMAL_PRIORITY_CLASS)
    else:
        os.nice(WORKER_NICENESS)


# Set in each worker process by `_init_worker`.
_stop_event: Any = None
_bytes_counter: Any = None


def _init_worker(stop_event: Any, bytes_counter: Any) -> None:
    global _stop_event, _bytes_counter
    _stop_event = stop_event
    _bytes_counter = bytes_counter
    lower_priority()
    _exit_with_parent()


def _exit_with_parent() -> None:
    """End this worker the moment the job process dies.

    A worker waits for work on a queue whose writing end it holds itself, so it never sees EOF:
    after a `kill -9` of the job (B5 drills, a crash) it would wait forever, keep the job's stdout
    open and hold its staging folder. The parent's sentinel becomes ready when the parent is gone.
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="taf-parent-watch", daemon=True).start()


def _count_bytes(n: int) -> None:
    with _bytes_counter.get_lock():
        _bytes_counter.value += n


def _pack_in_worker(plan: PackagePlan, staging_dir: str, level: int, solid_block_size: int) -> PackResult:
    return pack_package(
        plan,
        staging_dir,
        level=level,
        solid_block_size=solid_block_size,
        on_read=_count_bytes,
        should_stop=_stop_event.is_set,
    )


class PackerPool:
    """Iterate to receive `PackResult`s in sequence order; `release()` each once it is on tape."""

    def __init__(
        self,
        plans: Iterable[PackagePlan],
        staging_dir: str | os.PathLike[str],
        *,
        level: int = DEFAULT_LEVEL,
        solid_block_size: int = DEFAULT_SOLID_BLOCK_SIZE,
        workers: int | None = None,
        max_staged: int | None = None,
        mp_context: BaseContext | None = None,
        totals: tuple[int, int] | None = None,
    ) -> None:
        """`plans` is taken whole and sorted by sequence number; or, with `totals` (the packages and
        payload bytes it holds, for `progress()`), it is a stream already in sequence order, taken
        one plan at a time as staging room frees (a job's stored plan: it never holds all of them)."""
        if totals is None:
            ordered = sorted(plans, key=lambda p: p.seq)
            totals = (len(ordered), sum(p.payload_bytes for p in ordered))
            plans = ordered
        self._plans: Iterator[PackagePlan] = iter(plans)
        self._packages_total, self._bytes_total = totals
        self._exhausted = False
        self._lookahead: PackagePlan | None = None  # taken from `plans` but not yet submitted
        self._staging_dir = os.fspath(staging_dir)
        self._job_args = (self._staging_dir, level, solid_block_size)
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.max_staged = max_staged if max_staged is not None else default_max_staged(self.workers)
        if self.max_staged < 1:
            raise ValueError("max_staged must be at least 1")
        context = mp_context or multiprocessing.get_context("spawn")
        self._stop = context.Event()
        self._bytes_counter = context.Value("q", 0)
        self._executor = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=context,
            initializer=_init_worker,
            initargs=(self._stop, self._bytes_counter),
        )
        self._lock = threading.Lock()
        self._pending: deque[Future[PackResult]] = deque()
        self._held = 0
        self._packages_done = 0
        self._done_lock = threading.Lock()
        self._cancelled = threading.Event()
        self._started = time.monotonic()

    # consumer side

    def __iter__(self) -> Iterator[PackResult]:
        while True:
            with self._lock:
                self._fill()
                if not self._pending and not self._cancelled.is_set():
                    if self._lookahead is None:
                        self._lookahead = self._take()  # no room to submit it: is there one at all?
                    if self._lookahead is None:
                        break
                    raise RuntimeError("every staging slot is held: release() delivered packages first")
                future = self._pending.popleft() if self._pending else None
            result = self._result_of(future)
            with self._lock:
                self._held += 1
            yield result
        self.close()

    def release(self, result: PackResult) -> None:
        """The consumer is done with a package: delete its staging file and free its slot."""
        Path(result.path).unlink(missing_ok=True)
        with self._lock:
            self._held -= 1
            self._fill()

    @property
    def in_flight(self) -> int:
        """Packages submitted, finished or held: what the staging bound counts."""
        with self._lock:
            return len(self._pending) + self._held

    def progress(self) -> PoolProgress:
        return PoolProgress(
            bytes_done=self._bytes_counter.value,
            bytes_total=self._bytes_total,
            packages_done=self._packages_done,
            packages_total=self._packages_total,
            elapsed_seconds=time.monotonic() - self._started,
        )

    # control

    def cancel(self) -> None:
        """Stop packing; safe from any thread. The iteration then raises PackingCancelled."""
        self._cancelled.set()
        self._stop.set()
        with self._lock:
            for future in self._pending:
                future.cancel()

    def close(self) -> None:
        """Shut the workers down; discard what was packed but not delivered."""
        with self._lock:
            leftovers = list(self._pending)
            self._pending.clear()
            self._stop_taking_plans()
        if leftovers:
            self._stop.set()
            for future in leftovers:
                future.cancel()
            wait_futures(leftovers)
            for future in leftovers:
                self._discard(future)
        self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> PackerPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # internals

    def _fill(self) -> None:
        """Submit plans in order while the staging bound allows (caller holds the lock)."""
        while not self._cancelled.is_set() and len(self._pending) + self._held < self.max_staged:
            plan = self._take()
            if plan is None:
                break
            future = self._executor.submit(_pack_in_worker, plan, *self._job_args)
            future.add_done_callback(self._count_done)
            self._pending.append(future)

    def _take(self) -> PackagePlan | None:
        """The next plan to pack, or None once there is none (caller holds the lock)."""
        taken, self._lookahead = self._lookahead, None
        if taken is None and not self._exhausted:
            taken = next(self._plans, None)
            if taken is None:
                self._stop_taking_plans()
        return taken

    def _stop_taking_plans(self) -> None:
        """No plan is taken from here on; a stream of plans lets go of what it reads from (caller holds the lock)."""
        self._exhausted = True
        self._lookahead = None
        close = getattr(self._plans, "close", None)
        if close is not None:
            close()

    def _count_done(self, future: Future[PackResult]) -> None:
        # Runs on the executor's manager thread, which `submit` may need while `_lock` is held:
        # so this takes a lock of its own.
        if not future.cancelled() and future.exception() is None:
            with self._done_lock:
                self._packages_done += 1

    def _result_of(self, future: Future[PackResult] | None) -> PackResult:
        try:
            if future is None or self._cancelled.is_set():
                raise PackCancelled()
            result = future.result()
        except (PackCancelled, CancelledError) as error:
            if future is not None:
                self._discard(future)
            self.close()
            raise PackingCancelled() from error
        except BaseException:
            self.cancel()
            self.close()
            raise
        if self._cancelled.is_set():
            Path(result.path).unlink(missing_ok=True)
            self.close()
            raise PackingCancelled()
        return result

    @staticmethod
    def _discard(future: Future[PackResult]) -> None:
        if future.cancelled():
            return
        try:
            result = future.result()
        except BaseException:
            return
        Path(result.path).unlink(missing_ok=True)
