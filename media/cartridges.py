"""Cartridges as the ledger knows them: registration on first sight, and the erase interlock.

The erase safety check asks which active backup groups a cartridge holds: the groups in its own
`groups` list (filled by Cartridge.PackageWritten) whose BackupGroup aggregate is still active. A
group the ledger has no aggregate for counts as active — when in doubt, the tape is not erased.
The rule lives in the ledger (`Ledger.active_groups_on`), which checks it again when it records an
erase.
"""

from __future__ import annotations

from ledger.application import Ledger
from ledger.domain import Cartridge
from tape.drive_types import MediumInfo

_SUFFIXES = ("L9", "LZ", "L8", "LY", "L7")


def media_type_of(barcode: str, medium: MediumInfo | None = None) -> str:
    """The LTO media type from the barcode suffix (L9, LZ …), else from what the drive reports."""
    suffix = barcode.strip().upper()[-2:]
    if suffix in _SUFFIXES:
        return suffix
    if barcode.upper().startswith("CLN"):
        return "CLN"
    if medium is not None and medium.generation in (8, 9):
        return f"L{medium.generation}" if not medium.worm else ("LZ" if medium.generation == 9 else "LY")
    return "L9"


def volume_serial_of(barcode: str) -> str:
    """The volume serial TAF writes in the label: the six characters before the media suffix."""
    text = barcode.strip().upper()
    return text[:6] if len(text) > 6 else text


def ensure_cartridge(ledger: Ledger, barcode: str, medium: MediumInfo | None, *, location: str,
                     by: str) -> Cartridge:
    """The cartridge's aggregate, registered with what the drive reports if this is its first sight."""
    capacity = 0
    if medium is not None:
        maximum = medium.mam.get("maximum_capacity_mib")
        capacity = int(maximum) << 20 if isinstance(maximum, int) else 0
    return ledger.register_cartridge(
        barcode, media_type=media_type_of(barcode, medium), capacity_bytes=capacity,
        worm=bool(medium and medium.worm), location=location, by=by,
    )
