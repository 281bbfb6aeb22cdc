"""Failures the Drive and Changer APIs add to the SCSI ones in `tape.scsi.errors`.

They are `TapeError`s too, so a caller handles every drive condition in one family: the SCSI
outcome (NoMedium, WriteProtected, VolumeOverflow …) or one of these, which only make sense above
single commands (a cartridge swapped under a running operation, a load that never finished).
"""

from __future__ import annotations

from tape.drive_messages import text
from tape.scsi.errors import TapeError


class DriveApiError(TapeError):
    """A condition of the Drive/Changer API rather than of one SCSI command."""

    def __init__(self, text_id: str, *, command: str = "", **fields: object) -> None:
        entry = text(text_id, **fields)
        super().__init__(entry.message, entry.advice, command=command)
        self.fields = fields


class CartridgeChanged(DriveApiError):
    """A unit attention showed another cartridge in the drive during a positioned operation."""

    def __init__(self, old: str, new: str, *, command: str = "") -> None:
        super().__init__("cartridge_changed", command=command, old=old or "未知", new=new or "未知")
        self.old = old
        self.new = new


class PositionLost(DriveApiError):
    """The same cartridge is there, but a reset or reload moved it back to the beginning."""

    def __init__(self, *, command: str = "") -> None:
        super().__init__("position_lost", command=command)


class NotReadyTimeout(DriveApiError):
    """The drive stayed NOT READY longer than the longest media optimisation takes."""

    def __init__(self, seconds: float) -> None:
        super().__init__("not_ready_timeout", minutes=round(seconds / 60))


class NotMounted(DriveApiError):
    """An operation that needs the mounted cartridge's identity was asked before `mount()`."""

    def __init__(self) -> None:
        super().__init__("not_mounted")


class BlockTooLarge(DriveApiError):
    """A block on tape is larger than the drive (or the adapter) can transfer."""

    def __init__(self, length: int, limit: int) -> None:
        super().__init__("block_too_large", length=length, limit=limit)
