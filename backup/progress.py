"""Live job progress that other processes (web, TUI, `backup status`) can read.

Progress ticks are not ledger events: they go to a small JSON file per job under the data folder,
replaced atomically at most a few times a second. Milestones (a package written, a tape change)
are ledger events; this board only says how far along the job is right now.
"""

from __future__ import annotations

import json
import os
import time
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
        return min(1.0, self.bytes_written / self.bytes_total) if self.bytes_total else 0.0


def progress_path(folder: Path, job_id: str) -> Path:
    return folder / "progress" / f"{job_id}.json"


class ProgressBoard:
    """Publishes a job's progress; `publish()` writes at most every `interval` seconds unless forced."""

    def __init__(self, folder: Path, job_id: str, interval: float = 0.5) -> None:
        self.path = progress_path(folder, job_id)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.state = Progress(job_id)
        self.interval = interval
        self._last = 0.0

    def update(self, force: bool = False, **changes: Any) -> None:
        for key, value in changes.items():
            setattr(self.state, key, value)
        self.publish(force)

    def publish(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        self.state.updated_at = time.time()
        temporary = self.path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(asdict(self.state), ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, self.path)


def read_progress(folder: Path, job_id: str) -> dict[str, Any] | None:
    path = progress_path(folder, job_id)
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None
