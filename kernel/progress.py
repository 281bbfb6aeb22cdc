"""One progress model for every long job, and the two places it is published.

A long job — backup, restore, erase, read-back verification, catalog rebuild from tapes — keeps
its `Progress` on a `ProgressBoard`, which publishes it through a `ProgressStore` at most every
half second (at once when the phase, the message or an operator request changes) and, through
its heartbeat, at least once a second:

- `FileProgress`: DATA_DIR/progress/<job>.json, replaced atomically — readers on the same host;
- `RedisProgress` (when REDIS_URL is set): the latest value under a key and every update on a
  pub/sub channel — a web or TUI process on any host sees each update within a second.

Progress ticks are never ledger events; milestones (a package written, a tape requested) are, in
the rooms that own them. Phases are stable ASCII codes whose Chinese labels live only in `PHASES`,
so every face shows the same words and a client may decide by code.

This module imports nothing from TAF; `redis` is imported only when a Redis store is built.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from types import TracebackType
from typing import Any

log = logging.getLogger("taf.progress")

# The kinds of long job.
BACKUP, RESTORE, ERASE, VERIFY, REBUILD = "backup", "restore", "erase", "verify", "rebuild"

# Every phase a job can be in, by code, with the label people read: the one catalogue.
PHASES: dict[str, str] = {
    "prepare": "准备",
    "scan": "扫描",
    "plan": "规划数据包",
    "pack": "打包",
    "write": "写入磁带",
    "wait_tape": "等待换盘",
    "wait_drive": "等待驱动器",
    "load": "装入磁带",
    "read": "读取磁带",
    "unpack": "解出文件",
    "check": "核对文件",
    "erase": "擦除磁带",
    "catalog": "更新目录",
    "done": "完成",
    "failed": "失败",
    "paused": "已暂停",
    "cancelled": "已取消",
}
FINISHED = frozenset({"done", "failed", "paused", "cancelled"})
# Changes that are published at once: what the job is doing, what it says, what it asks for.
_NOTEWORTHY = ("phase", "message", "request")
KEEP_SECONDS = 7 * 24 * 3600  # how long a job's last progress is kept after its last update
_UNSAFE_IN_NAMES = re.compile(r"[^\w.-]")


@dataclass
class Progress:
    """How far one job is right now.

    Each job fills the fields that apply to it: a backup scans, packs and writes packages to tape;
    a restore, a verification and a rebuild read them; an erase has only what its drive reports.
    """

    job_id: str
    kind: str = BACKUP
    phase: str = "prepare"
    files_total: int = 0
    files_done: int = 0  # restored (restore), checked (verify)
    files_scanned: int = 0  # found so far by a backup's scan
    bytes_total: int = 0  # a backup's input bytes; the bytes of the files a restore brings back
    bytes_done: int = 0  # written to a restore's target
    bytes_scanned: int = 0
    bytes_packed: int = 0
    bytes_written: int = 0  # to tape
    bytes_read: int = 0  # from tape
    packages_total: int = 0
    packages_written: int = 0
    packages_read: int = 0
    cartridges_total: int = 0
    cartridges_done: int = 0
    current_package: str = ""
    current_cartridge: str = ""
    pack_rate: float = 0.0  # input bytes packed per second
    write_rate: float = 0.0  # bytes to tape per second
    read_rate: float = 0.0  # bytes from tape per second
    eta_seconds: float | None = None  # None: not known yet
    device_fraction: float | None = None  # what a device reports of an act it times itself (an erase)
    looked_at: float = 0.0  # when a job waiting for a cartridge last looked in the drive (Unix time; 0: never)
    request: str = ""  # what the operator must do now (换盘: "请将磁带 X 装入驱动器"), "" when nothing
    message: str = ""  # the last thing the job said
    started_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)

    @property
    def phase_label(self) -> str:
        return PHASES.get(self.phase, self.phase)

    @property
    def finished(self) -> bool:
        return self.phase in FINISHED

    @property
    def fraction(self) -> float:
        """How much of the job is done: what the device says, else by packages (on tape for a
        backup — its bytes on tape are packed bytes, its total input bytes — read for the others),
        else by cartridges, else by bytes."""
        if self.device_fraction is not None:
            return min(1.0, max(0.0, self.device_fraction))
        for done, total in ((self.packages_written + self.packages_read, self.packages_total),
                            (self.cartridges_done, self.cartridges_total), (self.bytes_done, self.bytes_total)):
            if total:
                return min(1.0, done / total)
        return 0.0

    def to_dict(self) -> dict[str, Any]:
        """The published form: every field, the phase's label and the fraction done."""
        return {**asdict(self), "phase_label": self.phase_label, "fraction": self.fraction}

    @classmethod
    def from_dict(cls, content: dict[str, Any]) -> Progress:
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in content.items() if key in known})


