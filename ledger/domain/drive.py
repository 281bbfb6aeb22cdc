"""A tape drive on a drive host. Its reservation is the database-level "one job per drive" guard."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from ledger.domain.base import TafAggregate, stable_id
from ledger.errors import DriveBusy


class Drive(TafAggregate):
    @staticmethod
    def create_id(host: str, device: str, **_: Any) -> UUID:
        return stable_id("drive", f"{host}|{device}")

    @event("Registered")
    def __init__(self, host: str, device: str, vendor: str = "", product: str = "", serial: str = "",
                 by: str = "system") -> None:
        self.host = host
        self.device = device
        self.vendor = vendor
        self.product = product
        self.serial = serial
        self.reserved_by: str | None = None
        self.loaded: str | None = None
        self.failures = 0

    @property
    def name(self) -> str:
        return f"{self.host}:{self.device}"

    def reserve(self, job_id: str) -> None:
        """Book the drive for a job. Two writers racing here collide on the aggregate version."""
        if self.reserved_by and self.reserved_by != job_id:
            raise DriveBusy(drive=self.name, job=self.reserved_by)
        if self.reserved_by != job_id:
            self._reserved(job_id=job_id)

    @event("Reserved")
    def _reserved(self, job_id: str) -> None:
        self.reserved_by = job_id

    def release(self, job_id: str) -> None:
        if self.reserved_by == job_id:
            self._released(job_id=job_id)

    @event("Released")
    def _released(self, job_id: str) -> None:
        self.reserved_by = None

    @event("CartridgeLoaded")
    def cartridge_loaded(self, barcode: str, by: str = "system") -> None:
        self.loaded = barcode

    @event("CartridgeUnloaded")
    def cartridge_unloaded(self, barcode: str, by: str = "system") -> None:
        self.loaded = None

    @event("CommandFailed")
    def command_failed(self, command: str, cdb: str, sense: str, message: str) -> None:
        self.failures += 1

    @event("Cleaned")
    def cleaned(self, by: str) -> None:
        self.failures = 0
