"""Reading one package off tape for a restore: header first (is this the package the catalog
says is here?), then its payload into a staging file with its SHA-256 checked — or, for a partial
read (`restore.partial`), the header block alone and then only the payload blocks it needs.

`CountingDrive` stands between the format reader and the drive and adds up every byte a READ
returns — label, header, manifest and payload blocks alike — which is the figure the job
summary reports as read from tape (B3: one small file costs one package, not the tape).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

from backup.layout import LayoutInvalid, PackageLayout
from restore import messages
from restore.errors import Refused
from restore.plan import PackageRead
from tape import volume_io
from tape.drive import Drive
from tape.drive_types import ReadKind, ReadResult
from tape.volume import HEADER_MAGIC, FormatError, PackageHeader
from tape.volume_blocks import BlockReader
from tape.volume_errors import NotAPackage
from tape.volume_packages import PackagePositions

_MIN_READ = 64 * 1024
_NOT_DATA = {ReadKind.FILEMARK: "文件标记", ReadKind.END_OF_DATA: "数据结尾"}

Progress = Callable[[int, int], None]


class CountingDrive:
    """A Drive whose reads are counted; everything else passes straight through."""

    def __init__(self, drive: Drive) -> None:
        self._drive = drive
        self.bytes_read = 0

    def read_block(self, length: int, *, sili: bool = True) -> ReadResult:
        result = self._drive.read_block(length, sili=sili)
        self.bytes_read += len(result.data or b"")
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._drive, name)

    @property
    def as_drive(self) -> Drive:
        """This object where the format functions expect a Drive (they use only what it forwards)."""
        return cast(Drive, self)


def read_header(drive: CountingDrive, barcode: str, package: PackageRead) -> tuple[PackageHeader, list[dict[str, Any]]]:
    """The package's header and manifest, checked against where the catalog put it."""
    header, manifest, payload_block = volume_io.read_package_header(drive.as_drive, package.header_block,
                                                                    tape_file=package.tape_file)
    if header.package_id != package.package_id:
        raise Refused(messages.text("package_mismatch", barcode=barcode, block=package.header_block,
                                    expected=package.package_id, found=header.package_id),
                      messages.text("package_mismatch_advice"))
    if payload_block != package.payload_block:
        raise Refused(messages.text("payload_moved", barcode=barcode, package=package.package_id,
                                    expected=package.payload_block, found=payload_block),
                      messages.text("package_mismatch_advice"))
    return header, manifest


def read_header_block(drive: CountingDrive, barcode: str, package: PackageRead) -> PackageHeader:
    """The package's header block alone (not its manifest), checked against the catalog's id."""
    drive.locate(package.header_block)
    first = BlockReader(drive.as_drive, 1 << 20).read()
    if first.kind is not ReadKind.DATA or first.data[:8] != HEADER_MAGIC:
        raise NotAPackage(tape_file=package.tape_file, detail="开头不是数据包头")
    try:
        header = PackageHeader.decode(first.data)
    except FormatError as error:
        raise NotAPackage(tape_file=package.tape_file, detail=error.message) from error
    if header.package_id != package.package_id:
        raise Refused(messages.text("package_mismatch", barcode=barcode, block=package.header_block,
                                    expected=package.package_id, found=header.package_id),
                      messages.text("package_mismatch_advice"))
    return header


def read_payload_blocks(drive: CountingDrive, package: PackageRead, layout: PackageLayout, first: int,
                        count: int) -> Iterator[bytes]:
    """Payload blocks first … first + count - 1: one LOCATE, then READs, each block the length the
    layout expects (`LayoutInvalid` otherwise: the layout does not describe this tape)."""
    drive.locate(package.payload_block + first)
    reader = BlockReader(drive.as_drive, max(layout.block_size, _MIN_READ))
    for block in range(first, first + count):
        result = reader.read()
        if result.kind is not ReadKind.DATA:
            raise LayoutInvalid(messages.text("layout_blocks_missing", block=package.payload_block + block,
                                              kind=_NOT_DATA.get(result.kind, "")))
        if len(result.data) != layout.block_length(block):
            raise LayoutInvalid(messages.text("layout_blocks_differ", block=package.payload_block + block,
                                              found=len(result.data), expected=layout.block_length(block)))
        yield result.data


def read_payload(drive: CountingDrive, package: PackageRead, header: PackageHeader, staging: Path,
                 progress: Progress | None = None) -> None:
    """Stream the payload into `staging`; `read_package_payload` checks size and SHA-256."""
    positions = PackagePositions(package_id=package.package_id, tape_file=package.tape_file,
                                 header_block=package.header_block, payload_block=package.payload_block,
                                 payload_blocks=package.payload_blocks, payload_bytes=header.payload_bytes,
                                 payload_sha256=header.payload_sha256, block_size=header.block_size)
    staging.parent.mkdir(parents=True, exist_ok=True)
    volume_io.read_package_payload(drive.as_drive, positions, staging, progress)
