"""What reading and writing TAF format v1 through a drive can refuse or find wrong.

`VolumeError` carries a Chinese message and advice like the SCSI errors do, and exit code 7
(HTTP 502). `VolumeRefused` are the cases where nothing was changed because the request was unsafe
(a tape that is not ours, a tape holding data, a write-protected or WORM cartridge): `refusal` is
True and they are reported as refusals (exit code 3, HTTP 409), not as a device failure.
"""

from __future__ import annotations

from kernel.errors import EXIT_DEVICE, EXIT_STATE, TafError
from tape.drive_messages import text


class VolumeError(TafError):
    text_id = ""
    refusal = False
    exit_code = EXIT_DEVICE
    default_message = "磁带上的数据与 TAF 格式不符"

    def __init__(self, **fields: object) -> None:
        entry = text(self.text_id, **fields)
        super().__init__(entry.message, entry.advice)
        self.fields = fields

    def __str__(self) -> str:
        return self.text


class VolumeRefused(VolumeError):
    """Refused before anything was written: the cartridge is not one this act may change."""

    refusal = True
    exit_code = EXIT_STATE
    default_message = "拒绝改动这盘磁带"


class ForeignTape(VolumeRefused):
    """The first block is not a TAF label: another program's tape. Never overwrite without force."""

    text_id = "foreign_tape"


class TapeHoldsData(VolumeRefused):
    text_id = "tape_holds_data"


class WormNotBlank(VolumeRefused):
    text_id = "worm_not_blank"


class WriteProtectedTape(VolumeRefused):
    text_id = "write_protected"


class BlankTape(VolumeRefused):
    """An operation that needs a labelled tape found a blank one."""

    text_id = "blank_tape"


class NotLabelled(VolumeRefused):
    text_id = "not_labelled"


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
