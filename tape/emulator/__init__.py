"""A file-backed IBM ULT3580-HH9 and a small SCSI library, answering CDBs as the real ones do.

- `Library` — the management API (create, insert, eject, faults); `LibraryError` for refusals.
- `tape.transports.emulated.EmulatedTransport` — the SCSI path to one drive or the changer.
See tape/emulator/README.md for the on-disk format and the durability rules.
"""

from tape.emulator.faults import KINDS as FAULT_KINDS
from tape.emulator.faults import Fault
from tape.emulator.library import Library
from tape.emulator.library_views import (
    CartridgeInfo,
    DeviceInfo,
    DriveStatus,
    LibraryError,
    LibraryStatus,
    SlotStatus,
)
from tape.emulator.media import MEDIA, MediaType

__all__ = [
    "FAULT_KINDS",
    "MEDIA",
    "CartridgeInfo",
    "DeviceInfo",
    "DriveStatus",
    "Fault",
    "Library",
    "LibraryError",
    "LibraryStatus",
    "MediaType",
    "SlotStatus",
]