def remaining_seconds(left: float, rate: float) -> float | None:
    """Seconds until `left` units are done at `rate` per second; None while the rate is unknown."""
    if left <= 0:
        return 0.0
    return left / rate if rate > 0 else None


def _parse(raw: str | bytes | None) -> Progress | None:
    if raw is None:
        return None
    try:
        return Progress.from_dict(json.loads(raw))
    except (ValueError, TypeError):
        return None


# -- where progress goes -----------------------------------------------------------------------------


class ProgressStore(ABC):
    """Where progress is published and read: a folder on one host, or a Redis server for all."""

    @abstractmethod
    def publish(self, progress: Progress) -> None:
        """Make `progress` the job's latest value and tell whoever waits for it."""

    @abstractmethod
    def latest(self, job_id: str) -> Progress | None:
        """The job's last published progress; None if it never published any."""

    @abstractmethod
    def next_update(self, job_id: str, after: float = 0.0, timeout: float = 1.0) -> Progress | None:
        """The job's progress once its `updated_at` is later than `after`, waiting up to `timeout`
        seconds; None if nothing newer came."""

    def watch(self, job_id: str, *, idle_timeout: float = 30.0) -> Iterator[Progress]:
        """Each update of the job as it is published, the current one first, until the job has
        finished or nothing came for `idle_timeout` seconds (for the web's SSE and the TUI)."""
        after = 0.0
        while True:
            progress = self.next_update(job_id, after, idle_timeout)
            if progress is None:
                return
            yield progress
            if progress.finished:
                return
            after = progress.updated_at

    @abstractmethod
    def close(self) -> None:
        """Let go of connections, if any."""


