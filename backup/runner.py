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

from eventsourcing.persistence import IntegrityError

from backup import crashpoints, rates
from backup.groups import join_group
from backup.messages_job import JobStopped, text
from backup.pack import PackResult
from backup.packer_pool import PackerPool, PackingCancelled
from backup.plan_store import digest, load_plan, save_plan
from backup.progress import ProgressBoard
from backup.scanning import scan_and_plan
from backup.supply import Mounted, SupplyPolicy, TapeSupply
from ledger import clock
from media.devices import DeviceSession, device_spec, open_session
from notify.outbox import notify_event
from tape import volume_io
from tape.scsi.errors import TapeError, VolumeOverflow
from tape.volume import IndexEntry, TapeIndex
from tape.volume_errors import PackageOverflow
from tape.volume_packages import write_package

log = logging.getLogger("taf.backup")
MAX_WARNINGS_KEPT = 1000


@dataclass
class RunOptions:
    device: str | None = None
    actor: str = "system"
    poll_seconds: float = 2.0
    workers: int | None = None


@dataclass
class _Totals:
    packages: int = 0
    bytes_packed: int = 0
    bytes_written: int = 0
    cartridges: list[str] = field(default_factory=list)


class BackupRunner:
    def __init__(self, services: Any, job_id: str, options: RunOptions | None = None) -> None:
        self.services = services
        self.ledger = services.ledger
        self.job_id = str(job_id)
        self.options = options or RunOptions()
        self.settings = services.settings
        self.board = ProgressBoard(self.settings.data_dir, self.job_id)
        self.totals = _Totals()
        self.warnings: list[str] = []
        self._pool: PackerPool | None = None
        self._spec = ""
        self._started = time.monotonic()

    # --- the whole job ----------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        job = self.ledger.backup_job(self.job_id)
        if job.finished:
            return self.summary()
        if job.status == "paused":
            raise JobStopped(text("paused"), status="paused")
        spec = device_spec(self.settings, self.options.device or job.drive or None)
        self._spec = spec
        session = open_session(self.services, spec, self.options.actor)
        try:
            self._start(session)
            self._run_on(session, job.group)
        except JobStopped as stop:
            self._stopped(stop)
        except Exception as error:  # every failure ends the job as failed, with its reason
            log.exception("备份任务 %s 失败", self.job_id)
            self._fail(f"{type(error).__name__}: {error}" if not getattr(error, "message", None)
                       else str(error))
        finally:
            if self._pool is not None:
                self._pool.close()
            self._release(session)
            session.close()
        return self.summary()

    def _start(self, session: DeviceSession) -> None:
        drive = session.drive_aggregate()
        job = self.ledger.backup_job(self.job_id)
        drive.reserve(self.job_id)
        job.start(self.settings.host_name)
        self.ledger.save_reserving(drive, job)
        self.board.update(force=True, phase=text("stage_scan"))

    def _run_on(self, session: DeviceSession, group: str) -> None:
        job = self.ledger.backup_job(self.job_id)
        join_group(self.services, group, self.job_id, by=job.requested_by)
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
        supply = TapeSupply(self.services, session, self.job_id, self._supply_policy(group), self._check_control,
                            self._notify)
        mounted: Mounted | None = None
        closing: str | None = None
        try:
            for result in pool:
                crashpoints.crash_point("packing")
                self._check_control()
                if mounted is None:
                    mounted = supply.first()
                    self._use(mounted)
                if closing is None and self._over_cap(mounted, result):
                    closing = text("why_volume_cap")
                if closing is not None:
                    mounted = self._close_and_replace(session, supply, mounted, closing)
                    closing = None
                mounted, nearly_full = self._write_and_record(session, supply, mounted, result, group)
                pool.release(result)
                self._tick(pool, prior, force=True)
                if nearly_full:
                    closing = text("why_early_warning")
        except PackingCancelled:
            raise JobStopped(text("cancelled"), status="cancelled") from None
        finally:
            self.warnings.extend(supply.warnings)
        if mounted is not None:
            self._close(session, mounted, full_reason=closing)
        rates.remember_rate(self.settings.data_dir, level, pool.progress().rate_bytes_per_second)
        self._complete(summary)

    # --- planning ---------------------------------------------------------------------------
    def _plan(self, job: Any) -> tuple[list[Any], dict[str, int]]:
        stored = load_plan(self.settings.data_dir, self.job_id)
        if stored is not None and job.planned:
            plans, summary, warnings = stored
            self.warnings.extend(warnings)
            return plans, summary
        max_package = int(self.services.effective("max_file_size"))
        plans, summary, warnings = scan_and_plan(job.sources, max_package, self.board)
        save_plan(self.settings.data_dir, self.job_id, plans, summary, warnings)
        self.warnings.extend(warnings)
        job = self.ledger.backup_job(self.job_id)
        if not job.planned:
            job.planned_packages(packages=len(plans), files=summary["files"], bytes_in=summary["bytes"],
                                 plan_digest=digest(plans))
            for warning in warnings[:100]:
                job.warn(message=warning)
            self.ledger.save(job)
        return plans, summary

    def _supply_policy(self, group: str) -> SupplyPolicy:
        return SupplyPolicy(
            group=group, auto_erase=bool(self.services.effective("auto_erase_expired")),
            block_size=self.settings.default_block_size, poll_seconds=self.options.poll_seconds,
            remind_seconds=60.0 * int(self.services.effective("tape_change_remind_minutes")),
            pause_after_seconds=60.0 * int(self.services.effective("tape_change_pause_minutes")),
        )

    # --- writing ----------------------------------------------------------------------------
    def _over_cap(self, mounted: Mounted, result: PackResult) -> bool:
        cap = int(self.services.effective("max_volume_size") or 0)
        return bool(cap) and mounted.bytes_written > 0 and mounted.bytes_written + result.payload_bytes > cap

    def _write_and_record(self, session: DeviceSession, supply: TapeSupply, mounted: Mounted,
                          result: PackResult, group: str) -> tuple[Mounted, bool]:
        while True:
            try:
                positions = self._write(session, mounted, result, group)
                break
            except PackageOverflow:
                # Nothing of this package counts on the full tape: write it again, whole, on the next one.
                mounted = self._close_and_replace(session, supply, mounted, text("why_overflow"), overflow=True)
        crashpoints.crash_point("after_flush")
        self._record(mounted, positions, result, group)
        crashpoints.crash_point("after_record")
        mounted.next_file = positions.tape_file + 1
        mounted.bytes_written += positions.payload_bytes
        self.totals.packages += 1
        self.totals.bytes_packed += positions.payload_bytes
        return mounted, positions.nearly_full

    def _write(self, session: DeviceSession, mounted: Mounted, result: PackResult, group: str) -> Any:
        self._check_control()
        self.board.update(force=True, phase=text("stage_write"), current_package=result.package_id,
                          current_cartridge=mounted.barcode)
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
        session.drive.locate_file(mounted.next_file)
        positions = write_package(session.drive, header, [e.to_dict() for e in result.manifest], result.path,
                                  progress, block_size=mounted.block_size)
        self.totals.bytes_written = base + positions.payload_bytes
        for warning in result.warnings:
            self.warnings.append(warning.text)
        return positions

    def _record(self, mounted: Mounted, positions: Any, result: PackResult, group: str) -> None:
        """PackageWritten + PackageRecorded + the group's cartridge, in one atomic save."""
        for _ in range(5):
            cartridge = self.ledger.cartridge(mounted.barcode)
            job = self.ledger.backup_job(self.job_id)
            backup_group = self.ledger.group(group)
            cartridge.record_package(
                job_id=self.job_id, package_id=result.package_id, group=group, sequence=result.seq,
                tape_file=positions.tape_file, header_block=positions.header_block,
                payload_block=positions.payload_block, payload_blocks=positions.payload_blocks,
                payload_bytes=positions.payload_bytes, payload_sha256=positions.payload_sha256,
                compression=str(result.codec), manifest=[e.to_dict() for e in result.manifest],
                extra={"barcode": mounted.barcode, "block_size": positions.block_size, "level": result.level,
                       "solid_blocks": result.solid_blocks, "tail_offset": result.tail_offset,
                       "label_sequence": cartridge.label_sequence})
            job.package_recorded(package_id=result.package_id, sequence=result.seq, cartridge=mounted.barcode)
            backup_group.add_cartridge(mounted.barcode)
            try:
                self.ledger.save(cartridge, job, backup_group)
                return
            except IntegrityError:
                continue  # someone recorded a cancel or a pause meanwhile: reload and record again
        raise RuntimeError("台账并发冲突，无法记录数据包")

    def _use(self, mounted: Mounted) -> None:
        if mounted.barcode not in self.totals.cartridges:
            self.totals.cartridges.append(mounted.barcode)

    # --- closing a cartridge ----------------------------------------------------------------
    def _close_and_replace(self, session: DeviceSession, supply: TapeSupply, mounted: Mounted, reason: str,
                           overflow: bool = False) -> Mounted:
        self._close(session, mounted, full_reason=reason, overflow=overflow)
        self.board.update(force=True, phase=text("stage_wait_tape"))
        replacement = supply.replace(mounted, text("tape_full", barcode=mounted.barcode, why=reason))
        self._use(replacement)
        return replacement

    def _close(self, session: DeviceSession, mounted: Mounted, *, full_reason: str | None,
               overflow: bool = False) -> None:
        """Write the tape index after the last recorded package; mark the tape full if it is."""
        drive = session.drive
        cartridge = self.ledger.cartridge(mounted.barcode)
        packages = self.ledger.packages_on(mounted.barcode)
        self.services.projector.catch_up(["chain"])
        chain_head = self.services.chain.head()[1]
        index = TapeIndex(volume_serial=cartridge.volume_serial, label_sequence=cartridge.label_sequence,
                          written_at=clock.now().isoformat(timespec="seconds"), chain_head=chain_head,
                          packages=[_index_entry(event) for event in packages])
        written = None
        with contextlib.suppress(VolumeOverflow, PackageOverflow, TapeError):
            drive.locate_file(mounted.next_file)  # over the fragment an overflow left, if any
            written = volume_io.write_index(drive, index, block_size=mounted.block_size)
        if written is not None:
            cartridge.record_index(tape_file=written.tape_file, block=written.block, packages=len(packages),
                                   chain_head=chain_head)
            mounted.next_file = written.tape_file + 1
        if full_reason is not None:
            cartridge.mark_full(bytes_written=cartridge.bytes_written, reason=full_reason)
        self.ledger.save(cartridge)

    # --- control, progress, the end ---------------------------------------------------------
    def _check_control(self) -> None:
        status = self.ledger.backup_job(self.job_id).status
        if status in {"cancelled", "paused"}:
            if self._pool is not None:
                self._pool.cancel()
            raise JobStopped(text(status), status=status)

    def _tick(self, pool: PackerPool, prior: float, force: bool = False) -> None:
        progress = pool.progress()
        elapsed = max(1e-6, time.monotonic() - self._started)
        rate = progress.rate_bytes_per_second or prior
        remaining = max(0, progress.bytes_total - progress.bytes_done)
        self.board.update(force=force, bytes_packed=progress.bytes_done, packages_written=self.totals.packages,
                          pack_rate=rate, write_rate=self.totals.bytes_written / elapsed,
                          eta_seconds=remaining / rate if rate else None)

    def _complete(self, summary: dict[str, int]) -> None:
        figures = self._figures(summary)
        for _ in range(5):
            job = self.ledger.backup_job(self.job_id)
            drive = self.ledger.drive(self.settings.host_name, self._spec)
            job.complete(figures, self.warnings[:MAX_WARNINGS_KEPT])
            drive.release(self.job_id)
            try:
                self.ledger.save(job, drive)
                break
            except IntegrityError:
                continue
        self.board.update(force=True, phase=text("stage_done"), message=self._summary_line())
        self._notify("backup_succeeded", {**figures, "job_id": self.job_id, "status": job.status,
                                          "host": self.settings.host_name, "occurred_at": clock.now(),
                                          "warnings": len(self.warnings)}, f"{self.job_id}:done")

    def _figures(self, summary: dict[str, int]) -> dict[str, Any]:
        job = self.ledger.backup_job(self.job_id)
        packed = sum(event.payload_bytes for barcode in job.cartridges for event in self.ledger.packages_on(barcode)
                     if event.job_id == self.job_id)
        self.services.projector.catch_up(["chain"])
        return {"files": summary["files"], "bytes_in": summary["bytes"], "bytes_packed": packed,
                "packages": len(job.packages), "cartridges": list(job.cartridges),
                "seconds": round(time.monotonic() - self._started, 3), "warnings": len(self.warnings),
                "chain_head": self.services.chain.head()[1]}

    def _stopped(self, stop: JobStopped) -> None:
        if stop.status == "failed":
            self._fail(stop.message)
            return
        self.board.update(force=True, phase=text(stop.status), message=stop.message)

    def _fail(self, reason: str) -> None:
        job = self.ledger.backup_job(self.job_id)
        job.fail(reason)
        self.ledger.save(job)
        self.board.update(force=True, phase="失败", message=reason)
        self._notify("backup_failed", {"job_id": self.job_id, "reason": reason, "group": job.group,
                                       "host": self.settings.host_name, "occurred_at": clock.now()},
                     f"{self.job_id}:failed")

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


