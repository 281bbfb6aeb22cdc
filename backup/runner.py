"""One backup job from start to end: scan, plan, pack in worker processes, stream to tape, span
cartridges, and resume after a crash without writing any package twice (B5).

The order that makes resuming safe: a package is recorded in the ledger (`PackageWritten`, in
one atomic save with the job's and the group's events) only after its closing filemark has
flushed it to tape; its staging file is deleted only after that. A restarted job re-packs only
the planned packages the ledger does not hold, and writes them from the tape file after the last
recorded one, overwriting anything a killed process left beyond it.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import time
from typing import Any
from uuid import UUID

from backup import crashpoints, rates
from backup.closing import close_cartridge
from backup.following import Following
from backup.groups import join_group
from backup.job_figures import failure_reason, job_figures, succeeded_context
from backup.messages_job import JobStopped, text
from backup.pack import PackingFailed, PackResult
from backup.packer_pool import PackerPool, PackingCancelled
from backup.plan_store import StoredPlan, discard_plan
from backup.pool_size import packer_count
from backup.ports import BackupServices
from backup.progress import job_eta
from backup.recording import MAX_WARNINGS_KEPT, package_header, record_package
from backup.run_lock import running_alone
from backup.run_options import RunOptions, Totals
from backup.scanning import job_plan
from backup.summary import job_summary
from backup.supply import Mounted, SupplyPolicy, TapeSupply, supply_policy
from kernel.errors import describe
from kernel.progress import BACKUP, Heartbeat, ProgressBoard
from ledger import clock
from ledger.domain import BackupJob, Cartridge
from ledger.domain.job import WORKER
from ledger.errors import DriveBusy
from media.devices import DeviceSession, device_spec, open_session
from media.reuse import erase_expired
from notify.outbox import deliver_now, notify_event
from tape.transport import DeviceInUse
from tape.volume_errors import PackageOverflow
from tape.volume_packages import write_package

log = logging.getLogger("taf.backup")


class BackupRunner:
    def __init__(self, services: BackupServices, job_id: str, options: RunOptions | None = None) -> None:
        self.services = services
        self.ledger = services.ledger
        self.job_id = str(job_id)
        self._job_uuid: UUID | None = None
        self.options = options or RunOptions()
        self.settings = services.settings
        self.board = ProgressBoard(services.progress, self.job_id, BACKUP, observer=self.options.observer)
        self.following = Following(self.ledger)
        self.totals = Totals()
        self.warnings: list[str] = []
        self._unlisted_warnings = 0  # the plan's warnings beyond those it kept the text of
        self.tape_notes: list[str] = []
        self._pool: PackerPool | None = None
        self._mounted: Mounted | None = None  # the cartridge being written, until it is closed
        # PackageWritten events of the cartridges this run closed: the summary reads them from here,
        # not again from the ledger (each read decodes every manifest on the tape).
        self._closed_packages: dict[str, list[Any]] = {}
        self._supply: TapeSupply | None = None
        self._heartbeat: Heartbeat | None = None
        self._prior_rate = 0.0  # packing speed remembered from earlier jobs, until this one measures its own
        self._spec = ""
        self._run_number = 1
        self._started = time.monotonic()

    # --- the whole job ----------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        job = self.ledger.backup_job(self.job_id)
        if job.finished or job.status == "paused":
            return self.summary()  # a paused job runs again only after `resume`
        with running_alone(self.settings.data_dir, job, wait=self.options.lock_wait_seconds):
            return self._run_locked()

    def _run_locked(self) -> dict[str, Any]:
        job = self.ledger.backup_job(self.job_id)  # again: it may have changed while we waited for the lock
        if job.finished or job.status == "paused":
            return self.summary()
        spec = device_spec(self.settings, self.options.device or job.drive or None)
        self._spec = spec
        try:
            session = self._session_when_free(spec, job.group)
        except JobStopped as stop:  # paused or cancelled while it waited for the drive
            self.board.update(force=True, phase=stop.status, message=stop.message, request="")
            return self.summary()
        except Exception as error:  # no drive, no job: it still ends failed, with the reason (R15)
            log.exception("备份任务 %s 无法打开设备 %s", self.job_id, spec)
            self._fail(text("device_unavailable", device=spec, reason=failure_reason(error)))
            return self.summary()
        try:
            self._start(session)
            self._run_on(session, job.group)
        except JobStopped as stop:
            self._stopped(session, stop)
        except Exception as error:  # every failure ends the job as failed, with its reason
            log.exception("备份任务 %s 失败", self.job_id)
            if isinstance(error, PackingFailed):
                log.error("打包失败的技术信息（来自打包进程）：\n%s", error.detail)
            self._leave_cartridge(session)
            self._fail(failure_reason(error))
        finally:
            if self._heartbeat is not None:
                self._heartbeat.stop()
            if self._pool is not None:
                self._pool.close()
            if self._supply is not None:
                with contextlib.suppress(Exception):  # a booking a finished job left does not count
                    self._supply.release_all()
            self._release(session)
            session.close()
            self._tidy()
        return self.summary()

    def _session_when_free(self, spec: str, group: str) -> DeviceSession:
        """The drive, once nobody else uses it: another job, a tape act or a verification holding it
        makes the job wait — saying so, as a tape wait does — not fail; a stop request or the tape
        wait's time limit (tape_change_pause_minutes) pauses it instead."""
        waited_since: float | None = None
        give_up_after = supply_policy(self.services, group, self.options).pause_after_seconds
        while True:
            try:
                session = open_session(self.services, spec, self.options.actor)
            except (DriveBusy, DeviceInUse) as busy:
                reason = describe(busy).message
            else:
                drive = self.ledger.find_drive(session.host, session.spec)
                holder = drive.reserved_by if drive is not None else None
                if drive is None or not holder or holder == self.job_id:
                    return session
                session.close()
                reason = describe(DriveBusy(drive=drive.name, job=holder)).message
            now = time.monotonic()
            if waited_since is None:
                waited_since = now
                log.warning("备份任务 %s 等待驱动器 %s：%s", self.job_id, spec, reason)
                self.board.update(force=True, phase="wait_drive", message=text("drive_wait", reason=reason))
            self._check_control()
            if now - waited_since >= give_up_after:
                said = text("drive_wait_timeout", device=spec, reason=reason)
                self.ledger.pause_running_backup(self.job_id, by="system", reason=said)
                raise JobStopped(said, status="paused")
            time.sleep(self.options.poll_seconds)

    def _start(self, session: DeviceSession) -> None:
        """Book the drive and mark the job started, in one save (R15: one job per drive); DriveBusy
        while another job holds the drive."""
        self.ledger.start_job_on_drive(session.host, session.spec, self._runnable_job)
        self.board.update(force=True, phase="scan")
        self._heartbeat = self.board.heartbeat(self._beat)

    def _run_on(self, session: DeviceSession, group: str) -> None:
        job = self.ledger.backup_job(self.job_id)
        self._run_number = join_group(self.services, group, self.job_id, by=job.requested_by)
        plan = self._plan(job)
        done = set(job.packages)
        # The plan's list of packages, not their members: the members are read one package at a
        # time as the packers take them (backup.plan_store).
        remaining = [package for package in plan.packages if package.package_id not in done]
        self.totals.packages = len(done)
        self.board.update(force=True, phase="pack", files_total=plan.summary["files"],
                          bytes_total=plan.summary["bytes"], packages_total=len(plan.packages),
                          packages_written=len(done))
        staging = self.settings.staging_dir / self.job_id
        shutil.rmtree(staging, ignore_errors=True)  # what a killed run left is packed again
        staging.mkdir(parents=True, exist_ok=True)
        level = int(job.params.get("level", self.services.effective("compression_level")))
        # One packer per core, as many as free memory holds at this level (backup.pool_size).
        workers = self.options.workers or packer_count(level, packages=len(remaining))
        pool = PackerPool(plan.plans(skip=done), staging, level=level,
                          solid_block_size=int(self.services.effective("solid_block_size")), workers=workers,
                          totals=(len(remaining), sum(package.payload_bytes for package in remaining)))
        prior = self._prior_rate = rates.remembered_rate(self.settings.data_dir, level, pool.workers)
        self._pool = pool
        if self.services.effective("auto_erase_expired"):
            # R6: expired cartridges within reach are erased and back in the pool before writing starts.
            erase_expired(self.services, session, block_size=self.settings.default_block_size)
        supply = self._supply = TapeSupply(
            self.services, session, self.job_id, self._supply_policy(group), self._check_control, self._notify,
            resumed=bool(done) or getattr(job, "attempts", 1) > 1, on_wait=self._waiting, on_found=self._found,
            on_checking=self._checking, on_look=self._looked)
        closing: str | None = None
        try:
            for result in pool:
                crashpoints.crash_point("packing")
                self._check_control()
                if self._mounted is None:
                    self._mounted = supply.first()
                    self.totals.use(self._mounted.barcode)
                if closing is None and self._over_cap(self._mounted, result):
                    closing = text("why_volume_cap")
                if closing is not None:
                    self._close_and_replace(session, supply, self._mounted, closing)
                    closing = None
                nearly_full = self._write_and_record(session, supply, result, group)
                pool.release(result)
                self._tick(pool, prior)
                if nearly_full:
                    closing = text("why_early_warning")
            if self._mounted is None:
                # Every package was on tape already (the last run died after its last record):
                # only the tape index of the cartridge it was writing may be missing.
                self._mounted = self._reopen_unclosed(supply)
        except PackingCancelled:
            self._check_control()  # paused (by an operator, or this process stopping) or cancelled
            raise JobStopped(text("cancelled"), status="cancelled") from None
        finally:
            # Skipped cartridges are notes for the operator, not warnings: every file still got on tape.
            self.tape_notes.extend(supply.warnings)
        if self._mounted is not None:
            self._close(session, self._mounted, full_reason=closing)
            self._mounted = None
        rates.remember_rate(self.settings.data_dir, level, pool.progress().rate_bytes_per_second)
        self._complete(plan.summary)

    # --- planning ---------------------------------------------------------------------------
    def _plan(self, job: Any) -> StoredPlan:
        plan = job_plan(self.services, self.job_id, job, self.board)
        self.warnings.extend(plan.warnings)
        self._unlisted_warnings = plan.warning_count - len(plan.warnings)
        return plan

    def _supply_policy(self, group: str) -> SupplyPolicy:
        return supply_policy(self.services, group, self.options)

    # --- writing ----------------------------------------------------------------------------
    def _over_cap(self, mounted: Mounted, result: PackResult) -> bool:
        cap = int(self.services.effective("max_volume_size") or 0)
        return bool(cap) and mounted.bytes_written > 0 and mounted.bytes_written + result.payload_bytes > cap

    def _write_and_record(self, session: DeviceSession, supply: TapeSupply, result: PackResult,
                          group: str) -> bool:
        """Write one package (again on the next cartridge after an overflow), then record it."""
        manifest = [entry.to_dict() for entry in result.manifest]  # once, for the tape and the ledger
        while True:
            mounted = self._mounted
            assert mounted is not None
            try:
                positions = self._write(session, mounted, result, group, manifest)
                break
            except PackageOverflow:
                # Nothing of this package counts on the full tape: write it again, whole, on the next one.
                self._close_and_replace(session, supply, mounted, text("why_overflow"))
        crashpoints.crash_point("after_flush")
        self._record(mounted, positions, result, group, manifest)
        crashpoints.crash_point("after_record")
        mounted.next_file = positions.tape_file + 1
        mounted.bytes_written += positions.payload_bytes
        self.totals.packages += 1
        self.totals.bytes_packed += positions.payload_bytes
        self.totals.bytes_in_written += result.bytes_in
        return bool(positions.nearly_full)

    def _write(self, session: DeviceSession, mounted: Mounted, result: PackResult, group: str,
               manifest: list[dict[str, Any]]) -> Any:
        self._check_control()
        self.board.update(phase="write", current_package=result.package_id,
                          current_cartridge=mounted.barcode, message="", request="")
        base = self.totals.bytes_written
        halfway = {"passed": False}

        def progress(done: int, size: int) -> None:
            self.board.update(bytes_written=base + done)
            if not halfway["passed"] and done * 2 >= size:
                halfway["passed"] = True
                crashpoints.crash_point("mid_package")

        header = package_header(self.job_id, group, result)
        started = time.perf_counter()
        session.drive.locate_file(mounted.next_file)
        positions = write_package(session.drive, header, manifest, result.path,
                                  progress, block_size=mounted.block_size,
                                  verify_digest=not result.unchanged_on_disk())
        self.totals.write_seconds += time.perf_counter() - started
        self.totals.bytes_written = base + positions.payload_bytes
        return positions

    def _record(self, mounted: Mounted, positions: Any, result: PackResult, group: str,
                manifest: list[dict[str, Any]]) -> None:
        record_package(self.ledger, self.following, self.job_id, mounted.barcode, positions, result, group,
                       manifest, job=self._job, cartridge=self._cartridge)

    # --- closing a cartridge ----------------------------------------------------------------
    def _close_and_replace(self, session: DeviceSession, supply: TapeSupply, mounted: Mounted,
                           reason: str) -> None:
        self._close(session, mounted, full_reason=reason)
        # From here the drive may hold another cartridge: nothing may be written for this one.
        self._mounted = None
        self.board.update(force=True, phase="wait_tape")
        replacement = supply.replace(mounted, text("tape_full", barcode=mounted.barcode, why=reason))
        self.totals.use(replacement.barcode)
        self._mounted = replacement

    def _reopen_unclosed(self, supply: TapeSupply) -> Mounted | None:
        """The job's last cartridge, mounted again, if its tape index was never written."""
        job = self.ledger.backup_job(self.job_id)
        if not job.cartridges:
            return None
        barcode = job.cartridges[-1]
        cartridge = self._cartridge(barcode)
        if cartridge.status != "active" or cartridge.index_written:
            return None
        return supply.reopen(barcode)

    def _leave_cartridge(self, session: DeviceSession) -> None:
        """A stopping job closes its cartridge with a tape index, so the tape describes itself
        even if the job is never resumed; a failure here must not hide why the job stopped."""
        mounted, self._mounted = self._mounted, None
        if mounted is None:
            return
        try:
            cartridge = self._cartridge(mounted.barcode)
            if cartridge.index_written or not cartridge.packages:
                return  # nothing on it the last index does not already list
            self._close(session, mounted, full_reason=None)
        except Exception:
            log.warning("任务 %s 停止时未能在磁带 %s 上写入索引", self.job_id, mounted.barcode, exc_info=True)

    def _close(self, session: DeviceSession, mounted: Mounted, *, full_reason: str | None) -> None:
        self._closed_packages[mounted.barcode] = close_cartridge(self.services, session.drive, mounted,
                                                                 full_reason=full_reason)

    # --- control, progress, the end ---------------------------------------------------------
    def _job(self) -> BackupJob:
        if self._job_uuid is None:
            self._job_uuid = self.ledger.backup_job(self.job_id).id
        return self.following.get(self._job_uuid, lambda: self.ledger.backup_job(self.job_id))

    def _cartridge(self, barcode: str) -> Cartridge:
        return self.following.get(Cartridge.create_id(barcode), lambda: self.ledger.cartridge(barcode))

    def _runnable_job(self) -> BackupJob:
        """The job as the ledger has it now; JobStopped if it was paused or cancelled meanwhile."""
        job = self.ledger.backup_job(self.job_id)
        if job.status in {"paused", "cancelled"}:
            raise JobStopped(text(job.status), status=job.status)
        return job

    def _check_control(self) -> None:
        status = self._job().status
        if status in {"cancelled", "paused"}:
            if self._pool is not None:
                self._pool.cancel()
            raise JobStopped(text(status), status=status)
        if self._stop_requested():
            if self._pool is not None:
                self._pool.cancel()
            by = self.options.stop_by or self.options.actor
            reason = text("stopped_by_worker" if by == WORKER else "stopped_by_signal")
            if self.ledger.pause_running_backup(self.job_id, by=by, reason=reason).status == "cancelled":
                raise JobStopped(text("cancelled"), status="cancelled")
            raise JobStopped(reason, status="paused")

    def _stop_requested(self) -> bool:
        return self.options.stop is not None and self.options.stop.is_set()

    def _waiting(self, note: str, instruction: str) -> None:
        # `note`: why no cartridge at hand will do (or a reminder); the request says what to insert.
        self.board.update(force=True, phase="wait_tape", message=note, request=instruction)

    def _looked(self) -> None:
        self.board.update(looked_at=time.time())  # published with the next heartbeat at the latest

    def _checking(self, barcode: str) -> None:
        # Not answered yet (the cartridge may not do), but no longer only waiting: the request stays.
        self.board.update(force=True, phase="load", current_cartridge=barcode,
                          message=text("tape_checking", barcode=barcode))

    def _found(self, barcode: str) -> None:
        self.board.update(force=True, phase="load", current_cartridge=barcode,
                          message=text("tape_ready", barcode=barcode), request="")

    def _beat(self) -> None:
        """The heartbeat: fresh figures once packing has started, else the state as it is. A stop
        asked for meanwhile ends the packing, so the job's thread reaches a safe point soon."""
        if self._stop_requested() and self._pool is not None:
            self._pool.cancel()
        if self._pool is None:
            self.board.publish(force=True)
        else:
            self._tick(self._pool, self._prior_rate, force=True)

    def _tick(self, pool: PackerPool, prior: float, force: bool = False) -> None:
        progress = pool.progress()
        elapsed = max(1e-6, time.monotonic() - self._started)
        rate = progress.rate_bytes_per_second or prior
        written = self.totals.bytes_in_written
        tape_rate = written / self.totals.write_seconds if self.totals.write_seconds > 0 else 0.0
        eta = job_eta(progress.bytes_total - progress.bytes_done, rate, progress.bytes_total - written, tape_rate)
        self.board.update(force=force, bytes_packed=progress.bytes_done, packages_written=self.totals.packages,
                          pack_rate=rate, write_rate=self.totals.bytes_written / elapsed, eta_seconds=eta)

    def _complete(self, summary: dict[str, int]) -> None:
        figures, package_warnings = self._figures(summary)
        # Plan warnings, then what each package met (kept in its record, so runs before a crash count):
        # a warning means a file is not (wholly) on tape, and the job ends "partial".
        self.warnings = [*self.warnings, *package_warnings]
        warning_count = figures["warnings"] = len(self.warnings) + self._unlisted_warnings
        # A pause or cancel asked for after the last package is honoured rather than failed on the state machine.
        job = self.ledger.complete_job_on_drive(self.settings.host_name, self._spec, self._runnable_job, figures,
                                                self.warnings[:MAX_WARNINGS_KEPT])
        self.board.update(force=True, phase="done", message=self._summary_line(), request="")
        context = succeeded_context(self.ledger, job, figures, run_number=self._run_number,
                                    host=self.settings.host_name, warnings=warning_count)
        self._notify("backup_succeeded", context, f"{self.job_id}:done")

    def _figures(self, summary: dict[str, int]) -> tuple[dict[str, Any], list[str]]:
        return job_figures(self.services, self.job_id, summary, self.totals, self._closed_packages,
                           self.tape_notes, time.monotonic() - self._started)

    def _stopped(self, session: DeviceSession, stop: JobStopped) -> None:
        self._leave_cartridge(session)
        if stop.status == "failed":
            self._fail(stop.message)
            return
        self.board.update(force=True, phase=stop.status, message=stop.message, request="")

    def _fail(self, reason: str) -> None:
        job = self.ledger.fail_backup(self.job_id, reason)
        self.board.update(force=True, phase="failed", message=reason, request="")
        now = clock.now()
        # The keys the backup_failed template reads (notify/templates.py).
        context = {"job_id": self.job_id, "reason": reason, "group": job.group, "failed_at": now,
                   "packages_written": len(job.packages), "advice": text("advice_failed"),
                   "host": self.settings.host_name, "occurred_at": now}
        self._notify("backup_failed", context, f"{self.job_id}:failed")

    def _release(self, session: DeviceSession) -> None:
        job = self.ledger.backup_job(self.job_id)
        if job.status in {"running", "waiting_tape", "requested"}:
            return  # killed mid-way in spirit: keep the booking so no other job takes the drive
        with contextlib.suppress(Exception):
            session.drive.allow_removal()
        self.ledger.release_drive(session.host, session.spec, self.job_id)

    def _tidy(self) -> None:
        """Staging files never outlive a run; the plan only matters while the job can resume."""
        shutil.rmtree(self.settings.staging_dir / self.job_id, ignore_errors=True)
        with contextlib.suppress(Exception):
            if self.ledger.backup_job(self.job_id).finished:
                discard_plan(self.settings.data_dir, self.job_id)

    def _notify(self, kind: str, context: dict[str, Any], cause: str) -> None:
        """Queue the message and try to deliver it at once (R8: a 换盘 request cannot wait for a
        worker that may not run); the outbox keeps it if the gateway cannot take it now."""
        try:
            queued = notify_event(self.services, kind, context, cause)
        except Exception:  # a notification problem never stops a backup
            log.exception("通知排队失败：%s", kind)
            return
        deliver_now(self.services, clock.now(), queued)

    def _summary_line(self) -> str:
        summary = self.summary()
        return text("summary", job=self.job_id, status=summary["status_text"], files=summary["files"],
                    bytes_in=summary["bytes_in"], bytes_packed=summary["bytes_packed"],
                    packages=summary["packages"], cartridges="、".join(summary["cartridges"]) or "—",
                    seconds=summary["seconds"], warnings=summary["warnings"])

    def summary(self) -> dict[str, Any]:
        return job_summary(self.ledger.backup_job(self.job_id))
