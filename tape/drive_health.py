"""A health snapshot of the drive and its cartridge (tape-scsi.md §8 point 14).

Reads log pages 0Ch (bytes, compression ratio, cleaning flag), 17h (mounts, errors, capacity),
2Eh (TapeAlert — read-clear, so the snapshot is where the flags are kept, together with those the
mount found) and 31h (IBM capacity page), plus MAM 0000h/0001h/0003h (remaining and maximum MiB,
load count). Pages a drive does not have are left empty rather than failing the snapshot.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from tape import drive_mam
from tape.scsi import logpages as lp
from tape.scsi import mam as m
from tape.scsi.tapealert import CLEANING_FLAGS, Severity, TapeAlertFlag, needs_attention

if TYPE_CHECKING:
    from tape.drive import Drive


@dataclass(frozen=True)
class AlertNote:
    """One TapeAlert flag explained in Chinese."""

    code: int
    title: str
    description: str
    severity: str
    advice: str
    needs_attention: bool

    @classmethod
    def of(cls, flag: TapeAlertFlag, attention: bool) -> AlertNote:
        return cls(flag.code, flag.title, flag.description, flag.severity.value, flag.advice, attention)


@dataclass(frozen=True)
class HealthSnapshot:
    taken_at: str
    drive_serial: str | None
    barcode: str | None
    host_bytes_written: int | None = None
    medium_bytes_written: int | None = None
    host_bytes_read: int | None = None
    medium_bytes_read: int | None = None
    compression_ratio: float | None = None
    cleaning_required: bool = False
    mounts: int | None = None
    write_retries: int | None = None
    write_permanent_errors: int | None = None
    read_retries: int | None = None
    read_permanent_errors: int | None = None
    lifetime_mb_written: int | None = None
    lifetime_mb_read: int | None = None
    native_capacity_mb: int | None = None
    used_native_capacity_mb: int | None = None
    remaining_mib: int | None = None  # MAM 0000h, else page 31h
    maximum_mib: int | None = None  # MAM 0001h, else page 31h
    load_count: int | None = None  # MAM 0003h
    partition_remaining_mib: int | None = None  # IBM page 31h, partition 0
    partition_maximum_mib: int | None = None
    alerts: list[AlertNote] = field(default_factory=list)

    @property
    def worst_severity(self) -> str | None:
        order = [Severity.INFO.value, Severity.WARNING.value, Severity.CRITICAL.value]
        present = [order.index(a.severity) for a in self.alerts]
        return order[max(present)] if present else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe, for the ledger (Cartridge.HealthRecorded) and `--json`."""
        return asdict(self)


def snapshot(drive: Drive) -> HealthSnapshot:
    identity = drive.identify()
    medium = drive.medium
    values: dict[str, Any] = {}
    page = drive.log_page(lp.SEQUENTIAL_ACCESS)
    if page is not None:
        seq = lp.SequentialAccessStats.from_page(page)
        ratio = seq.compression_ratio
        values.update(
            host_bytes_written=seq.host_bytes_written,
            medium_bytes_written=seq.medium_bytes_written,
            host_bytes_read=seq.host_bytes_read,
            medium_bytes_read=seq.medium_bytes_read,
            compression_ratio=round(ratio, 3) if ratio is not None else None,
            cleaning_required=seq.cleaning_required,
        )
    page = drive.log_page(lp.VOLUME_STATISTICS)
    if page is not None:
        vol = lp.VolumeStatistics.from_page(page)
        values.update(
            mounts=vol.mounts,
            write_retries=vol.write_retries,
            write_permanent_errors=vol.write_permanent_errors,
            read_retries=vol.read_retries,
            read_permanent_errors=vol.read_permanent_errors,
            lifetime_mb_written=vol.lifetime_mb_written,
            lifetime_mb_read=vol.lifetime_mb_read,
            native_capacity_mb=vol.native_capacity_mb,
            used_native_capacity_mb=vol.used_native_capacity_mb,
        )
    flags = drive.collect_alerts()
    attention = {flag.code for flag in needs_attention(flags)}
    if CLEANING_FLAGS & {flag.code for flag in flags}:
        values["cleaning_required"] = True
    attributes = drive_mam.read_attributes(drive, (m.REMAINING_CAPACITY, m.MAXIMUM_CAPACITY, m.LOAD_COUNT))
    remaining = attributes.get(m.REMAINING_CAPACITY)
    maximum = attributes.get(m.MAXIMUM_CAPACITY)
    count = attributes.get(m.LOAD_COUNT)
    page = drive.log_page(lp.TAPE_CAPACITY)
    capacity = lp.TapeCapacity.from_page(page) if page is not None else None
    values["partition_remaining_mib"] = capacity.remaining_p0_mib if capacity else None
    values["partition_maximum_mib"] = capacity.maximum_p0_mib if capacity else None
    values["remaining_mib"] = remaining.as_int if remaining is not None else values["partition_remaining_mib"]
    values["maximum_mib"] = maximum.as_int if maximum is not None else values["partition_maximum_mib"]
    values["load_count"] = count.as_int if count is not None else None
    return HealthSnapshot(
        taken_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        drive_serial=identity.serial,
        barcode=medium.barcode if medium else None,
        alerts=[AlertNote.of(flag, flag.code in attention) for flag in flags],
        **values,
    )
