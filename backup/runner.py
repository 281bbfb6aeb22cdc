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
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from backup import crashpoints, rates
from backup.closing import close_cartridge
from backup.following import Following
from backup.groups import join_group
from backup.job_state import change_job
from backup.messages_job import JobStopped, text
from backup.pack import PackingFailed, PackResult
from backup.packer_pool import PackerPool, PackingCancelled
from backup.plan_store import digest, discard_plan, load_plan, save_plan
from backup.progress import Heartbeat, ProgressBoard, job_eta
from backup.run_lock import JobRunLock
from backup.scanning import scan_and_plan
from backup.summary import job_summary
from backup.supply import Mounted, SupplyPolicy, TapeSupply
from ledger import clock
from ledger.domain import BackupGroup, Cartridge
from ledger.domain.job import STATUS_NAMES
from ledger.errors import JobStateError
from media.devices import DeviceSession, device_spec, open_session
from media.reuse import erase_expired
from notify.outbox import notify_event
from tape.volume_errors import PackageOverflow
from tape.volume_packages import write_package

log = logging.getLogger("taf.backup")
MAX_WARNINGS_KEPT = 1000


@dataclass
class RunOptions:
    """How one run of a job behaves.

    `tape_remind_seconds` / `tape_pause_seconds` override the settings tape_change_remind_minutes
    and tape_change_pause_minutes (whole minutes, the operator's knobs) with seconds precision for
    this run only: drills and tests that must see a standalone drive's wait end in a pause.
    `lock_wait_seconds`: how long to wait for a stopping process of the same job to let go of it.
    """

    device: str | None = None
    actor: str = "system"
    poll_seconds: float = 2.0
    workers: int | None = None
    tape_remind_seconds: float | None = None
    tape_pause_seconds: float | None = None
    lock_wait_seconds: float = 15.0


@dataclass
class _Totals:
    packages: int = 0
    bytes_packed: int = 0
    bytes_written: int = 0
    bytes_in_written: int = 0  # input bytes of the packages on tape, for the tape's share of the ETA
    write_seconds: float = 0.0  # time inside write_package, for the tape rate of this run
    cartridges: list[str] = field(default_factory=list)


