"""Closing a cartridge: the tape index after its last recorded package, and "full" when it is.

The index lists every package the ledger says the cartridge holds (this job's and earlier jobs'),
with the ledger's hash-chain head (B1), so the tape describes itself and can be checked against
the ledger without trusting either. It is written where the next package would go — over any
fragment a killed writer or a VOLUME OVERFLOW left — and if it cannot be written (the end of the
tape), the packages stay readable without it (`scan_packages`), so that is said and not fatal.
"""

from __future__ import annotations

import logging
from typing import Any

from backup.ports import ChainServices
from backup.supply import Mounted
from ledger import clock
from tape import volume_io
from tape.drive import Drive
from tape.scsi.errors import TapeError, VolumeOverflow
from tape.volume import IndexEntry, TapeIndex
from tape.volume_errors import PackageOverflow

log = logging.getLogger("taf.backup")


def close_cartridge(services: ChainServices, drive: Drive, mounted: Mounted, *, full_reason: str | None) -> list[Any]:
    """Write the tape index; record IndexWritten (and TapeFull with `full_reason`) in one save.

    Returns the PackageWritten events of what the cartridge holds, which the job's summary reuses.
    They carry positions, digests and counts, not manifests (issue 18): the index needs nothing more,
    so closing a tape of twenty million entries holds a few hundred bytes per package.
    """
    ledger = services.ledger
    cartridge, packages = ledger.cartridge_with_packages(mounted.barcode)
    services.projector.catch_up(["chain"])
    chain_head = services.chain.head()[1]
    index = TapeIndex(volume_serial=cartridge.volume_serial, label_sequence=cartridge.label_sequence,
                      written_at=clock.now().isoformat(timespec="seconds"), chain_head=chain_head,
                      packages=[index_entry(event) for event in packages])
    written = None
    try:
        drive.locate_file(mounted.next_file)  # over the fragment an overflow left, if any
        written = volume_io.write_index(drive, index, block_size=mounted.block_size)
    except (VolumeOverflow, PackageOverflow, TapeError) as error:
        log.warning("磁带 %s 的索引未能写入：%s", mounted.barcode, error)
    if written is not None:
        mounted.next_file = written.tape_file + 1

    unchanged = [cartridge]  # the copy read above, used once; a retry reads the cartridge again

    def act() -> Any:
        fresh = unchanged.pop() if unchanged else ledger.cartridge(mounted.barcode)
        if written is not None:
            fresh.record_index(tape_file=written.tape_file, block=written.block, packages=len(packages),
                               chain_head=chain_head)
        if full_reason is not None:
            fresh.mark_full(bytes_written=fresh.bytes_written, reason=full_reason)
        return fresh

    ledger.change(act, what=f"磁带 {mounted.barcode}")
    return packages


def index_entry(event: Any) -> IndexEntry:
    """A package's line in the tape index, from its PackageWritten event."""
    extra = dict(event.extra or {})
    header = {"sequence": event.sequence, "group": event.group, "job_id": event.job_id,
              "payload_bytes": event.payload_bytes, "payload_sha256": event.payload_sha256,
              "compression": event.compression, "block_size": extra.get("block_size", 262144)}
    return IndexEntry(event.package_id, event.tape_file, event.header_block, event.payload_block,
                      event.payload_blocks, header)
