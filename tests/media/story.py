"""Ledger stories the lifecycle, view and CLI tests tell: cartridges written, groups opened and rotated.

Plain functions over the Ledger application, standing in for the tape and backup layers (built
elsewhere) with the same events those layers record.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ledger import clock
from ledger.domain import BackupGroup

PHONE = "13800000000"
OTHER_PHONE = "13800000001"
TOKEN = "test-token"


def at(year: int, month: int, day: int, hour: int = 12) -> datetime:
    """Noon UTC by default: the same calendar day in every time zone the tests may run in."""
    return datetime(year, month, day, hour, tzinfo=UTC)


def manual_clock(moment: datetime) -> clock.ManualClock:
    manual = clock.ManualClock(moment)
    clock.set_clock(manual)
    return manual


def labelled(ledger: Any, barcode: str, *, retention: int | None = None, by: str = "admin") -> None:
    cartridge = ledger.register_cartridge(barcode, capacity_bytes=18_000_000_000_000, location="slot:1", by=by)
    cartridge.label(barcode[:6], pool="default", block_size=262144, by=by)
    if retention is not None:
        cartridge.change_retention(retention, by=by)
    ledger.save(cartridge)


def write_package(ledger: Any, barcode: str, group: str, *, size: int = 1000) -> None:
    cartridge = ledger.cartridge(barcode)
    sequence = len(cartridge.packages) + 1
    cartridge.record_package(job_id=f"job-{group}", package_id=f"{group}/{sequence:06d}", group=group,
                             sequence=sequence, tape_file=cartridge.next_tape_file, header_block=0,
                             payload_block=1, payload_blocks=1, payload_bytes=size, payload_sha256="0" * 64,
                             compression="lzma2", manifest=[])
    ledger.save(cartridge)


def open_group(ledger: Any, name: str, *, run: str = "", by: str = "system") -> None:
    group = BackupGroup(name=name, by=by)
    group.add_run(job_id=run or f"job-{name}", run_number=1)
    ledger.save(group)


def rotate_out(ledger: Any, name: str) -> None:
    group = ledger.group(name)
    group.rotate_out(reason="活动备份组超过 6 个", by="system")
    ledger.save(group)


def backup_month(ledger: Any, manual: clock.ManualClock, moment: datetime, barcode: str) -> str:
    """Move the clock to ``moment``, open that month's group and write one package of it on ``barcode``."""
    manual.moment = moment
    name = f"{moment:%Y-%m}"
    open_group(ledger, name)
    write_package(ledger, barcode, name)
    return name
