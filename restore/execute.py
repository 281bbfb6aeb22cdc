"""Run a restore job: cartridge by cartridge, package by package, in the plan's order.

For each package still to do: LOCATE to its header (is it the package the catalog says?), read
its payload into a staging file under DATA_DIR/restore-staging (SHA-256 checked), take out only
the wanted members with py7zr, check every file against the manifest and give it its name, then
record `RestoreJob.PackageRestored`. A resumed job skips the packages already recorded, so a
cancelled, paused or killed restore goes on where it stopped.

How far it is (files, bytes, packages, the cartridge, a request to bring one) goes on a
`kernel.progress` board under the job's id: `restore status`, the web and the TUI see it from any
process, any host with Redis; `progress`, if given, is told of every change in this process.

A package that cannot be read or unpacked costs its own files (warnings, outcome "partial"); a
device failure ends the job as failed with its reason. The drive is booked for the job while it
runs (the ledger's one-job-per-drive guard) and released however it ends.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from kernel.errors import describe
from kernel.progress import RESTORE, Heartbeat, Observer, ProgressBoard, remaining_seconds
from ledger import clock
from ledger.errors import DriveBusy
from media.devices import DeviceSession
from notify.outbox import deliver_now, notify_event
from restore import messages
from restore.control import JobControl
from restore.errors import Refused, Stopped
from restore.files import FileTask, Work, discard_partials, finish_folders_and_links
from restore.files import prepare as prepare_work
from restore.layouts import restore_from_layout
from restore.mounting import Mounter
from restore.plan import FileRow, PackageRead, RestorePlan, make_plan
from restore.ports import RestoreServices
from restore.reading import CountingDrive, read_header, read_payload
from restore.selection import file_rows, resolve
from restore.unpack import unpack_package
from restore.whereabouts import whereabouts
from tape.transport import DeviceInUse
from tape.volume import FormatError
from tape.volume_errors import VolumeError

log = logging.getLogger("taf.restore")
SessionFactory = Callable[[], DeviceSession]


@dataclass(frozen=True)
class RestoreSummary:
    job_id: str
    status: str
    target: str
    files: int = 0
    bytes: int = 0
    skipped: int = 0
    renamed: int = 0
    failed: int = 0
    refused: int = 0
    folders: int = 0
    links: int = 0
    cartridges: list[str] = field(default_factory=list)
    packages_read: int = 0
    tape_bytes_read: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def figures(self) -> dict[str, Any]:
        figures = asdict(self)
        for key in ("job_id", "status", "warnings"):
            figures.pop(key)
        return figures

    @property
    def text(self) -> str:
        return messages.summary_text(self)


class _Run:
    """One attempt at a job: the state shared by its steps."""

    def __init__(self, services: RestoreServices, control: JobControl, open_session: SessionFactory,
                 progress: Observer | None, poll_seconds: float, sleep: Callable[[float], None]) -> None:
        self.services = services
        self.control = control
        self.open_session = open_session
        self.board = ProgressBoard(services.progress, control.job_id, RESTORE, observer=progress)
        self.heartbeat: Heartbeat | None = None
        self.busy_seconds = 0.0  # time spent reading and unpacking packages, for the rates and the ETA
        self.poll_seconds = poll_seconds
        self.sleep = sleep
        self.started = False
        self.tape_pause_seconds = 0.0
        self.session: DeviceSession | None = None
        self.counting: CountingDrive | None = None
        self.used: list[str] = []
        self.packages_read = 0
        self.done: set[str] = set()
        self.booked: list[str] = []
        self.staging = Path(services.settings.data_dir) / "restore-staging" / control.job_id

    # -- progress -------------------------------------------------------------------------------
    def report(self, force: bool = False, **changes: Any) -> None:
        """Publish `changes`, with the tape bytes read so far (this run's)."""
        if self.counting is not None:
            changes["bytes_read"] = self.counting.bytes_read
        self.board.update(force, **changes)

    def measured(self, bytes_done: int) -> dict[str, Any]:
        """The tape's rate and the ETA, per second of package work (waits for cartridges do not count)."""
        busy, counting = self.busy_seconds, self.counting
        if busy <= 0 or counting is None:
            return {}
        return {"read_rate": counting.bytes_read / busy,
                "eta_seconds": remaining_seconds(self.board.state.bytes_total - bytes_done, bytes_done / busy)}

    def end(self, phase: str, message: str) -> None:
        """Publish how the run ended (done, paused, cancelled or failed)."""
        self.report(force=True, phase=phase, message=message, request="")

    # -- the drive ------------------------------------------------------------------------------
    def start(self, needs_tape: bool) -> None:
        host = self.services.settings.host_name
        if not needs_tape:
            self.control.update(lambda job: job.start(host))
            self.started = True
            return
        self.session = self.open_session()
        self.counting = CountingDrive(self.session.drive)
        self.services.ledger.start_job_on_drive(host, self.session.spec, self.control.live_job)
        self.started = True

    def release(self) -> Callable[[], Any] | None:
        if self.session is None:
            return None
        session, job_id = self.session, self.control.job_id

        def released() -> Any:
            drive = session.drive_aggregate()
            drive.release(job_id)
            return drive

        return released

    def book(self, barcode: str) -> None:
        """Hold the cartridge for this job (no erase or backup takes it while it is read)."""
        ledger = self.services.ledger
        if not ledger.reserve_cartridge(barcode, self.control.job_id):
            holder = ledger.cartridge(barcode).reserved_by or "另一个任务"
            raise Refused(messages.text("cartridge_busy", barcode=barcode, job=holder),
                          messages.text("cartridge_busy_advice"))
        self.booked.append(barcode)

    def unbook(self, barcode: str) -> None:
        if barcode in self.booked:
            self.services.ledger.release_cartridge(barcode, self.control.job_id)
            self.booked.remove(barcode)

    def close(self) -> None:
        if self.heartbeat is not None:
            self.heartbeat.stop()
        for barcode in list(self.booked):
            with suppress(Exception):
                self.unbook(barcode)
        if self.session is not None:
            self.session.close()
        shutil.rmtree(self.staging, ignore_errors=True)

    # -- one package ----------------------------------------------------------------------------
    def restore_package(self, work: Work, barcode: str, package: PackageRead, tasks: list[tuple[FileTask, int]]) -> None:
        assert self.counting is not None
        before = self.counting.bytes_read
        started = time.monotonic()
        self.report(phase="read", current_package=package.package_id,
                    message=messages.text("progress_package", package=package.package_id, barcode=barcode))
        staging = self.staging / f"{package.package_id.replace('/', '_')}.7z"

        def tick(done: int = 0, total: int = 0) -> None:
            self.control.check()
            self.report()

        try:
            # Only the solid blocks holding these files when the ledger has the package's layout;
            # otherwise (older packages, or a layout that does not fit) the whole package.
            unpacked = restore_from_layout(self.services.ledger, self.counting, work, barcode, package, tasks,
                                           self.done, self.staging, tick, lambda: self.report(phase="unpack"))
            if unpacked is None:
                header, manifest = read_header(self.counting, barcode, package)
                read_payload(self.counting, package, header, staging, tick)
                self.report(phase="unpack")
                unpacked = unpack_package(work, package.package_id, manifest, staging, self.staging / "scratch",
                                          tasks, self.done)
        except (VolumeError, FormatError, Refused) as error:
            work.warnings.append(messages.text("package_unreadable", package=package.package_id, barcode=barcode,
                                               error=str(error)))
            for task, _ in tasks:
                task.state = "failed"
            return
        finally:
            staging.unlink(missing_ok=True)
            self.busy_seconds += time.monotonic() - started
        self.packages_read += 1
        self.done.add(package.package_id)
        tape_bytes = self.counting.bytes_read - before
        self.control.update(lambda job: job.package_restored(package.package_id, unpacked.files, tape_bytes))
        state = self.board.state
        bytes_done = state.bytes_done + unpacked.bytes_written
        self.report(force=True, packages_read=self.packages_read, files_done=state.files_done + unpacked.files,
                    bytes_done=bytes_done, **self.measured(bytes_done))


def execute(services: RestoreServices, job_id: str, open_session: SessionFactory, *, progress: Observer | None = None,
            poll_seconds: float = 2.0, stop: threading.Event | None = None,
            sleep: Callable[[float], None] = time.sleep, actor: str = "system",
            tape_pause_seconds: float | None = None) -> RestoreSummary:
    """Run (or go on with) restore job `job_id`; returns its summary when it ends or stops.

    `tape_pause_seconds` overrides the setting tape_change_pause_minutes: how long to wait for a
    cartridge someone has to bring before the job pauses.
    """
    started = time.monotonic()
    control = JobControl(services.ledger, job_id, stop=stop)
    job = control.job()
    if job.finished or job.status == "paused":
        raise Refused(messages.text("job_not_runnable", job=job_id, status=messages.status_name(job.status)),
                      messages.text("job_not_runnable_advice"))
    earlier_tape_bytes = job.tape_bytes_read
    done = set(job.done_packages)
    run = _Run(services, control, open_session, progress, poll_seconds, sleep)
    run.done = set(done)
    run.tape_pause_seconds = (60.0 * int(services.effective("tape_change_pause_minutes") or 0)
                              if tape_pause_seconds is None else tape_pause_seconds)
    target = Path(job.target)
    summary = RestoreSummary(job_id=job_id, status="running", target=str(target))
    work: Work | None = None
    try:
        run.report(force=True, phase="prepare")
        run.heartbeat = run.board.heartbeat()
        services.projector.catch_up(["catalog", "inventory"])
        rows = resolve(services.catalog, job.selection, job.group, as_of=job.as_of)
        run.start(needs_tape=any(r["package_id"] not in done for r in file_rows(rows)))
        target.mkdir(parents=True, exist_ok=True)
        work = prepare_work(rows, target, job.on_conflict, job_id, done)
        if not rows:  # the cartridges were erased or relabelled since the job was planned
            work.warnings.append(messages.text("nothing_left", selection="、".join(job.selection)))
        plan = make_plan([FileRow.from_catalog(r) for r in work.file_rows()], whereabouts(services),
                         block_size=services.settings.default_block_size)
        _read_everything(run, work, plan)
        folders, links = finish_folders_and_links(work)
        summary = replace(_summarise(run, work, summary, earlier_tape_bytes, started), folders=folders, links=links)
        final = control.update(lambda j: j.complete(summary.figures(), summary.warnings), *_present(run.release()))
        summary = replace(summary, status=final.status)
        run.end("done", summary.text)
        return summary
    except Stopped as stopped:
        if work is not None and stopped.status == "cancelled":
            discard_partials(work)
        if stopped.status == "paused" and control.job().status not in ("paused", "cancelled"):
            # This process decided to stop (a shutdown, nobody brought the cartridge): record it as
            # a pause, so the job can be resumed.
            reason = stopped.reason or messages.text("interrupted")
            with suppress(Exception):
                control.update(lambda j: j.pause(by=actor, reason=reason), *_present(run.release()))
        _release_quietly(control, run)
        summary = replace(_summarise(run, work, summary, earlier_tape_bytes, started) if work else summary,
                          status=control.job().status)
        run.end(summary.status, stopped.reason or messages.status_name(summary.status))
        return summary
    except KeyboardInterrupt:
        with suppress(Exception):
            control.update(lambda j: j.pause(by=actor, reason=messages.text("interrupted")), *_present(run.release()))
        run.end("paused", messages.text("interrupted"))
        raise
    except Exception as error:
        if isinstance(error, (DriveBusy, DeviceInUse)) and not run.started:
            raise  # it never started: the job stays as it was, to be resumed once the drive is free
        reason = _reason(error)
        with suppress(Exception):
            control.update(lambda j: j.fail(reason), *_present(run.release()), allow_stopped=True)
        run.end("failed", reason)
        raise
    finally:
        run.close()


def _reason(error: Exception) -> str:
    """The Chinese sentence a failed job keeps: a TAF error's own line, else what kind of fault it was."""
    # The operating system's and the database's own words are for the log (kernel.errors.describe).
    return describe(error).message


def _present(release: Callable[[], Any] | None) -> list[Callable[[], Any]]:
    return [release] if release is not None else []


def _release_quietly(control: JobControl, run: _Run) -> None:
    with suppress(Exception):
        control.update(lambda j: None, *_present(run.release()), allow_stopped=True)


def _read_everything(run: _Run, work: Work, plan: RestorePlan) -> None:
    by_package: dict[str, list[tuple[FileTask, int]]] = {}
    for task in work.files:
        if task.state == "pending":
            for index, chunk in enumerate(task.chunks):
                if chunk.row["package_id"] not in run.done:
                    by_package.setdefault(chunk.row["package_id"], []).append((task, index))
    pending_files = [t for t in work.files if t.state == "pending"]
    run.report(force=True, files_total=len(pending_files), bytes_total=sum(t.size for t in pending_files),
               packages_total=sum(1 for p in plan.packages if p.package_id in by_package),
               cartridges_total=sum(1 for step in plan.steps if any(p.package_id in by_package for p in step.packages)))
    for step in plan.steps:
        packages = [p for p in step.packages if p.package_id in by_package and p.package_id not in run.done]
        if not packages:
            continue
        run.control.check(force=True)
        run.book(step.barcode)
        run.report(phase="load")
        _bring(run, step.barcode)
        run.report(current_cartridge=step.barcode)
        if step.barcode not in run.used:
            run.used.append(step.barcode)
        for package in packages:
            run.control.check()
            run.restore_package(work, step.barcode, package, by_package[package.package_id])
        run.unbook(step.barcode)
        run.report(cartridges_done=run.board.state.cartridges_done + 1)
    for task in work.files:
        if task.state == "pending":
            task.state = "failed"
            work.warnings.append(messages.text("file_incomplete", path=task.full_path))
        if task.state == "failed":
            task.part.unlink(missing_ok=True)


def _bring(run: _Run, barcode: str) -> None:
    assert run.session is not None and run.counting is not None

    def waiting(code: str, instruction: str) -> None:
        run.control.update(lambda job: job.request_tape(code, instruction))
        run.report(phase="wait_tape", request=instruction)
        log.info(instruction)
        _notify_tape_wanted(run, code)

    def arrived(code: str) -> None:
        run.control.update(lambda job: job.tape_arrived(code))
        run.report(phase="load", request="", message=messages.text("tape_arrived", barcode=code))

    Mounter(run.session, run.counting, waiting, arrived, lambda: run.control.check(force=True),
            run.poll_seconds, run.sleep, give_up_after=run.tape_pause_seconds or None).bring(barcode)


def _notify_tape_wanted(run: _Run, barcode: str) -> None:
    """DingTalk 换盘 message (R8); a notification problem never stops a restore."""
    session = run.session
    assert session is not None
    job = run.control.job()
    try:
        identity = session.drive.identify()
        queued = notify_event(run.services, "tape_change_needed",
                              {"drive": f"{identity.product}（{session.spec}）", "current": "", "current_state": "",
                               "wanted": barcode, "job_id": run.control.job_id, "group": job.group or "—",
                               "requested_at": clock.now()},
                              cause=f"restore:{run.control.job_id}:{barcode}:{len(job.done_packages)}")
    except Exception:
        log.exception("换盘通知排队失败")
        return
    # Sent while the restore waits for the cartridge, whether a worker runs or not (issue 13, item 2).
    deliver_now(run.services, clock.now(), queued)


def _summarise(run: _Run, work: Work | None, summary: RestoreSummary, earlier_tape_bytes: int,
               started: float) -> RestoreSummary:
    if work is not None:
        summary = replace(summary, files=work.count("restored", "renamed", "done_before"),
                          bytes=work.bytes("restored", "renamed", "done_before"),
                          skipped=work.count("skipped", "identical"), renamed=work.count("renamed"),
                          failed=work.count("failed"), refused=work.refused, warnings=list(work.warnings),
                          notes=list(work.notes))
    return replace(summary, cartridges=list(run.used), packages_read=run.packages_read,
                   tape_bytes_read=earlier_tape_bytes + (run.counting.bytes_read if run.counting else 0),
                   seconds=round(time.monotonic() - started, 3))
