"""The typed failures of a tape command, one class per thing the caller can do differently.

Every class carries a Chinese `message` and `advice` (defaults from `tape.scsi.messages`), the
decoded `sense` when there was one, the `command` name, and `retryable` — True where waiting and
sending the same command again is the right reaction. `tape.scsi.outcomes.check` raises them.
All are `TafError`s with exit code 7 (HTTP 502; 423 where another host holds the device).
`MalformedReply` is the other failure a command can end in: a reply too short or inconsistent to
decode (each parser has its own subclass).

Hierarchy:
    TapeError
    ├── NotReady ── NoMedium · NotReadyBecoming (retryable) · LoadRequired · ManualIntervention
    ├── CleaningRequired
    ├── IncompatibleMedium ── CleaningCartridgeLoaded
    ├── MediumError ── EndOfDataNotFound
    ├── HardwareError
    ├── IllegalRequest ── MediumRemovalPrevented · PositioningError · ElementError
    │                     (DestinationFull · SourceEmpty · InvalidElementAddress)
    ├── UnitAttention (retryable) ── MediumChanged · DeviceReset
    ├── DataProtect ── WriteProtected · WormOverwriteRefused · WormIntegrityError · EncryptionError
    ├── BlankCheck (= EndOfData)
    ├── VolumeOverflow
    ├── AbortedCommand (retryable)
    ├── DeviceBusy (retryable)
    └── ReservationConflict
"""

from __future__ import annotations

from kernel.errors import EXIT_DEVICE, TafError
from tape.scsi.messages import DEFERRED_NOTE, text
from tape.scsi.sense import Sense


class MalformedReply(TafError):
    """A device reply too short or inconsistent to decode; `detail` says how (for the log)."""

    exit_code = EXIT_DEVICE
    default_message = "设备返回的数据无法解析"

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail=detail)


class TapeError(TafError):
    """The drive completed a command with an error the caller must handle."""

    text_id = "unknown"
    retryable = False
    exit_code = EXIT_DEVICE
    default_message = text("unknown").message

    def __init__(
        self,
        message: str | None = None,
        advice: str | None = None,
        *,
        sense: Sense | None = None,
        command: str = "",
    ) -> None:
        default = text(self.text_id)
        message = message if message is not None else default.message
        if sense is not None and sense.deferred:
            message += DEFERRED_NOTE
        super().__init__(message, advice if advice is not None else default.advice)
        self.sense = sense
        self.command = command

    @property
    def residue(self) -> int:
        """The INFORMATION field of the sense (bytes or blocks not transferred), else 0."""
        return self.sense.residue if self.sense else 0

    @property
    def deferred(self) -> bool:
        """The error belongs to data written earlier, not to the command that reported it."""
        return bool(self.sense and self.sense.deferred)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, command={self.command!r}, sense={self.sense})"


class NotReady(TapeError):
    text_id = "not_ready"
    retryable = True


class NoMedium(NotReady):
    text_id = "no_medium"
    retryable = False


class NotReadyBecoming(NotReady):
    """Loading, calibrating a new LTO-9 cartridge, or busy with an IMMED operation: wait and retry."""

    text_id = "becoming_ready"
    retryable = True


class LoadRequired(NotReady):
    """A cartridge is in the drive but not threaded: send LOAD."""

    text_id = "load_required"
    retryable = False


class ManualIntervention(NotReady):
    text_id = "manual_intervention"
    retryable = False


class CleaningRequired(TapeError):
    text_id = "cleaning_required"


class IncompatibleMedium(TapeError):
    text_id = "incompatible_medium"


class CleaningCartridgeLoaded(IncompatibleMedium):
    text_id = "cleaning_cartridge"


class MediumError(TapeError):
    text_id = "medium_error"


class EndOfDataNotFound(MediumError):
    """EOD is missing (often after a power loss mid-write): never append to this tape blindly."""

    text_id = "eod_not_found"


class HardwareError(TapeError):
    text_id = "hardware_error"


class IllegalRequest(TapeError):
    text_id = "illegal_request"


class MediumRemovalPrevented(IllegalRequest):
    text_id = "removal_prevented"


class PositioningError(IllegalRequest):
    text_id = "positioning_error"


class ElementError(IllegalRequest):
    """A medium changer refused a move because of the elements named."""

    text_id = "invalid_element"


class DestinationFull(ElementError):
    text_id = "destination_full"


class SourceEmpty(ElementError):
    text_id = "source_empty"


class InvalidElementAddress(ElementError):
    text_id = "invalid_element"


class UnitAttention(TapeError):
    """Something changed under us; retry once, then re-validate the cartridge."""

    text_id = "unit_attention"
    retryable = True


class MediumChanged(UnitAttention):
    text_id = "medium_changed"


class DeviceReset(UnitAttention):
    text_id = "device_reset"


class DataProtect(TapeError):
    text_id = "data_protect"


class WriteProtected(DataProtect):
    text_id = "write_protected"


class WormOverwriteRefused(DataProtect):
    text_id = "worm_overwrite"


class WormIntegrityError(DataProtect):
    text_id = "worm_integrity"


class EncryptionError(DataProtect):
    text_id = "encryption"


class BlankCheck(TapeError):
    """End of data reached (or a blank tape): `residue` holds what was not read or spaced."""

    text_id = "blank_check"


EndOfData = BlankCheck


class VolumeOverflow(TapeError):
    """Physical end of partition: the block was not written; `residue` says how much was left."""

    text_id = "volume_overflow"


class AbortedCommand(TapeError):
    text_id = "aborted_command"
    retryable = True


class DeviceBusy(TapeError):
    text_id = "busy"
    retryable = True
    http_status = 423


class ReservationConflict(TapeError):
    text_id = "reservation_conflict"
    http_status = 423