class BackupRunner:
    def __init__(self, services: Any, job_id: str, options: RunOptions | None = None) -> None:
        self.services = services
        self.ledger = services.ledger
        self.job_id = str(job_id)
        self._job_uuid: UUID | None = None
        self.options = options or RunOptions()
        self.settings = services.settings
        self.board = ProgressBoard(self.settings.data_dir, self.job_id)
        self.following = Following(self.ledger)
        self.totals = _Totals()
        self.warnings: list[str] = []
        self.tape_notes: list[str] = []
        self._pool: PackerPool | None = None
        self._mounted: Mounted | None = None  # the cartridge being written, until it is closed
        # PackageWritten events of the cartridges this run closed: the summary reads them from here,
        # not again from the ledger (each read decodes every manifest on the tape).
        self._closed_packages: dict[str, list[Any]] = {}
        self._supply: TapeSupply | None = None
        self._heartbeat: Heartbeat | None = None
        self._spec = ""
        self._run_number = 1
        self._started = time.monotonic()

    # --- the whole job ----------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        job = self.ledger.backup_job(self.job_id)
        if job.finished or job.status == "paused":
            return self.summary()  # a paused job runs again only after `resume`
        lock = JobRunLock(self.settings.data_dir, self.job_id)
        if not lock.acquire(wait=self.options.lock_wait_seconds):
            # Another live process runs it: two writers would put the same packages on tape twice.
            raise JobStateError(job=self.job_id, status=STATUS_NAMES.get(job.status, job.status),
                                action=text("already_running"))
        try:
            return self._run_locked()
        finally:
            lock.release()

    def _run_locked(self) -> dict[str, Any]:
        job = self.ledger.backup_job(self.job_id)  # again: it may have changed while we waited for the lock
        if job.finished or job.status == "paused":
            return self.summary()
        spec = device_spec(self.settings, self.options.device or job.drive or None)
        self._spec = spec
        try:
            session = open_session(self.services, spec, self.options.actor)
        except Exception as error:  # no drive, no job: it still ends failed, with the reason (R15)
            log.exception("备份任务 %s 无法打开设备 %s", self.job_id, spec)
            self._fail(text("device_unavailable", device=spec, reason=_reason(error)))
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
            self._fail(_reason(error))
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

    def _start(self, session: DeviceSession) -> None:
        """Book the drive and mark the job started, in one save (R15: one job per drive)."""
        for _ in range(10):
            drive = session.drive_aggregate()
            job = self.ledger.backup_job(self.job_id)
            if job.status in {"paused", "cancelled"}:
                raise JobStopped(text(job.status), status=job.status)
            drive.reserve(self.job_id)  # DriveBusy while another job holds the drive
            job.start(self.settings.host_name)
            try:
                self.ledger.save(drive, job)
                break
            except IntegrityError:
                continue  # a pause, or another job booking the drive at this moment: look again
        else:
            raise RuntimeError("台账并发冲突，无法开始任务")
        self.board.update(force=True, phase=text("stage_scan"))

    def _run_on(self, session: DeviceSession, group: str) -> None:
        job = self.ledger.backup_job(self.job_id)
        self._run_number = self._join(group, job.requested_by)
        plans, summary = self._plan(job)
        done = set(job.packages)
        remaining = [plan for plan in plans if plan.package_id not in done]
        self.totals.packages = len(done)
        self.board.update(force=True, phase=text("stage_pack"), files_total=summary["files"],
                          bytes_total=summary["bytes"], packages_total=len(plans),
                          packages_written=len(done))
        staging = self.settings.staging_dir / self.job_id
        shutil.rmtree(staging, ignore_errors=True)  # what a killed run left is packed again
        staging.mkdir(parents=True, exist_ok=True)
        level = int(job.params.get("level", self.services.effective("compression_level")))
        pool = PackerPool(remaining, staging, level=level,
                          solid_block_size=int(self.services.effective("solid_block_size")),
                          workers=self.options.workers)
        self._pool = pool
        prior = rates.remembered_rate(self.settings.data_dir, level, pool.workers)
        self._heartbeat = Heartbeat(1.0, lambda: self._tick(pool, prior, force=True)).start()
        if self.services.effective("auto_erase_expired"):
            # R6: expired cartridges within reach are erased and back in the pool before writing starts.
            erase_expired(self.services, session, block_size=self.settings.default_block_size)
        supply = self._supply = TapeSupply(
            self.services, session, self.job_id, self._supply_policy(group), self._check_control, self._notify,
            resumed=bool(done) or getattr(job, "attempts", 1) > 1, on_wait=self._waiting)
        closing: str | None = None
        try:
            for result in pool:
                crashpoints.crash_point("packing")
                self._check_control()
                if self._mounted is None:
                    self._mounted = supply.first()
                    self._use(self._mounted)
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
            raise JobStopped(text("cancelled"), status="cancelled") from None
        finally:
            # Skipped cartridges are notes for the operator, not warnings: every file still got on tape.
            self.tape_notes.extend(supply.warnings)
        if self._mounted is not None:
            self._close(session, self._mounted, full_reason=closing)
            self._mounted = None
        rates.remember_rate(self.settings.data_dir, level, pool.progress().rate_bytes_per_second)
        self._complete(summary)

    def _join(self, group: str, by: str) -> int:
        for _ in range(5):
            try:
                return join_group(self.services, group, self.job_id, by=by)
            except IntegrityError:
                continue  # another job opened the group (or joined it) at the same moment: again
        raise RuntimeError(f"台账并发冲突，无法加入备份组 {group}")

    # --- planning ---------------------------------------------------------------------------
    def _plan(self, job: Any) -> tuple[list[Any], dict[str, int]]:
        stored = load_plan(self.settings.data_dir, self.job_id)
        if stored is not None and job.planned:
            plans, summary, warnings = stored
            self.warnings.extend(warnings)
            return plans, summary
        max_package = int(self.services.effective("max_file_size"))
        plans, summary, warnings = scan_and_plan(job.sources, max_package, self.board)
        if job.planned and job.packages and digest(plans) != job.planned.get("plan_digest"):
            # The stored plan is gone and a new scan plans other packages: resuming would write
            # the files already on tape a second time, under other package ids.
            raise JobStopped(text("plan_lost"), status="failed")
        if not plans:
            warnings = [*warnings, text("nothing_to_back_up")]
        save_plan(self.settings.data_dir, self.job_id, plans, summary, warnings)
        self.warnings.extend(warnings)

        def record_plan(job: Any) -> None:
            if not job.planned:
                job.planned_packages(packages=len(plans), files=summary["files"], bytes_in=summary["bytes"],
                                     plan_digest=digest(plans))
                for warning in warnings[:100]:
                    job.warn(message=warning)

        change_job(self.ledger, self.job_id, record_plan)
        return plans, summary

    def _supply_policy(self, group: str) -> SupplyPolicy:
        policy = SupplyPolicy(
            group=group, auto_erase=bool(self.services.effective("auto_erase_expired")),
            block_size=self.settings.default_block_size, poll_seconds=self.options.poll_seconds,
            remind_seconds=60.0 * int(self.services.effective("tape_change_remind_minutes")),
            pause_after_seconds=60.0 * int(self.services.effective("tape_change_pause_minutes")),
        )
        if self.options.tape_remind_seconds is not None:
            policy.remind_seconds = self.options.tape_remind_seconds
        if self.options.tape_pause_seconds is not None:
            policy.pause_after_seconds = self.options.tape_pause_seconds
        return policy

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
        self.board.update(phase=text("stage_write"), current_package=result.package_id,
                          current_cartridge=mounted.barcode, message="")
        base = self.totals.bytes_written
        halfway = {"passed": False}

        def progress(done: int, size: int) -> None:
            self.board.update(bytes_written=base + done)
            if not halfway["passed"] and done * 2 >= size:
                halfway["passed"] = True
                crashpoints.crash_point("mid_package")

        header = {"package_id": result.package_id, "job_id": self.job_id, "group": group,
                  "sequence": result.seq, "compression": str(result.codec),
                  "created_at": clock.now().isoformat(timespec="seconds"),
                  "payload_bytes": result.payload_bytes, "payload_sha256": result.payload_sha256,
                  "extra": {"level": result.level, "solid_blocks": result.solid_blocks,
                            "tail_offset": result.tail_offset}}
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
        """PackageWritten + PackageRecorded + the group's cartridge, in one atomic save."""
        for _ in range(5):
            cartridge = self._cartridge(mounted.barcode)
            job = self._job()
            backup_group = self.following.get(BackupGroup.create_id(group), lambda: self.ledger.group(group))
            cartridge.record_package(
                job_id=self.job_id, package_id=result.package_id, group=group, sequence=result.seq,
                tape_file=positions.tape_file, header_block=positions.header_block,
                payload_block=positions.payload_block, payload_blocks=positions.payload_blocks,
                payload_bytes=positions.payload_bytes, payload_sha256=positions.payload_sha256,
                compression=str(result.codec), manifest=manifest,
                extra={"barcode": mounted.barcode, "block_size": positions.block_size, "level": result.level,
                       "solid_blocks": result.solid_blocks, "tail_offset": result.tail_offset,
                       "label_sequence": cartridge.label_sequence,
                       "warnings": [warning.text for warning in result.warnings[:MAX_WARNINGS_KEPT]]})
            job.package_recorded(package_id=result.package_id, sequence=result.seq, cartridge=mounted.barcode)
            backup_group.add_cartridge(mounted.barcode)
            try:
                self.ledger.save(cartridge, job, backup_group)
                return
            except IntegrityError:
                self.following.forget()
                continue  # someone recorded a cancel or a pause meanwhile: reload and record again
            except BaseException:
                self.following.forget()  # the copies hold events the ledger does not
                raise
        raise RuntimeError("台账并发冲突，无法记录数据包")

    def _use(self, mounted: Mounted) -> None:
        if mounted.barcode not in self.totals.cartridges:
            self.totals.cartridges.append(mounted.barcode)

    # --- closing a cartridge ----------------------------------------------------------------
    def _close_and_replace(self, session: DeviceSession, supply: TapeSupply, mounted: Mounted,
                           reason: str) -> None:
        self._close(session, mounted, full_reason=reason)
        # From here the drive may hold another cartridge: nothing may be written for this one.
        self._mounted = None
        self.board.update(force=True, phase=text("stage_wait_tape"))
        replacement = supply.replace(mounted, text("tape_full", barcode=mounted.barcode, why=reason))
        self._use(replacement)
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
    def _job(self) -> Any:
        if self._job_uuid is None:
            self._job_uuid = self.ledger.backup_job(self.job_id).id
        return self.following.get(self._job_uuid, lambda: self.ledger.backup_job(self.job_id))

    def _cartridge(self, barcode: str) -> Any:
        return self.following.get(Cartridge.create_id(barcode), lambda: self.ledger.cartridge(barcode))

    def _check_control(self) -> None:
        status = self._job().status
        if status in {"cancelled", "paused"}:
            if self._pool is not None:
                self._pool.cancel()
            raise JobStopped(text(status), status=status)

    def _waiting(self, reason: str) -> None:
        self.board.update(force=True, phase=text("stage_wait_tape"), message=reason)

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
        figures["warnings"] = len(self.warnings)
        for _ in range(5):
            job = self.ledger.backup_job(self.job_id)
            if job.status in {"paused", "cancelled"}:
                # Asked for after the last package: honour it rather than fail on the state machine.
                raise JobStopped(text(job.status), status=job.status)
            drive = self.ledger.drive(self.settings.host_name, self._spec)
            job.complete(figures, self.warnings[:MAX_WARNINGS_KEPT])
            drive.release(self.job_id)
            try:
                self.ledger.save(job, drive)
                break
            except IntegrityError:
                continue
        else:
            raise RuntimeError("台账并发冲突，无法记录任务完成")
        self.board.update(force=True, phase=text("stage_done"), message=self._summary_line())
        started = self._first_started(job)
        finished = clock.now()
        # The keys the backup_succeeded template reads (notify/templates.py), plus the raw figures.
        context = {**figures, "job_id": self.job_id, "group": job.group, "status": job.status,
                   "run_number": self._run_number, "started_at": started, "finished_at": finished,
                   "duration_seconds": (finished - started).total_seconds(), "file_count": figures["files"],
                   "bytes_on_tape": figures["bytes_packed"], "host": self.settings.host_name,
                   "occurred_at": finished, "warnings": len(self.warnings)}
        self._notify("backup_succeeded", context, f"{self.job_id}:done")

    def _first_started(self, job: Any) -> Any:
        """When the job first started (a resumed job's report covers all of its runs)."""
        for event in self.ledger.events.get(job.id):
            if type(event).__name__ == "Started":
                return event.timestamp
        return clock.now()

    def _figures(self, summary: dict[str, int]) -> tuple[dict[str, Any], list[str]]:
        """The job's figures, and the warnings its packages recorded (in sequence order)."""
        job = self.ledger.backup_job(self.job_id)
        on_tape = (self._closed_packages.get(barcode) or self.ledger.packages_on(barcode) for barcode in job.cartridges)
        events = sorted((event for packages in on_tape for event in packages if event.job_id == self.job_id),
                        key=lambda event: event.sequence)
        warnings = [line for event in events for line in dict(event.extra or {}).get("warnings", [])]
        self.services.projector.catch_up(["chain"])
        figures = {"files": summary["files"], "bytes_in": summary["bytes"],
                   "bytes_packed": sum(event.payload_bytes for event in events),
                   "packages": len(job.packages), "cartridges": list(job.cartridges),
                   "seconds": round(time.monotonic() - self._started, 3), "warnings": 0,
                   "tape_notes": self.tape_notes[:MAX_WARNINGS_KEPT],
                   "write_seconds": round(self.totals.write_seconds, 3),
                   "write_rate": round(self.totals.bytes_written / self.totals.write_seconds, 1)
                   if self.totals.write_seconds else 0.0,
                   "chain_head": self.services.chain.head()[1]}
        return figures, warnings

    def _stopped(self, session: DeviceSession, stop: JobStopped) -> None:
        self._leave_cartridge(session)
        if stop.status == "failed":
            self._fail(stop.message)
            return
        self.board.update(force=True, phase=text(stop.status), message=stop.message)

    def _fail(self, reason: str) -> None:
        for _ in range(5):
            job = self.ledger.backup_job(self.job_id)
            job.fail(reason)
            try:
                self.ledger.save(job)
                break
            except IntegrityError:
                continue  # a pause or cancel was saved meanwhile: fail the fresh state
        self.board.update(force=True, phase=text("stage_failed"), message=reason)
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
        for _ in range(5):
            drive = session.drive_aggregate()
            if drive.reserved_by != self.job_id:
                return
            drive.release(self.job_id)
            try:
                self.ledger.save(drive)
                return
            except IntegrityError:
                continue

    def _tidy(self) -> None:
        """Staging files never outlive a run; the plan only matters while the job can resume."""
        shutil.rmtree(self.settings.staging_dir / self.job_id, ignore_errors=True)
        with contextlib.suppress(Exception):
            if self.ledger.backup_job(self.job_id).finished:
                discard_plan(self.settings.data_dir, self.job_id)

    def _notify(self, kind: str, context: dict[str, Any], cause: str) -> None:
        try:
            notify_event(self.services, kind, context, cause)
        except Exception:  # a notification problem never stops a backup
            log.exception("通知排队失败：%s", kind)

    def _summary_line(self) -> str:
        summary = self.summary()
        return text("summary", job=self.job_id, status=summary["status_text"], files=summary["files"],
                    bytes_in=summary["bytes_in"], bytes_packed=summary["bytes_packed"],
                    packages=summary["packages"], cartridges="、".join(summary["cartridges"]) or "—",
                    seconds=summary["seconds"], warnings=summary["warnings"])

    def summary(self) -> dict[str, Any]:
        return job_summary(self.ledger.backup_job(self.job_id))


def _reason(error: BaseException) -> str:
    """The one line a failed job keeps: our Chinese message, else what kind of fault it was (the
    traceback is in the log, written where the job failed)."""
    if getattr(error, "message", None):
        return str(error)
    return text("internal_error", kind=type(error).__name__, detail=str(error) or "—")
