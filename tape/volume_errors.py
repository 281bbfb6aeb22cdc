"""What reading and writing TAF format v1 through a drive can refuse or find wrong.

`VolumeError` carries a Chinese message and advice like the SCSI errors do. `refusal` is True
for the cases where nothing was changed because the request was unsafe (a tape that is not
ours, a tape holding data, a write-protected or WORM cartridge): the caller reports them as bad
input, not as a device failure.
"""

from __future__ import annotations

from tape.drive_messages import text


class VolumeError(Exception):
    text_id = ""
    refusal = False

    def __init__(self, **fields: object) -> None:
        entry = text(self.text_id, **fields)
        super().__init__(entry.message)
        self.message = entry.message
        self.advice = entry.advice
        self.fields = fields

    def __str__(self) -> str:
        return f"{self.message}（{self.advice}）" if self.advice else self.message


class ForeignTape(VolumeError):
    """The first block is not a TAF label: another program's tape. Never overwrite without force."""

    text_id = "foreign_tape"
    refusal = True


class TapeHoldsData(VolumeError):
    text_id = "tape_holds_data"
    refusal = True


class WormNotBlank(VolumeError):
    text_id = "worm_not_blank"
    refusal = True


class WriteProtectedTape(VolumeError):
    text_id = "write_protected"
    refusal = True


class BlankTape(VolumeError):
    """An operation that needs a labelled tape found a blank one."""

    text_id = "blank_tape"
    refusal = True


class NotLabelled(VolumeError):
    text_id = "not_labelled"
    refusal = True


class PackageOverflow(VolumeError):
    """VOLUME OVERFLOW in the middle of a package: it is not on this tape; write it whole on the next."""

    text_id = "package_overflow"

    def __init__(self, package: str, blocks_written: int) -> None:
        super().__init__(package=package)
        self.package = package
        self.blocks_written = blocks_written


class EmptyPackage(VolumeError):
    text_id = "package_empty"


class PayloadChanged(VolumeError):
    text_id = "payload_changed"


class PayloadMismatch(VolumeError):
    text_id = "payload_mismatch"


class PackageTruncated(VolumeError):
    text_id = "package_truncated"


class NotAPackage(VolumeError):
    text_id = "not_a_package"


class NotAnIndex(VolumeError):
    text_id = "not_an_index"
