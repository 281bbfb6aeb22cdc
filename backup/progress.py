"""Live job progress that other processes (web, TUI, `backup status`) can read.

Progress ticks are not ledger events: they go to a small JSON file per job under the data folder,
replaced atomically at most a few times a second. Milestones (a package written, a tape change)
are ledger events; this board only says how far along the job is right now.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Progress:
    job_id: str
    phase: str = "准备"
    files_scanned: int = 0
    bytes_scanned: int = 0
    files_total: int = 0
    bytes_total: int = 0
    bytes_packed: int = 0
    bytes_written: int = 0
    packages_total: int = 0
    packages_written: int = 0
    current_package: str = ""
    current_cartridge: str = ""
    pack_rate: float = 0.0
    write_rate: float = 0.0
    eta_seconds: float | None = None
    message: str = ""
    updated_at: float = field(default_factory=time.time)

    @property
    def fraction(self) -> float:
        """How much of the job is safely on tape. By packages: bytes on tape are packed bytes and
        `bytes_total` is input bytes, so their ratio would stop short of 1 for compressible data."""
        return min(1.0, self.packages_written / self.packages_total) if self.packages_total else 0.0


def job_eta(pack_left: int, pack_rate: float, tape_left: int, tape_rate: float) -> float | None:
    """Seconds until the job ends: the later of packing and the tape, which run side by side.

    `pack_left` / `tape_left` are input bytes not yet packed / not yet on tape; the rates are in
    input bytes per second (the tape's from packages already written, since the tape is handed
    packed bytes). A rate of 0 means not yet measured. Packing alone would say 0 while the last
    packages still wait for the tape, which is when an operator most wants to know: with bytes
    left for the tape and no tape rate yet, "unknown" (None) is the honest answer once packing is
    done, and packing's own estimate a lower bound before that.
    """
    if tape_left > 0 and tape_rate <= 0:
        return pack_left / pack_rate if pack_left > 0 and pack_rate > 0 else None
    sides = [left / rate for left, rate in ((pack_left, pack_rate), (tape_left, tape_rate)) if rate > 0]
    return max(0.0, *sides) if sides else None


def progress_path(folder: Path, job_id: str) -> Path:
    return folder / "progress" / f"{job_id}.json"


class ProgressBoard:
    """Publishes a job's progress; `publish()` writes at most every `interval` seconds unless forced.

    Each write replaces a file (a directory operation, milliseconds on some disks): per-block and
    per-package updates only change the state, and the next due publish carries them.
    """

    def __init__(self, folder: Path, job_id: str, interval: float = 0.5) -> None:
        self.path = progress_path(folder, job_id)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.state = Progress(job_id)
        self.interval = interval
        self._last = 0.0
        self._lock = threading.RLock()  # the job's thread and its heartbeat both update

    def update(self, force: bool = False, **changes: Any) -> None:
        """Change the state; published now if forced or the phase changes, else within `interval`."""
        with self._lock:
            force = force or ("phase" in changes and changes["phase"] != self.state.phase)
            for key, value in changes.items():
                setattr(self.state, key, value)
            self.publish(force)

    def publish(self, force: bool = False) -> None:
        with self._lock:
            now = time.monotonic()
            if not force and now - self._last < self.interval:
                return
            self._last = now
            self.state.updated_at = time.time()
            temporary = self.path.with_suffix(f".{os.getpid()}.tmp")
            content = {**asdict(self.state), "fraction": self.state.fraction}
            temporary.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
            os.replace(temporary, self.path)


class Heartbeat:
    """Calls `beat` every `interval` seconds in a thread of its own until `stop()`.

    The job's own thread may wait minutes for one package (3 GiB at LZMA2 level 9 on one core)
    or for a tape; the heartbeat keeps bytes packed, rates and the ETA fresh meanwhile (ARCHITECTURE
    §5: at least once a second).
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
        if self._thread.is_alive():
            self._thread.join()


def read_progress(folder: Path, job_id: str) -> dict[str, Any] | None:
    path = progress_path(folder, job_id)
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None