class FileProgress(ProgressStore):
    """DATA_DIR/progress/<job>.json, replaced atomically so a reader always sees a whole snapshot.

    Like Redis's copy (`RedisProgress.keep_seconds`), a file not written for `keep_seconds` is
    removed: every job and every tape act leaves one, and the folder would otherwise grow for ever.
    What is kept longer lives in the ledger. The folder is swept at most once every `sweep_seconds`
    per process, by whoever publishes then.
    """

    def __init__(self, data_dir: Path, poll_seconds: float = 0.1, keep_seconds: int = KEEP_SECONDS,
                 sweep_seconds: float = 3600.0) -> None:
        self.folder = Path(data_dir) / "progress"
        self.poll_seconds = poll_seconds
        self.keep_seconds = keep_seconds
        self.sweep_seconds = sweep_seconds
        self._next_sweep = 0.0  # the first publication sweeps

    def path(self, job_id: str) -> Path:
        """The job's file: its id with anything a file name may not hold (`:` on Windows) as `_`."""
        return self.folder / (_UNSAFE_IN_NAMES.sub("_", job_id) + ".json")

    def publish(self, progress: Progress) -> None:
        path = self.path(progress.job_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        temporary.write_text(json.dumps(progress.to_dict(), ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, path)
        if time.monotonic() >= self._next_sweep:
            self._next_sweep = time.monotonic() + self.sweep_seconds
            self.sweep()

    def sweep(self) -> int:
        """Remove the files (and any half-written ones a killed writer left) not written for
        `keep_seconds`; how many went."""
        oldest = time.time() - self.keep_seconds
        removed = 0
        with contextlib.suppress(OSError), os.scandir(self.folder) as entries:
            for entry in entries:
                with contextlib.suppress(OSError):  # another process may sweep the same file
                    if entry.is_file() and entry.stat().st_mtime < oldest:
                        os.unlink(entry.path)
                        removed += 1
        return removed

    def latest(self, job_id: str) -> Progress | None:
        try:
            return _parse(self.path(job_id).read_text(encoding="utf-8"))
        except OSError:
            return None

    def next_update(self, job_id: str, after: float = 0.0, timeout: float = 1.0) -> Progress | None:
        deadline = time.monotonic() + timeout
        while True:
            progress = self.latest(job_id)
            if progress is not None and progress.updated_at > after:
                return progress
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            time.sleep(min(self.poll_seconds, left))

    def close(self) -> None:
        """Nothing to let go of: each publication opens and closes its own file."""


class RedisProgress(ProgressStore):
    """The latest value of each job under `<prefix>:progress:<job>` (kept `keep_seconds`), and every
    update published on the channel `<prefix>:progress-updates:<job>`."""

    def __init__(self, url: str, prefix: str = "taf", keep_seconds: int = KEEP_SECONDS) -> None:
        import redis

        self.prefix = prefix
        self.keep_seconds = keep_seconds
        self._redis = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
        self._unreachable = redis.RedisError

    def key(self, job_id: str) -> str:
        return f"{self.prefix}:progress:{job_id}"

    def channel(self, job_id: str) -> str:
        return f"{self.prefix}:progress-updates:{job_id}"

    def publish(self, progress: Progress) -> None:
        content = json.dumps(progress.to_dict(), ensure_ascii=False)
        pipe = self._redis.pipeline(transaction=False)
        pipe.set(self.key(progress.job_id), content, ex=self.keep_seconds)
        pipe.publish(self.channel(progress.job_id), content)
        pipe.execute()

    def latest(self, job_id: str) -> Progress | None:
        """As the base says; with Redis out of reach, None and a warning: a status command still
        shows what the ledger knows."""
        try:
            return _parse(self._redis.get(self.key(job_id)))
        except self._unreachable:
            log.warning("无法从 Redis 读取任务 %s 的进度", job_id, exc_info=True)
            return None

    def next_update(self, job_id: str, after: float = 0.0, timeout: float = 1.0) -> Progress | None:
        deadline = time.monotonic() + timeout
        subscription = self._redis.pubsub(ignore_subscribe_messages=True)
        subscription.subscribe(self.channel(job_id))
        try:
            # Read the latest value only once subscribed: nothing published in between is missed.
            progress = self.latest(job_id)
            while progress is None or progress.updated_at <= after:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                message = subscription.get_message(timeout=min(left, 1.0))
                progress = _parse(message["data"]) if message else None
            return progress
        finally:
            subscription.close()

    def close(self) -> None:
        self._redis.close()


# -- a running job's board -----------------------------------------------------------------------------

Observer = Callable[[Progress], None]


class ProgressBoard:
    """One running job's progress: changed as often as the job likes, published at most every
    `interval` seconds — at once when forced or when the phase, the message or the request changes.

    Each publication replaces a file or talks to Redis (milliseconds): per-block updates only
    change the state, and the next due publication carries them. `observer`, if given, is told of
    every change in this process (the CLI prints from it; tests stop a job at a chosen point).
    A store that fails is logged once and never stops the job: progress is a courtesy.
    """

    def __init__(self, store: ProgressStore | None, job_id: str, kind: str, *, interval: float = 0.5,
                 observer: Observer | None = None) -> None:
        self.store = store
        self.state = Progress(job_id, kind)
        self.interval = interval
        self.observer = observer
        self._last = 0.0
        self._failing = False
        self._lock = threading.RLock()  # the job's thread and its heartbeat both publish

    def update(self, force: bool = False, **changes: Any) -> None:
        with self._lock:
            force = force or any(key in changes and changes[key] != getattr(self.state, key) for key in _NOTEWORTHY)
            for key, value in changes.items():
                setattr(self.state, key, value)
            self.publish(force)
        if self.observer is not None:
            self.observer(self.state)

    def publish(self, force: bool = False) -> None:
        with self._lock:
            now = time.monotonic()
            if not force and now - self._last < self.interval:
                return
            self._last = now
            self.state.updated_at = time.time()
            if self.store is None:
                return
            try:
                self.store.publish(self.state)
                self._failing = False
            except Exception:
                if not self._failing:
                    log.warning("任务 %s 的进度无法发布", self.state.job_id, exc_info=True)
                self._failing = True

    def heartbeat(self, beat: Callable[[], None] | None = None, interval: float = 1.0) -> Heartbeat:
        """A started heartbeat: `beat` (by default, publishing as it is) every `interval` seconds."""
        return Heartbeat(interval, beat or (lambda: self.publish(force=True))).start()

    @contextmanager
    def running(self, **start: Any) -> Iterator[ProgressBoard]:
        """A job's whole run: published at once with `start`, kept fresh by a heartbeat, ending in
        phase "done" — or "failed", with what went wrong, if it raises."""
        self.update(force=True, **start)
        try:
            with self.heartbeat():
                yield self
        except Exception as error:
            self.update(force=True, phase="failed", message=str(error), request="")
            raise
        self.update(force=True, phase="done", request="")


class Heartbeat:
    """Calls `beat` every `interval` seconds in a thread of its own until `stop()`.

    The job's own thread may wait minutes for one package (3 GiB at LZMA2 level 9 on one core),
    for a tape or for an erase; the heartbeat keeps the figures fresh and `updated_at` moving
    meanwhile (ARCHITECTURE §5: at least once a second).
    """

    def __init__(self, interval: float, beat: Callable[[], None]) -> None:
        self._stop = threading.Event()
        self._beat = beat
        self._interval = interval
        self._thread = threading.Thread(target=self._run, name="taf-progress", daemon=True)

    def start(self) -> Heartbeat:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._beat()
            except Exception:  # progress is a courtesy: it never stops a job
                continue

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()

    def __enter__(self) -> Heartbeat:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