def _index_entry(event: Any) -> IndexEntry:
    extra = dict(event.extra or {})
    header = {"sequence": event.sequence, "group": event.group, "job_id": event.job_id,
              "payload_bytes": event.payload_bytes, "payload_sha256": event.payload_sha256,
              "compression": event.compression, "block_size": extra.get("block_size", 262144)}
    return IndexEntry(event.package_id, event.tape_file, event.header_block, event.payload_block,
                      event.payload_blocks, header)


def job_summary(job: Any) -> dict[str, Any]:
    from ledger.domain.job import STATUS_NAMES

    figures = dict(job.figures or {})
    return {
        "job_id": str(job.id), "status": job.status, "status_text": STATUS_NAMES.get(job.status, job.status),
        "group": job.group, "sources": list(job.sources), "files": figures.get("files", job.planned.get("files", 0)),
        "bytes_in": figures.get("bytes_in", job.planned.get("bytes_in", 0)),
        "bytes_packed": figures.get("bytes_packed", 0), "packages": len(job.packages),
        "cartridges": list(job.cartridges), "seconds": figures.get("seconds", 0.0),
        "warnings": len(job.warnings) if not figures else figures.get("warnings", 0),
        "warning_list": list(job.warnings), "reason": job.reason, "chain_head": figures.get("chain_head", ""),
    }
