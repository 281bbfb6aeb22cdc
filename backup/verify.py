"""Read-back verification (B6): read every package of a job from tape, check its SHA-256 and the
7z CRCs, and record the result in the ledger.

Reading moves the tape, so verification books the drive like a job does (a backup writing on the
same drive at the same time would lose its position); a cartridge that cannot be brought to the
drive — out of the library, or not the one in a standalone drive — is a finding, not a crash.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Any

import py7zr
from eventsourcing.persistence import IntegrityError

from media import operations
from media.devices import DeviceSession, device_spec, open_session
from media.errors import MediaError
from tape.scsi.errors import LoadRequired, NoMedium, TapeError
from tape.volume_packages import PackagePositions, read_package_payload


def _positions(event: Any) -> PackagePositions:
    extra = dict(event.extra or {})
    return PackagePositions(package_id=event.package_id, tape_file=event.tape_file, header_block=event.header_block,
                            payload_block=event.payload_block, payload_blocks=event.payload_blocks,
                            payload_bytes=event.payload_bytes, payload_sha256=event.payload_sha256,
                            block_size=int(extra.get("block_size", 262144)))


def verify_job(services: Any, job_id: str, *, device: str | None = None, actor: str = "system",
               sample: int | None = None) -> dict[str, Any]:
    """Check the job's packages (all, or the first `sample` per cartridge); records `Verified`."""
    ledger = services.ledger
    job = ledger.backup_job(job_id)
    job_id = str(job.id)
    checked = 0
    mismatches: list[str] = []
    spec = device_spec(services.settings, device or job.drive or None)
    holder = f"verify:{job_id}"
    with open_session(services, spec, actor) as session, tempfile.TemporaryDirectory(
            dir=services.settings.data_dir) as scratch:
        _book(session, holder)
        try:
            for barcode in job.cartridges:
                events = [e for e in ledger.packages_on(barcode) if e.job_id == job_id]
                if sample is not None:
                    events = events[:sample]
                if not events:
                    continue
                problem = _bring(session, barcode)
                if problem:
                    mismatches.append(f"{barcode} 无法读取：{problem}（{len(events)} 个数据包未能检查）")
                    continue
                for event in sorted(events, key=lambda e: e.payload_block):
                    checked += 1
                    problem = _check_one(session.drive, _positions(event), Path(scratch) / "payload.7z")
                    if problem:
                        mismatches.append(f"{barcode} 数据包 {event.package_id}：{problem}")
        finally:
            _unbook(session, holder)
    job = ledger.backup_job(job_id)
    job.verified(ok=not mismatches, checked=checked, mismatches=mismatches, by=actor)
    ledger.save(job)
    return {"job_id": job_id, "ok": not mismatches, "checked": checked, "mismatches": mismatches}


def _book(session: DeviceSession, holder: str) -> None:
    drive = session.drive_aggregate()
    drive.reserve(holder)  # DriveBusy while a job holds the drive
    session.ledger.save_reserving(drive)


def _unbook(session: DeviceSession, holder: str) -> None:
    for _ in range(5):
        drive = session.drive_aggregate()
        drive.release(holder)
        try:
            session.ledger.save(drive)
            return
        except IntegrityError:
            continue


def _bring(session: DeviceSession, barcode: str) -> str:
    """Put `barcode` in the drive (library) or check it is there (standalone); '' when it is."""
    try:
        if session.changer is not None:
            operations.load(session, barcode)
            return ""
        medium = session.mount()
    except (NoMedium, LoadRequired):
        return "驱动器中没有磁带，请装入该磁带后重新校验"
    except (MediaError, TapeError) as error:
        return f"无法装入：{error}"
    loaded = session.barcode(medium)
    if loaded != barcode:
        return f"驱动器中是磁带 {loaded or '（无条码）'}，请装入该磁带后重新校验"
    return ""


def _check_one(drive: Any, positions: PackagePositions, target: Path) -> str:
    try:
        read_package_payload(drive, positions, target)
    except Exception as error:  # the tape layer's Chinese message says what went wrong
        return str(error)
    try:
        with py7zr.SevenZipFile(target, "r") as archive:
            bad = archive.testzip()
    except Exception as error:  # a 7z structure py7zr cannot read is a mismatch too
        return f"7z 结构无法读取：{error}"
    finally:
        with contextlib.suppress(OSError):
            target.unlink()
    return f"7z CRC 校验失败：{bad}" if bad else ""
