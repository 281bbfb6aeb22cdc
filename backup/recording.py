"""Recording a package that is safely on tape: three aggregates, one atomic save (B5).

`Cartridge.PackageWritten` (position, manifest digest and counts — the manifest itself in its own
`PackageManifest`, saved with it), `BackupJob.PackageRecorded` and the group's `CartridgeAdded` go
to the ledger together or not at all, only after the package's filemark is on
tape; a job killed before this resumes by writing the package again over what it left.

The package's 7z layout (`backup.layout`) goes into the event's `extra` under "layout", next to
the positions and apart from the manifest, so a restore can LOCATE to the solid blocks it needs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from backup.following import Following
from backup.layout import layout_record
from backup.pack import PackResult
from ledger import clock
from ledger.application import Ledger
from ledger.domain import BackupGroup, BackupJob, Cartridge

MAX_WARNINGS_KEPT = 1000


def package_header(job_id: str, group: str, result: PackResult) -> dict[str, Any]:
    """The fields of the package's header block on tape (docs/磁带格式.md §2)."""
    return {"package_id": result.package_id, "job_id": job_id, "group": group,
            "sequence": result.seq, "compression": str(result.codec),
            "created_at": clock.now().isoformat(timespec="seconds"),
            "payload_bytes": result.payload_bytes, "payload_sha256": result.payload_sha256,
            "extra": {"level": result.level, "solid_blocks": result.solid_blocks,
                      "tail_offset": result.tail_offset}}


def layout_extra(result: PackResult, positions: Any) -> dict[str, Any]:
    """{"layout": …} for `PackageWritten.extra`, or nothing when the package has no usable layout."""
    if result.layout is None:
        return {}
    record = layout_record(result.layout, payload_bytes=positions.payload_bytes,
                           payload_blocks=positions.payload_blocks, block_size=positions.block_size)
    return {} if record is None else {"layout": record}


def record_package(ledger: Ledger, following: Following, job_id: str, barcode: str, positions: Any,
                   result: PackResult, group: str, manifest: list[dict[str, Any]], *,
                   job: Callable[[], BackupJob], cartridge: Callable[[str], Cartridge]) -> None:
    """PackageWritten + PackageRecorded + the group's cartridge, in one atomic save.

    `job` and `cartridge` give the copies `following` keeps; they are changed in place, so after a
    refused save they hold events the ledger does not, and each attempt after the first (and any
    failure) starts from fresh ones.
    """
    attempts = 0

    def act() -> tuple[Cartridge, BackupJob, BackupGroup]:
        nonlocal attempts
        if attempts:
            following.forget()  # someone recorded a cancel or a pause meanwhile
        attempts += 1
        on_tape = cartridge(barcode)
        backup_job = job()
        backup_group = following.get(BackupGroup.create_id(group), lambda: ledger.group(group))
        on_tape.record_package(
            job_id=job_id, package_id=result.package_id, group=group, sequence=result.seq,
            tape_file=positions.tape_file, header_block=positions.header_block,
            payload_block=positions.payload_block, payload_blocks=positions.payload_blocks,
            payload_bytes=positions.payload_bytes, payload_sha256=positions.payload_sha256,
            compression=str(result.codec), manifest=manifest,
            extra={"barcode": barcode, "block_size": positions.block_size, "level": result.level,
                   "solid_blocks": result.solid_blocks, "tail_offset": result.tail_offset,
                   "label_sequence": on_tape.label_sequence,
                   "warnings": [warning.text for warning in result.warnings[:MAX_WARNINGS_KEPT]],
                   **layout_extra(result, positions)})
        backup_job.package_recorded(package_id=result.package_id, sequence=result.seq, cartridge=barcode)
        backup_group.add_cartridge(barcode)
        return on_tape, backup_job, backup_group

    try:
        ledger.change(act, what=f"数据包 {result.package_id}")
    except BaseException:
        following.forget()
        raise
