"""Erase expired cartridges the drive can reach and return them to the scratch pool (R6, B4).

Run before each backup (with AUTO_ERASE_EXPIRED) and by the scheduled auto-erase. The safety
interlock is checked twice: by the pure rule (ledger/rules/retention.erase_allowed) before a
cartridge is even loaded, and by the Cartridge aggregate itself when the erase is recorded — a
cartridge holding an active backup group is never erased, whatever the settings say.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from ledger import clock
from ledger.errors import LedgerError
from media import operations
from media.devices import DeviceSession
from media.errors import MediaError
from media.lifecycle import status as lifecycle_status
from media.ports import LifecycleServices
from tape.drive_errors import DriveApiError
from tape.scsi.errors import LoadRequired, NoMedium, TapeError

log = logging.getLogger("taf.media")


@dataclass
class ReuseReport:
    erased: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)


def _erasable(services: LifecycleServices) -> dict[str, str]:
    """Expired cartridges the rules allow to erase, with the sentence explaining each."""
    verdicts = lifecycle_status(services, clock.now())
    return {row["barcode"]: verdict.explanation for row, verdict in verdicts
            if row["status"] == "expired" and verdict.expired}


def erase_expired(services: LifecycleServices, session: DeviceSession, *, pool: str | None = None,
                  block_size: int | None = None, long: bool = False) -> ReuseReport:
    """Erase and relabel every expired cartridge within reach; each keeps its pool unless `pool` names one."""
    report = ReuseReport()
    candidates = _erasable(services)
    if not candidates:
        return report
    reachable = _reachable(session)
    for barcode in sorted(set(candidates) & reachable):
        try:
            if session.changer is not None:
                operations.load(session, barcode)
            operations.erase(session, long=long, require_confirmation=False,
                             reason=f"已过期，自动擦除：{candidates[barcode]}")
            operations.label(session, pool=pool, block_size=block_size or services.settings.default_block_size,
                             barcode=barcode)
            report.erased.append(barcode)
        except (LedgerError, MediaError, DriveApiError, TapeError) as refusal:
            report.refused[barcode] = str(refusal)
            log.warning("磁带 %s 未能自动擦除：%s", barcode, refusal)
    return report


def _reachable(session: DeviceSession) -> set[str]:
    if session.changer is not None:
        inventory = session.changer.inventory()
        return {e.barcode for e in (*inventory.slots, *inventory.drives) if e.full and e.barcode}
    try:
        medium = session.mount()
    except (NoMedium, LoadRequired):
        return set()
    barcode = session.barcode(medium)
    return {barcode} if barcode else set()
