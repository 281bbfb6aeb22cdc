"""Pending operator requests: what a waiting job asks of the person at the drive, and answering it.

A backup on a standalone drive (or a library with no usable cartridge) asks for a tape change; a
restore asks for the cartridge it needs. The job records the wait in the ledger (status
`waiting_tape`, its `waiting_for` sentence) and publishes it as the `request` of its progress.

How a waiting job notices a cartridge: it polls the drive itself — a backup's tape supply
(`backup.supply`) and a restore's mounter (`restore.mounting`) check the drive every few seconds
(TEST UNIT READY, then the cartridge's identity), and a library's import/export slot likewise. A
face never sends a SCSI command for it (on a real drive the job holds the device exclusively).

So answering a request means:
- the job is alive and polling: the answer is the operator's word that the cartridge is in; the
  job's next check finds it, and `answer(wait=…)` reports what that check found — the job went
  on, or it is still waiting and why (a write-protected tape, another group's tape …);
- the job stalled — paused because nobody came within the configured wait (it keeps what it was
  waiting for), or marked waiting with no live process behind it — the answer resumes it through
  the worker, whose first act is to look at the drive again. Without an answer such a job would
  wait for ever.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from app.backups import Backups, BackupsDeps
from app.restores import Restores, RestoresDeps
from backup.service import interrupted
from kernel.progress import Progress
from ledger.domain.job import STATUS_NAMES

log = logging.getLogger("taf.app")

# A live job publishes its progress at least once a second (kernel.progress heartbeat): a waiting
# restore silent for longer than this has no process behind it.
STALE_SECONDS = 30.0
KIND_TEXT = {"backup": "备份", "restore": "恢复"}


class PendingDeps(BackupsDeps, RestoresDeps, Protocol):
    """The jobs view, the ledger's job aggregates, the progress store and the worker's queue."""


@dataclass(frozen=True)
class OperatorRequest:
    """One thing a job waits for the operator to do."""

    job_id: str
    kind: str  # backup or restore
    kind_text: str
    group: str
    status: str  # waiting_tape, or paused once the wait timed out
    status_text: str
    text: str  # what the job asks for, in its own words: 没有可写入的磁带, 请将磁带 TAF007L9 装入驱动器 …
    waiting: str  # what waits on it: 备份任务 2026-05（2 个源）…
    since: datetime  # when the job began to wait (its last change in the ledger)
    stalled: bool  # nobody polls the drive for it: answering resumes it
    progress: Progress | None


@dataclass(frozen=True)
class Answer:
    job_id: str
    outcome: str  # resumed, continued, still_waiting, checking or not_waiting
    text: str  # what the operator reads


class PendingRequests:
    def __init__(self, deps: PendingDeps) -> None:
        self._deps = deps

    def requests(self) -> list[OperatorRequest]:
        """Every request waiting for an answer, oldest first."""
        deps = self._deps
        deps.projector.catch_up(["jobs"])
        rows = [*deps.jobs.unfinished("backup"), *deps.jobs.unfinished("restore"),
                *deps.jobs.rows(status="paused", limit=50)]
        found = [request for row in rows if (request := self._request(row)) is not None]
        return sorted(found, key=lambda request: request.since)

    def _request(self, row: dict[str, Any]) -> OperatorRequest | None:
        kind = "restore" if row["kind"] == "restore" else "backup"
        progress = self._deps.progress.latest(row["job_id"])
        asking = bool(progress and progress.request and not progress.finished)
        # Only jobs that may be waiting are read from the ledger; the jobs view does not follow a
        # restore's wait, so a running restore may be waiting too.
        maybe = {"waiting_tape", "paused", "running"} if kind == "restore" else {"waiting_tape", "paused"}
        if not (asking or row["status"] in maybe):
            return None
        job = self._job(kind, row["job_id"])
        if job.status == "waiting_tape" or (job.status == "running" and asking):
            stalled = self._gone(kind, row["job_id"], progress)
        elif job.status == "paused" and job.waiting_for:
            stalled = True
        else:
            return None
        text = job.waiting_for or (progress.request if progress else "")
        if kind == "backup":
            sources = list(job.sources)
            waiting = f"备份任务 {job.group}（{len(sources)} 个源：{'；'.join(sources[:2])}{' 等' if len(sources) > 2 else ''}）"
        else:
            waiting = f"恢复任务（{len(job.selection)} 项 → {job.target}）"
        return OperatorRequest(str(job.id), kind, KIND_TEXT[kind], job.group, job.status,
                               STATUS_NAMES.get(job.status, job.status), text, waiting, job.modified_on, stalled,
                               progress)

    def _gone(self, kind: str, job_id: str, progress: Progress | None) -> bool:
        """No process polls the drive for the job: a backup's run lock is free (`interrupted`); a
        restore has published nothing for STALE_SECONDS (a live job publishes every second)."""
        if kind == "backup":
            return interrupted(self._deps, job_id)
        return progress is None or time.time() - progress.updated_at > STALE_SECONDS

    def _job(self, kind: str, job_id: str) -> Any:
        ledger = self._deps.ledger
        return ledger.restore_job(job_id) if kind == "restore" else ledger.backup_job(job_id)

    def answer(self, job_id: str, *, actor: str, wait: float = 0.0) -> Answer:
        """The operator has done what the job asked (put the cartridge in). A stalled job is resumed
        through the worker; a live one finds the cartridge at its next check of the drive, and with
        `wait` seconds this reports what that check found."""
        request = next((r for r in self.requests() if r.job_id == job_id), None)
        if request is None:  # it found the cartridge before the answer came, or ended meanwhile
            return Answer(job_id, "not_waiting", "任务已不在等待操作员，无需应答")
        log.info("操作员 %s 应答了%s任务 %s 的请求：%s", actor, request.kind_text, job_id, request.text)
        if request.stalled:
            if request.kind == "backup":
                Backups(self._deps).resume(job_id, actor=actor)
            else:
                Restores(self._deps).start(job_id)
            return Answer(job_id, "resumed", "任务已交给后台任务进程继续，它会先检查驱动器中的磁带")
        if wait <= 0:
            return Answer(job_id, "checking", "任务每隔几秒检查一次驱动器，会自动发现装入的磁带")
        return self._outcome(request, wait)

    def _outcome(self, request: OperatorRequest, wait: float) -> Answer:
        """What the job's next look at the drive found, within `wait` seconds."""
        store, job_id = self._deps.progress, request.job_id
        deadline = time.monotonic() + wait
        answered = time.time()
        looked = request.progress.looked_at if request.progress else 0.0
        after = request.progress.updated_at if request.progress else 0.0
        asked = request.progress.request if request.progress else ""  # the progress's words may differ from the ledger's
        while (left := deadline - time.monotonic()) > 0:
            progress = store.next_update(job_id, after, timeout=min(left, 1.0))
            if progress is None:
                continue
            after, looked = progress.updated_at, progress.looked_at
            if not progress.request or progress.phase == "load" and progress.current_cartridge:
                # Its request cleared, or it found a cartridge and is checking it (labelling a new
                # one takes a while; one that will not do is asked for again, as a new request).
                where = f"：{progress.current_cartridge}" if progress.current_cartridge else ""
                return Answer(job_id, "continued", f"任务已继续（{progress.phase_label}{where}）")
            if asked and progress.request != asked:
                return Answer(job_id, "still_waiting", f"任务仍在等待：{progress.request}")
        if 0 < looked < answered:  # busy elsewhere meanwhile: it has not looked again, so it has not found nothing
            return Answer(job_id, "checking", "任务这段时间还没有再查看驱动器，它每隔几秒检查一次，会自动发现装入的磁带")
        return Answer(job_id, "still_waiting", "任务还没有发现可用的磁带，请确认磁带已装入驱动器并已就绪")
