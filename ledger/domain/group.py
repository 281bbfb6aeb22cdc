"""A monthly backup group YYYY-MM: opened by the first run of the month, rotated out later."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from ledger.domain.base import TafAggregate, stable_id
from ledger.errors import InvalidValue
from ledger.rules.rotation import GroupNameError, validate_group_name


def check_group_name(name: str) -> str:
    """The rotation rule's check, reported as a domain refusal."""
    try:
        return validate_group_name(name)
    except GroupNameError as error:
        raise InvalidValue(what="备份组", problem=f"“{name}”不是 YYYY-MM 格式（{error}）") from None


class BackupGroup(TafAggregate):
    @staticmethod
    def create_id(name: str, **_: Any) -> UUID:
        return stable_id("group", name)

    @event("Opened")
    def __init__(self, name: str, by: str = "system") -> None:
        self.name = check_group_name(name)
        self.active = True
        self.runs: list[str] = []
        self.cartridges: list[str] = []

    @event("RunAdded")
    def add_run(self, job_id: str, run_number: int) -> None:
        self.runs.append(job_id)

    def add_cartridge(self, barcode: str) -> None:
        if barcode not in self.cartridges:
            self._cartridge_added(barcode=barcode)

    @event("CartridgeAdded")
    def _cartridge_added(self, barcode: str) -> None:
        self.cartridges.append(barcode)

    @event("RotatedOut")
    def rotate_out(self, reason: str, by: str = "system") -> None:
        self.active = False
