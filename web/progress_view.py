"""A job's progress as a page shows it: bars (scan, pack, tape for a backup; tape and files for a
restore), rates, ETA, the cartridge in use and what the operator is asked to do.

Only presentation: the figures are the job's own (`kernel.progress.Progress`), the words are in
`web.messages`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from kernel.progress import Progress
from web import messages
from web.formatting import duration, percent, size

# Phases a backup has gone past scanning in (its scan bar is full).
_SCANNED = frozenset({"plan", "pack", "write", "wait_tape", "load", "catalog", "done"})
# Phases in which no estimate means anything: the job waits for a person or a drive, or has ended.
_NO_ETA = frozenset({"wait_tape", "wait_drive", "prepare", "scan", "done", "failed", "paused", "cancelled"})


@dataclass(frozen=True)
class Bar:
    label: str
    percent: int  # 0–100
    detail: str  # figures in words: "1.2 GiB / 3.0 GiB · 85.0 MiB/s"
    busy: bool  # the figure is not known yet (a scan counting): drawn striped, not as a share


@dataclass(frozen=True)
class ProgressView:
    job_id: str
    kind: str
    phase: str
    phase_label: str
    finished: bool
    percent: int  # the whole job
    bars: list[Bar]
    message: str
    request: str  # what the job asks the operator for ("" when nothing)
    advice: str  # what to do about it
    cartridge: str
    package: str
    eta: str  # "约 3 分 20 秒", or a dash while unknown
    elapsed: str
    updated_at: float


def _rate(rate: float) -> str:
    return f"{size(rate)}/s" if rate > 0 else ""


def _joined(*parts: str) -> str:
    return " · ".join(part for part in parts if part)


def backup_bars(p: Progress) -> list[Bar]:
    scanned = p.phase in _SCANNED
    return [
        Bar(messages.BAR_SCAN, 100 if scanned else 0,
            _joined(messages.FILES.format(count=p.files_total if scanned and p.files_total else p.files_scanned),
                    size(p.bytes_total if scanned and p.bytes_total else p.bytes_scanned)), busy=not scanned),
        Bar(messages.BAR_PACK, percent(p.bytes_packed, p.bytes_total),
            _joined(f"{size(p.bytes_packed)} / {size(p.bytes_total)}", _rate(p.pack_rate)), busy=False),
        Bar(messages.BAR_TAPE, percent(p.packages_written, p.packages_total),
            _joined(messages.PACKAGES.format(done=p.packages_written, total=p.packages_total),
                    size(p.bytes_written), _rate(p.write_rate)), busy=False),
    ]


def restore_bars(p: Progress) -> list[Bar]:
    return [
        Bar(messages.BAR_READ, percent(p.packages_read, p.packages_total),
            _joined(messages.PACKAGES.format(done=p.packages_read, total=p.packages_total), size(p.bytes_read),
                    _rate(p.read_rate)), busy=False),
        Bar(messages.BAR_FILES, percent(p.bytes_done, p.bytes_total) if p.bytes_total else percent(p.files_done, p.files_total),
            _joined(messages.FILES_OF.format(done=p.files_done, total=p.files_total),
                    f"{size(p.bytes_done)} / {size(p.bytes_total)}"), busy=False),
    ]


def generic_bars(p: Progress) -> list[Bar]:
    return [Bar(p.phase_label, round(100 * p.fraction), "", busy=p.fraction == 0 and not p.finished)]


def progress_view(p: Progress, now: float | None = None) -> ProgressView:
    bars = backup_bars(p) if p.kind == "backup" else restore_bars(p) if p.kind == "restore" else generic_bars(p)
    done = p.phase == "done"
    return ProgressView(
        job_id=p.job_id, kind=p.kind, phase=p.phase, phase_label=p.phase_label, finished=p.finished,
        percent=100 if done else round(100 * p.fraction), bars=bars, message=p.message, request=p.request,
        advice=messages.TAPE_ADVICE.get(p.kind, messages.TAPE_ADVICE["backup"]) if p.request else "",
        cartridge=p.current_cartridge, package=p.current_package,
        eta=duration(p.eta_seconds) if p.eta_seconds and p.eta_seconds >= 1 and p.phase not in _NO_ETA else "",
        elapsed=duration(max(0.0, (p.updated_at if p.finished else (now or time.time())) - p.started_at)),
        updated_at=p.updated_at,
    )
