"""The ledger's verbs for backup and restore jobs, and a job's booking of a drive."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from ledger.domain import (
    BackupJob,
    Drive,
    RestoreJob,
)
from ledger.domain.job import Job
from ledger.ledger_base import _as_uuid
from ledger.ledger_media import MediaLedger

J = TypeVar("J", bound=Job)


class JobLedger(MediaLedger):
    """Jobs book drives, so this area stands on the media one."""

    # --- jobs -------------------------------------------------------------------------------
    def request_backup(self, idempotency_key: str, *, kind: str, sources: list[str], group: str,
                       params: dict[str, Any], drive: str = "", by: str = "system") -> tuple[BackupJob, bool]:
        """Create the job for this key, or return the one it already names (created=False)."""
        existing = self.find(BackupJob, BackupJob.create_id(idempotency_key))
        if existing is not None:
            return existing, False
        job = BackupJob(idempotency_key=idempotency_key, kind=kind, sources=sources, group=group,
                        params=params, drive=drive, by=by)
        try:
            self.save(job)
        except IntegrityError:
            return self.get(BackupJob, job.id, "任务", idempotency_key), False
        return job, True

    def backup_job(self, job_id: UUID | str) -> BackupJob:
        return self.get(BackupJob, _as_uuid(job_id), "备份任务", str(job_id))

    def request_restore(self, idempotency_key: str, *, selection: list[str], target: str,
                        on_conflict: str = "skip", group: str = "", by: str = "system",
                        plan: dict[str, Any] | None = None) -> tuple[RestoreJob, bool]:
        """Create the job for this key with its `plan` (RestoreJob.plan_recorded's fields) in one
        save, or return the one the key already names (created=False)."""
        existing = self.find(RestoreJob, RestoreJob.create_id(idempotency_key))
        if existing is not None:
            return existing, False
        job = RestoreJob(idempotency_key=idempotency_key, selection=selection, target=target,
                         on_conflict=on_conflict, group=group, by=by)
        if plan is not None:
            job.plan_recorded(**plan)
        try:
            self.save(job)
        except IntegrityError:
            return self.get(RestoreJob, job.id, "恢复任务", idempotency_key), False
        return job, True

    def restore_job(self, job_id: UUID | str) -> RestoreJob:
        return self.get(RestoreJob, _as_uuid(job_id), "恢复任务", str(job_id))

    def start_job_on_drive(self, host: str, device: str, load_job: Callable[[], J]) -> J:
        """Book the drive for a job and start the job, in one save (R15: one job per drive).

        `load_job` reads the job afresh for each attempt, and raises if it must not start now (it
        was stopped meanwhile). DriveBusy while another job holds the drive.
        """
        def act() -> tuple[Drive, J]:
            job = load_job()
            drive = self.drive(host, device)
            drive.reserve(str(job.id))
            job.start(host)
            return drive, job

        return self.change(act, what=f"驱动器 {host}:{device}")[1]

    def complete_job_on_drive(self, host: str, device: str, load_job: Callable[[], J], figures: dict[str, Any],
                              warnings: list[str]) -> J:
        """Record a job's completion and let go of its drive, in one save."""
        def act() -> tuple[J, Drive]:
            job = load_job()
            drive = self.drive(host, device)
            job.complete(figures, warnings)
            drive.release(str(job.id))
            return job, drive

        return self.change(act, what=f"驱动器 {host}:{device}")[0]

    def book_drive(self, host: str, device: str, holder: str) -> Drive:
        """Hold the drive for `holder` — a read-back verification moves the tape as a job does;
        DriveBusy while a job holds it."""
        def act() -> Drive:
            drive = self.drive(host, device)
            drive.reserve(holder)
            return drive

        return self.change(act, what=f"驱动器 {host}:{device}")

    def release_drive(self, host: str, device: str, holder: str) -> None:
        """Let go of the drive if `holder` still holds it."""
        def act() -> Drive | None:
            drive = self.find_drive(host, device)
            if drive is None or drive.reserved_by != holder:
                return None
            drive.release(holder)
            return drive

        self.change(act, what=f"驱动器 {host}:{device}")

    def _change_backup(self, job_id: str, apply: Callable[[BackupJob], None]) -> BackupJob:
        return self.update(lambda: self.backup_job(job_id), apply, what=f"备份任务 {job_id}")

    def cancel_backup(self, job_id: str, *, by: str, reason: str = "") -> BackupJob:
        return self._change_backup(job_id, lambda job: job.cancel(by=by, reason=reason))

    def pause_backup(self, job_id: str, *, by: str, reason: str = "") -> BackupJob:
        return self._change_backup(job_id, lambda job: job.pause(by=by, reason=reason))

    def pause_running_backup(self, job_id: str, *, by: str, reason: str) -> BackupJob:
        """A running job's own process stops it (a stop signal): paused — unless it was paused,
        cancelled or ended meanwhile, which stands as it is."""
        def apply(job: BackupJob) -> None:
            if job.status in {"requested", "running", "waiting_tape"}:
                job.pause(by=by, reason=reason)

        return self._change_backup(job_id, apply)

    def resume_backup(self, job_id: str, *, by: str) -> BackupJob:
        return self._change_backup(job_id, lambda job: job.resume(by=by))

    def fail_backup(self, job_id: str, reason: str) -> BackupJob:
        """The job failed (a job already finished stays as it ended)."""
        return self._change_backup(job_id, lambda job: job.fail(reason))

    def backup_verified(self, job_id: str, *, ok: bool, checked: int, mismatches: list[str], by: str,
                        unreadable: list[str], warnings: list[str], files_checked: int) -> BackupJob:
        """What a read-back verification of the job's packages found (B6)."""
        return self._change_backup(job_id, lambda job: job.verified(
            ok=ok, checked=checked, mismatches=mismatches, by=by, unreadable=unreadable, warnings=warnings,
            files_checked=files_checked))

    def backup_verification_skipped(self, job_id: str, *, unreadable: list[str], by: str) -> BackupJob:
        """A read-back verification of the job read nothing: none of its cartridges could be reached."""
        return self._change_backup(job_id, lambda job: job.verification_skipped(unreadable=unreadable, by=by))

    def _change_restore(self, job_id: str, apply: Callable[[RestoreJob], None]) -> RestoreJob:
        return self.update(lambda: self.restore_job(job_id), apply, what=f"恢复任务 {job_id}")

    def cancel_restore(self, job_id: str, *, by: str, reason: str = "") -> RestoreJob:
        return self._change_restore(job_id, lambda job: job.cancel(by=by, reason=reason))

    def pause_restore(self, job_id: str, *, by: str, reason: str = "") -> RestoreJob:
        return self._change_restore(job_id, lambda job: job.pause(by=by, reason=reason))

    def resume_restore(self, job_id: str, *, by: str) -> RestoreJob:
        return self._change_restore(job_id, lambda job: job.resume(by=by))
